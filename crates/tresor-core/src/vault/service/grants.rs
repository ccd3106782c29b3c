//! A database's permissions (seed manual: Permissions → General, Entries and folders): list, set with a dry run,
//! remove a user's or group's access, and "View effective rights".

use std::collections::{BTreeMap, HashMap, HashSet};

use tresor_crypto::SecretString;

use super::audit::in_database;
use super::live::About;
use super::{Loaded, VaultService};
use crate::audit::AuditEvent;
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::{EntryId, FolderId, GroupId, UserId};
use crate::live::LiveChange;
use crate::permissions::{Explanation, Grant, Memberships, Object, Permission, PermissionSet, Resolver, Subject};
use crate::vault::Database;

/// A user or group named by id or name, as administrators type them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectKey {
    User(String),
    Group(String),
}

/// One grant to store, before its subject is looked up.
#[derive(Debug, Clone)]
pub struct GrantChange {
    pub object: ObjectKey,
    pub subject: SubjectKey,
    pub permission: Permission,
    pub setting: crate::permissions::Setting,
    pub valid_from: Option<crate::clock::Timestamp>,
    pub valid_to: Option<crate::clock::Timestamp>,
}

/// A stored grant with the names an administrator reads.
#[derive(Debug, Clone)]
pub struct GrantRecord {
    pub grant: Grant,
    pub subject_name: String,
    /// The folder's path; `None` for the database and for entries (titles are secret).
    pub object_name: Option<String>,
}

/// How a change alters one user's rights on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsDiff {
    pub user: UserId,
    pub account: String,
    pub object: Object,
    pub object_name: Option<String>,
    pub gained: PermissionSet,
    pub lost: PermissionSet,
}

/// "View effective rights": one explanation per permission.
#[derive(Debug)]
pub struct RightsReport {
    pub user: UserId,
    pub account: String,
    pub object: Object,
    pub visible: bool,
    pub explanations: Vec<Explanation>,
}

