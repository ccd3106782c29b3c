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

/// One line, without a trailing newline. Written straight into one string sized for a typical record: this runs
/// for every record the files and the remote receiver take.
pub fn format(record: &AuditRecord, origin: &Origin) -> String {
    let e = &record.event;
    let pri = u16::from(FACILITY) * 8 + u16::from(record.severity.code());
    let mut line = String::with_capacity(640);
    let _ = write!(
        line,
        "<{pri}>1 {} {} {APP_NAME} {} {} [{SD_ID} seq=\"{}\" event=\"{}\" severity=\"{}\"",
        record.at.to_rfc3339(),
        origin.hostname,
        origin.procid,
        e.event,
        record.seq,
        e.event,
        record.severity.as_str(),
    );
    if let Some(u) = &e.user {
        param(&mut line, "user", &u.name);
        param(&mut line, "userId", &u.id);
    }
    if let Some(a) = e.address {
        // An address has no character that needs escaping.
        let _ = write!(line, " address=\"{a}\"");
    }
    if let Some(d) = &e.database {
        param(&mut line, "database", &d.name);
        param(&mut line, "databaseId", &d.id);
    }
    if let Some(o) = &e.object {
        param(&mut line, "object", &o.name);
        param(&mut line, "objectId", &o.id);
    }
    if let Some(n) = &e.new_object {
        param(&mut line, "newObject", n);
    }
    if let Some(r) = &e.reason {
        param(&mut line, "reason", r);
    }
    let mut hex = [0u8; 64];
    for (name, hash) in [("prev", &record.prev_hash), ("hash", &record.hash)] {
        line.push(' ');
        line.push_str(name);
        line.push_str("=\"");
        line.push_str(super::record::hex_of(hash, &mut hex));
        line.push('"');
    }
    line.push_str("] ");
    // The description is from the event table: printable ASCII, so plain MSG-ANY without a BOM.
    line.extend(record.description.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()));
    line
}

/// Appends ` name="value"`, escaping `"`, `\` and `]` in the value with a backslash (RFC 5424, 6.3.3).
fn param(line: &mut String, name: &str, value: &str) {
    line.push(' ');
    line.push_str(name);
    line.push_str("=\"");
    let mut rest = value;
    while let Some(at) = rest.find(['"', '\\', ']']) {
        line.push_str(&rest[..at]);
        line.push('\\');
        line.push_str(&rest[at..=at]);
        rest = &rest[at + 1..];
    }
    line.push_str(rest);
    line.push('"');
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
