//! `tresor admin notification …` (seed manual, Notifications; New notification; Notification properties): e-mails
//! to chosen recipients when a chosen event happens.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use tresor_api::{
    NotificationList, NotificationRequest, NotificationScope, NotificationSubject, NotificationTrigger,
    NotificationView, ScopeView, TriggerView,
};

use super::connect::Context;
use super::output::{fields, joined, list, yes_no};
use super::prompt::confirm_deletion;

#[derive(Debug, Subcommand)]
pub enum NotificationCommand {
    /// List the notifications.
    List,
    /// Show one notification.
    Show {
        /// The notification's number.
        #[arg(value_name = "ID")]
        id: u64,
    },
    /// Add a notification: e-mail the recipients when the event happens.
    Add(AddArgs),
    /// Change a notification; only the options given change.
    Set(SetArgs),
    /// Delete a notification.
    Rm {
        /// The notification's number.
        #[arg(value_name = "ID")]
        id: u64,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Who and what triggers it (Notification properties → Advanced); without these, every user and every database.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// Only when this user triggers it (account name or id; repeat for more).
    #[arg(long, value_name = "USER")]
    user: Vec<String>,
    /// Only when a member of this group triggers it (name or id; repeat for more).
    #[arg(long, value_name = "GROUP")]
    group: Vec<String>,
    /// Only about this database (name or id; repeat for more).
    #[arg(long, value_name = "DATABASE", conflicts_with = "entry")]
    database: Vec<String>,
    /// Only about this entry (its id; repeat for more).
    #[arg(long, value_name = "ENTRY")]
    entry: Vec<String>,
}

impl TriggerArgs {
    fn trigger(&self) -> Option<NotificationTrigger> {
        (!self.user.is_empty() || !self.group.is_empty())
            .then(|| NotificationTrigger::Selected { users: self.user.clone(), groups: self.group.clone() })
    }

