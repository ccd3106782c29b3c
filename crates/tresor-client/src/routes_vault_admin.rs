//! One method per route that administers the vault: databases and their properties (`/admin/databases`),
//! permissions, the server policy, the vault settings and "Assign database".
//!
//! A database whose properties and permissions are protected by a custom password needs it on every call that
//! names the database: pass it as `database_password`; it travels in [`DATABASE_PASSWORD_HEADER`], marked
//! sensitive so that it never shows in debug output.

use reqwest::header::HeaderValue;
use reqwest::{Method, RequestBuilder};
use tresor_api::{
    AssignOutcome, AssignRequest, CreateDatabaseRequest, DATABASE_PASSWORD_HEADER, DatabaseList, DatabaseProperties,
    DatabaseView, EntryLockView, FolderList, GrantList, GrantOutcome, LockList, PutGrantsRequest, RightsExplanation,
    RightsQuery, ServerPolicyView, SubjectRef, UpdateDatabaseRequest, UpdateServerPolicyRequest,
    UpdateVaultSettingsRequest, VaultSettingsView, WirePassword,
};

use crate::routes::with_query;
use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

impl Client {
    /// A request about one database (`/admin/databases/<segments>?<query>`), carrying its custom password when
    /// one is given.
    fn database_request(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, Option<String>)],
        database_password: Option<&WirePassword>,
    ) -> Result<RequestBuilder> {
        let mut all = vec!["admin", "databases"];
        all.extend_from_slice(segments);
        let request = self.request(method, with_query(self.api_url(&all)?, query));
        let Some(password) = database_password else { return Ok(request) };
        let mut value = HeaderValue::from_bytes(password.expose_secret().as_bytes()).map_err(|_| {
            ClientError::Transport("the database password contains control characters and cannot be sent".into())
        })?;
        value.set_sensitive(true);
        Ok(request.header(DATABASE_PASSWORD_HEADER, value))
    }

    /// `GET /api/v1/admin/databases`.
    pub async fn list_databases(&self) -> Result<DatabaseList> {
        self.send_json(self.database_request(Method::GET, &[], &[], None)?).await
    }

    /// `POST /api/v1/admin/databases`.
    pub async fn create_database(&self, request: &CreateDatabaseRequest) -> Result<DatabaseView> {
        self.send_json(self.database_request(Method::POST, &[], &[], None)?.json(request)).await
    }

    /// `GET /api/v1/admin/databases/{db}/locks`: the database's entry locks.
    pub async fn database_locks(&self, db: &str, database_password: Option<&WirePassword>) -> Result<LockList> {
        self.send_json(self.database_request(Method::GET, &[db, "locks"], &[], database_password)?).await
    }

    /// `DELETE /api/v1/admin/databases/{db}/locks/{entry}`: breaks an entry's lock; returns the lock broken.
    pub async fn break_lock(
        &self,
        db: &str,
        entry: &str,
        database_password: Option<&WirePassword>,
    ) -> Result<EntryLockView> {
        self.send_json(self.database_request(Method::DELETE, &[db, "locks", entry], &[], database_password)?).await
    }

    /// `GET /api/v1/admin/databases/{db}`: its properties and who has it open.
    pub async fn get_database(&self, db: &str, database_password: Option<&WirePassword>) -> Result<DatabaseProperties> {
        self.send_json(self.database_request(Method::GET, &[db], &[], database_password)?).await
    }

    /// `PATCH /api/v1/admin/databases/{db}`.
    pub async fn update_database(
        &self,
        db: &str,
        request: &UpdateDatabaseRequest,
        database_password: Option<&WirePassword>,
    ) -> Result<DatabaseView> {
        self.send_json(self.database_request(Method::PATCH, &[db], &[], database_password)?.json(request)).await
    }

    /// `DELETE /api/v1/admin/databases/{db}`.
    pub async fn delete_database(&self, db: &str, database_password: Option<&WirePassword>) -> Result<()> {
        self.send_empty(self.database_request(Method::DELETE, &[db], &[], database_password)?).await
    }

    /// `DELETE /api/v1/admin/databases/{db}/connections/{session}`: closes the database for one session.
    pub async fn disconnect_database(
        &self,
        db: &str,
        session: &str,
        database_password: Option<&WirePassword>,
    ) -> Result<()> {
        let request = self.database_request(Method::DELETE, &[db, "connections", session], &[], database_password)?;
        self.send_empty(request).await
    }

    /// `GET /api/v1/admin/databases/{db}/folders`: every folder with its path, as administrators see them.
    pub async fn admin_folders(&self, db: &str, database_password: Option<&WirePassword>) -> Result<FolderList> {
        self.send_json(self.database_request(Method::GET, &[db, "folders"], &[], database_password)?).await
    }

    /// `GET /api/v1/admin/databases/{db}/grants`.
    pub async fn list_grants(&self, db: &str, database_password: Option<&WirePassword>) -> Result<GrantList> {
        self.send_json(self.database_request(Method::GET, &[db, "grants"], &[], database_password)?).await
    }

    /// `PUT /api/v1/admin/databases/{db}/grants`: sets grants (or, with `dry_run`, reports whose rights would
    /// change).
    pub async fn put_grants(
        &self,
        db: &str,
        request: &PutGrantsRequest,
        database_password: Option<&WirePassword>,
    ) -> Result<GrantOutcome> {
        let request = self.database_request(Method::PUT, &[db, "grants"], &[], database_password)?.json(request);
        self.send_json(request).await
    }

    /// `DELETE /api/v1/admin/databases/{db}/grants/users/{user}` or `…/grants/groups/{group}`: every grant of one
    /// user or group on the database.
    pub async fn revoke_grants(
        &self,
        db: &str,
        subject: &SubjectRef,
        database_password: Option<&WirePassword>,
    ) -> Result<()> {
        let (kind, name) = match subject {
            SubjectRef::User(user) => ("users", user),
            SubjectRef::Group(group) => ("groups", group),
        };
        let request = self.database_request(Method::DELETE, &[db, "grants", kind, name], &[], database_password)?;
        self.send_empty(request).await
    }

    /// `GET /api/v1/admin/databases/{db}/rights?user=&entry=|folder=`: "View effective rights".
    pub async fn explain_rights(
        &self,
        db: &str,
        query: &RightsQuery,
        database_password: Option<&WirePassword>,
    ) -> Result<RightsExplanation> {
        let params =
            [("user", Some(query.user.clone())), ("entry", query.entry.clone()), ("folder", query.folder.clone())];
        self.send_json(self.database_request(Method::GET, &[db, "rights"], &params, database_password)?).await
    }

    /// `GET /api/v1/admin/policy`.
    pub async fn server_policy(&self) -> Result<ServerPolicyView> {
        let url = self.api_url(&["admin", "policy"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PATCH /api/v1/admin/policy`.
    pub async fn update_server_policy(&self, request: &UpdateServerPolicyRequest) -> Result<ServerPolicyView> {
        let url = self.api_url(&["admin", "policy"])?;
        self.send_json(self.request(Method::PATCH, url).json(request)).await
    }

    /// `POST /api/v1/admin/policy/restore`: back to the defaults.
    pub async fn restore_server_policy(&self) -> Result<ServerPolicyView> {
        let url = self.api_url(&["admin", "policy", "restore"])?;
        self.send_json(self.request(Method::POST, url)).await
    }

    /// `GET /api/v1/admin/vault-settings`.
    pub async fn vault_settings(&self) -> Result<VaultSettingsView> {
        let url = self.api_url(&["admin", "vault-settings"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PATCH /api/v1/admin/vault-settings`.
    pub async fn update_vault_settings(&self, request: &UpdateVaultSettingsRequest) -> Result<VaultSettingsView> {
        let url = self.api_url(&["admin", "vault-settings"])?;
        self.send_json(self.request(Method::PATCH, url).json(request)).await
    }

    /// `POST /api/v1/admin/assign`: "Assign database".
    pub async fn assign_database(&self, request: &AssignRequest) -> Result<AssignOutcome> {
        let url = self.api_url(&["admin", "assign"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }
}
