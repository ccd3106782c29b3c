//! The vault's settings and the server policy's entry-type list, kept in the store's settings table, and
//! "Assign database" (seed manual: Assign Database; Databases → private databases).

use super::VaultService;
use super::admin::ManageDatabases;
use super::audit::in_database;
use super::grants::grant_records;
use super::live::About;
use crate::accounts::User;
use crate::accounts::service::{find_group, find_user};
use crate::audit::AuditEvent;
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::{DatabaseId, GroupId};
use crate::live::LiveChange;
use crate::permissions::{Grant, Object, Permission, PolicyState, ServerPolicy, Setting, Subject};
use crate::vault::generator::{self, GenerateRequest, PasswordPolicy};
use crate::vault::{Database, EntryType, lock};

const PRIVATE_FOR_NEW_USERS: &str = "vault.private_database_for_new_users";
const DELETE_PRIVATE_WITH_USER: &str = "vault.delete_private_database_with_user";
const ATTACHMENT_LIMIT: &str = "vault.attachment_limit_bytes";
const PASSWORD_POLICY: &str = "vault.password_policy";
const EDIT_LOCK: &str = "vault.edit_lock_secs";
const ALLOWED_TYPES: &str = "vault.allowed_entry_types";
/// `vault.private_database.<user id>` → the id of that user's private database.
const PRIVATE_DATABASE_PREFIX: &str = "vault.private_database.";

/// Default largest attachment: 25 MiB.
pub const DEFAULT_ATTACHMENT_LIMIT: u64 = 25 * 1024 * 1024;
/// Largest attachment limit an administrator may set: 256 MiB. An upload's sealed chunks are held until it is
/// stored in one transaction, so the limit bounds the memory of each upload in flight.
pub const MAX_ATTACHMENT_LIMIT: u64 = 256 * 1024 * 1024;

/// The vault's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaultSettings {
    /// "Create a private database for each new user".
    pub private_database_for_new_users: bool,
    /// "Delete it when the user is deleted".
    pub delete_private_database_with_user: bool,
    pub attachment_limit_bytes: u64,
    pub password_policy: PasswordPolicy,
    /// Server Settings → Additional → "Edit entries": how long an entry's lock lasts, in seconds.
    pub edit_lock_secs: u32,
}

impl Default for VaultSettings {
    fn default() -> Self {
        Self {
            private_database_for_new_users: false,
            delete_private_database_with_user: false,
            attachment_limit_bytes: DEFAULT_ATTACHMENT_LIMIT,
            password_policy: PasswordPolicy::default(),
            edit_lock_secs: lock::DEFAULT_LOCK_SECS,
        }
    }
}

/// A change of the vault settings; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub struct VaultSettingsChange {
    pub private_database_for_new_users: Option<bool>,
    pub delete_private_database_with_user: Option<bool>,
    pub attachment_limit_bytes: Option<u64>,
    pub password_policy: Option<PasswordPolicy>,
    pub edit_lock_secs: Option<u32>,
}

/// Which database "Assign database" gives the accounts.
#[derive(Debug, Clone)]
pub enum AssignTarget {
    Existing(String),
    New(String),
    /// One private database per selected user or group.
    Private,
}

impl VaultService {
    /// The current settings (defaults for what was never set).
    pub async fn settings(&self) -> Result<VaultSettings, CoreError> {
        let d = VaultSettings::default();
        let flag = |v: Option<String>, default: bool| v.map_or(default, |v| v == "true");
        Ok(VaultSettings {
            private_database_for_new_users: flag(
                self.store.setting(PRIVATE_FOR_NEW_USERS).await?,
                d.private_database_for_new_users,
            ),
            delete_private_database_with_user: flag(
                self.store.setting(DELETE_PRIVATE_WITH_USER).await?,
                d.delete_private_database_with_user,
            ),
            attachment_limit_bytes: self
                .store
                .setting(ATTACHMENT_LIMIT)
                .await?
                .and_then(|v| v.parse().ok())
                .unwrap_or(d.attachment_limit_bytes),
            password_policy: self
                .store
                .setting(PASSWORD_POLICY)
                .await?
                .and_then(|v| PasswordPolicy::decode(&v))
                .unwrap_or(d.password_policy),
            edit_lock_secs: self.edit_lock_secs().await?,
        })
    }

