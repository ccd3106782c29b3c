//! The live event stream as one listener may see it: every published [`LiveEvent`] passes through
//! [`VaultService::filter_live`], which decides with the one resolution function whether this listener may learn of
//! it, and what it becomes for them. Nobody learns of an entry or folder they may not see, including at the moment a
//! permission is taken away: the listener is then told the entry left its view, and hears nothing more of it.
//!
//! Each listener keeps, per database, the entries and folders it could see when it last looked ([`View`]). Events
//! that cannot change visibility (an entry changed, locked, unlocked) are judged against it; events that can
//! (creations, moves, deletions, folder and permission changes) make the listener look again, and what it could see
//! before decides for deletions and for entries that moved out of sight. A view also expires at the next moment a
//! grant of that database starts or ends (grants with a validity window end by themselves), and every view is
//! dropped when the listener's caller is renewed (group memberships, roles).

use std::collections::{HashMap, HashSet};

use super::{Focus, VaultService};
use crate::caller::Caller;
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::{DatabaseId, EntryId, FolderId};
use crate::live::{LiveChange, LiveEvent};

/// One listener of the live stream: who listens, and what it could see when it last looked.
#[derive(Debug)]
pub struct LiveListener {
    caller: Caller,
    views: HashMap<DatabaseId, View>,
}

impl LiveListener {
    /// The caller the listener was last renewed with.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Renews the caller (its session read again). When its groups or roles changed, what it could see is worked
    /// out again.
    pub fn renew(&mut self, caller: Caller) {
        let groups = |c: &Caller| c.groups.iter().map(|g| g.id).collect::<Vec<_>>();
        let same = self.caller.user.roles == caller.user.roles && groups(&self.caller) == groups(&caller);
        self.caller = caller;
        if !same {
            self.views.clear();
        }
    }

    /// Forgets what it could see (it missed events): every view is worked out again when next needed.
    pub fn forget_views(&mut self) {
        self.views.clear();
    }
}

/// What one listener could see in one database.
#[derive(Debug, Clone, Default)]
struct View {
    /// Whether the listener can open the database at all.
    open: bool,
    name: String,
    entries: HashSet<EntryId>,
    folders: HashSet<FolderId>,
    /// The next moment a grant of the database starts or ends: the view is stale from then on.
    valid_until: Option<Timestamp>,
}

impl View {
    fn is_stale(&self, now: Timestamp) -> bool {
        self.valid_until.is_some_and(|t| now >= t)
    }
}

/// What a listener is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A change as published.
    Change(LiveChange),
    /// An entry came into the listener's view without being created (moved, or permissions changed).
    EntryShown,
    /// An entry left the listener's view without being deleted.
    EntryHidden,
    /// The listener's own session was disconnected by an administrator.
    SessionEnded,
}

impl NoticeKind {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Change(change) => change.as_str(),
            Self::EntryShown => "entry_shown",
            Self::EntryHidden => "entry_hidden",
            Self::SessionEnded => "session_ended",
        }
    }
}

/// What a listener is told: a change it may know of, or what a change means for its view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNotice {
    pub kind: NoticeKind,
    pub database: Option<(DatabaseId, String)>,
    pub entry: Option<EntryId>,
    pub folder: Option<FolderId>,
    pub version: Option<u32>,
    pub actor: Option<String>,
    pub at: Timestamp,
}

impl VaultService {
    /// A listener for `caller`, with what it can see now in every database it can open: deletions are decided by
    /// what the listener could see before them.
    pub async fn live_listener(&self, caller: Caller) -> Result<LiveListener, CoreError> {
        let mut listener = LiveListener { caller, views: HashMap::new() };
        // The super administrator opens no database: it hears only of its own session.
        if listener.caller.as_client().is_err() {
            return Ok(listener);
        }
        for (database, _) in self.my_databases(&listener.caller).await? {
            let view = self.live_view(&listener.caller, database.id, None).await?;
            listener.views.insert(database.id, view);
        }
        Ok(listener)
    }

