//! Administering the vault on the wire (`/admin/databases`, `/admin/policy`, `/admin/assign`,
//! `/admin/vault-settings`): databases and their properties, permissions with their explanations and dry runs,
//! the server policy and the vault settings.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{EntryKind, PermissionName, WirePassword};

/// The header that carries a database's custom password when its properties and permissions are protected by
/// one (seed manual: Database Properties → Advanced, "Permissions management requires verification").
pub const DATABASE_PASSWORD_HEADER: &str = "tresor-database-password";

/// A database as administrators list it (seed manual, Databases).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatabaseView {
    pub id: String,
    pub name: String,
    pub comments: String,
    /// Bytes of ciphertext stored for its entries and attachments.
    pub size_bytes: u64,
    pub entries: u64,
    /// RFC 3339.
    pub last_modified: String,
    /// RFC 3339; `null` if nobody has opened it yet.
    pub last_accessed: Option<String>,
    /// Users who have it open now (on this server).
    pub connected_users: u64,
    pub settings: DatabaseSettingsView,
    /// RFC 3339.
    pub created_at: String,
}

/// Database Properties → Advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DatabaseSettingsView {
    pub monitor_accesses: bool,
    pub reason_required_on_delete: bool,
    /// Whether managing properties and permissions requires the custom password.
    pub custom_password: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatabaseList {
    pub databases: Vec<DatabaseView>,
}

/// Someone who has a database open (Database Properties → General: "who is connected to it").
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatabaseConnection {
    pub session: String,
    pub user: String,
    pub account: String,
    pub address: String,
    /// RFC 3339.
    pub since: String,
}

/// A database's properties: the listing plus who has it open.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatabaseProperties {
    pub database: DatabaseView,
    pub connections: Vec<DatabaseConnection>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDatabaseRequest {
    pub name: String,
    #[serde(default)]
    pub comments: String,
}

/// Changing or removing the custom password: `current` is required when one is set; `new: null` removes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomPasswordChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub current: Option<WirePassword>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub new: Option<WirePassword>,
}

/// A partial change of a database's properties: absent fields keep their value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDatabaseRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_accesses: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_required_on_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_password: Option<CustomPasswordChange>,
}

/// Undefined, Allow or Deny (DESIGN §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingName {
    Undefined,
    Allow,
    Deny,
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "kind", content = "name")]
pub enum SubjectRef {
    /// A user by id or account name.
    User(String),
    /// A group by id or name.
    Group(String),
}

/// What a grant is set on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "kind", content = "id")]
pub enum ObjectRef {
    Database,
    Folder(String),
    Entry(String),
}

/// One grant as written: `subject` gets `setting` for `permission` on `object`, optionally within a window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub object: ObjectRef,
    pub subject: SubjectRef,
    pub permission: PermissionName,
    pub setting: SettingName,
    /// RFC 3339, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// RFC 3339, exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutGrantsRequest {
    pub grants: Vec<GrantInput>,
    /// Only report what would change; store nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One stored grant, with names.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantView {
    pub object: ObjectRef,
    /// The folder's path, or `null` for the database and for entries (titles are secret).
    pub object_name: Option<String>,
    pub subject: SubjectRef,
    pub subject_id: String,
    pub permission: PermissionName,
    pub setting: SettingName,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantList {
    pub database: String,
    pub grants: Vec<GrantView>,
}

/// How a grant changes one user's effective rights on one object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RightsChange {
    pub user: String,
    pub account: String,
    pub object: ObjectRef,
    pub object_name: Option<String>,
    pub gained: Vec<PermissionName>,
    pub lost: Vec<PermissionName>,
}

/// The answer to a grant: what changed (or, in a dry run, what would).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GrantOutcome {
    pub dry_run: bool,
    pub changes: Vec<RightsChange>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RightsQuery {
    /// The user (id or account name).
    pub user: String,
    /// An entry id; with neither `entry` nor `folder`, the database itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

/// One level of an explanation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelView {
    /// `server_policy`, `database`, `folder` or `entry`.
    pub level: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub setting: SettingName,
    /// The users or groups whose grants here gave `setting`.
    pub subjects: Vec<String>,
}

/// "View effective rights" for one permission.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PermissionExplanation {
    pub permission: PermissionName,
    pub granted: bool,
    pub setting: SettingName,
    /// Index in `levels` of the level that decided, if any.
    pub decided_at: Option<usize>,
    pub levels: Vec<LevelView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RightsExplanation {
    pub user: String,
    pub account: String,
    pub object: ObjectRef,
    pub visible: bool,
    pub permissions: Vec<PermissionExplanation>,
}

/// A server policy's state (seed 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStateName {
    Undefined,
    Enabled,
    Disabled,
}

/// Manage → Server policies: the fourteen default permissions and the allowed entry types.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerPolicyView {
    pub permissions: std::collections::BTreeMap<String, PolicyStateName>,
    pub allowed_entry_types: Vec<EntryKind>,
}

/// A partial change: listed permissions take the given state; `allowed_entry_types` replaces the list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServerPolicyRequest {
    #[serde(default)]
    pub permissions: std::collections::BTreeMap<PermissionName, PolicyStateName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_entry_types: Option<Vec<EntryKind>>,
}

/// The vault's settings (Server Settings; Databases → private databases; attachments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VaultSettingsView {
    pub private_database_for_new_users: bool,
    pub delete_private_database_with_user: bool,
    pub attachment_limit_bytes: u64,
    pub password_policy: crate::PasswordPolicyView,
    /// Server Settings → Additional → "Edit entries": how long an entry's lock lasts, in seconds.
    pub edit_lock_secs: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVaultSettingsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_database_for_new_users: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_private_database_with_user: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_limit_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<crate::PasswordPolicyView>,
    /// 10 to 86,400 seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_lock_secs: Option<u32>,
}

/// Which database "Assign database" uses.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "kind", content = "name")]
pub enum AssignTarget {
    /// An existing database by id or name.
    Existing(String),
    /// A new database with this name.
    New(String),
    /// A private database for each selected user or group, named after it.
    Private,
}

/// Users → Assign database: give the selected accounts the same permissions on a database.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    pub database: AssignTarget,
    /// Allowed at the database level for every selected account.
    pub permissions: Vec<PermissionName>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignOutcome {
    /// The databases used or created, by name.
    pub databases: Vec<DatabaseView>,
}

/// A database's entry locks, for its administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockList {
    pub database: String,
    pub database_name: String,
    pub locks: Vec<LockedEntryView>,
}

/// One locked entry in an administrator's listing, named by id and folder: titles are entry data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockedEntryView {
    /// The path of the entry's folder (`Folder/Sub`; empty at the root).
    pub folder_path: String,
    pub lock: crate::EntryLockView,
}
