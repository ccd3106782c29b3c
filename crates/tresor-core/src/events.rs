//! The events of the server log and their numbers (seed manual, Event IDs), with the severity each is logged at.
//!
//! The manual's table is followed number for number. Events Tresor has that the table lacks take numbers the table
//! leaves free in the same range (106–109 for sign-in, 310 for entries, 644–646 for server management), listed last
//! in each range and marked `tresor_only`. Numbers never change meaning once released.
//!
//! # How the manual's events map onto Tresor
//!
//! Each service records its events where they happen (`signin/audit.rs`, `accounts/audit.rs`,
//! `vault/service/audit.rs` and the services themselves): after the change is made, or — for 305 — before what it
//! guards is handed out. Where the manual's wording needs reading for Tresor:
//!
//! - **101/102 and 601/602.** Tresor has no separate Server Manager: administrators use the same clients. A log
//!   on or out of an account that manages the server — one holding a server role, or the super administrator —
//!   is 601/602; everyone else's is 101/102. (The same accounts keep working while the server is paused.) The new
//!   object names the client kind (`cli client`, `web client`, `api client`).
//! - **104** is recorded for a user's own change ("changed by the user") and for an administrator setting a
//!   password ("set by an administrator", the account as the object).
//! - **105 "Connecting to the server" is not recorded.** A Tresor client has no connection apart from its log on:
//!   each request carries its session, and a TLS connection as such names no user. Recording connections would
//!   add a record without a user for every HTTP connection, or a second record for every log on (101).
//! - **106** names the account as it was typed (no id when there is no such account; something that cannot be an
//!   account name is not written down) with the reason: `wrong password`, `unknown account`, `deactivated`,
//!   `address not allowed`, `client not allowed`, `paused`, `logged on elsewhere`, `sign-in settings damaged`,
//!   or `wrong current password at a password change`. Attempts refused by the per-address rate limit are not
//!   recorded one by one: the limit is what keeps a guessing flood cheap, and a record each would undo it.
//! - **201 "A database was sent to a user" is not recorded**: Tresor never sends a database whole. Opening one
//!   (its folder tree) or first listing its entries within a session is **203**, once per session — the moment
//!   the session joins the database's connections in Database Properties.
//! - **202 "closed", 205 "printed" and 206 "updated" are not recorded**: a database is not closed (its connection
//!   ends with the session, 102 or 613), there is no printing, and users change entries and folders (3xx, 4xx),
//!   not a database as a whole; administrators' changes of its properties are 605.
//! - **204 "exported"** waits for an export, which Tresor does not have yet.
//! - **305 "An entry was accessed"** only in databases that monitor accesses (Database Properties → Advanced): the
//!   current version, an old version, the TOTP code, a document. It is written with `AuditLog::record` before the
//!   answer, and when it cannot be written the answer is `audit_unavailable` instead of the secret.
//! - **501/502.** The manual's "received by a user" reads as the translation of "received from a user"
//!   (German *von*), since 502 already is "sent to a user": 501 is an upload (the server received the document's
//!   content), 502 a download. 503 is a document deleted.
//! - **604** is the server policy (permissions and entry types); **617** the sign-in, vault and log settings.
//! - **618 "The database was read by the admin"**: the folder tree, permissions, properties or effective rights of
//!   a database read by its administrators.
//! - **622/623**: grants removed and set, one record per user or group listing `permission setting on object`.
//! - **621** is recorded at every start ("first start" the first time), with no user.
//! - Entries are named by their path (`Folder/Sub/Title`), folders by theirs, documents by the entry's path and
//!   the file name. No record holds a password, a field value, a code or a token.
//! - **308/309 and 310 (seals).** 308 is the recipient's request for approval, with its reason; 309 the recipient's
//!   first opening of an approved entry, written before the secrets go out (it fails closed like 305). 310,
//!   Tresor's own, is a seal set with a share, and every change of an authorised person (state, reason, time
//!   box, authorised persons added), with the reason given.

