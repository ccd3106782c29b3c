//! The live event stream's raw material: what changed, where and by whom, as the services publish it on a
//! [`LiveBus`]. An event names ids only — never a title, a field or a secret — because it travels to every listener
//! (and, on several nodes, between nodes) before anyone has decided who may learn of it. Deciding that is
//! [`VaultService::filter_live`](crate::vault::VaultService::filter_live): each listener gets an event only if the
//! one resolution function lets it see what the event is about.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::clock::Timestamp;
use crate::ids::{DatabaseId, EntryId, FolderId, SessionId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LiveChange {
    EntryCreated,
    EntryChanged,
    EntryMoved,
    EntryDeleted,
    EntryLocked,
    EntryUnlocked,
    FolderCreated,
    FolderChanged,
    FolderDeleted,
    /// Grants of a database changed (or the server policy, for every database: `database` is `None`).
    PermissionsChanged,
    /// An administrator disconnected a session.
    SessionDisconnected,
}

impl LiveChange {
    pub const ALL: [LiveChange; 11] = [
        Self::EntryCreated,
        Self::EntryChanged,
        Self::EntryMoved,
        Self::EntryDeleted,
        Self::EntryLocked,
        Self::EntryUnlocked,
        Self::FolderCreated,
        Self::FolderChanged,
        Self::FolderDeleted,
        Self::PermissionsChanged,
        Self::SessionDisconnected,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EntryCreated => "entry_created",
            Self::EntryChanged => "entry_changed",
            Self::EntryMoved => "entry_moved",
            Self::EntryDeleted => "entry_deleted",
            Self::EntryLocked => "entry_locked",
            Self::EntryUnlocked => "entry_unlocked",
            Self::FolderCreated => "folder_created",
            Self::FolderChanged => "folder_changed",
            Self::FolderDeleted => "folder_deleted",
            Self::PermissionsChanged => "permissions_changed",
            Self::SessionDisconnected => "session_disconnected",
        }
    }

    /// Whether the change can alter who sees what: listeners work their view of the database out again.
    pub fn moves_visibility(self) -> bool {
        matches!(
            self,
            Self::EntryCreated
                | Self::EntryMoved
                | Self::EntryDeleted
                | Self::FolderCreated
                | Self::FolderChanged
                | Self::FolderDeleted
                | Self::PermissionsChanged
        )
    }
}

/// One change, as published. Ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub change: LiveChange,
    pub database: Option<DatabaseId>,
    pub entry: Option<EntryId>,
    pub folder: Option<FolderId>,
    /// The entry's version after the change.
    pub version: Option<u32>,
    /// The session the event is about (disconnected), or the lock's session.
    pub session: Option<SessionId>,
    /// The account that made the change.
    pub actor: Option<String>,
    pub at: Timestamp,
}

impl LiveEvent {
    pub fn new(change: LiveChange, at: Timestamp) -> Self {
        Self { change, database: None, entry: None, folder: None, version: None, session: None, actor: None, at }
    }
}

impl LiveEvent {
    /// The event as one line of text, for a bus between nodes: fields separated by tabs, an absent one empty, the
    /// actor last (an account name holds no tab or line break).
    pub fn encode(&self) -> String {
        fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
            v.map(|v| v.to_string()).unwrap_or_default()
        }
        format!(
            "1\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.change.as_str(),
            opt(self.database),
            opt(self.entry),
            opt(self.folder),
            opt(self.version),
            opt(self.session),
            self.at.as_millis(),
            self.actor.as_deref().unwrap_or_default()
        )
    }

    /// Reads what [`LiveEvent::encode`] wrote; `None` for anything else (another version, a damaged line).
    pub fn decode(text: &str) -> Option<Self> {
        fn opt<T: std::str::FromStr>(field: &str) -> Option<Option<T>> {
            if field.is_empty() { Some(None) } else { field.parse().ok().map(Some) }
        }
        let mut fields = text.splitn(9, '\t');
        if fields.next()? != "1" {
            return None;
        }
        let change = fields.next()?;
        let change = LiveChange::ALL.into_iter().find(|c| c.as_str() == change)?;
        let database = opt(fields.next()?)?;
        let entry = opt(fields.next()?)?;
        let folder = opt(fields.next()?)?;
        let version = opt(fields.next()?)?;
        let session = opt(fields.next()?)?;
        let at = Timestamp::from_millis(fields.next()?.parse().ok()?);
        let actor = fields.next().filter(|a| !a.is_empty()).map(str::to_owned);
        Some(Self { change, database, entry, folder, version, session, actor, at })
    }
}

/// Where events are published and heard: every node's listeners hear every node's events.
pub trait LiveBus: Send + Sync + std::fmt::Debug + 'static {
    fn publish(&self, event: LiveEvent);
    /// A receiver of everything published from now on. A receiver that falls more than the bus's capacity behind
    /// is told it lagged (and should have its client read the state again).
    fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>>;
}

/// The bus of one node: an in-memory broadcast.
#[derive(Debug)]
pub struct LocalBus {
    sender: broadcast::Sender<Arc<LiveEvent>>,
}

/// Events a listener may fall behind by before it is told it lagged.
pub const LIVE_CAPACITY: usize = 4096;

impl LocalBus {
    pub fn new() -> Self {
        Self { sender: broadcast::Sender::new(LIVE_CAPACITY) }
    }

    /// Hands an event heard from another node to this node's listeners.
    pub fn deliver(&self, event: Arc<LiveEvent>) {
        // No receiver is not an error: nobody is listening.
        let _ = self.sender.send(event);
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveBus for LocalBus {
    fn publish(&self, event: LiveEvent) {
        self.deliver(Arc::new(event));
    }
    fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_text_form() {
        for change in LiveChange::ALL {
            let mut full = LiveEvent::new(change, Timestamp::from_millis(1_764_000_000_123));
            full.database = Some(DatabaseId::random());
            full.entry = Some(EntryId::random());
            full.folder = Some(FolderId::random());
            full.version = Some(7);
            full.session = Some(SessionId::random());
            full.actor = Some("ännä o'brien".to_owned());
            assert_eq!(LiveEvent::decode(&full.encode()), Some(full.clone()));
            let bare = LiveEvent::new(change, Timestamp::from_millis(0));
            assert_eq!(LiveEvent::decode(&bare.encode()), Some(bare));
        }
        for bad in
            ["", "2\tentry_created\t\t\t\t\t\t0\t", "1\tnonsense\t\t\t\t\t\t0\t", "1\tentry_created\tx\t\t\t\t\t0\t"]
        {
            assert_eq!(LiveEvent::decode(bad), None, "{bad:?}");
        }
    }
}
