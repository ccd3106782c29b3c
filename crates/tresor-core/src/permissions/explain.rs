//! "View effective rights" (manual, Permissions → General): for one (user, object, permission), the decision and
//! which level and which users or groups decided it, e.g. "Deny at folder 'HR' from group 'interns' → not granted".

use std::fmt;

use super::grant::{Object, Subject};
use super::permission::{Permission, Setting};
use super::resolver::Resolver;
use crate::ids::UserId;
use crate::ids::{DatabaseId, EntryId, FolderId};

/// One of the levels a permission is resolved through, top-down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    ServerPolicy,
    Database(DatabaseId),
    Folder(FolderId),
    Entry(EntryId),
}

/// A subject with its name when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSubject {
    pub subject: Subject,
    pub name: Option<String>,
}

/// What one level says, merged over the user's subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelValue {
    pub level: Level,
    /// The database's or folder's name; `None` for the server policy and for entries (their titles are secret).
    pub name: Option<String>,
    pub setting: Setting,
    /// The subjects whose grants here have `setting` (the Deny-ers when it is Deny). Empty for the server policy,
    /// which has no subject, and when the level is Undefined.
    pub subjects: Vec<NamedSubject>,
}

/// The full answer for one (user, object, permission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub user: UserId,
    pub object: Object,
    pub permission: Permission,
    /// Every level from the server policy down to the object.
    pub levels: Vec<LevelValue>,
    /// The walk's result before the visibility gate.
    pub setting: Setting,
    /// Index in `levels` of the level that decided `setting`: the first Deny (nothing below can lift it) or else
    /// the lowest Allow (it replaced what was inherited). `None` when every level is Undefined.
    pub decided_at: Option<usize>,
    /// Whether the object is visible; when it is not, no permission but access and read applies to it.
    pub visible: bool,
    pub granted: bool,
}

impl Explanation {
    /// The level that decided, if any.
    pub fn decider(&self) -> Option<&LevelValue> {
        self.decided_at.and_then(|i| self.levels.get(i))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::ServerPolicy => f.write_str("the server policy"),
            Level::Database(d) => write!(f, "database {d}"),
            Level::Folder(x) => write!(f, "folder {x}"),
            Level::Entry(e) => write!(f, "entry {e}"),
        }
    }
}

impl fmt::Display for LevelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at ", self.setting)?;
        match (&self.level, &self.name) {
            (Level::Database(_), Some(n)) => write!(f, "database '{n}'")?,
            (Level::Folder(_), Some(n)) => write!(f, "folder '{n}'")?,
            (level, _) => write!(f, "{level}")?,
        }
        match (self.level, self.setting) {
            (Level::ServerPolicy, Setting::Allow) => f.write_str(" (Enabled)")?,
            (Level::ServerPolicy, Setting::Deny) => f.write_str(" (Disabled)")?,
            _ => {}
        }
        for (i, s) in self.subjects.iter().enumerate() {
            f.write_str(if i == 0 { " from " } else { ", " })?;
            match (s.subject, &s.name) {
                (Subject::User(_), Some(n)) => write!(f, "user '{n}'")?,
                (Subject::Group(_), Some(n)) => write!(f, "group '{n}'")?,
                (subject, None) => write!(f, "{subject}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.decider() {
            Some(level) => write!(f, "{level}")?,
            None => f.write_str("Undefined everywhere")?,
        }
        if self.setting == Setting::Allow && !self.granted {
            let what = match self.object {
                Object::Database(_) => "the database is not open to the user (access not allowed, nothing visible)",
                Object::Folder(_) => "the folder is not visible (access and read must both be allowed)",
                Object::Entry(_) => "the entry is not visible (access and read must both be allowed)",
            };
            write!(f, ", but {what}")?;
        }
        f.write_str(if self.granted { " → granted" } else { " → not granted" })
    }
}

impl Resolver<'_> {
    /// Explains one permission on one object; `None` if the object is not in this database.
    pub fn explain(&self, object: Object, permission: Permission) -> Option<Explanation> {
        let path = self.tree.path(object)?;
        let policy = self.policy.setting(permission);
        let mut levels = vec![LevelValue { level: Level::ServerPolicy, name: None, setting: policy, subjects: vec![] }];
        levels.extend(path.iter().map(|o| self.level_value(*o, permission)));

        // The prose rule, one value at a time: Deny is final, an explicit value replaces, Undefined inherits.
        let mut setting = Setting::Undefined;
        let mut decided_at = None;
        for (i, level) in levels.iter().enumerate() {
            if setting != Setting::Deny && level.setting != Setting::Undefined {
                decided_at = Some(i);
            }
            setting = setting.then_below(level.setting);
        }
        debug_assert_eq!(Some(setting), self.setting(object, permission), "explanation and resolution disagree");
        let visible = self.is_visible(object);
        let granted = self.resolve(object, permission);
        Some(Explanation { user: self.user, object, permission, levels, setting, decided_at, visible, granted })
    }

    /// One level's merged value for the user's subjects, and who set it.
    fn level_value(&self, object: Object, permission: Permission) -> LevelValue {
        let mut setting = Setting::Undefined;
        let mut by: Vec<(Setting, Subject)> = Vec::new();
        for g in self.counted.iter().map(|i| &self.grants[*i]) {
            if g.object == object && g.permission == permission {
                setting = setting.merge(g.setting);
                by.push((g.setting, g.subject));
            }
        }
        let mut subjects: Vec<Subject> = by.into_iter().filter(|(s, _)| *s == setting).map(|(_, s)| s).collect();
        subjects.sort_unstable();
        subjects.dedup();
        let subjects = if setting == Setting::Undefined { vec![] } else { subjects };
        let subjects = subjects
            .into_iter()
            .map(|s| NamedSubject { subject: s, name: self.memberships.name_of(s).map(Into::into) });
        let (level, name) = match object {
            Object::Database(d) => (Level::Database(d), Some(self.tree.name().to_owned())),
            Object::Folder(f) => (Level::Folder(f), self.tree.folder(f).map(|n| n.name.clone())),
            Object::Entry(e) => (Level::Entry(e), None),
        };
        LevelValue { level, name, setting, subjects: subjects.collect() }
    }
}