impl VaultService {
    /// Every grant of the database, with names (618, "The database was read by the admin").
    pub async fn list_grants(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
    ) -> Result<(Database, Vec<GrantRecord>), CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let db = admin.database;
        let loaded = self.load_for_user(db.clone(), caller.user_id()).await?;
        let grants = self.vault.grants(db.id).await?;
        let out = self.named_grants(grants, |o| object_name(&loaded, o)).await?;
        self.audit().note(in_database(618, caller, &db).new_object("permissions")).await;
        Ok((db, out))
    }

    /// Grants with the names people read, each subject's name looked up once.
    pub(super) async fn named_grants(
        &self,
        grants: Vec<Grant>,
        object_name: impl Fn(Object) -> Option<String>,
    ) -> Result<Vec<GrantRecord>, CoreError> {
        let mut names: HashMap<Subject, String> = HashMap::new();
        let mut out = Vec::with_capacity(grants.len());
        for grant in grants {
            let subject_name = match names.get(&grant.subject) {
                Some(n) => n.clone(),
                None => {
                    let n = self.subject_name(grant.subject).await?;
                    names.insert(grant.subject, n.clone());
                    n
                }
            };
            out.push(GrantRecord { object_name: object_name(grant.object), grant, subject_name });
        }
        Ok(out)
    }

    /// Sets grants (Undefined removes one). With `dry_run`, nothing is stored; either way the answer is whose
    /// effective rights change, on which object, and how. Stored grants are recorded per user or group: 623 ("A
    /// user or group was added to a database") for those set, 622 ("A permission was deleted") for those removed.
    pub async fn put_grants(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
        changes: Vec<GrantChange>,
        dry_run: bool,
    ) -> Result<Vec<RightsDiff>, CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let db = admin.database;
        if changes.is_empty() {
            return Err(CoreError::Validation("give at least one grant".to_owned()));
        }
        let mut grants = Vec::with_capacity(changes.len());
        let mut names: HashMap<Subject, String> = HashMap::new();
        for c in changes {
            let (subject, name) = self.subject(&c.subject).await?;
            names.insert(subject, name);
            grants.push(Grant {
                object: c.object.in_database(&db),
                subject,
                permission: c.permission,
                setting: c.setting,
                valid_from: c.valid_from,
                valid_to: c.valid_to,
            });
        }
        self.check_grants(&db, &grants).await?;
        let before = self.vault.grants(db.id).await?;
        let after = merge_grants(&before, &grants);
        let diffs = self.rights_diff(&db, &before, &after, &grants).await?;
        if !dry_run {
            self.store_grants(&db, &grants).await?;
            let snapshot = self.snapshot_of(db.clone()).await?;
            let records = grant_records(caller, &db, &grants, &names, |o| grant_object(&snapshot.paths, o));
            self.audit().note_all(records).await;
            let account = caller.user.account.as_str();
            self.publish(Some(account), LiveChange::PermissionsChanged, Some(db.id), About::Database);
        }
        Ok(diffs)
    }

    /// The user or group a key names, with its name.
    pub(super) async fn subject(&self, key: &SubjectKey) -> Result<(Subject, String), CoreError> {
        Ok(match key {
            SubjectKey::User(u) => {
                let user = self.find_user(u).await?;
                (Subject::User(user.id), user.account)
            }
            SubjectKey::Group(g) => {
                let (id, name) = self.find_group(g).await?;
                (Subject::Group(id), name)
            }
        })
    }

    /// Validates grants against the database's objects and stores them.
    pub(super) async fn put_checked_grants(&self, db: &Database, grants: &[Grant]) -> Result<(), CoreError> {
        self.check_grants(db, grants).await?;
        self.store_grants(db, grants).await
    }

    /// Stores checked grants and drops the database's cached copy (before, so no reader keeps the old grants
    /// past the write; after, so none caches them from a read that raced with it).
    async fn store_grants(&self, db: &Database, grants: &[Grant]) -> Result<(), CoreError> {
        Ok(self.writing_database(db.id, self.vault.put_grants(db.id, grants)).await?)
    }

    /// Refuses grants that cannot be set (a database-only permission below the database, an empty window) or
    /// whose object is not in the database.
    async fn check_grants(&self, db: &Database, grants: &[Grant]) -> Result<(), CoreError> {
        for g in grants {
            g.validate().map_err(|e| CoreError::Validation(e.to_string()))?;
            let exists = match g.object {
                Object::Database(d) => d == db.id,
                Object::Folder(f) => self.vault.folder(db.id, f).await?.is_some(),
                Object::Entry(e) => self.vault.entry(db.id, e).await?.is_some(),
            };
            if !exists {
                return Err(CoreError::not_found(format!("{} in this database", object_kind(g.object))));
            }
        }
        Ok(())
    }

    /// Removes every grant of a user or group in the database ("users and groups that have been removed from a
    /// database cannot access it anymore").
    pub async fn revoke(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
        subject: SubjectKey,
    ) -> Result<u64, CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let (subject, name) = self.subject(&subject).await?;
        let db = admin.database.id;
        let removed = self.writing_database(db, self.vault.revoke_subject(db, subject)).await?;
        if removed == 0 {
            return Err(CoreError::not_found("grants of that user or group in this database"));
        }
        let event = in_database(622, caller, &admin.database).object(subject_id(subject), name);
        self.audit().note(event.new_object(format!("all {removed} permissions removed"))).await;
        self.publish(Some(&caller.user.account), LiveChange::PermissionsChanged, Some(db), About::Database);
        Ok(removed)
    }

    /// "View effective rights" of `user` on the database, a folder or an entry: every permission, with the level
    /// and the users or groups that decided it.
    pub async fn explain_rights(
        &self,
        caller: &Caller,
        database: &str,
        password: Option<SecretString>,
        user: &str,
        object: ObjectKey,
    ) -> Result<RightsReport, CoreError> {
        let admin = self.administer(caller, database, password).await?;
        let user = self.find_user(user).await?;
        let loaded = self.load_for_user(admin.database, user.id).await?;
        let object = object.in_database(&loaded.snapshot.database);
        if !loaded.index.tree.contains(object) {
            return Err(CoreError::not_found(format!("{} in this database", object_kind(object))));
        }
        let resolver = loaded.resolver();
        let explanations: Vec<Explanation> =
            Permission::ALL.into_iter().filter_map(|p| resolver.explain(object, p)).collect();
        let what = format!("effective rights of {}", user.account);
        self.audit().note(in_database(618, caller, &loaded.snapshot.database).new_object(what)).await;
        Ok(RightsReport {
            user: user.id,
            account: user.account,
            visible: resolver.is_visible(object),
            object,
            explanations,
        })
    }

    /// For every user whose groups or name a changed grant touches: the rights on each changed object, before
    /// and after.
    async fn rights_diff(
        &self,
        db: &Database,
        before: &[Grant],
        after: &[Grant],
        changed: &[Grant],
    ) -> Result<Vec<RightsDiff>, CoreError> {
        let graph = self.store.group_graph().await?;
        let rows = self.store.user_memberships().await?;
        let mut direct: BTreeMap<UserId, (String, Vec<GroupId>)> = BTreeMap::new();
        for (user, account, group) in rows {
            let slot = direct.entry(user).or_insert_with(|| (account, Vec::new()));
            slot.1.extend(group);
        }
        let touched: HashSet<Subject> = changed.iter().map(|g| g.subject).collect();
        let mut objects: Vec<Object> = changed.iter().map(|g| g.object).collect();
        objects.sort();
        objects.dedup();
        // One read of the database; each user's resolvers differ only in the memberships and grants fed to them.
        let Some(first) = direct.keys().next().copied() else { return Ok(Vec::new()) };
        let loaded = self.load_for_user(db.clone(), first).await?;
        let now = loaded.now;
        let mut out = Vec::new();
        for (user, (account, groups)) in direct {
            let memberships = Memberships::from_graph(&graph, user, &groups);
            if memberships.effective_subjects(user).is_disjoint(&touched) {
                continue;
            }
            let old = Resolver::new(&loaded.index.tree, before, &loaded.policy, &memberships, user, now);
            let new = Resolver::new(&loaded.index.tree, after, &loaded.policy, &memberships, user, now);
            for object in &objects {
                let (was, is) = (old.rights(*object), new.rights(*object));
                if was != is {
                    out.push(RightsDiff {
                        user,
                        account: account.clone(),
                        object: *object,
                        object_name: object_name(&loaded, *object),
                        gained: is.difference(was),
                        lost: was.difference(is),
                    });
                }
            }
        }
        Ok(out)
    }

    async fn subject_name(&self, subject: Subject) -> Result<String, CoreError> {
        Ok(match subject {
            Subject::User(u) => self.account_name(u).await?,
            Subject::Group(g) => self.store.group(g).await?.map_or_else(|| format!("(deleted group {g})"), |g| g.name),
        })
    }
}

