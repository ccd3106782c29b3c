//! The server log's wire form: reading the filter and paging from query parameters (by hand, so that `event` may
//! repeat and every refusal names its parameter), and records, verdicts and severities as the API shows them.

use std::net::IpAddr;

use http::StatusCode;
use tresor_api as api;
use tresor_api::ErrorCode;
use tresor_core::Timestamp;
use tresor_core::audit::{AuditRecord, ChainVerdict, LogCursor, LogFilter};
use tresor_core::events::{self, Severity};

use crate::ApiError;

/// The longest text a filter takes.
const MAX_TEXT: usize = 256;
/// The most event numbers one filter takes.
const MAX_EVENTS: usize = 64;
/// The largest record number the store holds (a signed 64-bit integer).
const MAX_SEQ: u64 = i64::MAX as u64;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidParameter, message)
}

/// The query parameters of a request, checked one by one: each may appear once (except `event`), and one that
/// the route does not know is refused.
#[derive(Debug)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// The parameters of a request's URI.
    pub fn from_uri(uri: &http::Uri) -> Result<Self, ApiError> {
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| Self::new(q.0))
            .map_err(|_| bad("the query string is malformed"))
    }

    /// Refuses parameters other than the filter's and `extra`.
    fn only(&self, extra: &[&str]) -> Result<(), ApiError> {
        const FILTER: [&str; 9] = ["severity", "from", "to", "user", "address", "event", "database", "object", "q"];
        for (name, _) in &self.pairs {
            if !(FILTER.contains(&name.as_str()) || extra.contains(&name.as_str())) {
                return Err(bad(format!("unknown parameter {}", printable(name))));
            }
        }
        Ok(())
    }

    /// The one value of `name`. An empty value is refused by every parameter but the texts, where it means no
    /// condition.
    fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(bad(format!("{name} is given more than once")));
        }
        Ok(first)
    }

    fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(v) = self.one(name)?.filter(|v| !v.is_empty()) else { return Ok(None) };
        if v.chars().count() > MAX_TEXT {
            return Err(bad(format!("{name} is longer than {MAX_TEXT} characters")));
        }
        if v.chars().any(char::is_control) {
            return Err(bad(format!("{name} contains control characters")));
        }
        Ok(Some(v.to_owned()))
    }

    fn time(&self, name: &str) -> Result<Option<Timestamp>, ApiError> {
        let Some(v) = self.one(name)? else { return Ok(None) };
        Timestamp::parse_rfc3339(v)
            .map(Some)
            .ok_or_else(|| bad(format!("{name} is not an RFC 3339 time such as 2026-01-31T09:00:00Z")))
    }

    fn number(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(v) = self.one(name)? else { return Ok(None) };
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(bad(format!("{name} must be a whole number from {min} to {max}"))),
        }
    }

    /// The filter (seed manual, Log → Advanced filter), allowing `extra` parameters besides.
    pub fn filter(&self, extra: &[&str]) -> Result<LogFilter, ApiError> {
        self.only(extra)?;
        let severity = match self.one("severity")? {
            None => None,
            Some(s) => Some(api::LogSeverity::parse(s).map(severity_in).ok_or_else(|| {
                bad("severity must be one of error, warning, notice, info (the least severe level shown)")
            })?),
        };
        let address = match self.text("address")? {
            None => None,
            // Written as the log writes addresses, so that `2001:DB8::0:1` finds `2001:db8::1`.
            Some(a) => Some(a.parse::<IpAddr>().map_err(|_| bad("address is not an IP address"))?.to_string()),
        };
        Ok(LogFilter {
            severity,
            from: self.time("from")?,
            to: self.time("to")?,
            user: self.text("user")?,
            address,
            events: self.events()?,
            database: self.text("database")?,
            object: self.text("object")?,
            text: self.text("q")?,
        })
    }

    fn events(&self) -> Result<Vec<u16>, ApiError> {
        let mut out = Vec::new();
        let values = self.pairs.iter().filter(|(n, _)| n == "event").flat_map(|(_, v)| v.split(','));
        for v in values.map(str::trim) {
            let n = v.parse::<u16>().ok().filter(|n| events::event(*n).is_some()).ok_or_else(|| {
                bad(format!("event: {} is not an event number (see the manual's Event IDs)", printable(v)))
            })?;
            if !out.contains(&n) {
                out.push(n);
            }
            if out.len() > MAX_EVENTS {
                return Err(bad(format!("event: at most {MAX_EVENTS} event numbers")));
            }
        }
        Ok(out)
    }

    /// The page: where it starts and how long it is (default 100, at most 1000).
    pub fn page(&self) -> Result<(LogCursor, u32), ApiError> {
        let before = self.number("before", 1, MAX_SEQ)?;
        let after = self.number("after", 0, MAX_SEQ)?;
        let limit = self.number("limit", 1, u64::from(tresor_core::audit::MAX_PAGE))?.unwrap_or(100);
        let cursor = match (before, after) {
            (Some(_), Some(_)) => return Err(bad("before and after exclude each other: give one")),
            (_, Some(after)) => LogCursor::After { after },
            (before, None) => LogCursor::Newest { before },
        };
        Ok((cursor, u32::try_from(limit).unwrap_or(100)))
    }

    /// The export's format.
    pub fn format(&self) -> Result<api::LogExportFormat, ApiError> {
        let v = self.one("format")?.ok_or_else(|| bad("format is required: csv or xml"))?;
        api::LogExportFormat::parse(v).ok_or_else(|| bad("format must be csv or xml"))
    }
}