/// RFC 5424 severities the log uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Notice,
    Informational,
}

impl Severity {
    /// The RFC 5424 severity number (error 3 … informational 6).
    pub fn code(self) -> u8 {
        match self {
            Severity::Error => 3,
            Severity::Warning => 4,
            Severity::Notice => 5,
            Severity::Informational => 6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
            Severity::Informational => "info",
        }
    }
}

/// One kind of event: its number, what the manual calls it, and how it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKind {
    pub id: u16,
    pub description: &'static str,
    pub severity: Severity,
    /// Not in the manual's table: a number Tresor gave from a free slot of the range.
    pub tresor_only: bool,
}

pub use table::EVENTS;

const fn manual(id: u16, severity: Severity, description: &'static str) -> EventKind {
    EventKind { id, description, severity, tresor_only: false }
}

const fn tresor(id: u16, severity: Severity, description: &'static str) -> EventKind {
    EventKind { id, description, severity, tresor_only: true }
}

mod table {
    use super::Severity::{Error, Informational as Info, Notice, Warning};
    use super::{EventKind, manual, tresor};

    /// Every event, in number order.
    pub const EVENTS: &[EventKind] = &[
        // 1xx: the client.
        manual(101, Info, "Log on with a client application"),
        manual(102, Info, "Log out of a client application"),
        manual(103, Info, "A list of available databases was sent"),
        manual(104, Notice, "A user password was changed"),
        manual(105, Info, "Connecting to the server"),
        tresor(106, Warning, "A log on failed"),
        tresor(107, Warning, "A second factor was refused"),
        tresor(108, Warning, "An account was deactivated after failed log ons"),
        tresor(109, Error, "A sign-in code could not be sent"),
        // 2xx: databases.
        manual(201, Info, "A database was sent to a user"),
        manual(202, Info, "A database was closed by a user"),
        manual(203, Info, "A database was opened by a user"),
        manual(204, Notice, "A database was exported"),
        manual(205, Notice, "A database was printed"),
        manual(206, Info, "A database was updated"),
        // 3xx: entries.
        manual(301, Info, "An entry was locked"),
        manual(302, Info, "An entry was unlocked"),
        manual(303, Info, "An entry was updated"),
        manual(304, Info, "A new entry was created"),
        manual(305, Info, "An entry was accessed"),
        manual(306, Notice, "An entry was deleted"),
        manual(307, Info, "An entry was moved"),
        manual(308, Notice, "Approval was requested for a sealed entry"),
        manual(309, Notice, "The seal on an entry was broken"),
        tresor(310, Notice, "A seal on an entry was set or changed"),
        // 4xx: folders.
        manual(403, Info, "A folder was updated"),
        manual(404, Info, "A folder was created"),
        manual(405, Notice, "A folder was deleted"),
        // 5xx: documents (attachments).
        manual(501, Info, "The content of a document was received by a user"),
        manual(502, Info, "The content of a document was sent to a user"),
        manual(503, Notice, "A document was deleted"),
        // 6xx: server management.
        manual(601, Info, "Log on from the Server Manager"),
        manual(602, Info, "Log out of the Server Manager"),
        manual(603, Notice, "A new database was installed on the server"),
        manual(604, Notice, "The default server policies were modified"),
        manual(605, Notice, "The database properties were modified"),
        manual(606, Notice, "A group was created or modified"),
        manual(607, Notice, "A notification was created or modified"),
        manual(608, Notice, "A user was created or modified"),
        manual(609, Notice, "A database was deleted from the server"),
        manual(610, Notice, "A user was deleted from the server"),
        manual(611, Notice, "A group was deleted from the server"),
        manual(612, Notice, "A notification was deleted"),
        manual(613, Notice, "A user disconnected from the server"),
        manual(614, Warning, "The server was paused"),
        manual(615, Notice, "The server was continued"),
        manual(616, Notice, "A license key was installed"),
        manual(617, Notice, "The server options were modified"),
        manual(618, Info, "The database was read by the admin"),
        manual(619, Info, "The Active Directory was read by the admin"),
        manual(620, Notice, "The two-factor authentication of a user was reset"),
        manual(621, Notice, "The server was restarted"),
        manual(622, Notice, "A permission was deleted"),
        manual(623, Notice, "A user or group was added to a database"),
        manual(624, Notice, "The password of a database was changed"),
        manual(625, Info, "A list of users was sent to the admin"),
        manual(626, Info, "A list of groups was sent to the admin"),
        manual(627, Info, "Information on the server was sent to the admin"),
        manual(628, Info, "The server log was sent to the admin"),
        manual(629, Info, "A list of databases was sent to the admin"),
        manual(630, Info, "A list of notifications was sent to the admin"),
        manual(631, Info, "The server policies were sent to the admin"),
        manual(635, Info, "Information on the mirror was sent to the admin"),
        manual(636, Notice, "A mirror was set"),
        manual(640, Notice, "A tenant was updated"),
        manual(641, Notice, "A tenant was added"),
        manual(642, Notice, "A tenant was deleted"),
        manual(643, Notice, "A certificate was generated"),
        tresor(644, Warning, "An entry lock was broken by an administrator"),
        tresor(645, Notice, "The mail settings were modified"),
        tresor(646, Error, "A notification could not be sent"),
        // 7xx: directory synchronisation.
        manual(701, Info, "The Active Directory synchronization was started"),
        manual(702, Info, "The Active Directory synchronization was stopped"),
        manual(703, Error, "An error occurred while synchronizing with Active Directory"),
        manual(704, Notice, "An object was disabled by synchronizing with Active Directory"),
        manual(705, Notice, "An object was deleted by synchronizing with Active Directory"),
        manual(706, Notice, "An object was added by synchronizing with Active Directory"),
        manual(707, Error, "An error occurred while adding a user by synchronizing with Active Directory"),
        manual(708, Notice, "An object was updated by synchronizing with Active Directory"),
        // 8xx: backups.
        manual(801, Info, "The backup status was sent to the admin"),
        manual(802, Warning, "A database was updated from a backup"),
        manual(803, Notice, "A database backup was sent to the admin"),
    ];
}

