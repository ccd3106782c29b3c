//! The user's vault: the databases the caller can open, their folders, search, paths, the password generator
//! and the entry types. What the caller may not see is answered 404.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{
    CreateFolderRequest, DeleteFolderQuery, EntryFieldSpec, EntryPage, EntryTypeList, EntryTypeView, ErrorBody,
    FolderList, FolderView, GenerateQuery, GeneratedPassword, ResolveQuery, ResolvedPath, SearchQuery,
    UpdateFolderRequest, VaultDatabaseList,
};
use tresor_core::FolderId;
use tresor_core::vault::generator::GenerateRequest;
use tresor_core::vault::service::FolderChange;
use tresor_core::vault::{EntryType, FieldFormat};

use super::page;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authenticated};
use crate::{ApiError, AppState, wire_vault as wv};

/// Parses an id from a path or body; `what` names it in the message.
pub(crate) fn id<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, ApiError> {
    s.trim().parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, tresor_api::ErrorCode::InvalidParameter, format!("{what} is not an id"))
    })
}

fn optional_folder(s: Option<&str>) -> Result<Option<FolderId>, ApiError> {
    s.filter(|s| !s.trim().is_empty()).map(|s| id(s, "the folder")).transpose()
}

/// The databases the caller can open, with the caller's rights on each.
#[utoipa::path(get, path = "/api/v1/vault/databases", tag = "vault", security(("bearer" = [])),
    responses(
        (status = 200, description = "The databases", body = VaultDatabaseList),
        (status = "4XX", description = "unauthenticated, super_admin_not_a_client, password_change_required", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn databases(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<VaultDatabaseList>, ApiError> {
    let list = s.vault.my_databases(&caller).await?;
    Ok(Json(VaultDatabaseList { databases: list.iter().map(|(d, r)| wv::vault_database(d, *r)).collect() }))
}

/// Open a database: the caller's rights and the folders it may see, parents before children.
#[utoipa::path(get, path = "/api/v1/vault/databases/{db}/folders", tag = "vault", security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 200, description = "The folder tree", body = FolderList),
        (status = "4XX", description = "not_found, unauthenticated, super_admin_not_a_client", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn folders(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(db): ApiPath<String>,
) -> Result<Json<FolderList>, ApiError> {
    let opened = s.vault.open_database(&caller, &db).await?;
    Ok(Json(FolderList {
        database: wv::vault_database(&opened.database, opened.rights),
        folders: opened.folders.iter().map(wv::folder).collect(),
    }))
}

/// Create a folder (needs add on its parent, or on the database at the root).
#[utoipa::path(post, path = "/api/v1/vault/databases/{db}/folders", tag = "vault", request_body = CreateFolderRequest,
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name")),
    responses(
        (status = 201, description = "Created", body = FolderView),
        (status = "4XX", description = "not_found, forbidden, validation_failed, invalid_parameter, unauthenticated", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn create_folder(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(db): ApiPath<String>,
    ApiJson(req): ApiJson<CreateFolderRequest>,
) -> Result<(StatusCode, Json<FolderView>), ApiError> {
    let parent = optional_folder(req.parent.as_deref())?;
    let folder = s.vault.create_folder(&caller, &db, parent, &req.name).await?;
    Ok((StatusCode::CREATED, Json(wv::folder(&folder))))
}

/// Rename and/or move a folder.
#[utoipa::path(patch, path = "/api/v1/vault/databases/{db}/folders/{folder}", tag = "vault",
    request_body = UpdateFolderRequest, security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("folder" = String, Path, description = "Folder id")),
    responses(
        (status = 200, description = "The folder", body = FolderView),
        (status = "4XX", description = "not_found, forbidden, validation_failed (e.g. a move into itself), invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update_folder(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, folder)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<UpdateFolderRequest>,
) -> Result<Json<FolderView>, ApiError> {
    let folder = id(&folder, "the folder")?;
    let parent = match (req.to_root, req.parent.as_deref()) {
        (true, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                tresor_api::ErrorCode::ValidationFailed,
                "give either parent or to_root, not both",
            ));
        }
        (true, None) => Some(None),
        (false, p) => optional_folder(p)?.map(Some),
    };
    let change = FolderChange { name: req.name, parent };
    Ok(Json(wv::folder(&s.vault.update_folder(&caller, &db, folder, change).await?)))
}

/// Delete a folder; a non-empty one only with `recursive=true`.
#[utoipa::path(delete, path = "/api/v1/vault/databases/{db}/folders/{folder}", tag = "vault",
    security(("bearer" = [])),
    params(("db" = String, Path, description = "Database id or name"), ("folder" = String, Path, description = "Folder id"),
        DeleteFolderQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "not_found, forbidden, conflict (not empty), invalid_parameter", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete_folder(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((db, folder)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DeleteFolderQuery>,
) -> Result<StatusCode, ApiError> {
    let folder = id(&folder, "the folder")?;
    s.vault.delete_folder(&caller, &db, folder, q.recursive.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Search titles, user names, URLs, tags and notes of the entries the caller can see.
#[utoipa::path(get, path = "/api/v1/vault/search", tag = "vault", params(SearchQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of matches", body = EntryPage),
        (status = "4XX", description = "invalid_value (empty or long text), invalid_parameter, not_found (database), unauthenticated", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn search(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<EntryPage>, ApiError> {
    let (offset, limit) = page(q.offset, q.limit)?;
    let (entries, total) = s.vault.search(&caller, &q.q, q.database.as_deref(), offset, limit).await?;
    Ok(Json(EntryPage { entries: entries.iter().map(wv::summary).collect(), total }))
}

/// Resolve a path (`DB`, `DB/Folder/Sub` or `DB/Folder/Title`) to ids.
#[utoipa::path(get, path = "/api/v1/vault/resolve", tag = "vault", params(ResolveQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "What the path names", body = ResolvedPath),
        (status = "4XX", description = "not_found, conflict (ambiguous), invalid_value, unauthenticated", body = ErrorBody),
        (status = 500, description = "undecryptable: stored data is damaged", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn resolve(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<ResolveQuery>,
) -> Result<Json<ResolvedPath>, ApiError> {
    let r = s.vault.resolve_path(&caller, &q.path).await?;
    Ok(Json(ResolvedPath {
        database: r.database.id.to_string(),
        database_name: r.database.name,
        folder: r.folder.map(|f| f.to_string()),
        entry: r.entry.map(|e| e.to_string()),
    }))
}

/// A random password within the server's password policy, or with `for_login=true` within the sign-in password
/// policy (for a new server password).
#[utoipa::path(get, path = "/api/v1/vault/generate", tag = "vault", params(GenerateQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A password", body = GeneratedPassword),
        (status = "4XX", description = "validation_failed (below the policy), invalid_parameter, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn generate(
    State(s): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<GenerateQuery>,
) -> Result<Json<GeneratedPassword>, ApiError> {
    let request = GenerateRequest {
        for_login: q.for_login.unwrap_or(false),
        length: q.length,
        lowercase: q.lowercase,
        uppercase: q.uppercase,
        digits: q.digits,
        symbols: q.symbols,
    };
    let (password, policy) = s.vault.generate_password(&caller, &request).await?;
    Ok(Json(GeneratedPassword {
        password: tresor_api::WirePassword::new(password.expose_secret()),
        policy: wv::password_policy_out(&policy),
    }))
}

/// The entry types, their own fields, and whether the server policy allows each.
#[utoipa::path(get, path = "/api/v1/vault/entry-types", tag = "vault", security(("bearer" = [])),
    responses(
        (status = 200, description = "The types", body = EntryTypeList),
        (status = "4XX", description = "unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn entry_types(
    State(s): State<AppState>,
    Authenticated(_caller): Authenticated,
) -> Result<Json<EntryTypeList>, ApiError> {
    let allowed = s.vault.allowed_entry_types().await?;
    let types = EntryType::ALL
        .into_iter()
        .map(|t| EntryTypeView {
            kind: wv::kind_out(t),
            allowed: allowed.contains(&t),
            fields: t
                .fields()
                .iter()
                .map(|f| EntryFieldSpec {
                    name: f.name.to_owned(),
                    secret: f.secret,
                    required: f.required,
                    multiline: f.format == FieldFormat::Multiline,
                })
                .collect(),
        })
        .collect();
    Ok(Json(EntryTypeList { types }))
}