    /// What `event` becomes for `listener`: nothing, one notice, or (for a permission change) one per entry that came
    /// into or left its view and one for the change itself.
    pub async fn filter_live(
        &self,
        listener: &mut LiveListener,
        event: &LiveEvent,
    ) -> Result<Vec<LiveNotice>, CoreError> {
        let notice = |kind: NoticeKind, database: Option<(DatabaseId, String)>| LiveNotice {
            kind,
            database,
            entry: event.entry,
            folder: event.folder,
            version: event.version,
            actor: event.actor.clone(),
            at: event.at,
        };
        if event.change == LiveChange::SessionDisconnected {
            let mine = event.session == Some(listener.caller.session_id());
            return Ok(if mine { vec![notice(NoticeKind::SessionEnded, None)] } else { Vec::new() });
        }
        let Some(db) = event.database else {
            // The server policy changed: every view is worked out again when next needed.
            listener.views.clear();
            return Ok(Vec::new());
        };
        let now = self.clock.now();
        let before = listener.views.get(&db).cloned();
        let look_again = event.change.moves_visibility() || before.as_ref().is_none_or(|v| v.is_stale(now));
        let after = if look_again {
            self.live_view(&listener.caller, db, before.as_ref()).await?
        } else {
            before.clone().unwrap_or_default()
        };
        let before = before.unwrap_or_default();
        let named = |view: &View| Some((db, view.name.clone()));
        let mut out = Vec::new();
        match (event.change, event.entry, event.folder) {
            (LiveChange::EntryDeleted, Some(e), _) if before.entries.contains(&e) => {
                out.push(notice(NoticeKind::Change(event.change), named(&before)));
            }
            (LiveChange::EntryCreated | LiveChange::EntryMoved, Some(e), _) => {
                match (before.entries.contains(&e), after.entries.contains(&e)) {
                    (true, true) => out.push(notice(NoticeKind::Change(event.change), named(&after))),
                    (false, true) if event.change == LiveChange::EntryCreated => {
                        out.push(notice(NoticeKind::Change(event.change), named(&after)));
                    }
                    (false, true) => out.push(notice(NoticeKind::EntryShown, named(&after))),
                    (true, false) => out.push(notice(NoticeKind::EntryHidden, named(&before))),
                    (false, false) => {}
                }
            }
            (LiveChange::EntryChanged | LiveChange::EntryLocked | LiveChange::EntryUnlocked, Some(e), _)
                if after.entries.contains(&e) =>
            {
                out.push(notice(NoticeKind::Change(event.change), named(&after)));
            }
            (LiveChange::FolderDeleted, _, Some(f)) if before.folders.contains(&f) => {
                out.push(notice(NoticeKind::Change(event.change), named(&before)));
            }
            (LiveChange::FolderCreated | LiveChange::FolderChanged, _, Some(f)) if after.folders.contains(&f) => {
                out.push(notice(NoticeKind::Change(event.change), named(&after)));
            }
            _ => {}
        }
        let mut after = after;
        if let (LiveChange::EntryDeleted, Some(e)) = (event.change, event.entry) {
            after.entries.remove(&e);
        }
        if look_again {
            // Whatever the event, entries that came into or left the view are said so (a folder moved under a
            // folder the listener cannot read, grants changed, a window closed).
            let entry = event.entry;
            let gone = before.entries.difference(&after.entries).filter(|e| Some(**e) != entry);
            let came = after.entries.difference(&before.entries).filter(|e| Some(**e) != entry);
            let mut moved: Vec<LiveNotice> = gone
                .map(|e| LiveNotice {
                    entry: Some(*e),
                    folder: None,
                    version: None,
                    ..notice(NoticeKind::EntryHidden, named(&before))
                })
                .chain(came.map(|e| LiveNotice {
                    entry: Some(*e),
                    folder: None,
                    version: None,
                    ..notice(NoticeKind::EntryShown, named(&after))
                }))
                .collect();
            moved.sort_by_key(|n| (n.kind.as_str(), n.entry.map(|e| e.to_string())));
            let changed_view = !moved.is_empty() || before.folders != after.folders || before.open != after.open;
            if event.change == LiveChange::PermissionsChanged && changed_view {
                let database = if after.name.is_empty() { named(&before) } else { named(&after) };
                out.push(LiveNotice {
                    entry: None,
                    folder: None,
                    ..notice(NoticeKind::Change(event.change), database)
                });
            }
            out.extend(moved);
            listener.views.insert(db, after);
        }
        Ok(out)
    }

    /// What `caller` can see in a database now; nothing when it cannot open it.
    ///
    /// A listener works its view out when it gets to an event, which may be after later changes were made. An entry
    /// of `before` that no longer exists at all was deleted meanwhile: it stays in the view until its own deletion
    /// event is judged against it, so that it is announced as deleted, not as having left the listener's sight.
    async fn live_view(&self, caller: &Caller, db: DatabaseId, before: Option<&View>) -> Result<View, CoreError> {
        let loaded = match self.load(caller, &db.to_string(), Focus::Whole).await {
            Ok(loaded) => loaded,
            Err(CoreError::NotFound { .. } | CoreError::SuperAdminNotAClient) => return Ok(View::default()),
            Err(other) => return Err(other),
        };
        let now = loaded.now;
        let valid_until =
            loaded.snapshot.grants.iter().flat_map(|g| [g.valid_from, g.valid_to]).flatten().filter(|t| *t > now).min();
        let resolver = loaded.resolver();
        let tree = resolver.visible_tree();
        let mut entries: HashSet<EntryId> = resolver.visible_entries().into_iter().collect();
        if let Some(before) = before {
            entries.extend(before.entries.iter().filter(|e| loaded.entry(**e).is_none()));
        }
        Ok(View {
            open: true,
            name: loaded.snapshot.database.name.clone(),
            entries,
            folders: tree.folders.iter().filter(|f| f.visible).map(|f| f.folder.id).collect(),
            valid_until,
        })
    }

    /// Publishes a change in `database` on the live bus; `actor` made it.
    pub(super) fn publish(&self, actor: Option<&str>, change: LiveChange, database: Option<DatabaseId>, about: About) {
        let mut event = LiveEvent::new(change, self.clock.now());
        event.actor = actor.map(str::to_owned);
        event.database = database;
        match about {
            About::Database => {}
            About::Entry { entry, folder, version } => {
                event.entry = Some(entry);
                event.folder = folder;
                event.version = version;
            }
            About::Folder(folder) => event.folder = Some(folder),
        }
        self.auth.live().publish(event);
    }
}

/// What a published change is about, besides its database.
#[derive(Debug, Clone, Copy)]
pub(super) enum About {
    Database,
    /// An entry, in its folder (after the change), at its version (after the change).
    Entry {
        entry: EntryId,
        folder: Option<FolderId>,
        version: Option<u32>,
    },
    Folder(FolderId),
}