/// The event with this number.
pub fn event(id: u16) -> Option<&'static EventKind> {
    EVENTS.binary_search_by_key(&id, |e| e.id).ok().map(|i| &EVENTS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_sorted_unique_and_found() {
        assert!(EVENTS.windows(2).all(|w| w[0].id < w[1].id), "in number order, each once");
        for e in EVENTS {
            assert_eq!(event(e.id), Some(e));
            assert!(!e.description.is_empty() && !e.description.ends_with('.'));
        }
        assert_eq!(event(100), None);
        assert_eq!(event(632), None);
    }

    #[test]
    fn every_number_of_the_manuals_table_is_there() {
        let manual: Vec<u16> = [
            (101..=105).collect::<Vec<u16>>(),
            (201..=206).collect(),
            (301..=309).collect(),
            (403..=405).collect(),
            (501..=503).collect(),
            (601..=631).chain([635, 636, 640, 641, 642, 643]).collect(),
            (701..=708).collect(),
            (801..=803).collect(),
        ]
        .concat();
        let ours: Vec<u16> = EVENTS.iter().filter(|e| !e.tresor_only).map(|e| e.id).collect();
        assert_eq!(ours, manual);
    }

    #[test]
    fn tresor_numbers_stay_in_their_ranges_and_off_the_manuals() {
        let own: Vec<u16> = EVENTS.iter().filter(|e| e.tresor_only).map(|e| e.id).collect();
        assert_eq!(own, [106, 107, 108, 109, 310, 644, 645, 646]);
        assert_eq!(event(620).map(|e| e.description), Some("The two-factor authentication of a user was reset"));
        assert_eq!((Severity::Error.code(), Severity::Informational.code()), (3, 6));
    }
}
