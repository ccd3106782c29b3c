//! Administering databases (seed manual: Databases, Add Database to Server, Database Properties).
//!
//! Database Administrators and Server Administrators manage every database ([`ManageDatabases`]). A user
//! granted "grant admin rights" on a database manages that database's properties and permissions (delegated
//! administration), not others and not its deletion. When a database has a custom password, its properties and
//! permissions are managed only by someone who gives it (Advanced: "Permissions management requires
//! verification"), administrators included.

use std::net::IpAddr;

use tresor_crypto::SecretString;

use super::audit::in_database;
use super::live::About;
use super::{Focus, VaultService};
use crate::accounts::Role;
use crate::audit::AuditEvent;
use crate::caller::{Caller, Capability};
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::{SessionId, UserId};
use crate::live::LiveChange;
use crate::permissions::{Object, Permission};
use crate::session::EndReason;
use crate::vault::{Database, DatabaseCipher, DatabaseListing, DatabaseSettings, database_comments, database_name};

/// Proof that the caller holds the Database Administrator or Server Administrator role; names the holder for the
/// server log.
#[derive(Clone)]
pub struct ManageDatabases {
    holder: Caller,
}

impl ManageDatabases {
    pub fn actor(&self) -> UserId {
        self.holder.user_id()
    }
    /// The caller the capability was checked for.
    pub fn caller(&self) -> &Caller {
        &self.holder
    }
}

impl std::fmt::Debug for ManageDatabases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManageDatabases").field("actor", &self.actor()).finish()
    }
}

impl Capability for ManageDatabases {
    const NEEDS: &'static str = "the Database Administrator or Server Administrator role";
    fn grant(caller: &Caller) -> Option<Self> {
        (caller.has_role(Role::DatabaseAdministrator) || caller.has_role(Role::ServerAdministrator))
            .then(|| ManageDatabases { holder: caller.clone() })
    }
}

/// Proof that the caller may manage one database's properties and permissions, custom password checked.
#[derive(Debug)]
pub(super) struct DatabaseAdmin {
    pub database: Database,
}

/// Someone who has a database open.
#[derive(Debug, Clone)]
pub struct DatabaseConnection {
    pub session: SessionId,
    pub user: UserId,
    pub account: String,
    pub address: IpAddr,
    pub since: Timestamp,
}

/// Database Properties: the listing's figures and who has the database open.
#[derive(Debug, Clone)]
pub struct DatabaseProperties {
    pub listing: DatabaseListing,
    pub connections: Vec<DatabaseConnection>,
}

/// A change of a database's properties; `None` keeps the value.
#[derive(Debug, Default)]
pub struct DatabaseUpdate {
    pub name: Option<String>,
    pub comments: Option<String>,
    pub monitor_accesses: Option<bool>,
    pub reason_required_on_delete: Option<bool>,
    /// `Some(Some(p))` sets or changes the custom password, `Some(None)` removes it. Changing or removing needs
    /// the current one, given as the request's database password.
    pub custom_password: Option<Option<SecretString>>,
}

impl VaultService {
    /// Checks that the caller may manage `database`'s properties and permissions and, when it has a custom
    /// password, that `password` is it.
    pub(super) async fn administer(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
    ) -> Result<DatabaseAdmin, CoreError> {
        let database = if ManageDatabases::grant(caller).is_some() {
            Database::clone(&self.snapshot(database).await?.database)
        } else {
            // A delegated administrator: "grant admin rights" on this database. Others learn nothing of it.
            let caller = caller.as_client().map_err(|_| CoreError::not_found("database"))?;
            let snapshot = self.snapshot(database).await?;
            let loaded = self.load_as(caller, snapshot, Focus::Folders).await?;
            let resolver = loaded.resolver();
            let object = Object::Database(loaded.snapshot.database.id);
            // A database the caller cannot open is "not found", exactly like one that does not exist.
            if !resolver.is_visible(object) {
                return Err(CoreError::not_found("database"));
            }
            if !resolver.resolve(object, Permission::GrantAdmin) {
                return Err(CoreError::Forbidden(
                    "managing this database needs the permission 'grant_admin' on it".to_owned(),
                ));
            }
            Database::clone(&loaded.snapshot.database)
        };
        if let Some(hash) = &database.settings.custom_password_hash {
            let Some(password) = password else { return Err(CoreError::DatabasePasswordRequired) };
            if !self.auth.password_work().verify(password, Some(hash.clone())).await {
                return Err(CoreError::DatabasePasswordWrong);
            }
        }
        Ok(DatabaseAdmin { database })
    }