/// A parameter name or value for a message: at most 40 characters, control characters replaced.
fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(40).map(|c| if c.is_control() { '?' } else { c }).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}

pub fn severity_in(s: api::LogSeverity) -> Severity {
    match s {
        api::LogSeverity::Error => Severity::Error,
        api::LogSeverity::Warning => Severity::Warning,
        api::LogSeverity::Notice => Severity::Notice,
        api::LogSeverity::Info => Severity::Informational,
    }
}

pub fn severity_out(s: Severity) -> api::LogSeverity {
    match s {
        Severity::Error => api::LogSeverity::Error,
        Severity::Warning => api::LogSeverity::Warning,
        Severity::Notice => api::LogSeverity::Notice,
        Severity::Informational => api::LogSeverity::Info,
    }
}

pub fn record(r: &AuditRecord) -> api::LogRecord {
    let e = &r.event;
    api::LogRecord {
        seq: r.seq,
        time: r.at.to_rfc3339(),
        severity: severity_out(r.severity),
        event: e.event,
        description: r.description.clone(),
        user: e.user.as_ref().map(|u| u.name.clone()),
        user_id: e.user.as_ref().map(|u| u.id.clone()),
        address: e.address.map(|a| a.to_string()),
        database: e.database.as_ref().map(|d| d.name.clone()),
        database_id: e.database.as_ref().map(|d| d.id.clone()),
        object: e.object.as_ref().map(|o| o.name.clone()),
        object_id: e.object.as_ref().map(|o| o.id.clone()),
        new_object: e.new_object.clone(),
        reason: e.reason.clone(),
        prev_hash: hex(&r.prev_hash),
        hash: hex(&r.hash),
    }
}

/// A page as the API answers it: `next_before` / `next_after` only when the page is full (more may follow).
pub fn page(records: &[AuditRecord], cursor: LogCursor, limit: u32) -> api::LogPage {
    let full = records.len() >= limit as usize;
    let last = records.last().map(|r| r.seq).filter(|_| full);
    let (next_before, next_after) = match cursor {
        LogCursor::Newest { .. } => (last, None),
        LogCursor::After { .. } => (None, last),
    };
    api::LogPage { records: records.iter().map(record).collect(), next_before, next_after }
}

pub fn verdict(v: &ChainVerdict) -> api::LogVerification {
    api::LogVerification {
        checked: v.checked,
        intact: v.problem.is_none(),
        problem: v.problem.map(|p| api::ChainProblemView {
            kind: p.kind().to_owned(),
            seq: p.seq(),
            message: p.to_string(),
        }),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)]) -> Params {
        Params::new(q.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect())
    }

    #[test]
    fn events_repeat_or_come_as_a_list() {
        let f = params(&[("event", "101,601"), ("event", "617"), ("event", "101")]).filter(&[]).unwrap_or_default();
        assert_eq!(f.events, [101, 601, 617]);
    }

    #[test]
    fn every_refusal_names_its_parameter() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("severity", "loud")], "severity"),
            (&[("from", "yesterday")], "from"),
            (&[("to", "2026-13-01T00:00:00Z")], "to"),
            (&[("address", "10.0.0.300")], "address"),
            (&[("event", "99999")], "event"),
            (&[("event", "1")], "event"),
            (&[("event", "101,")], "event"),
            (&[("severity", "")], "severity"),
            (&[("from", "")], "from"),
            (&[("user", "a\u{0}b")], "user"),
            (&[("q", &"x".repeat(300))], "q"),
            (&[("bogus", "1")], "bogus"),
            (&[("user", "a"), ("user", "b")], "user"),
        ];
        for (q, name) in cases {
            let err = params(q).filter(&[]).expect_err(name);
            assert_eq!(err.code(), ErrorCode::InvalidParameter);
            assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        }
        for (q, name) in [
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "1001")], "limit"),
            (vec![("before", "0")], "before"),
            (vec![("limit", "")], "limit"),
            (vec![("after", "9223372036854775808")], "after"),
            (vec![("before", "5"), ("after", "1")], "before"),
        ] {
            assert!(params(&q).page().is_err(), "{name}");
        }
    }

    #[test]
    fn a_page_defaults_to_the_newest_hundred() {
        assert_eq!(params(&[]).page().ok(), Some((LogCursor::Newest { before: None }, 100)));
        assert_eq!(params(&[("after", "7"), ("limit", "5")]).page().ok(), Some((LogCursor::After { after: 7 }, 5)));
    }

    #[test]
    fn addresses_are_written_as_the_log_writes_them() {
        let f = params(&[("address", "2001:DB8::0:1")]).filter(&[]).unwrap_or_default();
        assert_eq!(f.address.as_deref(), Some("2001:db8::1"));
    }
}
