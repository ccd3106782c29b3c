//! Administering the vault (seed manual: Databases, Database Properties, Permissions, Server Policies, Assign
//! Database). Database and Server Administrators manage every database; a user with "grant admin rights" on a
//! database manages its properties and permissions. A protected database needs its custom password in the
//! `tresor-database-password` header.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{
    AssignOutcome, AssignRequest, CreateDatabaseRequest, DatabaseList, DatabaseProperties, DatabaseView, ErrorBody,
    FolderList, GrantList, GrantOutcome, ListQuery, ObjectRef, PutGrantsRequest, RightsExplanation, RightsQuery,
    ServerPolicyView, SubjectRef, UpdateDatabaseRequest, UpdateServerPolicyRequest, UpdateVaultSettingsRequest,
    VaultSettingsView,
};
use tresor_core::vault::service::{
    AssignTarget, DatabaseUpdate, GrantChange, ManageDatabases, ObjectKey, SubjectKey, VaultSettingsChange,
};

use super::vault::id;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authenticated, DatabasePassword, Require};
use crate::{ApiError, AppState, wire, wire_vault as wv};

/// Every database with its size, entries, last access and connected users (filter with `q`).
#[utoipa::path(get, path = "/api/v1/admin/databases", tag = "databases", params(ListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The databases", body = DatabaseList),
        (status = "4XX", description = "forbidden (needs Database or Server Administrator), unauthenticated, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<DatabaseList>, ApiError> {
    let filter = super::list_filter(q)?;
    let list = s.vault.list_databases(&cap, filter.q.as_deref()).await?;
    let databases = list
        .iter()
        .skip(filter.offset as usize)
        .take(filter.limit as usize)
        .map(|(l, connected)| wv::database_view(l, *connected))
        .collect();
    Ok(Json(DatabaseList { databases }))
}

/// Create an empty database with its own key.
#[utoipa::path(post, path = "/api/v1/admin/databases", tag = "databases", request_body = CreateDatabaseRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = DatabaseView),
        (status = "4XX", description = "duplicate_name (409), validation_failed, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
    ApiJson(req): ApiJson<CreateDatabaseRequest>,
) -> Result<(StatusCode, Json<DatabaseView>), ApiError> {
    let db = s.vault.create_database(&cap, &req.name, &req.comments).await?;
    let p = s.vault.properties_for_admin(&cap, &db).await?;
    Ok((StatusCode::CREATED, Json(wv::database_view(&p.listing, p.connections.len()))))
}

/// Database Properties: the figures and who has the database open.
#[utoipa::path(get, path = "/api/v1/admin/databases/{db}", tag = "databases", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "The properties", body = DatabaseProperties),
        (status = "4XX", description = "not_found, forbidden, database_password_required, database_password_wrong", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
) -> Result<Json<DatabaseProperties>, ApiError> {
    Ok(Json(wv::properties(&s.vault.database_properties(&caller, &db, password).await?)))
}

/// Rename a database, change its comments or its Advanced settings (monitoring, reason on delete, custom password).
#[utoipa::path(patch, path = "/api/v1/admin/databases/{db}", tag = "databases", request_body = UpdateDatabaseRequest,
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "The database", body = DatabaseView),
        (status = "4XX", description = "duplicate_name, validation_failed, not_found, forbidden, database_password_required, database_password_wrong", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateDatabaseRequest>,
) -> Result<Json<DatabaseView>, ApiError> {
    // Changing or removing a custom password proves the current one like any other protected change: the body's
    // `current` is the header's alternative.
    let (password, custom_password) = match req.custom_password {
        Some(change) => (change.current.map(wire::secret).or(password), Some(change.new.map(wire::secret))),
        None => (password, None),
    };
    let update = DatabaseUpdate {
        name: req.name,
        comments: req.comments,
        monitor_accesses: req.monitor_accesses,
        reason_required_on_delete: req.reason_required_on_delete,
        custom_password,
    };
    let p = s.vault.update_database(&caller, &db, password, update).await?;
    Ok(Json(wv::database_view(&p.listing, p.connections.len())))
}

