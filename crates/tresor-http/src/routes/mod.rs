//! The router: every route, its middleware, and the JSON answers for unknown paths and methods.

pub(crate) mod attachments;
pub(crate) mod auth;
pub(crate) mod databases;
pub(crate) mod entries;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod locks;
pub(crate) mod log;
pub(crate) mod log_admin;
pub(crate) mod seals;
pub(crate) mod second_password;
pub(crate) mod server;
pub(crate) mod sharing;
pub(crate) mod signin;
pub(crate) mod users;
pub(crate) mod vault;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post, put};
use http::{HeaderValue, StatusCode, header};
use tower_http::set_header::SetResponseHeaderLayer;
use tresor_api::{ErrorCode, ListQuery};
use tresor_core::store::ListFilter;

use crate::{ApiError, AppState};

/// Largest JSON body the API accepts.
pub const MAX_JSON_BODY: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/login/second-factor", post(auth::second_factor))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/me/password", put(auth::change_password))
        .route("/admin/info", get(server::info))
        .route("/admin/jobs", get(server::jobs))
        .route("/admin/sessions", get(server::sessions))
        .route("/admin/sessions/{id}", axum::routing::delete(server::disconnect))
        .route("/admin/signin-settings", get(signin::settings).patch(signin::update_settings))
        .route("/admin/mail-settings", get(signin::mail).put(signin::update_mail))
        .route("/admin/mail-settings/test", post(signin::test_mail))
        .route("/admin/pause", post(signin::pause))
        .route("/admin/continue", post(signin::resume))
        .route("/admin/log", get(log::list))
        .route("/admin/log/export", get(log::export))
        .route("/admin/log/verify", get(log::verify))
        .route("/admin/log-settings", get(log_admin::settings).put(log_admin::update_settings))
        .route("/admin/notifications", get(log_admin::notifications).post(log_admin::add_notification))
        .route(
            "/admin/notifications/{id}",
            get(log_admin::notification).put(log_admin::change_notification).delete(log_admin::delete_notification),
        )
        .route("/admin/users/{user}/two-factor", get(signin::two_factor).delete(signin::reset_two_factor))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{user}", get(users::show).patch(users::update).delete(users::delete))
        .route("/admin/users/{user}/password", put(users::set_password))
        .route("/admin/groups", get(groups::list).post(groups::create))
        .route("/admin/groups/{group}", get(groups::show).patch(groups::update).delete(groups::delete))
        .route("/admin/groups/{group}/members/users/{user}", put(groups::add_user).delete(groups::remove_user))
        .route("/admin/groups/{group}/members/groups/{member}", put(groups::add_group).delete(groups::remove_group))
        .route("/admin/databases", get(databases::list).post(databases::create))
        .route("/admin/databases/{db}", get(databases::show).patch(databases::update).delete(databases::delete))
        .route("/admin/databases/{db}/connections/{session}", axum::routing::delete(databases::disconnect))
        .route("/admin/databases/{db}/folders", get(databases::folders))
        .route("/admin/databases/{db}/grants", get(databases::grants).put(databases::put_grants))
        .route("/admin/databases/{db}/grants/users/{user}", axum::routing::delete(databases::revoke_user))
        .route("/admin/databases/{db}/grants/groups/{group}", axum::routing::delete(databases::revoke_group))
        .route("/admin/databases/{db}/rights", get(databases::rights))
        .route("/admin/databases/{db}/locks", get(locks::list))
        .route("/admin/databases/{db}/locks/{entry}", axum::routing::delete(locks::break_lock))
        .route("/admin/policy", get(databases::policy).patch(databases::update_policy))
        .route("/admin/policy/restore", post(databases::restore_policy))
        .route("/admin/vault-settings", get(databases::settings).patch(databases::update_settings))
        .route("/admin/assign", post(databases::assign))
        .route("/vault/databases", get(vault::databases))
        .route("/vault/databases/{db}/folders", get(vault::folders).post(vault::create_folder))
        .route("/vault/databases/{db}/folders/{folder}", patch(vault::update_folder).delete(vault::delete_folder))
        .route("/vault/databases/{db}/entries", get(entries::list).post(entries::create))
        .route(
            "/vault/databases/{db}/entries/{entry}",
            get(entries::show).patch(entries::update).delete(entries::delete),
        )
        .route("/vault/databases/{db}/entries/{entry}/move", post(entries::move_to))
        .route("/vault/databases/{db}/entries/{entry}/lock", post(locks::lock).get(locks::show).delete(locks::unlock))
        .route("/vault/databases/{db}/entries/{entry}/history", get(entries::history))
        .route("/vault/databases/{db}/entries/{entry}/history/{version}", get(entries::version))
        .route("/vault/databases/{db}/entries/{entry}/history/{version}/restore", post(entries::restore))
        .route("/vault/databases/{db}/entries/{entry}/totp", get(entries::totp))
        .route("/vault/databases/{db}/entries/{entry}/shares", get(sharing::list).post(sharing::share))
        .route("/vault/databases/{db}/entries/{entry}/shares/{kind}/{name}", axum::routing::delete(sharing::unshare))
        .route("/vault/databases/{db}/entries/{entry}/seal", get(seals::list))
        .route("/vault/databases/{db}/entries/{entry}/seal/request", post(seals::request))
        .route("/vault/databases/{db}/entries/{entry}/seals/{user}", put(seals::set))
        .route("/vault/databases/{db}/entries/{entry}/seals/{user}/authorized", post(seals::add_authorized))
        .route(
            "/vault/databases/{db}/entries/{entry}/second-password",
            put(second_password::set).delete(second_password::remove),
        )
        .route(
            "/vault/databases/{db}/entries/{entry}/attachments",
            get(attachments::list).post(attachments::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/vault/databases/{db}/entries/{entry}/attachments/{attachment}",
            get(attachments::download).delete(attachments::delete),
        )
        .route("/events", get(events::stream))
        .route("/vault/search", get(vault::search))
        .route("/vault/resolve", get(vault::resolve))
        .route("/vault/generate", get(vault::generate))
        .route("/vault/entry-types", get(vault::entry_types))
        .route("/openapi.json", get(server::openapi));
    Router::new()
        .nest(tresor_api::API_PREFIX, api)
        .route("/healthz", get(server::health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .with_state(state)
}

async fn not_found() -> impl IntoResponse {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> impl IntoResponse {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "this method is not allowed here")
}

/// Paging defaults and bounds, checked at the edge.
fn list_filter(q: ListQuery) -> Result<ListFilter, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter, "limit must be 1 to 1000"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > i32::MAX as u32 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter, "offset is too large"));
    }
    if q.q.as_ref().is_some_and(|s| s.chars().count() > 256) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            "q is longer than 256 characters",
        ));
    }
    Ok(ListFilter { q: q.q.filter(|s| !s.is_empty()), offset, limit })
}

/// Paging of a vault listing: offset and limit, checked at the edge (default limit 100, at most 1000).
fn page(offset: Option<u32>, limit: Option<u32>) -> Result<(u32, u32), ApiError> {
    let f = list_filter(ListQuery { q: None, offset, limit })?;
    Ok((f.offset, f.limit))
}