    /// The database's folder tree as its administrators see it: every folder with its path, so that permissions
    /// can be set on folders by name. Entries are not listed: their titles are entry data. (618, "The database was
    /// read by the admin".)
    pub async fn admin_folders(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
    ) -> Result<(Database, Vec<super::FolderView>), CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let snapshot = self.snapshot_of(admin.database).await?;
        let mut folders: Vec<super::FolderView> = snapshot
            .folders
            .iter()
            .map(|(id, (parent, name))| super::FolderView {
                id: *id,
                parent: *parent,
                name: name.clone(),
                path: snapshot.paths.get(id).cloned().unwrap_or_default(),
                rights: crate::permissions::PermissionSet::EMPTY,
            })
            .collect();
        folders.sort_by(|a, b| a.path.cmp(&b.path));
        self.audit().note(in_database(618, caller, &snapshot.database).new_object("folder tree")).await;
        Ok((Database::clone(&snapshot.database), folders))
    }

    /// Creates an empty database with its own data key (603, "A new database was installed on the server").
    pub async fn create_database(
        &self,
        cap: &ManageDatabases,
        name: &str,
        comments: &str,
    ) -> Result<Database, CoreError> {
        let database = self.insert_new_database(name, comments).await?;
        self.audit().note(in_database(603, cap.caller(), &database)).await;
        Ok(database)
    }

    pub(super) async fn insert_new_database(&self, name: &str, comments: &str) -> Result<Database, CoreError> {
        let name = database_name(name)?;
        let comments = database_comments(comments)?;
        let id = crate::ids::DatabaseId::random();
        let (_, wrapped_key) = DatabaseCipher::create(&self.keyring, id)?;
        let now = self.clock.now();
        let database = Database {
            id,
            name,
            comments,
            wrapped_key,
            settings: DatabaseSettings::default(),
            created_at: now,
            updated_at: now,
        };
        self.vault.insert_database(&database).await.map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => {
                CoreError::Duplicate(format!("a database named '{}' exists already", database.name))
            }
            other => other.into(),
        })?;
        Ok(database)
    }

    /// Every database with its figures, filtered by a case-insensitive part of the name (629, "A list of
    /// databases was sent to the admin").
    pub async fn list_databases(
        &self,
        cap: &ManageDatabases,
        filter: Option<&str>,
    ) -> Result<Vec<(DatabaseListing, usize)>, CoreError> {
        let needle = filter.map(str::to_lowercase);
        let mut out = Vec::new();
        for l in self.vault.list_databases().await? {
            if needle.as_deref().is_none_or(|n| l.database.name.to_lowercase().contains(n)) {
                let connected = self.live_connections(l.database.id).await?.len();
                out.push((l, connected));
            }
        }
        self.audit().note(AuditEvent::new(629).by(cap.caller())).await;
        Ok(out)
    }

    /// Database Properties → General (618, "The database was read by the admin").
    pub async fn database_properties(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
    ) -> Result<DatabaseProperties, CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let properties = self.properties_of(&admin.database).await?;
        self.audit().note(in_database(618, caller, &admin.database).new_object("properties")).await;
        Ok(properties)
    }

    /// A database's properties, for an administrator who has just created or assigned it.
    pub async fn properties_for_admin(
        &self,
        _cap: &ManageDatabases,
        database: &Database,
    ) -> Result<DatabaseProperties, CoreError> {
        self.properties_of(database).await
    }

    async fn properties_of(&self, database: &Database) -> Result<DatabaseProperties, CoreError> {
        let listing =
            self.vault.database_listing(database.id).await?.ok_or_else(|| CoreError::not_found("database"))?;
        let mut connections: Vec<DatabaseConnection> = self
            .live_connections(database.id)
            .await?
            .into_iter()
            .map(|(session, c)| DatabaseConnection {
                session,
                user: c.user,
                account: c.account,
                address: c.address,
                since: c.since,
            })
            .collect();
        connections.sort_by_key(|c| c.since);
        Ok(DatabaseProperties { listing, connections })
    }

    /// Renames a database or changes its comments and Advanced settings (605, "The database properties were
    /// modified"; a custom password set, changed or removed is 624, "The password of a database was changed").
    pub async fn update_database(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
        update: DatabaseUpdate,
    ) -> Result<DatabaseProperties, CoreError> {
        let admin = self.administer(caller, database, password).await?;
        // Written whole, so read from the store, not the cache: another node's change must not be undone.
        let mut db = self.vault.database(admin.database.id).await?.ok_or_else(|| CoreError::not_found("database"))?;
        let before = db.clone();
        if let Some(name) = update.name {
            db.name = database_name(&name)?;
        }
        if let Some(comments) = update.comments {
            db.comments = database_comments(&comments)?;
        }
        if let Some(v) = update.monitor_accesses {
            db.settings.monitor_accesses = v;
        }
        if let Some(v) = update.reason_required_on_delete {
            db.settings.reason_required_on_delete = v;
        }
        if let Some(custom) = update.custom_password {
            db.settings.custom_password_hash = match custom {
                None => None,
                Some(p) => {
                    if p.expose_secret().chars().count() < 8 {
                        return Err(CoreError::Validation(
                            "the custom password must have at least 8 characters".to_owned(),
                        ));
                    }
                    Some(self.auth.password_work().hash(p).await?.as_str().to_owned())
                }
            };
        }
        db.updated_at = self.clock.now();
        self.writing_database(db.id, self.vault.update_database(&db)).await.map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => {
                CoreError::Duplicate(format!("a database named '{}' exists already", db.name))
            }
            other => other.into(),
        })?;
        let (properties, password) = property_changes(&before, &db);
        if !properties.is_empty() {
            let event = in_database(605, caller, &db).object(db.id, before.name.clone());
            self.audit().note(event.new_object(properties.join("; "))).await;
        }
        if let Some(password) = password {
            self.audit().note(in_database(624, caller, &db).new_object(password)).await;
        }
        self.properties_of(&db).await
    }

    /// Deletes a database with everything in it (Database and Server Administrators only).
    pub async fn delete_database(
        &self,
        caller: &Caller,
        _cap: &ManageDatabases,
        database: &str,
        password: Option<SecretString>,
    ) -> Result<(), CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let id = admin.database.id;
        if !self.writing_database(id, self.vault.delete_database(id)).await? {
            return Err(CoreError::not_found("database"));
        }
        if let Ok(mut map) = self.connections.lock() {
            map.remove(&admin.database.id);
        }
        self.audit().note(in_database(609, caller, &admin.database)).await;
        // Listeners look again and find nothing: every entry left their view.
        self.publish(Some(&caller.user.account), LiveChange::PermissionsChanged, Some(id), About::Database);
        Ok(())
    }

    /// Database Properties → General → Disconnect: ends that user's session (the client must log in again).
    pub async fn disconnect_from_database(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
        session: SessionId,
    ) -> Result<(), CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let connected = self.live_connections(admin.database.id).await?.iter().any(|(s, _)| *s == session);
        if !connected {
            return Err(CoreError::not_found("connection to this database"));
        }
        self.forget_session(session);
        self.auth.end_session(session, EndReason::Disconnected).await?;
        let database = Some((admin.database.id, admin.database.name.as_str()));
        self.auth.note_disconnected(caller, session, database).await;
        Ok(())
    }
}

/// What an update changed in a database's properties (by name; the name and switches with their new values), and
/// what it did to the custom password, if anything.
fn property_changes(before: &Database, after: &Database) -> (Vec<String>, Option<&'static str>) {
    let mut changes = Vec::new();
    if before.name != after.name {
        changes.push(format!("name: {} → {}", before.name, after.name));
    }
    if before.comments != after.comments {
        changes.push("comments".to_owned());
    }
    let on = |v: bool| if v { "on" } else { "off" };
    let (b, a) = (&before.settings, &after.settings);
    if b.monitor_accesses != a.monitor_accesses {
        changes.push(format!("monitor all accesses: {}", on(a.monitor_accesses)));
    }
    if b.reason_required_on_delete != a.reason_required_on_delete {
        changes.push(format!("reason for deleting: {}", on(a.reason_required_on_delete)));
    }
    let password = match (&b.custom_password_hash, &a.custom_password_hash) {
        (None, Some(_)) => Some("custom password set"),
        (Some(_), None) => Some("custom password removed"),
        (Some(x), Some(y)) if x != y => Some("custom password changed"),
        _ => None,
    };
    (changes, password)
}