    /// The "Edit entries" time limit alone: taking a lock reads it.
    pub(super) async fn edit_lock_secs(&self) -> Result<u32, CoreError> {
        let stored = self.store.setting(EDIT_LOCK).await?.and_then(|v| v.parse().ok());
        Ok(stored.unwrap_or(lock::DEFAULT_LOCK_SECS))
    }

    /// Changes the settings given and keeps the others (Server Administrators and Database Administrators; 617,
    /// "The server options were modified").
    pub async fn change_settings(
        &self,
        cap: &ManageDatabases,
        change: VaultSettingsChange,
    ) -> Result<VaultSettings, CoreError> {
        let current = self.settings().await?;
        let s = VaultSettings {
            private_database_for_new_users: change
                .private_database_for_new_users
                .unwrap_or(current.private_database_for_new_users),
            delete_private_database_with_user: change
                .delete_private_database_with_user
                .unwrap_or(current.delete_private_database_with_user),
            attachment_limit_bytes: change.attachment_limit_bytes.unwrap_or(current.attachment_limit_bytes),
            password_policy: change.password_policy.unwrap_or(current.password_policy),
            edit_lock_secs: change.edit_lock_secs.unwrap_or(current.edit_lock_secs),
        };
        if !(lock::MIN_LOCK_SECS..=lock::MAX_LOCK_SECS).contains(&s.edit_lock_secs) {
            return Err(CoreError::Validation(format!(
                "the time limit of entry locks must be {} to {} seconds",
                lock::MIN_LOCK_SECS,
                lock::MAX_LOCK_SECS
            )));
        }
        if s.attachment_limit_bytes == 0 || s.attachment_limit_bytes > MAX_ATTACHMENT_LIMIT {
            return Err(CoreError::Validation(format!(
                "the attachment limit must be 1 to {MAX_ATTACHMENT_LIMIT} bytes"
            )));
        }
        s.password_policy.validate()?;
        self.store.put_setting(PRIVATE_FOR_NEW_USERS, &s.private_database_for_new_users.to_string()).await?;
        self.store.put_setting(DELETE_PRIVATE_WITH_USER, &s.delete_private_database_with_user.to_string()).await?;
        self.store.put_setting(ATTACHMENT_LIMIT, &s.attachment_limit_bytes.to_string()).await?;
        self.store.put_setting(PASSWORD_POLICY, &s.password_policy.encode()).await?;
        self.store.put_setting(EDIT_LOCK, &s.edit_lock_secs.to_string()).await?;
        let changed = [
            (
                "private databases for new users",
                s.private_database_for_new_users != current.private_database_for_new_users,
            ),
            (
                "delete private databases with users",
                s.delete_private_database_with_user != current.delete_private_database_with_user,
            ),
            ("attachment limit", s.attachment_limit_bytes != current.attachment_limit_bytes),
            ("password policy", s.password_policy != current.password_policy),
            ("edit entries time limit", s.edit_lock_secs != current.edit_lock_secs),
        ];
        let what: Vec<&str> = changed.into_iter().filter(|(_, c)| *c).map(|(name, _)| name).collect();
        let event = AuditEvent::new(617).by(cap.caller()).object("vault", "Vault settings");
        self.audit()
            .note(event.new_object(if what.is_empty() { "no change".to_owned() } else { what.join(", ") }))
            .await;
        self.settings().await
    }

