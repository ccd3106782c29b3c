//! Users, groups and server roles (seed manual: Users, User Properties, Groups, Group Properties, Roles), and the
//! [`AccountService`] that manages them.

mod audit;
mod group_ops;
mod groups;
mod model;
pub(crate) mod service;

pub use groups::would_create_cycle;
pub use model::*;
pub use service::{AccountObserver, AccountService, GroupDetails, LiveSession, SUPER_ADMIN_ACCOUNT, UserDetails};
