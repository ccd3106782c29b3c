//! The log's records as RFC 5424 syslog messages, with every field in one structured-data element.
//!
//! ```text
//! <109>1 2026-12-01T10:00:00.123Z host tresor 4242 303 [tresor@32473 seq="7" event="303" user="alice" …] An entry was updated
//! ```
//!
//! Facility 13 (log audit); the severity is the event's. MSGID is the event number. Tresor has no private
//! enterprise number of its own, so the SD-ID uses 32473, the number RFC 5612 sets aside for documentation.
//! Parameter values escape `"`, `\` and `]` as the RFC says; the message text is the event's description, plain
//! ASCII.

use std::fmt::Write as _;

use super::record::AuditRecord;

/// The structured-data id of a record.
pub const SD_ID: &str = "tresor@32473";
/// RFC 5424 facility 13: log audit.
pub const FACILITY: u8 = 13;
pub const APP_NAME: &str = "tresor";

/// Who writes the lines: the host name and process id of the header.
#[derive(Debug, Clone)]
pub struct Origin {
    pub hostname: String,
    pub procid: u32,
}

impl Origin {
    /// This process on this machine. The host name is cut to the RFC's 255 printable characters; `-` when unknown.
    pub fn this_process(hostname: Option<String>) -> Self {
        let hostname = hostname
            .map(|h| h.chars().filter(|c| c.is_ascii_graphic()).take(255).collect::<String>())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "-".to_owned());
        Self { hostname, procid: std::process::id() }
    }
}

/// One line, without a trailing newline.
pub fn format(record: &AuditRecord, origin: &Origin) -> String {
    let e = &record.event;
    let pri = u16::from(FACILITY) * 8 + u16::from(record.severity.code());
    let mut line = String::with_capacity(384);
    let _ = write!(
        line,
        "<{pri}>1 {} {} {APP_NAME} {} {} [{SD_ID}",
        record.at.to_rfc3339(),
        origin.hostname,
        origin.procid,
        e.event
    );
    let mut param = |name: &str, value: &str| {
        let _ = write!(line, " {name}=\"");
        for c in value.chars() {
            if matches!(c, '"' | '\\' | ']') {
                line.push('\\');
            }
            line.push(c);
        }
        line.push('"');
    };
    param("seq", &record.seq.to_string());
    param("event", &e.event.to_string());
    param("severity", record.severity.as_str());
    if let Some(u) = &e.user {
        param("user", &u.name);
        param("userId", &u.id);
    }
    if let Some(a) = e.address {
        param("address", &a.to_string());
    }
    if let Some(d) = &e.database {
        param("database", &d.name);
        param("databaseId", &d.id);
    }
    if let Some(o) = &e.object {
        param("object", &o.name);
        param("objectId", &o.id);
    }
    if let Some(n) = &e.new_object {
        param("newObject", n);
    }
    if let Some(r) = &e.reason {
        param("reason", r);
    }
    param("prev", &hex::encode(record.prev_hash));
    param("hash", &hex::encode(record.hash));
    line.push_str("] ");
    // The description is from the event table: printable ASCII, so plain MSG-ANY without a BOM.
    line.extend(record.description.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{AuditEvent, GENESIS};
    use crate::clock::Timestamp;

    #[test]
    fn a_record_becomes_one_line_with_escaped_values() {
        let e = AuditEvent::new(306)
            .user(crate::audit::Named::new("u1", "alice"))
            .address(std::net::IpAddr::from([192, 0, 2, 7]))
            .database("d1", "Team")
            .object("e1", "Web/\"Mail\" [old]")
            .reason("no longer used\\gone");
        let r = AuditRecord::chained(7, Timestamp::from_millis(1_764_583_200_123), e, GENESIS);
        let line = format(&r, &Origin { hostname: "vault1".into(), procid: 42 });
        assert!(
            line.starts_with("<109>1 2025-12-01T10:00:00.123Z vault1 tresor 42 306 [tresor@32473 seq=\"7\""),
            "{line}"
        );
        assert!(line.contains(r#" object="Web/\"Mail\" [old\]""#), "{line}");
        assert!(line.contains(r#" reason="no longer used\\gone""#), "{line}");
        assert!(line.ends_with("] An entry was deleted"), "{line}");
        assert!(!line.contains('\n'));
    }
}