    /// A password from the generator, within the server's password policy (or, `for_login`, the sign-in password
    /// policy, for a new server password). Any ready user may ask.
    pub async fn generate_password(
        &self,
        _caller: &Caller,
        request: &GenerateRequest,
    ) -> Result<(tresor_crypto::SecretString, PasswordPolicy), CoreError> {
        if request.for_login {
            let login = self.auth.signin_settings().await?.password_policy;
            let policy = login.for_generator();
            // Random characters at this length pass the strength check; checked anyway, as the change will be.
            for _ in 0..8 {
                let password = generator::generate(&policy, request)?;
                if login.check(password.expose_secret(), &[]).is_ok() {
                    return Ok((password, policy));
                }
            }
            return Err(CoreError::Validation(
                "no generated password of this length meets the sign-in password policy; ask for a longer one".into(),
            ));
        }
        let policy = self.settings().await?.password_policy;
        Ok((generator::generate(&policy, request)?, policy))
    }

    /// Server policy → Entries: the types that may be created (all, until an administrator narrows them).
    pub async fn allowed_entry_types(&self) -> Result<Vec<EntryType>, CoreError> {
        let Some(stored) = self.store.setting(ALLOWED_TYPES).await? else { return Ok(EntryType::ALL.to_vec()) };
        Ok(stored.split(',').filter_map(EntryType::from_name).collect())
    }

    pub(super) async fn check_entry_type_allowed(&self, kind: EntryType) -> Result<(), CoreError> {
        if self.allowed_entry_types().await?.contains(&kind) {
            return Ok(());
        }
        Err(CoreError::Forbidden(format!("the server policy does not allow {kind} entries")))
    }

    /// The server policy: the fourteen permissions and the allowed entry types (631, "The server policies were
    /// sent to the admin").
    pub async fn server_policy(&self, cap: &ManageDatabases) -> Result<(ServerPolicy, Vec<EntryType>), CoreError> {
        let policy = self.stored_server_policy().await?;
        self.audit().note(AuditEvent::new(631).by(cap.caller())).await;
        Ok(policy)
    }

    async fn stored_server_policy(&self) -> Result<(ServerPolicy, Vec<EntryType>), CoreError> {
        Ok((self.vault.server_policy().await?, self.allowed_entry_types().await?))
    }

