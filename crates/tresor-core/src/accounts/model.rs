//! The account records: what a user and a group are, independent of how they are stored or shown.

use crate::clock::Timestamp;
use crate::ids::{GroupId, UserId};
use crate::net::AddressRule;

/// Server roles (seed manual, Roles). They govern administration, never entry data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    ServerAdministrator,
    DatabaseAdministrator,
    AccountAdministrator,
    /// Only together with Database or Account Administrator (seed manual, Roles).
    DirectoryOperator,
    EventLogReader,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::ServerAdministrator,
        Role::DatabaseAdministrator,
        Role::AccountAdministrator,
        Role::DirectoryOperator,
        Role::EventLogReader,
    ];

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The stable name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ServerAdministrator => "server_administrator",
            Role::DatabaseAdministrator => "database_administrator",
            Role::AccountAdministrator => "account_administrator",
            Role::DirectoryOperator => "directory_operator",
            Role::EventLogReader => "event_log_reader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Role::ServerAdministrator => "Server Administrator",
            Role::DatabaseAdministrator => "Database Administrator",
            Role::AccountAdministrator => "Account Administrator",
            Role::DirectoryOperator => "Active Directory Operator",
            Role::EventLogReader => "Event Log Reader",
        }
    }
}

/// A set of roles, small enough to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    pub const EMPTY: RoleSet = RoleSet(0);

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }
    pub fn insert(&mut self, role: Role) {
        self.0 |= role.bit();
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }
    /// Comma-separated stable names, the storage form.
    pub fn to_storage(self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }
    /// Reads the storage form; unknown names (from a newer server) are skipped rather than failing the read.
    pub fn from_storage(s: &str) -> RoleSet {
        s.split(',').filter_map(Role::parse).collect()
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut set = RoleSet::EMPTY;
        for r in iter {
            set.insert(r);
        }
        set
    }
}

/// Whether an account is the built-in super administrator or an ordinary user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserKind {
    User,
    /// Manages the server, cannot act as a client, takes no seat (seed manual, Roles → note).
    SuperAdmin,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::User => "user",
            UserKind::SuperAdmin => "super_admin",
        }
    }
    pub fn parse(s: &str) -> Option<UserKind> {
        match s {
            "user" => Some(UserKind::User),
            "super_admin" => Some(UserKind::SuperAdmin),
            _ => None,
        }
    }
}

/// Account options (seed manual, User Properties → Account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountOptions {
    pub deactivated: bool,
    pub may_not_change_password: bool,
    pub must_change_password: bool,
    /// Stored now; the two-factor feature reads it.
    pub two_factor_disabled: bool,
}

/// A partial change of [`AccountOptions`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountOptionsPatch {
    pub deactivated: Option<bool>,
    pub may_not_change_password: Option<bool>,
    pub must_change_password: Option<bool>,
    pub two_factor_disabled: Option<bool>,
}

impl AccountOptions {
    pub fn apply(&mut self, p: AccountOptionsPatch) {
        let AccountOptionsPatch { deactivated, may_not_change_password, must_change_password, two_factor_disabled } = p;
        self.deactivated = deactivated.unwrap_or(self.deactivated);
        self.may_not_change_password = may_not_change_password.unwrap_or(self.may_not_change_password);
        self.must_change_password = must_change_password.unwrap_or(self.must_change_password);
        self.two_factor_disabled = two_factor_disabled.unwrap_or(self.two_factor_disabled);
    }
}

/// The descriptive fields of the General tab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
}

/// A user as stored. The password verifier is kept apart (see [`crate::store::Store::password_hash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub account: String,
    pub kind: UserKind,
    pub profile: Profile,
    pub options: AccountOptions,
    pub roles: RoleSet,
    pub allowed_addresses: Vec<AddressRule>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    pub fn is_super_admin(&self) -> bool {
        self.kind == UserKind::SuperAdmin
    }
}

/// What an administrator gives to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub account: String,
    pub profile: Profile,
    pub options: AccountOptionsPatch,
    pub roles: Vec<Role>,
    /// Group ids or names.
    pub member_of: Vec<String>,
    pub allowed_addresses: Vec<String>,
}

/// A partial change of a user; `None` keeps the value, a list given replaces the old one.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub account: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub department: Option<String>,
    pub description: Option<String>,
    pub options: Option<AccountOptionsPatch>,
    pub roles: Option<Vec<Role>>,
    pub member_of: Option<Vec<String>>,
    pub allowed_addresses: Option<Vec<String>>,
}

/// A group (seed manual, Group Properties). Only the standard type exists until directory synchronisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub email: String,
    pub description: String,
    pub disabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    pub name: String,
    pub email: String,
    pub description: String,
    pub disabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub disabled: Option<bool>,
}

/// A name and id, for listing members and memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRef<Id> {
    pub id: Id,
    pub name: String,
}

/// The direct members of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    pub users: Vec<NamedRef<UserId>>,
    pub groups: Vec<NamedRef<GroupId>>,
}

/// The key under which names are unique: names are unique regardless of case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}
