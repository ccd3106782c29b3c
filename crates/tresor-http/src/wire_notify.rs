//! The log's settings and notifications in their wire form. A notification names users, groups and databases by
//! name or id; they are resolved to ids here, through the account and vault services, and shown with their
//! current names. Entries are named by id only: their titles are sealed.

use tresor_api as api;
use tresor_core::audit::{
    LoggingSettings, NewFile, Notification, NotificationDraft, RemoteLog, Scope, Transport, Trigger,
};
use tresor_core::vault::service::ManageDatabases;
use tresor_core::{Caller, CoreError, EntryId, ManageAccounts};

use crate::{ApiError, AppState};

/// The most users, groups, databases or entries one notification names.
const MAX_NAMED: usize = 100;

pub fn settings(s: &LoggingSettings) -> api::LogSettings {
    api::LogSettings {
        files: s.files,
        folder: s.folder.clone(),
        max_file_kb: s.max_file_kb,
        new_file: match s.new_file {
            NewFile::Daily => api::NewLogFile::Daily,
            NewFile::Weekly => api::NewLogFile::Weekly,
        },
        keep_days: s.keep_days,
        remote: s.remote.as_ref().map(|r| api::RemoteLogSettings {
            host: r.host.clone(),
            port: r.port,
            transport: match r.transport {
                Transport::Udp => api::LogTransport::Udp,
                Transport::Tcp => api::LogTransport::Tcp,
                Transport::Tls => api::LogTransport::Tls,
            },
            ca_file: r.ca_file.clone(),
            spool_mb: r.spool_mb,
        }),
    }
}

pub fn settings_in(s: api::LogSettings) -> LoggingSettings {
    LoggingSettings {
        files: s.files,
        folder: s.folder.filter(|f| !f.is_empty()),
        max_file_kb: s.max_file_kb,
        new_file: match s.new_file {
            api::NewLogFile::Daily => NewFile::Daily,
            api::NewLogFile::Weekly => NewFile::Weekly,
        },
        keep_days: s.keep_days,
        remote: s.remote.map(|r| RemoteLog {
            host: r.host.trim().to_owned(),
            port: r.port,
            transport: match r.transport {
                api::LogTransport::Udp => Transport::Udp,
                api::LogTransport::Tcp => Transport::Tcp,
                api::LogTransport::Tls => Transport::Tls,
            },
            ca_file: r.ca_file.filter(|f| !f.is_empty()),
            spool_mb: r.spool_mb,
        }),
    }
}

/// What a caller holding `ManageServer` (a Server Administrator) uses to look names up.
pub struct Lookup<'a> {
    state: &'a AppState,
    accounts: ManageAccounts,
    databases: ManageDatabases,
}

impl<'a> Lookup<'a> {
    pub fn new(state: &'a AppState, caller: &Caller) -> Result<Self, ApiError> {
        Ok(Self { state, accounts: caller.require()?, databases: caller.require()? })
    }

