//! Users (seed manual: Users, User Properties, Add user). Account Administrators and Server Administrators only.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{CreateUserRequest, ErrorBody, ListQuery, SetPasswordRequest, UpdateUserRequest, UserList, UserView};
use tresor_core::ManageAccounts;

use super::list_filter;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Require};
use crate::{ApiError, AppState, wire};

/// List users, filtered and paged.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "users", params(ListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = "4XX", description = "unauthenticated, forbidden (needs Account or Server Administrator), password_change_required, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<UserList>, ApiError> {
    let page = s.accounts.list_users(&cap, &list_filter(q)?).await?;
    Ok(Json(UserList { users: page.items.iter().map(wire::user_details).collect(), total: page.total }))
}

/// Create a user. Server roles can only be given by a Server Administrator.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "users", request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = "4XX", description = "duplicate_name (409), seat_limit_reached (409), validation_failed (422), forbidden, unauthenticated, or a malformed body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let (new, password) = wire::new_user(req);
    let d = s.accounts.create_user(&cap, new, password).await?;
    Ok((StatusCode::CREATED, Json(wire::user_details(&d))))
}

/// One user, by id or account name.
#[utoipa::path(get, path = "/api/v1/admin/users/{user}", tag = "users", security(("bearer" = [])),
    params(("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = "4XX", description = "not_found, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(user): ApiPath<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(wire::user_details(&s.accounts.user(&cap, &user).await?)))
}

/// Change a user: absent fields keep their value, lists given replace the old list.
#[utoipa::path(patch, path = "/api/v1/admin/users/{user}", tag = "users", request_body = UpdateUserRequest,
    security(("bearer" = [])),
    params(("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 200, description = "The changed user", body = UserView),
        (status = "4XX", description = "not_found, duplicate_name, validation_failed, conflict (deactivating yourself), forbidden, unauthenticated, or a malformed body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(user): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(wire::user_details(&s.accounts.update_user(&cap, &user, wire::user_patch(req)).await?)))
}

/// Delete a user with its memberships and sessions.
#[utoipa::path(delete, path = "/api/v1/admin/users/{user}", tag = "users", security(("bearer" = [])),
    params(("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "not_found, conflict (deleting yourself), forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(user): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.accounts.delete_user(&cap, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a user's password; the user's sessions end.
#[utoipa::path(put, path = "/api/v1/admin/users/{user}/password", tag = "users", request_body = SetPasswordRequest,
    security(("bearer" = [])),
    params(("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 204, description = "Set"),
        (status = "4XX", description = "not_found, validation_failed, forbidden, unauthenticated, or a malformed body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn set_password(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(user): ApiPath<String>,
    ApiJson(req): ApiJson<SetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    s.accounts.set_password(&cap, &user, wire::secret(req.password), req.must_change_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
