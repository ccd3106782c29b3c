//! Tresor's domain and its use cases, free of HTTP, SQL and HTML.
//!
//! The services here ([`AuthService`], [`AccountService`], [`ServerService`]) hold every rule of accounts, groups,
//! roles and sessions. They reach the outside world only through ports: [`Store`] for persistence and [`Clock`] for
//! time. Adapters (the SQL stores, the HTTP layer) implement or call them; nothing here knows they exist.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod caller;
pub mod clock;
pub mod error;
pub mod events;
pub mod ids;
pub mod jobs;
pub mod keyring;
pub mod live;
pub mod mail;
pub mod net;
pub mod password_policy;
pub mod password_work;
pub mod permissions;
pub mod server;
pub mod session;
pub mod signin;
pub mod store;
mod stored;
mod validate;
pub mod vault;

pub use accounts::{
    AccountObserver, AccountService, Group, GroupPatch, NewGroup, NewUser, Role, RoleSet, User, UserPatch,
};
pub use audit::AuditLog;
pub use auth::{AuthPorts, AuthService, AuthSettings, PasswordWork};
pub use caller::{Caller, Capability, ManageAccounts, ManageServer, ManageSessions, ReadLog, ViewServer};
pub use clock::{Clock, SystemClock, Timestamp};
pub use error::CoreError;
pub use ids::{AttachmentId, DatabaseId, EntryId, FolderId, GroupId, SessionId, UserId};
pub use keyring::Keyring;
pub use server::{ServerService, ServerSnapshot};
pub use signin::{LoginOutcome, LoginStep};
pub use store::{GroupGraph, Store, StoreError};
pub use vault::VaultService;