    /// The settings of a notification, with every name resolved to an id; a name that names nothing is a
    /// validation failure that says which.
    pub async fn draft(&self, r: api::NotificationRequest) -> Result<NotificationDraft, ApiError> {
        let trigger = match r.trigger {
            api::NotificationTrigger::All => Trigger::Everyone,
            api::NotificationTrigger::Selected { users, groups } => {
                let mut user_ids = Vec::new();
                for key in bounded("trigger.users", &users)? {
                    let id = self.state.accounts.user(&self.accounts, key).await.map_err(unknown("user", key))?.user.id;
                    push_new(&mut user_ids, id);
                }
                let mut group_ids = Vec::new();
                for key in bounded("trigger.groups", &groups)? {
                    let id =
                        self.state.accounts.group(&self.accounts, key).await.map_err(unknown("group", key))?.group.id;
                    push_new(&mut group_ids, id);
                }
                Trigger::Selected { users: user_ids, groups: group_ids }
            }
        };
        let scope = match r.scope {
            api::NotificationScope::All => Scope::AllDatabases,
            api::NotificationScope::Databases(keys) => {
                let mut ids = Vec::new();
                for key in bounded("scope.databases", &keys)? {
                    let found = self.state.vault.find_database(&self.databases, key).await;
                    push_new(&mut ids, found.map_err(unknown("database", key))?.0);
                }
                Scope::Databases(ids)
            }
            api::NotificationScope::Entries(keys) => {
                let mut ids = Vec::new();
                for key in bounded("scope.entries", &keys)? {
                    let id = key.trim().parse::<EntryId>().map_err(|_| {
                        CoreError::Validation(format!("scope.entries: entries are named by id; {key:?} is not one"))
                    })?;
                    push_new(&mut ids, id);
                }
                Scope::Entries(ids)
            }
        };
        Ok(NotificationDraft {
            event: r.event,
            notes: r.notes,
            recipients: r.recipients.into_iter().map(|a| a.trim().to_owned()).collect(),
            send_email: r.send_email,
            trigger,
            scope,
        })
    }

    /// A notification as the API shows it, with the current names of what it names (`null` for what no longer
    /// exists, and for entries).
    pub async fn view(&self, n: &Notification) -> Result<api::NotificationView, ApiError> {
        let d = &n.draft;
        let trigger = match &d.trigger {
            Trigger::Everyone => api::TriggerView::All(api::Everything::All),
            Trigger::Selected { users, groups } => {
                let mut u = Vec::with_capacity(users.len());
                for id in users {
                    let found = self.state.accounts.user(&self.accounts, &id.to_string()).await;
                    u.push(subject(id, found.map(|d| d.user.account))?);
                }
                let mut g = Vec::with_capacity(groups.len());
                for id in groups {
                    let found = self.state.accounts.group(&self.accounts, &id.to_string()).await;
                    g.push(subject(id, found.map(|d| d.group.name))?);
                }
                api::TriggerView::Selected { users: u, groups: g }
            }
        };
        let scope = match &d.scope {
            Scope::AllDatabases => api::ScopeView::All(api::Everything::All),
            Scope::Databases(ids) => {
                let mut databases = Vec::with_capacity(ids.len());
                for id in ids {
                    let found = self.state.vault.find_database(&self.databases, &id.to_string()).await;
                    databases.push(subject(id, found.map(|(_, name)| name))?);
                }
                api::ScopeView::Databases { databases }
            }
            Scope::Entries(ids) => api::ScopeView::Entries {
                entries: ids.iter().map(|id| api::NotificationSubject { id: id.to_string(), name: None }).collect(),
            },
        };
        Ok(api::NotificationView {
            id: n.id,
            event: d.event,
            description: tresor_core::events::event(d.event).map_or("", |e| e.description).to_owned(),
            notes: d.notes.clone(),
            recipients: d.recipients.clone(),
            send_email: d.send_email,
            trigger,
            scope,
        })
    }
}

fn bounded<'k>(field: &str, keys: &'k [String]) -> Result<&'k [String], ApiError> {
    if keys.len() > MAX_NAMED {
        return Err(CoreError::Validation(format!("{field}: at most {MAX_NAMED}")).into());
    }
    Ok(keys)
}

fn push_new<T: PartialEq>(ids: &mut Vec<T>, id: T) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// A name that names nothing is the request's mistake (422), not a missing route (404).
fn unknown<'k>(kind: &'static str, key: &'k str) -> impl FnOnce(CoreError) -> CoreError + 'k {
    move |e| match e {
        CoreError::NotFound { .. } => CoreError::Validation(format!("there is no {kind} {key:?}")),
        other => other,
    }
}

/// An id with its name; a name that is gone is `null`.
fn subject(id: impl ToString, name: Result<String, CoreError>) -> Result<api::NotificationSubject, ApiError> {
    let name = match name {
        Ok(name) => Some(name),
        Err(CoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(api::NotificationSubject { id: id.to_string(), name })
}
