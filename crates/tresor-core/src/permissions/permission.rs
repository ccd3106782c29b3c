//! What can be granted ([`Permission`]), the three values a level holds ([`Setting`]) and the server-wide
//! defaults ([`ServerPolicy`], whose states are [`PolicyState`]).

use std::fmt;

/// One right on a database, folder or entry.
///
/// The list is the database-level one of the seed manual (Databases → Permissions → General). The manual's
/// "Access to database" (General tab) and "Access to entries" (Entries and folders tab) are one permission,
/// [`Permission::Access`] (DESIGN §3). Seven of them can also be set on folders and entries
/// ([`Permission::applies_below_database`]); the rest are database-wide.
///
/// The server policy (seed 003, "Default Database Permissions") sets fourteen of them; they map one to one:
///
/// | server policy (003)                          | permission                 |
/// | -------------------------------------------- | -------------------------- |
/// | Read entries                                 | `Read`                     |
/// | Modify entries                               | `Modify`                   |
/// | Add entries                                  | `Add`                      |
/// | Delete entries                               | `Delete`                   |
/// | Use the function "Auto-Complete"             | `AutoComplete`             |
/// | Auto-fill web forms using browser add-ons    | `AutofillBrowser`          |
/// | Accept new entries from browser add-ons      | `AcceptBrowserEntries`     |
/// | Print entries                                | `Print`                    |
/// | Export entries                               | `Export`                   |
/// | Save database locally                        | `SaveLocalCopy`            |
/// | Synchronize database                         | `Synchronize`              |
/// | Share entries                                | `Share` ("Grant access to other users" in the database tabs) |
/// | Seal entries                                 | `Seal`                     |
/// | Set second password                          | `SetSecondPassword`        |
///
/// `Access` and `GrantAdmin` have no server policy: they are always Undefined at that level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
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

impl Permission {
    /// Every permission, in the manual's order.
    pub const ALL: [Permission; 16] = [
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

    /// Whether the permission can be set on a folder or an entry (manual: Permissions → Entries and folders
    /// lists Access to entries, Read, Modify, Add, Delete, Grant access to other users, Seal entries).
    pub const fn applies_below_database(self) -> bool {
        matches!(self, Self::Access | Self::Read | Self::Modify | Self::Add | Self::Delete | Self::Share | Self::Seal)
    }

    /// Whether the permission means something on an entry, so that a user may share it (manual, Permissions →
    /// Entries and folders: of the seven that folders take, "Add" is about a folder's contents and has nothing to
    /// act on in an entry).
    pub const fn is_entry_level(self) -> bool {
        matches!(self, Self::Access | Self::Read | Self::Modify | Self::Delete | Self::Share | Self::Seal)
    }

    /// Whether the server policy sets this permission (the fourteen of seed 003).
    pub const fn in_server_policy(self) -> bool {
        !matches!(self, Self::Access | Self::GrantAdmin)
    }

    /// The stable snake_case name used by the CLI and the API.
    pub const fn name(self) -> &'static str {
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

    /// The permission with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions, one bit each: what the resolver carries per level so that a level costs two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u16);

impl PermissionSet {
    pub const EMPTY: Self = Self(0);
    pub const ALL: Self = Self(u16::MAX);

    pub const fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }
    pub fn insert(&mut self, p: Permission) {
        self.0 |= p.bit();
    }
    pub const fn with(self, p: Permission) -> Self {
        Self(self.0 | p.bit())
    }
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The permissions in the set, in [`Permission::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

/// What one level says about one permission for one subject, or for the merge of several.
///
/// Ordered so that merging the subjects of one level is `max`: any Deny → Deny, else any Allow → Allow, else
/// Undefined (DESIGN §3, rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Setting {
    /// Neutral: inherits from the level above; at the end of the walk it means "not granted" (manual: "Users only
    /// have rights that were explicitly granted to them").
    #[default]
    Undefined,
    Allow,
    Deny,
}

impl Setting {
    /// The merge of two subjects' values at the same level.
    pub fn merge(self, other: Setting) -> Setting {
        self.max(other)
    }

    /// The value after a lower level: a Deny above is final; an explicit value below replaces the inherited one;
    /// Undefined inherits (manual, User permissions: "Activated or undefined permissions can be changed at a lower
    /// level, whereas deactivated permissions cannot").
    pub fn then_below(self, below: Setting) -> Setting {
        match (self, below) {
            (Setting::Deny, _) | (_, Setting::Undefined) => self,
            (_, explicit) => explicit,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Setting::Undefined => "Undefined",
            Setting::Allow => "Allow",
            Setting::Deny => "Deny",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A server policy's state (seed 003): Undefined (neutral), Enabled (allowed everywhere unless changed below),
/// Disabled ("the most restrictive … You cannot enable it for individual users and databases … afterwards").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PolicyState {
    #[default]
    Undefined,
    Enabled,
    Disabled,
}

impl PolicyState {
    /// The policy as the top level of the walk: Enabled is an Allow, Disabled a Deny.
    pub const fn as_setting(self) -> Setting {
        match self {
            PolicyState::Undefined => Setting::Undefined,
            PolicyState::Enabled => Setting::Allow,
            PolicyState::Disabled => Setting::Deny,
        }
    }
}

/// The server-wide default database permissions (Manage → Server policies → Permissions; seed 003).
///
/// The default ("Restore default settings") is every permission Undefined: seed 003 says the defaults are
/// "Undefined or Enabled" without saying which, and Undefined grants nothing by itself, so a new server shows
/// nobody anything until an administrator grants it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerPolicy {
    enabled: PermissionSet,
    disabled: PermissionSet,
}

/// Refused: the permission is not one of the fourteen the server policy sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server policy does not set the permission {0}")]
pub struct NotInServerPolicy(pub Permission);

impl ServerPolicy {
    /// The state of one permission; `Access` and `GrantAdmin` are always Undefined.
    pub fn get(&self, p: Permission) -> PolicyState {
        if self.disabled.contains(p) {
            PolicyState::Disabled
        } else if self.enabled.contains(p) {
            PolicyState::Enabled
        } else {
            PolicyState::Undefined
        }
    }

    pub fn set(&mut self, p: Permission, state: PolicyState) -> Result<(), NotInServerPolicy> {
        if !p.in_server_policy() {
            return Err(NotInServerPolicy(p));
        }
        let bit = PermissionSet::EMPTY.with(p);
        self.enabled = self.enabled.difference(bit);
        self.disabled = self.disabled.difference(bit);
        match state {
            PolicyState::Undefined => {}
            PolicyState::Enabled => self.enabled = self.enabled.union(bit),
            PolicyState::Disabled => self.disabled = self.disabled.union(bit),
        }
        Ok(())
    }

    /// "Restore default settings".
    pub fn restore_defaults(&mut self) {
        *self = Self::default();
    }

    /// The policy as a level: (allowed, denied).
    pub(crate) fn as_level(&self) -> (PermissionSet, PermissionSet) {
        (self.enabled.difference(self.disabled), self.disabled)
    }
}