/// Delete a database with everything in it (Database or Server Administrator).
#[utoipa::path(delete, path = "/api/v1/admin/databases/{db}", tag = "databases", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "not_found, forbidden, database_password_required, database_password_wrong", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let cap = caller.require::<ManageDatabases>()?;
    s.vault.delete_database(&caller, &cap, &db, password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disconnect a session that has the database open (it must log in again).
#[utoipa::path(delete, path = "/api/v1/admin/databases/{db}/connections/{session}", tag = "databases",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("session" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Disconnected"),
        (status = "4XX", description = "not_found, forbidden, invalid_parameter, database_password_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn disconnect(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath((db, session)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let session = id(&session, "the session")?;
    s.vault.disconnect_from_database(&caller, &db, password, session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The database's folders with their paths, for setting permissions on folders (entries are not listed: their
/// titles are entry data).
#[utoipa::path(get, path = "/api/v1/admin/databases/{db}/folders", tag = "databases", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "The folders", body = FolderList),
        (status = "4XX", description = "not_found, forbidden, database_password_required, database_password_wrong", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn folders(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
) -> Result<Json<FolderList>, ApiError> {
    let (db, folders) = s.vault.admin_folders(&caller, &db, password).await?;
    Ok(Json(FolderList {
        database: wv::vault_database(&db, tresor_core::permissions::PermissionSet::EMPTY),
        folders: folders.iter().map(wv::folder).collect(),
    }))
}

/// Every grant of the database.
#[utoipa::path(get, path = "/api/v1/admin/databases/{db}/grants", tag = "databases", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "The grants", body = GrantList),
        (status = "4XX", description = "not_found, forbidden, database_password_required, database_password_wrong", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn grants(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
) -> Result<Json<GrantList>, ApiError> {
    let (db, grants) = s.vault.list_grants(&caller, &db, password).await?;
    Ok(Json(GrantList { database: db.id.to_string(), grants: grants.iter().map(wv::grant).collect() }))
}

fn object_in(o: &ObjectRef) -> Result<ObjectKey, ApiError> {
    Ok(match o {
        ObjectRef::Database => ObjectKey::Database,
        ObjectRef::Folder(f) => ObjectKey::Folder(id(f, "the folder")?),
        ObjectRef::Entry(e) => ObjectKey::Entry(id(e, "the entry")?),
    })
}

pub(super) fn subject_in(s: SubjectRef) -> SubjectKey {
    match s {
        SubjectRef::User(u) => SubjectKey::User(u),
        SubjectRef::Group(g) => SubjectKey::Group(g),
    }
}

/// Set grants (Undefined removes one). `dry_run` only reports whose effective rights would change, and how.
#[utoipa::path(put, path = "/api/v1/admin/databases/{db}/grants", tag = "databases", request_body = PutGrantsRequest,
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "What changed (or would)", body = GrantOutcome),
        (status = "4XX", description = "not_found (user, group, folder, entry), validation_failed, invalid_value, forbidden, database_password_required", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn put_grants(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
    ApiJson(req): ApiJson<PutGrantsRequest>,
) -> Result<Json<GrantOutcome>, ApiError> {
    let mut changes = Vec::with_capacity(req.grants.len());
    for g in req.grants {
        changes.push(GrantChange {
            object: object_in(&g.object)?,
            subject: subject_in(g.subject),
            permission: wv::permission_in(g.permission),
            setting: wv::setting_in(g.setting),
            valid_from: g.valid_from.as_deref().map(|t| wv::time_in(t, "valid_from")).transpose()?,
            valid_to: g.valid_to.as_deref().map(|t| wv::time_in(t, "valid_to")).transpose()?,
        });
    }
    let diffs = s.vault.put_grants(&caller, &db, password, changes, req.dry_run).await?;
    Ok(Json(GrantOutcome { dry_run: req.dry_run, changes: diffs.iter().map(wv::rights_change).collect() }))
}

/// Remove every grant of a user in the database.
#[utoipa::path(delete, path = "/api/v1/admin/databases/{db}/grants/users/{user}", tag = "databases",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "not_found, forbidden, database_password_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn revoke_user(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath((db, user)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.vault.revoke(&caller, &db, password, SubjectKey::User(user)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove every grant of a group in the database.
#[utoipa::path(delete, path = "/api/v1/admin/databases/{db}/grants/groups/{group}", tag = "databases",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("group" = String, Path, description = "Group id or name")),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "not_found, forbidden, database_password_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn revoke_group(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath((db, group)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.vault.revoke(&caller, &db, password, SubjectKey::Group(group)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "View effective rights" of a user on the database, a folder or an entry.
#[utoipa::path(get, path = "/api/v1/admin/databases/{db}/rights", tag = "databases", params(("db" = String, Path, description = "Database id or name"), RightsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every permission with the level and subjects that decided it", body = RightsExplanation),
        (status = "4XX", description = "not_found, forbidden, invalid_parameter, database_password_required", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn rights(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    DatabasePassword(password): DatabasePassword,
    ApiPath(db): ApiPath<String>,
    ApiQuery(q): ApiQuery<RightsQuery>,
) -> Result<Json<RightsExplanation>, ApiError> {
    let object = match (q.entry.as_deref(), q.folder.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                tresor_api::ErrorCode::InvalidParameter,
                "give entry or folder, not both",
            ));
        }
        (Some(e), None) => ObjectKey::Entry(id(e, "the entry")?),
        (None, Some(f)) => ObjectKey::Folder(id(f, "the folder")?),
        (None, None) => ObjectKey::Database,
    };
    let report = s.vault.explain_rights(&caller, &db, password, &q.user, object).await?;
    Ok(Json(wv::rights_report(&report)))
}

/// The server policy (seed 003): fourteen default permissions and the allowed entry types.
#[utoipa::path(get, path = "/api/v1/admin/policy", tag = "databases", security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = ServerPolicyView),
        (status = "4XX", description = "forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn policy(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
) -> Result<Json<ServerPolicyView>, ApiError> {
    let (policy, types) = s.vault.server_policy(&cap).await?;
    Ok(Json(wv::server_policy(&policy, &types)))
}

/// Change permissions of the server policy and/or the allowed entry types.
#[utoipa::path(patch, path = "/api/v1/admin/policy", tag = "databases", request_body = UpdateServerPolicyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = ServerPolicyView),
        (status = "4XX", description = "validation_failed (access and grant_admin have no policy; at least one type), forbidden", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update_policy(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
    ApiJson(req): ApiJson<UpdateServerPolicyRequest>,
) -> Result<Json<ServerPolicyView>, ApiError> {
    let changes: Vec<_> =
        req.permissions.into_iter().map(|(p, state)| (wv::permission_in(p), wv::policy_state_in(state))).collect();
    let types: Option<Vec<_>> = req.allowed_entry_types.map(|t| t.into_iter().map(wv::kind_from_wire).collect());
    let (policy, types) = s.vault.change_server_policy(&cap, &changes, types.as_deref()).await?;
    Ok(Json(wv::server_policy(&policy, &types)))
}

/// "Restore default settings": every permission Undefined, every entry type allowed.
#[utoipa::path(post, path = "/api/v1/admin/policy/restore", tag = "databases", security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = ServerPolicyView),
        (status = "4XX", description = "forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn restore_policy(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
) -> Result<Json<ServerPolicyView>, ApiError> {
    let (policy, types) = s.vault.restore_server_policy(&cap).await?;
    Ok(Json(wv::server_policy(&policy, &types)))
}

/// The vault settings: private databases, attachment limit, password policy.
#[utoipa::path(get, path = "/api/v1/admin/vault-settings", tag = "databases", security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = VaultSettingsView),
        (status = "4XX", description = "forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn settings(
    State(s): State<AppState>,
    Require(_cap): Require<ManageDatabases>,
) -> Result<Json<VaultSettingsView>, ApiError> {
    Ok(Json(wv::vault_settings(&s.vault.settings().await?)))
}

/// Change the vault settings.
#[utoipa::path(patch, path = "/api/v1/admin/vault-settings", tag = "databases", request_body = UpdateVaultSettingsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = VaultSettingsView),
        (status = "4XX", description = "validation_failed, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update_settings(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
    ApiJson(req): ApiJson<UpdateVaultSettingsRequest>,
) -> Result<Json<VaultSettingsView>, ApiError> {
    let change = VaultSettingsChange {
        private_database_for_new_users: req.private_database_for_new_users,
        delete_private_database_with_user: req.delete_private_database_with_user,
        attachment_limit_bytes: req.attachment_limit_bytes,
        password_policy: req.password_policy.map(wv::password_policy_in),
        edit_lock_secs: req.edit_lock_secs,
    };
    Ok(Json(wv::vault_settings(&s.vault.change_settings(&cap, change).await?)))
}

/// Users → Assign database: the same permissions on one database (existing, new, or a private one each).
#[utoipa::path(post, path = "/api/v1/admin/assign", tag = "databases", request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The databases used", body = AssignOutcome),
        (status = "4XX", description = "not_found, duplicate_name, validation_failed, forbidden", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn assign(
    State(s): State<AppState>,
    Require(cap): Require<ManageDatabases>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<AssignOutcome>, ApiError> {
    let target = match req.database {
        tresor_api::AssignTarget::Existing(d) => AssignTarget::Existing(d),
        tresor_api::AssignTarget::New(n) => AssignTarget::New(n),
        tresor_api::AssignTarget::Private => AssignTarget::Private,
    };
    let permissions: Vec<_> = req.permissions.into_iter().map(wv::permission_in).collect();
    let dbs = s.vault.assign(&cap, &req.users, &req.groups, target, &permissions).await?;
    let mut databases = Vec::with_capacity(dbs.len());
    for db in &dbs {
        let p = s.vault.properties_for_admin(&cap, db).await?;
        databases.push(wv::database_view(&p.listing, p.connections.len()));
    }
    Ok(Json(AssignOutcome { databases }))
}
