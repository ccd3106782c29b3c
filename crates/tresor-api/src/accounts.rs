//! Users, groups, server roles and account options as they travel over the wire.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::WirePassword;

/// Server roles (seed manual, Roles). They govern administration, never entry data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Full access to the server and its administration.
    ServerAdministrator,
    /// Creates and manages databases and users' access rights.
    DatabaseAdministrator,
    /// Adds and manages users and groups.
    AccountAdministrator,
    /// Runs directory synchronisation; only together with Database or Account Administrator.
    DirectoryOperator,
    /// Reads the server log.
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

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServerAdministrator => "server_administrator",
            Self::DatabaseAdministrator => "database_administrator",
            Self::AccountAdministrator => "account_administrator",
            Self::DirectoryOperator => "directory_operator",
            Self::EventLogReader => "event_log_reader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Whether an account is the built-in super administrator or an ordinary user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    User,
    SuperAdmin,
}

/// How an account authenticates. Directory types come with directory synchronisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticationType {
    Local,
}

/// Account options (seed manual, User Properties → Account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountOptions {
    pub deactivated: bool,
    pub may_not_change_password: bool,
    pub must_change_password: bool,
    pub two_factor_disabled: bool,
}

/// A partial change of account options: absent fields keep their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountOptionsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub may_not_change_password: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_change_password: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_disabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub account: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub account: String,
    pub kind: UserKind,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub authentication: AuthenticationType,
    pub options: AccountOptions,
    pub roles: Vec<Role>,
    /// Groups this user is a direct member of.
    pub member_of: Vec<GroupRef>,
    /// Addresses or networks (CIDR) this user may connect from; empty means any. Loopback is always allowed.
    pub allowed_addresses: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
    /// How many users match the filter, over all pages.
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub account: String,
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    pub password: WirePassword,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub description: String,
    /// Options; `must_change_password` defaults to true for a new account.
    #[serde(default, deserialize_with = "crate::object_only")]
    pub options: AccountOptionsPatch,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Groups (ids or names) the new user joins.
    #[serde(default)]
    pub member_of: Vec<String>,
    #[serde(default)]
    pub allowed_addresses: Vec<String>,
}

/// A partial change of a user: absent fields keep their value; lists given replace the old list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 64)]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::object_only")]
    pub options: Option<AccountOptionsPatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_of: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_addresses: Option<Vec<String>>,
}

/// An administrator sets a user's password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    pub password: WirePassword,
    /// Defaults to true: the user must choose a new password at next logon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_change_password: Option<bool>,
}

/// Filter and paging of a listing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Case-insensitive substring of the name (and, for users, full name, email and department).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0, maximum = 2147483647)]
    pub offset: Option<u32>,
    /// At most 1000; default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Standard,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupMembers {
    pub users: Vec<UserRef>,
    pub groups: Vec<GroupRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub description: String,
    pub kind: GroupKind,
    pub disabled: bool,
    /// Direct members.
    pub members: GroupMembers,
    /// Groups this group is a direct member of.
    pub member_of: Vec<GroupRef>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<GroupView>,
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}