/// What "View effective rights" is asked about.
#[derive(Debug, Clone, Copy)]
pub enum ObjectKey {
    Database,
    Folder(FolderId),
    Entry(EntryId),
}

impl ObjectKey {
    fn in_database(self, db: &Database) -> Object {
        match self {
            ObjectKey::Database => Object::Database(db.id),
            ObjectKey::Folder(f) => Object::Folder(f),
            ObjectKey::Entry(e) => Object::Entry(e),
        }
    }
}

/// The grants after `changes`: each change replaces the stored grant for its (object, subject, permission);
/// Undefined removes it.
fn merge_grants(before: &[Grant], changes: &[Grant]) -> Vec<Grant> {
    let key = |g: &Grant| (g.object, g.subject, g.permission);
    let replaced: HashSet<_> = changes.iter().map(key).collect();
    before
        .iter()
        .filter(|g| !replaced.contains(&key(g)))
        .cloned()
        .chain(changes.iter().filter(|g| g.setting != crate::permissions::Setting::Undefined).cloned())
        .collect()
}

fn object_name(loaded: &Loaded, object: Object) -> Option<String> {
    match object {
        Object::Folder(f) => Some(loaded.folder_path(Some(f))),
        Object::Database(_) | Object::Entry(_) => None,
    }
}

/// One record per user or group and kind of change: 623 for the grants set (Allow, Deny), 622 for those removed
/// (Undefined), each listing `permission setting on object`.
pub(super) fn grant_records(
    caller: &Caller,
    db: &Database,
    grants: &[Grant],
    names: &HashMap<Subject, String>,
    object: impl Fn(Object) -> String,
) -> Vec<AuditEvent> {
    let mut by_subject: BTreeMap<(Subject, bool), Vec<String>> = BTreeMap::new();
    for g in grants {
        let removed = g.setting == crate::permissions::Setting::Undefined;
        let mut line = if removed {
            format!("{} on {}", g.permission, object(g.object))
        } else {
            format!("{} {} on {}", g.permission, g.setting, object(g.object))
        };
        // A grant for a period says so: the record is what tells later why the right ended by itself.
        if let Some(from) = g.valid_from.filter(|_| !removed) {
            line.push_str(&format!(" from {}", from.to_rfc3339()));
        }
        if let Some(to) = g.valid_to.filter(|_| !removed) {
            line.push_str(&format!(" until {}", to.to_rfc3339()));
        }
        by_subject.entry((g.subject, removed)).or_default().push(line);
    }
    by_subject
        .into_iter()
        .map(|((subject, removed), lines)| {
            let name = names.get(&subject).cloned().unwrap_or_else(|| subject.to_string());
            in_database(if removed { 622 } else { 623 }, caller, db)
                .object(subject_id(subject), name)
                .new_object(lines.join("; "))
        })
        .collect()
}

/// A grant's object in a record: the database, a folder's path, or an entry's id (titles are entry data, which
/// permissions administrators need not see).
fn grant_object(paths: &HashMap<FolderId, String>, object: Object) -> String {
    match object {
        Object::Database(_) => "the database".to_owned(),
        Object::Folder(f) => format!("folder {}", paths.get(&f).map_or("?", String::as_str)),
        Object::Entry(e) => format!("entry {e}"),
    }
}

/// A user's or group's id as records name it.
fn subject_id(subject: Subject) -> String {
    match subject {
        Subject::User(u) => u.to_string(),
        Subject::Group(g) => g.to_string(),
    }
}

fn object_kind(object: Object) -> &'static str {
    match object {
        Object::Database(_) => "database",
        Object::Folder(_) => "folder",
        Object::Entry(_) => "entry",
    }
}
