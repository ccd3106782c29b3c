//! The files of Export log (seed manual, Log → Export log: XML or CSV), written a page of records at a time so
//! that a download never holds the whole log.
//!
//! CSV follows RFC 4180: a header row, CRLF line ends, a field quoted when it holds a comma, a quote or a line
//! break, quotes doubled. A text field that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`, so that a spreadsheet opening the file shows it as text instead of running it as a formula (OWASP,
//! CSV injection); the log records what users typed (names, reasons), which must not become formulas.
//!
//! XML: `<log format="tresor-log" version="1">` holding one `<record seq="…">` per record, every field an element;
//! text is escaped, and characters XML 1.0 cannot hold at all (most control characters) become U+FFFD.

use axum::body::{Body, Bytes};
use futures_util::StreamExt;
use tresor_api::LogExportFormat;
use tresor_core::audit::{AuditRecord, ExportPages};

use crate::wire_audit::{hex, severity_out};

/// The version of both file layouts; a change of columns or elements makes a new one.
pub const EXPORT_VERSION: u32 = 1;

const COLUMNS: [&str; 16] = [
    "seq",
    "time",
    "severity",
    "event",
    "description",
    "user",
    "user_id",
    "address",
    "database",
    "database_id",
    "object",
    "object_id",
    "new_object",
    "reason",
    "prev_hash",
    "hash",
];

/// The fields of a record in [`COLUMNS`] order; `None` for an absent value (an empty CSV field, no XML element).
fn fields(r: &AuditRecord) -> [Option<String>; 16] {
    let e = &r.event;
    [
        Some(r.seq.to_string()),
        Some(r.at.to_rfc3339()),
        Some(severity_out(r.severity).as_str().to_owned()),
        Some(e.event.to_string()),
        Some(r.description.clone()),
        e.user.as_ref().map(|u| u.name.clone()),
        e.user.as_ref().map(|u| u.id.clone()),
        e.address.map(|a| a.to_string()),
        e.database.as_ref().map(|d| d.name.clone()),
        e.database.as_ref().map(|d| d.id.clone()),
        e.object.as_ref().map(|o| o.name.clone()),
        e.object.as_ref().map(|o| o.id.clone()),
        e.new_object.clone(),
        e.reason.clone(),
        Some(hex(&r.prev_hash)),
        Some(hex(&r.hash)),
    ]
}

/// The content type and file extension of a format.
pub fn content_type(format: LogExportFormat) -> &'static str {
    match format {
        LogExportFormat::Csv => "text/csv; charset=utf-8; header=present",
        LogExportFormat::Xml => "application/xml; charset=utf-8",
    }
}

/// What comes before the first record.
pub fn head(format: LogExportFormat) -> String {
    match format {
        LogExportFormat::Csv => {
            let mut out = COLUMNS.join(",");
            out.push_str("\r\n");
            out
        }
        LogExportFormat::Xml => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<log format=\"tresor-log\" version=\"{EXPORT_VERSION}\">\n"
        ),
    }
}

/// What comes after the last record.
pub fn tail(format: LogExportFormat) -> &'static str {
    match format {
        LogExportFormat::Csv => "",
        LogExportFormat::Xml => "</log>\n",
    }
}

/// One page of records.
pub fn page(format: LogExportFormat, records: &[AuditRecord]) -> String {
    let mut out = String::with_capacity(records.len() * 400);
    for r in records {
        match format {
            LogExportFormat::Csv => csv_row(&mut out, r),
            LogExportFormat::Xml => xml_record(&mut out, r),
        }
    }
    out
}

/// The whole file as a streamed body: the head with `first` (read before answering), then each further page as
/// it is read, then the tail. A store failure midway ends the body with an error, which cuts the download off.
pub fn body(format: LogExportFormat, first: Option<Vec<AuditRecord>>, pages: ExportPages) -> Body {
    let mut head = head(format);
    let more = match first {
        Some(records) => {
            head.push_str(&page(format, &records));
            Some(pages)
        }
        None => {
            head.push_str(tail(format));
            None
        }
    };
    let rest = futures_util::stream::unfold(more, move |state: Option<ExportPages>| async move {
        let mut pages = state?;
        match pages.next_page().await {
            Ok(Some(records)) => Some((Ok(Bytes::from(page(format, &records))), Some(pages))),
            Ok(None) => Some((Ok(Bytes::from_static(tail(format).as_bytes())), None)),
            Err(e) => {
                tracing::error!(error = %e, "log export failed midway");
                Some((Err(std::io::Error::other("the log could not be read")), None))
            }
        }
    });
    let head = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(Bytes::from(head)) });
    Body::from_stream(head.chain(rest))
}

fn csv_row(out: &mut String, r: &AuditRecord) {
    for (i, field) in fields(r).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(v) = field {
            csv_field(out, v);
        }
    }
    out.push_str("\r\n");
}

fn csv_field(out: &mut String, value: &str) {
    let guard = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = value.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if guard {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

fn xml_record(out: &mut String, r: &AuditRecord) {
    out.push_str(&format!("  <record seq=\"{}\">\n", r.seq));
    // `seq` is the record's attribute; the other fields are its elements.
    for (name, value) in COLUMNS.iter().zip(fields(r)).skip(1) {
        if let Some(v) = value {
            out.push_str("    <");
            out.push_str(name);
            out.push('>');
            xml_text(out, &v);
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
    }
    out.push_str("  </record>\n");
}

fn xml_text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A parser would read a raw carriage return as a line feed.
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use tresor_core::Timestamp;
    use tresor_core::audit::{AuditEvent, GENESIS};

    use super::*;

    fn record(reason: &str) -> AuditRecord {
        let e = AuditEvent::new(306).object("e1", "Web/\"Mail\", <new>").reason(reason);
        AuditRecord::chained(1, Timestamp::from_millis(1_700_000_000_000), e, GENESIS)
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let row = page(LogExportFormat::Csv, &[record("=HYPERLINK(\"http://x\")")]);
        assert!(row.contains(r#","Web/""Mail"", <new>","#), "{row}");
        assert!(row.contains(r#","'=HYPERLINK(""http://x"")","#), "{row}");
        assert!(row.ends_with("\r\n"));
        let row = page(LogExportFormat::Csv, &[record("-1+2")]);
        assert!(row.contains(",'-1+2,"), "{row}");
        let row = page(LogExportFormat::Csv, &[record("line\nbreak")]);
        assert!(row.contains(",\"line\nbreak\","), "{row}");
        assert_eq!(head(LogExportFormat::Csv).matches(',').count(), COLUMNS.len() - 1);
    }

    #[test]
    fn xml_escapes_and_drops_what_xml_cannot_hold() {
        let text = page(LogExportFormat::Xml, &[record("a\u{1}b\r&c")]);
        assert!(text.contains("<object>Web/&quot;Mail&quot;, &lt;new&gt;</object>"), "{text}");
        assert!(text.contains("<reason>a\u{FFFD}b&#13;&amp;c</reason>"), "{text}");
        assert!(!text.contains("<user>"), "absent fields have no element: {text}");
    }
}
