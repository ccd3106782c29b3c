//! The vault on the wire: databases, folders, typed entries, history, attachments, search and the password
//! generator, as a user sees them (`/vault/…`).
//!
//! Secrets (the password, secret fields, hidden custom fields, the TOTP secret) travel only when the caller asks
//! for them (`reveal=true`); otherwise they are `null` and `has_value` says whether one is set.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::WirePassword;

/// A permission on a database, folder or entry, by its stable name (seed manual: Permissions → General).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PermissionName {
    Access,
    Read,
    Modify,
    Add,
    Delete,
    AutoComplete,
    AutofillBrowser,
    AcceptBrowserEntries,
    Print,
    Export,
    SaveLocalCopy,
    Synchronize,
    Share,
    Seal,
    SetSecondPassword,
    GrantAdmin,
}

impl PermissionName {
    pub const ALL: [PermissionName; 16] = [
        Self::Access,
        Self::Read,
        Self::Modify,
        Self::Add,
        Self::Delete,
        Self::AutoComplete,
        Self::AutofillBrowser,
        Self::AcceptBrowserEntries,
        Self::Print,
        Self::Export,
        Self::SaveLocalCopy,
        Self::Synchronize,
        Self::Share,
        Self::Seal,
        Self::SetSecondPassword,
        Self::GrantAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Read => "read",
            Self::Modify => "modify",
            Self::Add => "add",
            Self::Delete => "delete",
            Self::AutoComplete => "auto_complete",
            Self::AutofillBrowser => "autofill_browser",
            Self::AcceptBrowserEntries => "accept_browser_entries",
            Self::Print => "print",
            Self::Export => "export",
            Self::SaveLocalCopy => "save_local_copy",
            Self::Synchronize => "synchronize",
            Self::Share => "share",
            Self::Seal => "seal",
            Self::SetSecondPassword => "set_second_password",
            Self::GrantAdmin => "grant_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The entry types of the seed manual (Server Policies → Entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Password,
    CreditCard,
    SoftwareLicense,
    Identity,
    Information,
    Banking,
    EncryptedFile,
    Document,
    RemoteDesktop,
    Putty,
    #[serde(rename = "teamviewer")]
    TeamViewer,
    Certificate,
}

impl EntryKind {
    pub const ALL: [EntryKind; 12] = [
        Self::Password,
        Self::CreditCard,
        Self::SoftwareLicense,
        Self::Identity,
        Self::Information,
        Self::Banking,
        Self::EncryptedFile,
        Self::Document,
        Self::RemoteDesktop,
        Self::Putty,
        Self::TeamViewer,
        Self::Certificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::CreditCard => "credit_card",
            Self::SoftwareLicense => "software_license",
            Self::Identity => "identity",
            Self::Information => "information",
            Self::Banking => "banking",
            Self::EncryptedFile => "encrypted_file",
            Self::Document => "document",
            Self::RemoteDesktop => "remote_desktop",
            Self::Putty => "putty",
            Self::TeamViewer => "teamviewer",
            Self::Certificate => "certificate",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A database the caller may open, with the caller's rights on it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VaultDatabase {
    pub id: String,
    pub name: String,
    pub comments: String,
    /// The caller's effective rights at the database level.
    pub rights: Vec<PermissionName>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VaultDatabaseList {
    pub databases: Vec<VaultDatabase>,
}

/// A folder the caller can see (or that leads to something the caller can see).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderView {
    pub id: String,
    pub parent: Option<String>,
    pub name: String,
    /// `Folder/Sub` from the database root.
    pub path: String,
    /// The caller's rights on the folder; empty for a folder listed only because something below is visible.
    pub rights: Vec<PermissionName>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderList {
    pub database: VaultDatabase,
    pub folders: Vec<FolderView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFolderRequest {
    pub name: String,
    /// The parent folder's id; absent for the database root.
    #[serde(default)]
    pub parent: Option<String>,
}

/// Rename and/or move a folder. `parent: null` with `to_root: true` moves it to the root.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFolderRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The new parent folder's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Move the folder to the database root.
    #[serde(default)]
    pub to_root: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteFolderQuery {
    /// Delete a non-empty folder with everything in it.
    #[serde(default)]
    pub recursive: Option<bool>,
}

/// An entry in a listing: what the caller needs to find it, never a secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntrySummary {
    pub id: String,
    pub database: String,
    pub database_name: String,
    pub folder: Option<String>,
    /// `Folder/Sub` of the folder holding it; empty at the root.
    pub folder_path: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    pub title: String,
    pub username: String,
    pub url: String,
    pub tags: Vec<String>,
    /// RFC 3339.
    pub expires: Option<String>,
    pub version: u32,
    /// RFC 3339.
    pub updated_at: String,
    /// The stored entry did not decrypt (it was altered or is out of place): it is listed with empty fields, and
    /// opening it fails with `undecryptable`.
    #[serde(default)]
    pub damaged: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntryPage {
    pub entries: Vec<EntrySummary>,
    /// Matches over all pages.
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntryListQuery {
    /// Only entries in this folder (by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// With `folder`: include its sub-folders. Without `folder`: false lists only the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0, maximum = 2147483647)]
    pub offset: Option<u32>,
    /// At most 100,000; default 1000. The answer is streamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 100000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Case-insensitive text searched in titles, user names, URLs, tags and notes.
    pub q: String,
    /// Only this database (id or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0, maximum = 2147483647)]
    pub offset: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A value of a type-specific or custom field; `value` is `null` for a hidden secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldView {
    pub name: String,
    #[schema(value_type = Option<String>)]
    pub value: Option<WirePassword>,
    pub secret: bool,
    pub has_value: bool,
}

/// A secret that is shown only when revealed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretView {
    #[schema(value_type = Option<String>)]
    pub value: Option<WirePassword>,
    pub has_value: bool,
}

/// One version of an entry, as the caller may see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub database: String,
    pub database_name: String,
    pub folder: Option<String>,
    pub folder_path: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    pub version: u32,
    /// Whether this is the entry's current version (history shows older ones).
    pub current: bool,
    pub title: String,
    pub username: String,
    pub password: SecretView,
    pub url: String,
    pub notes: String,
    pub tags: Vec<String>,
    /// RFC 3339.
    pub expires: Option<String>,
    pub fields: Vec<FieldView>,
    pub custom: Vec<FieldView>,
    pub totp: SecretView,
    /// Whether secrets are included.
    pub revealed: bool,
    /// The caller's effective rights on the entry.
    pub rights: Vec<PermissionName>,
    pub author: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339: when this version was written.
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevealQuery {
    /// Include the secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<bool>,
}

/// A custom field as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldInput {
    pub name: String,
    #[schema(value_type = String)]
    pub value: WirePassword,
    /// A hidden field (shown only when revealed).
    #[serde(default)]
    pub secret: bool,
}

/// A new entry. `fields` are the type's own fields by name (see `GET /vault/entry-types`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEntryRequest {
    #[serde(rename = "type", default = "default_kind")]
    pub kind: String,
    /// The folder's id; absent for the database root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    pub title: String,
    #[serde(default)]
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub password: Option<WirePassword>,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub fields: std::collections::BTreeMap<String, WirePassword>,
    #[serde(default)]
    pub custom: Vec<CustomFieldInput>,
    /// A base32 TOTP secret, as authenticator apps show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub totp: Option<WirePassword>,
}

fn default_kind() -> String {
    "password".to_owned()
}

/// A change to an entry: absent fields keep their value. In `fields`, an empty value removes the field; `custom`
/// replaces the whole list; an empty `totp` or `expires` removes it. With `version`, the change is refused with
/// `conflict` if the entry has moved on from that version.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub password: Option<WirePassword>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    pub fields: Option<std::collections::BTreeMap<String, WirePassword>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Vec<CustomFieldInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub totp: Option<WirePassword>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveEntryRequest {
    /// The target folder's id; absent or `null` for the database root.
    #[serde(default)]
    pub folder: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteEntryQuery {
    /// Why the entry is deleted; required when the database asks for a reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A version in an entry's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionView {
    pub version: u32,
    pub author: String,
    /// RFC 3339.
    pub created_at: String,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryList {
    pub entry: String,
    pub versions: Vec<VersionView>,
}

/// The current TOTP code of an entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TotpCode {
    #[schema(value_type = String)]
    pub code: WirePassword,
    pub period_secs: u32,
    /// Seconds until the code changes.
    pub remaining_secs: u32,
}

/// An attachment's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub entry: String,
    pub name: String,
    pub size: u64,
    pub author: String,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachmentUploadQuery {
    /// The file name.
    pub name: String,
}

/// A path (`DB`, `DB/Folder/Sub` or `DB/Folder/Title`) resolved to ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResolveQuery {
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResolvedPath {
    pub database: String,
    pub database_name: String,
    /// The folder the path names, or the folder holding the entry it names.
    pub folder: Option<String>,
    pub entry: Option<String>,
}

/// What the password generator should produce; absent values take the server's policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GenerateQuery {
    /// Generate a new server (login) password: the sign-in password policy applies instead of the vault's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_login: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 4, maximum = 1024)]
    pub length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowercase: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uppercase: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbols: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GeneratedPassword {
    #[schema(value_type = String)]
    pub password: WirePassword,
    pub policy: PasswordPolicyView,
}

/// The password policy the generator honours (Client Security Policies → Password Policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyView {
    pub min_length: u32,
    pub default_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digits: bool,
    pub require_symbols: bool,
}

/// A type's own fields, for clients that build forms.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntryTypeView {
    #[serde(rename = "type")]
    pub kind: EntryKind,
    pub allowed: bool,
    pub fields: Vec<EntryFieldSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntryFieldSpec {
    pub name: String,
    pub secret: bool,
    pub required: bool,
    pub multiline: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntryTypeList {
    pub types: Vec<EntryTypeView>,
}
