//! Notifications (seed manual, Notifications): e-mails sent when a chosen event happens, to chosen recipients,
//! when triggered by chosen users or groups, about chosen databases or entries.

use super::record::AuditRecord;
use crate::error::CoreError;
use crate::events;
use crate::ids::{DatabaseId, EntryId, GroupId, UserId};

/// Who triggers a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// All users and groups.
    Everyone,
    /// Selected users and members of selected groups.
    Selected { users: Vec<UserId>, groups: Vec<GroupId> },
}

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllDatabases,
    Databases(Vec<DatabaseId>),
    Entries(Vec<EntryId>),
}

/// A notification's settings (seed manual, Notification properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationDraft {
    /// The event number.
    pub event: u16,
    /// Included in the e-mail.
    pub notes: String,
    pub recipients: Vec<String>,
    /// "Send email notification to recipients": off keeps the notification but sends nothing.
    pub send_email: bool,
    pub trigger: Trigger,
    pub scope: Scope,
}

/// A stored notification: its number (in the order they were added) and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: u64,
    pub draft: NotificationDraft,
}

const MAX_RECIPIENTS: usize = 50;
const MAX_NOTES: usize = 2000;

impl NotificationDraft {
    /// Checks the draft: a known event, at least one well-formed and distinct recipient, notes of a sane length.
    pub fn validate(&self) -> Result<(), CoreError> {
        if events::event(self.event).is_none() {
            return Err(CoreError::Validation(format!("{} is not an event number (see the event table)", self.event)));
        }
        if self.recipients.is_empty() {
            return Err(CoreError::Validation("a notification needs at least one recipient".into()));
        }
        if self.recipients.len() > MAX_RECIPIENTS {
            return Err(CoreError::Validation(format!("a notification has at most {MAX_RECIPIENTS} recipients")));
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if !is_mail_address(r) {
                return Err(CoreError::Validation(format!("recipient {} is not an e-mail address", i + 1)));
            }
            if self.recipients[..i].iter().any(|o| o.eq_ignore_ascii_case(r)) {
                return Err(CoreError::Validation(format!("{r} is a recipient twice")));
            }
        }
        if self.notes.chars().count() > MAX_NOTES {
            return Err(CoreError::Validation(format!("notes are at most {MAX_NOTES} characters")));
        }
        if self.notes.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(CoreError::Validation("notes contain control characters".into()));
        }
        match &self.scope {
            Scope::Databases(d) if d.is_empty() => {
                Err(CoreError::Validation("selected databases: name at least one database".into()))
            }
            Scope::Entries(e) if e.is_empty() => {
                Err(CoreError::Validation("selected entries: name at least one entry".into()))
            }
            _ => match &self.trigger {
                Trigger::Selected { users, groups } if users.is_empty() && groups.is_empty() => {
                    Err(CoreError::Validation("selected users and groups: name at least one user or group".into()))
                }
                _ => Ok(()),
            },
        }
    }
}

impl Notification {
    /// How the log names a notification: `notification 3 (event 306)`.
    pub fn label(&self) -> String {
        format!("notification {} (event {})", self.id, self.draft.event)
    }

    /// Whether `record` triggers this notification; `actor_groups` are the effective groups of the record's user.
    pub fn matches(&self, record: &AuditRecord, actor_groups: &[GroupId]) -> bool {
        let d = &self.draft;
        if !d.send_email || record.event.event != d.event {
            return false;
        }
        let by_trigger = match &d.trigger {
            Trigger::Everyone => true,
            Trigger::Selected { users, groups } => {
                record.event.user.as_ref().is_some_and(|u| users.iter().any(|id| id.to_string() == u.id))
                    || groups.iter().any(|g| actor_groups.contains(g))
            }
        };
        let in_scope = match &d.scope {
            Scope::AllDatabases => true,
            Scope::Databases(ids) => {
                record.event.database.as_ref().is_some_and(|db| ids.iter().any(|id| id.to_string() == db.id))
            }
            Scope::Entries(ids) => {
                record.event.object.as_ref().is_some_and(|o| ids.iter().any(|id| id.to_string() == o.id))
            }
        };
        by_trigger && in_scope
    }

    /// Whether matching needs the groups of the record's user.
    pub fn needs_groups(&self) -> bool {
        matches!(&self.draft.trigger, Trigger::Selected { groups, .. } if !groups.is_empty())
    }
}

/// A plain check of `local@domain`: one `@`, both sides non-empty, no spaces or control characters, a dot in the
/// domain. The mail server has the last word.
pub fn is_mail_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars().all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control()))
        && !s.contains(['<', '>', ',', ';', '"'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{AuditEvent, GENESIS};
    use crate::clock::Timestamp;

    fn draft() -> NotificationDraft {
        NotificationDraft {
            event: 306,
            notes: "Someone deleted an entry".into(),
            recipients: vec!["security@example.com".into()],
            send_email: true,
            trigger: Trigger::Everyone,
            scope: Scope::AllDatabases,
        }
    }

    #[test]
    fn drafts_are_checked() {
        assert!(draft().validate().is_ok());
        let bad = |f: &dyn Fn(&mut NotificationDraft)| {
            let mut d = draft();
            f(&mut d);
            d.validate().is_err()
        };
        assert!(bad(&|d| d.event = 999));
        assert!(bad(&|d| d.recipients.clear()));
        assert!(bad(&|d| d.recipients = vec!["not-an-address".into()]));
        assert!(bad(&|d| d.recipients = vec!["a@example.com".into(), "A@example.com".into()]));
        assert!(bad(&|d| d.recipients = vec!["a@example.com>\r\nBcc: x@y.z".into()]));
        assert!(bad(&|d| d.scope = Scope::Databases(vec![])));
        assert!(bad(&|d| d.trigger = Trigger::Selected { users: vec![], groups: vec![] }));
    }

    #[test]
    fn a_record_matches_by_event_trigger_and_scope() {
        let user = UserId::random();
        let group = GroupId::random();
        let db = DatabaseId::random();
        let event = AuditEvent::new(306)
            .user(crate::audit::Named::new(user, "alice"))
            .database(db, "Team")
            .object("e", "Web/Mail");
        let record = AuditRecord::chained(1, Timestamp::from_millis(0), event, GENESIS);
        let n = |d: NotificationDraft| Notification { id: 1, draft: d };

        assert!(n(draft()).matches(&record, &[]));
        assert!(!n(NotificationDraft { event: 304, ..draft() }).matches(&record, &[]));
        assert!(!n(NotificationDraft { send_email: false, ..draft() }).matches(&record, &[]));
        let by_group =
            n(NotificationDraft { trigger: Trigger::Selected { users: vec![], groups: vec![group] }, ..draft() });
        assert!(by_group.matches(&record, &[group]));
        assert!(!by_group.matches(&record, &[]));
        let by_user =
            n(NotificationDraft { trigger: Trigger::Selected { users: vec![user], groups: vec![] }, ..draft() });
        assert!(by_user.matches(&record, &[]));
        assert!(n(NotificationDraft { scope: Scope::Databases(vec![db]), ..draft() }).matches(&record, &[]));
        assert!(
            !n(NotificationDraft { scope: Scope::Databases(vec![DatabaseId::random()]), ..draft() })
                .matches(&record, &[])
        );
        assert!(
            !n(NotificationDraft { scope: Scope::Entries(vec![EntryId::random()]), ..draft() }).matches(&record, &[])
        );
    }
}
