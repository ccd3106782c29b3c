//! The permission model and its one resolution function: who may do what to which database, folder and entry.
//!
//! DESIGN §3 is normative; the seed manual (Password Depot Enterprise Server: "User permissions", "Permissions",
//! "Server Policies"; and "Server Policies – Default Database Permissions") is where the rules come from.
//!
//! - Levels, top to bottom: server policy → database → folder → sub-folder … → entry ([`Level`]).
//! - Each level holds, per subject ([`Subject`]: a user or a group) and per [`Permission`], one [`Setting`]:
//!   Undefined, Allow or Deny. The server policy ([`ServerPolicy`]) has no subject and applies to everyone.
//! - [`Resolver`] is built once per (user, database, instant) from the [`DatabaseTree`], the [`Grant`]s, the
//!   [`ServerPolicy`] and the [`Memberships`]; it answers [`Resolver::resolve`], [`Resolver::explain`],
//!   [`Resolver::visible_entries`] and [`Resolver::visible_tree`]. Nothing else decides.
//!
//! Decisions taken where the manual and DESIGN are silent (each is repeated where it is implemented):
//! - A disabled group contributes nothing, neither its own grants nor the memberships it would pass on: a member
//!   of a disabled group does not, through it, belong to the groups that contain it ([`membership`]).
//! - A grant's window is half-open: it counts from `valid_from` inclusive until `valid_to` exclusive ([`grant`]).
//! - Grants that cannot exist (a database-only permission on a folder or entry, an object outside the database)
//!   are ignored by the resolver and refused by [`Grant::validate`] / [`DatabaseTree`] before they are stored.
//! - "Other permissions never apply to an invisible object": an entry or folder is visible when `access` and
//!   `read` both resolve to Allow on it; the database is open to the user when `access` resolves to Allow on it
//!   (manual: Access to database without Read "will be able to access the database, but not to view … its
//!   contents") or when anything inside it is visible ([`resolver`]).

pub mod explain;
pub mod grant;

pub mod membership;
pub mod permission;
pub mod resolver;
pub mod tree;
mod visibility;

pub use crate::ids::{DatabaseId, EntryId, FolderId};
pub use explain::{Explanation, Level, LevelValue, NamedSubject};
pub use grant::{Grant, GrantError, Object, Subject};
pub use membership::Memberships;
pub use permission::{NotInServerPolicy, Permission, PermissionSet, PolicyState, ServerPolicy, Setting};
pub use resolver::Resolver;
pub use tree::{DatabaseTree, EntryNode, FolderNode, TreeError};
pub use visibility::{ListedFolder, VisibleTree};

#[cfg(test)]
mod tests;
