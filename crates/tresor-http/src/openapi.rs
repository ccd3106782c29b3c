//! The OpenAPI document, generated from the handlers' annotations and the `tresor-api` types, so that it cannot
//! drift from the code.

use std::sync::OnceLock;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tresor API", description = "The REST API of Tresor, a self-hosted team password server."),
    paths(
        routes::auth::login, routes::auth::second_factor, routes::auth::logout, routes::auth::me, routes::auth::change_password,
        routes::server::info, routes::server::jobs, routes::server::sessions, routes::server::disconnect, routes::server::health,
        routes::server::openapi,
        routes::signin::settings, routes::signin::update_settings, routes::signin::mail, routes::signin::update_mail,
        routes::signin::test_mail, routes::signin::pause, routes::signin::resume, routes::signin::two_factor,
        routes::signin::reset_two_factor,
        routes::log::list, routes::log::export, routes::log::verify,
        routes::log_admin::settings, routes::log_admin::update_settings, routes::log_admin::notifications,
        routes::log_admin::add_notification, routes::log_admin::notification, routes::log_admin::change_notification,
        routes::log_admin::delete_notification,
        routes::users::list, routes::users::create, routes::users::show, routes::users::update,
        routes::users::delete, routes::users::set_password,
        routes::groups::list, routes::groups::create, routes::groups::show, routes::groups::update,
        routes::groups::delete, routes::groups::add_user, routes::groups::remove_user, routes::groups::add_group,
        routes::groups::remove_group,
        routes::databases::list, routes::databases::create, routes::databases::show, routes::databases::update,
        routes::databases::delete, routes::databases::disconnect, routes::databases::folders, routes::databases::grants,
        routes::databases::put_grants, routes::databases::revoke_user, routes::databases::revoke_group,
        routes::databases::rights, routes::databases::policy, routes::databases::update_policy,
        routes::databases::restore_policy, routes::databases::settings, routes::databases::update_settings,
        routes::databases::assign,
        routes::vault::databases, routes::vault::folders, routes::vault::create_folder, routes::vault::update_folder,
        routes::vault::delete_folder, routes::vault::search, routes::vault::resolve, routes::vault::generate,
        routes::vault::entry_types,
        routes::entries::list, routes::entries::create, routes::entries::show, routes::entries::update,
        routes::entries::delete, routes::entries::move_to, routes::entries::history, routes::entries::version,
        routes::entries::restore, routes::entries::totp,
        routes::events::stream,
        routes::sharing::share, routes::sharing::list, routes::sharing::unshare,
        routes::seals::list, routes::seals::request, routes::seals::set, routes::seals::add_authorized,
        routes::second_password::set, routes::second_password::remove,
        routes::locks::lock, routes::locks::show, routes::locks::unlock, routes::locks::list, routes::locks::break_lock,
        routes::attachments::upload, routes::attachments::list, routes::attachments::download,
        routes::attachments::delete,
    ),
    // The live stream's messages travel over the WebSocket, not as a response body: named here so that clients find
    // their shape.
    components(schemas(tresor_api::LiveEventView)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in and out, the caller's own account"),
        (name = "users", description = "Users (Account Administrator)"),
        (name = "groups", description = "Groups and their members (Account Administrator)"),
        (name = "server", description = "The server itself"),
        (name = "log", description = "The server log, its settings and notifications (Event Log Reader, Server Administrator)"),
        (name = "databases", description = "Databases, permissions, the server policy and vault settings (Database Administrator)"),
        (name = "vault", description = "The caller's databases and folders, search, paths, the password generator"),
        (name = "entries", description = "Entries, their history and TOTP codes"),
        (name = "attachments", description = "Files attached to entries"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The document as JSON, built once.
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc.to_json().unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    })
}