    fn scope(&self) -> Option<NotificationScope> {
        if !self.database.is_empty() {
            Some(NotificationScope::Databases(self.database.clone()))
        } else if !self.entry.is_empty() {
            Some(NotificationScope::Entries(self.entry.clone()))
        } else {
            None
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The event number (seed manual, Event IDs), e.g. 306 for a deleted entry.
    #[arg(long, value_name = "N")]
    event: u16,
    /// A recipient's e-mail address (repeat for more).
    #[arg(long = "to", value_name = "ADDRESS", required = true)]
    to: Vec<String>,
    /// Notes to include in the e-mail.
    #[arg(long, value_name = "TEXT", default_value = "", hide_default_value = true)]
    notes: String,
    /// Keep the notification but send nothing ("Send email notification to recipients" off).
    #[arg(long)]
    off: bool,
    #[command(flatten)]
    trigger: TriggerArgs,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The notification's number.
    #[arg(value_name = "ID")]
    id: u64,
    /// The event number.
    #[arg(long, value_name = "N")]
    event: Option<u16>,
    /// The recipients (repeat; replaces the list).
    #[arg(long = "to", value_name = "ADDRESS")]
    to: Vec<String>,
    /// Notes to include in the e-mail.
    #[arg(long, value_name = "TEXT")]
    notes: Option<String>,
    /// Send e-mails.
    #[arg(long, conflicts_with = "off")]
    on: bool,
    /// Keep the notification but send nothing.
    #[arg(long)]
    off: bool,
    /// Triggered by every user again.
    #[arg(long, conflicts_with_all = ["user", "group"])]
    all_users: bool,
    /// About every database again.
    #[arg(long, conflicts_with_all = ["database", "entry"])]
    all_databases: bool,
    #[command(flatten)]
    trigger: TriggerArgs,
}

impl SetArgs {
    fn is_empty(&self) -> bool {
        let t = &self.trigger;
        self.event.is_none()
            && self.to.is_empty()
            && self.notes.is_none()
            && !(self.on || self.off || self.all_users || self.all_databases)
            && t.trigger().is_none()
            && t.scope().is_none()
    }
}

pub async fn run(ctx: &Context, command: NotificationCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match command {
        NotificationCommand::List => ctx.out.show(&client.notifications().await?, table),
        NotificationCommand::Show { id } => ctx.out.show(&client.notification(id).await?, properties),
        NotificationCommand::Add(a) => {
            let request = NotificationRequest {
                event: a.event,
                notes: a.notes,
                recipients: a.to,
                send_email: !a.off,
                trigger: a.trigger.trigger().unwrap_or_default(),
                scope: a.trigger.scope().unwrap_or_default(),
            };
            ctx.out.show(&client.add_notification(&request).await?, properties)
        }
        NotificationCommand::Set(a) => {
            if a.is_empty() {
                bail!("nothing to change; give at least one option (see --help)");
            }
            let current = client.notification(a.id).await?;
            let request = changed(current, &a);
            ctx.out.show(&client.change_notification(a.id, &request).await?, properties)
        }
        NotificationCommand::Rm { id, yes } => {
            confirm_deletion(&format!("notification {id}"), yes)?;
            client.delete_notification(id).await?;
            ctx.out.done(&format!("Deleted notification {id}."));
            Ok(())
        }
    }
}

fn ids(subjects: Vec<NotificationSubject>) -> Vec<String> {
    subjects.into_iter().map(|s| s.id).collect()
}

/// The current settings with the options given applied; users, groups and databases are sent by id.
fn changed(current: NotificationView, a: &SetArgs) -> NotificationRequest {
    let trigger = match (a.all_users, a.trigger.trigger(), current.trigger) {
        (true, _, _) => NotificationTrigger::All,
        (false, Some(t), _) => t,
        (false, None, TriggerView::All(_)) => NotificationTrigger::All,
        (false, None, TriggerView::Selected { users, groups }) => {
            NotificationTrigger::Selected { users: ids(users), groups: ids(groups) }
        }
    };
    let scope = match (a.all_databases, a.trigger.scope(), current.scope) {
        (true, _, _) => NotificationScope::All,
        (false, Some(s), _) => s,
        (false, None, ScopeView::All(_)) => NotificationScope::All,
        (false, None, ScopeView::Databases { databases }) => NotificationScope::Databases(ids(databases)),
        (false, None, ScopeView::Entries { entries }) => NotificationScope::Entries(ids(entries)),
    };
    NotificationRequest {
        event: a.event.unwrap_or(current.event),
        notes: a.notes.clone().unwrap_or(current.notes),
        recipients: if a.to.is_empty() { current.recipients } else { a.to.clone() },
        send_email: if a.on || a.off { a.on } else { current.send_email },
        trigger,
        scope,
    }
}

/// A name where the server knows one, else the id.
fn named(subjects: &[NotificationSubject]) -> Vec<String> {
    subjects.iter().map(|s| s.name.clone().unwrap_or_else(|| s.id.clone())).collect()
}

fn trigger_text(t: &TriggerView) -> String {
    match t {
        TriggerView::All(_) => "all users and groups".to_owned(),
        TriggerView::Selected { users, groups } => {
            let mut parts = Vec::new();
            if !users.is_empty() {
                parts.push(format!("users {}", joined(named(users))));
            }
            if !groups.is_empty() {
                parts.push(format!("groups {}", joined(named(groups))));
            }
            parts.join("; ")
        }
    }
}

fn scope_text(s: &ScopeView) -> String {
    match s {
        ScopeView::All(_) => "all databases".to_owned(),
        ScopeView::Databases { databases } => format!("databases {}", joined(named(databases))),
        ScopeView::Entries { entries } => format!("entries {}", joined(named(entries))),
    }
}

fn table(l: &NotificationList) -> String {
    let rows = l
        .notifications
        .iter()
        .map(|n| {
            vec![
                n.id.to_string(),
                format!("{} {}", n.event, n.description),
                n.notes.clone(),
                joined(&n.recipients),
                yes_no(n.send_email),
                trigger_text(&n.trigger),
                scope_text(&n.scope),
            ]
        })
        .collect();
    let header = ["ID", "Type", "Notes", "Recipients", "E-mail", "Triggered by", "About"];
    format!("{}\n{} notifications", list(&header, rows), l.notifications.len())
}

fn properties(n: &NotificationView) -> String {
    fields(vec![
        ("ID", n.id.to_string()),
        ("Event", format!("{} {}", n.event, n.description)),
        ("Notes", n.notes.clone()),
        ("Recipients", joined(&n.recipients)),
        ("Send e-mail", yes_no(n.send_email)),
        ("Triggered by", trigger_text(&n.trigger)),
        ("About", scope_text(&n.scope)),
    ])
}
