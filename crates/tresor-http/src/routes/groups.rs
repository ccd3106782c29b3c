//! Groups and their members (seed manual: Groups, Group Properties). Account Administrators and Server
//! Administrators only.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use tresor_api::{CreateGroupRequest, ErrorBody, GroupList, GroupView, ListQuery, UpdateGroupRequest};
use tresor_core::ManageAccounts;

use super::list_filter;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Require};
use crate::{ApiError, AppState, wire};

/// List groups, filtered and paged.
#[utoipa::path(get, path = "/api/v1/admin/groups", tag = "groups", params(ListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of groups", body = GroupList),
        (status = "4XX", description = "unauthenticated, forbidden, password_change_required, invalid_parameter", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<GroupList>, ApiError> {
    let page = s.accounts.list_groups(&cap, &list_filter(q)?).await?;
    Ok(Json(GroupList { groups: page.items.iter().map(wire::group).collect(), total: page.total }))
}

/// Create a standard group.
#[utoipa::path(post, path = "/api/v1/admin/groups", tag = "groups", request_body = CreateGroupRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = GroupView),
        (status = "4XX", description = "duplicate_name, validation_failed, forbidden, unauthenticated, or a malformed body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiJson(req): ApiJson<CreateGroupRequest>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    let d = s.accounts.create_group(&cap, wire::new_group(req)).await?;
    Ok((StatusCode::CREATED, Json(wire::group(&d))))
}

/// One group with its members, by id or name.
#[utoipa::path(get, path = "/api/v1/admin/groups/{group}", tag = "groups", security(("bearer" = [])),
    params(("group" = String, Path, description = "Group id or name")),
    responses(
        (status = 200, description = "The group", body = GroupView),
        (status = "4XX", description = "not_found, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn show(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<GroupView>, ApiError> {
    Ok(Json(wire::group(&s.accounts.group(&cap, &group).await?)))
}

/// Change a group's name, e-mail, description or disabled state. The type cannot change.
#[utoipa::path(patch, path = "/api/v1/admin/groups/{group}", tag = "groups", request_body = UpdateGroupRequest,
    security(("bearer" = [])),
    params(("group" = String, Path, description = "Group id or name")),
    responses(
        (status = 200, description = "The changed group", body = GroupView),
        (status = "4XX", description = "not_found, duplicate_name, validation_failed, forbidden, unauthenticated, or a malformed body", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(group): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateGroupRequest>,
) -> Result<Json<GroupView>, ApiError> {
    Ok(Json(wire::group(&s.accounts.update_group(&cap, &group, wire::group_patch(req)).await?)))
}

/// Delete a group; its members stay on the server.
#[utoipa::path(delete, path = "/api/v1/admin/groups/{group}", tag = "groups", security(("bearer" = [])),
    params(("group" = String, Path, description = "Group id or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "not_found, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath(group): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    s.accounts.delete_group(&cap, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a user to a group (no error if it is a member already).
#[utoipa::path(put, path = "/api/v1/admin/groups/{group}/members/users/{user}", tag = "groups",
    security(("bearer" = [])),
    params(("group" = String, Path, description = "Group id or name"),
           ("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 200, description = "The group with its members", body = GroupView),
        (status = "4XX", description = "not_found, validation_failed, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn add_user(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath((group, user)): ApiPath<(String, String)>,
) -> Result<Json<GroupView>, ApiError> {
    Ok(Json(wire::group(&s.accounts.add_user_to_group(&cap, &group, &user).await?)))
}

/// Remove a user from a group.
#[utoipa::path(delete, path = "/api/v1/admin/groups/{group}/members/users/{user}", tag = "groups",
    security(("bearer" = [])),
    params(("group" = String, Path, description = "Group id or name"),
           ("user" = String, Path, description = "User id or account name")),
    responses(
        (status = 200, description = "The group with its members", body = GroupView),
        (status = "4XX", description = "not_found, conflict (not a member), forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn remove_user(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath((group, user)): ApiPath<(String, String)>,
) -> Result<Json<GroupView>, ApiError> {
    Ok(Json(wire::group(&s.accounts.remove_user_from_group(&cap, &group, &user).await?)))
}

/// Make a group a member of another group. Refused with `group_cycle` (422) if a group would contain itself.
#[utoipa::path(put, path = "/api/v1/admin/groups/{group}/members/groups/{member}", tag = "groups",
    security(("bearer" = [])),
    params(("group" = String, Path, description = "Id or name of the containing group"),
           ("member" = String, Path, description = "Id or name of the group that becomes a member")),
    responses(
        (status = 200, description = "The group with its members", body = GroupView),
        (status = "4XX", description = "group_cycle (422), not_found, forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn add_group(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath((group, member)): ApiPath<(String, String)>,
) -> Result<Json<GroupView>, ApiError> {
    Ok(Json(wire::group(&s.accounts.add_group_to_group(&cap, &group, &member).await?)))
}

/// Remove a group from another group.
#[utoipa::path(delete, path = "/api/v1/admin/groups/{group}/members/groups/{member}", tag = "groups",
    security(("bearer" = [])),
    params(("group" = String, Path, description = "Id or name of the containing group"),
           ("member" = String, Path, description = "Id or name of the member group")),
    responses(
        (status = 200, description = "The group with its members", body = GroupView),
        (status = "4XX", description = "not_found, conflict (not a member), forbidden, unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn remove_group(
    State(s): State<AppState>,
    Require(cap): Require<ManageAccounts>,
    ApiPath((group, member)): ApiPath<(String, String)>,
) -> Result<Json<GroupView>, ApiError> {
    Ok(Json(wire::group(&s.accounts.remove_group_from_group(&cap, &group, &member).await?)))
}