    /// Sets the listed permissions of the server policy to the given states and keeps the others; `types` (when
    /// given) replaces the allowed entry types. Access and grant admin rights have no policy and are refused.
    pub async fn change_server_policy(
        &self,
        cap: &ManageDatabases,
        changes: &[(Permission, PolicyState)],
        types: Option<&[EntryType]>,
    ) -> Result<(ServerPolicy, Vec<EntryType>), CoreError> {
        let mut policy = self.vault.server_policy().await?;
        for (permission, state) in changes {
            policy.set(*permission, *state).map_err(|e| CoreError::Validation(e.to_string()))?;
        }
        let mut what: Vec<String> = changes.iter().map(|(p, state)| format!("{p}: {state:?}")).collect();
        if let Some(types) = types {
            what.push(format!("entry types: {}", types.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")));
        }
        self.store_server_policy(cap, &policy, types, what.join("; ")).await
    }

    /// Stores the server policy; `types` (when given) replaces the allowed entry types. Recorded as 604 ("The
    /// default server policies were modified"), `what` saying how.
    async fn store_server_policy(
        &self,
        cap: &ManageDatabases,
        policy: &ServerPolicy,
        types: Option<&[EntryType]>,
        what: String,
    ) -> Result<(ServerPolicy, Vec<EntryType>), CoreError> {
        if types.is_some_and(<[EntryType]>::is_empty) {
            return Err(CoreError::Validation("allow at least one entry type".to_owned()));
        }
        self.cache.forget_policy();
        let written = async {
            if let Some(types) = types {
                let list: Vec<&str> = types.iter().map(|t| t.name()).collect();
                self.store.put_setting(ALLOWED_TYPES, &list.join(",")).await?;
            }
            self.vault.put_server_policy(policy).await
        }
        .await;
        // Dropped again after the write, whatever its outcome: a load that raced with it may have cached the old one.
        self.cache.forget_policy();
        written?;
        let event = AuditEvent::new(604).by(cap.caller()).object("server_policy", "Server policies");
        self.audit().note(event.new_object(what)).await;
        let actor = Some(cap.caller().user.account.as_str());
        self.publish(actor, LiveChange::PermissionsChanged, None, About::Database);
        self.stored_server_policy().await
    }

    /// "Restore default settings": every permission Undefined, every entry type allowed.
    pub async fn restore_server_policy(
        &self,
        cap: &ManageDatabases,
    ) -> Result<(ServerPolicy, Vec<EntryType>), CoreError> {
        self.store_server_policy(
            cap,
            &ServerPolicy::default(),
            Some(&EntryType::ALL),
            "default settings restored".into(),
        )
        .await
    }

    /// Users → Assign database: every selected account gets `permissions` allowed on the database.
    pub async fn assign(
        &self,
        cap: &ManageDatabases,
        users: &[String],
        groups: &[String],
        target: AssignTarget,
        permissions: &[Permission],
    ) -> Result<Vec<Database>, CoreError> {
        if users.is_empty() && groups.is_empty() {
            return Err(CoreError::Validation("select at least one user or group".to_owned()));
        }
        if permissions.is_empty() {
            return Err(CoreError::Validation("give at least one permission".to_owned()));
        }
        let by = cap.caller();
        let mut subjects: Vec<(Subject, String)> = Vec::new();
        for u in users {
            let user = self.find_user(u).await?;
            subjects.push((Subject::User(user.id), user.account));
        }
        for g in groups {
            let (id, name) = self.find_group(g).await?;
            subjects.push((Subject::Group(id), name));
        }
        let grants_for = |db: DatabaseId, subject: Subject| -> Vec<Grant> {
            permissions
                .iter()
                .map(|p| Grant {
                    object: Object::Database(db),
                    subject,
                    permission: *p,
                    setting: Setting::Allow,
                    valid_from: None,
                    valid_to: None,
                })
                .collect()
        };
        let shared = match &target {
            AssignTarget::Existing(key) => Some(Database::clone(&self.snapshot(key).await?.database)),
            AssignTarget::New(name) => Some(self.create_database(cap, name, "").await?),
            AssignTarget::Private => None,
        };
        let names: std::collections::HashMap<Subject, String> = subjects.iter().cloned().collect();
        if let Some(db) = shared {
            let grants: Vec<Grant> = subjects.iter().flat_map(|(s, _)| grants_for(db.id, *s)).collect();
            self.put_checked_grants(&db, &grants).await?;
            self.audit().note_all(grant_records(by, &db, &grants, &names, |_| "the database".to_owned())).await;
            return Ok(vec![db]);
        }
        // All or nothing: a name already taken refuses the whole assignment before anything is created, and a
        // failure part-way (a name taken meanwhile, two selected accounts with one private name) undoes the
        // databases made so far.
        for (_, name) in &subjects {
            let name = private_name(name);
            if self.vault.database_by_name(&name).await?.is_some() {
                return Err(CoreError::Duplicate(format!("a database named '{name}' exists already")));
            }
        }
        let mut out: Vec<Database> = Vec::new();
        let mut made = Ok(());
        for (subject, name) in &subjects {
            let db = match self.create_database(cap, &private_name(name), "").await {
                Ok(db) => db,
                Err(e) => {
                    made = Err(e);
                    break;
                }
            };
            out.push(db.clone());
            if let Err(e) = self.put_checked_grants(&db, &grants_for(db.id, *subject)).await {
                made = Err(e);
                break;
            }
        }
        if let Err(e) = made {
            for db in &out {
                self.database_changed(db.id);
                self.vault.delete_database(db.id).await?;
            }
            return Err(e);
        }
        for (db, (subject, _)) in out.iter().zip(&subjects) {
            if let Subject::User(u) = subject {
                self.store.put_setting(&format!("{PRIVATE_DATABASE_PREFIX}{u}"), &db.id.to_string()).await?;
            }
            let grants = grants_for(db.id, *subject);
            self.audit().note_all(grant_records(by, db, &grants, &names, |_| "the database".to_owned())).await;
        }
        Ok(out)
    }

    /// After a user is created: a private database when the settings ask for one (603, and 623 for its owner).
    async fn create_private_database(&self, user: &User, by: &Caller) -> Result<(), CoreError> {
        if !self.settings().await?.private_database_for_new_users || user.is_super_admin() {
            return Ok(());
        }
        let db = self.insert_new_database(&private_name(&user.account), "").await?;
        let grants: Vec<Grant> =
            [Permission::Access, Permission::Read, Permission::Modify, Permission::Add, Permission::Delete]
                .into_iter()
                .map(|permission| Grant {
                    object: Object::Database(db.id),
                    subject: Subject::User(user.id),
                    permission,
                    setting: Setting::Allow,
                    valid_from: None,
                    valid_to: None,
                })
                .collect();
        self.put_checked_grants(&db, &grants).await?;
        self.store.put_setting(&format!("{PRIVATE_DATABASE_PREFIX}{}", user.id), &db.id.to_string()).await?;
        let private = format!("private database of {}", user.account);
        self.audit().note(in_database(603, by, &db).new_object(private)).await;
        let names = [(Subject::User(user.id), user.account.clone())].into_iter().collect();
        self.audit().note_all(grant_records(by, &db, &grants, &names, |_| "the database".to_owned())).await;
        Ok(())
    }

    /// After a user is deleted: its private database goes too when the settings say so (609).
    async fn delete_private_database(&self, user: &User, by: &Caller) -> Result<(), CoreError> {
        let key = format!("{PRIVATE_DATABASE_PREFIX}{}", user.id);
        let Some(id) = self.store.setting(&key).await?.and_then(|v| v.parse::<DatabaseId>().ok()) else {
            return Ok(());
        };
        if self.settings().await?.delete_private_database_with_user {
            let name = self.vault.database(id).await?.map(|d| d.name).unwrap_or_default();
            let deleted = self.writing_database(id, self.vault.delete_database(id)).await?;
            self.store.put_setting(&key, "").await?;
            if deleted {
                let event = AuditEvent::new(609).by(by).database(id, name);
                self.audit().note(event.reason(format!("deleted with its user {}", user.account))).await;
            }
        }
        Ok(())
    }

    /// A user who can hold database rights, by id or account name. The super administrator cannot open
    /// databases as a client, so giving it rights is refused rather than stored to no effect.
    /// A user who can hold database rights, by id or account name. The super administrator cannot open
    /// databases as a client, so giving it rights is refused rather than stored to no effect.
    pub(super) async fn find_user(&self, key: &str) -> Result<User, CoreError> {
        let user = find_user(self.store.as_ref(), key.trim()).await?;
        if user.is_super_admin() {
            return Err(CoreError::Validation(
                "the super administrator manages the server but cannot open databases, so it holds no database rights"
                    .to_owned(),
            ));
        }
        Ok(user)
    }

    pub(super) async fn find_group(&self, key: &str) -> Result<(GroupId, String), CoreError> {
        find_group(self.store.as_ref(), key.trim()).await.map(|g| (g.id, g.name))
    }
}

/// A private database's name: the account's name and a marker, within the 64-character name limit.
fn private_name(account: &str) -> String {
    let short: String = account.chars().take(50).collect();
    format!("{short} (private)")
}

#[async_trait::async_trait]
impl crate::accounts::AccountObserver for VaultService {
    async fn user_created(&self, user: &User, by: &Caller) -> Result<(), CoreError> {
        self.create_private_database(user, by).await
    }
    async fn user_deleted(&self, user: &User, by: &Caller) -> Result<(), CoreError> {
        self.delete_private_database(user, by).await
    }
    fn groups_changed(&self) {
        self.cache.forget_groups();
    }
    fn user_changed(&self, user: &User) {
        self.cache.forget_account(user.id);
    }
}
