//! What the log files and remote syslog tests share: the core services on SQLite with a manual clock, events with
//! every field, the logging settings saved as an administrator saves them, and the strict check of one line
//! against the record it stands for.

#![allow(dead_code)] // Each test file uses its own part of this.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tresor_core::audit::{AuditEvent, AuditRecord, LogCursor, LogFilter, LoggingSettings, Named};
use tresor_core::{ManageServer, Timestamp};
use tresor_jobs::JobsConfig;
use tresor_testkit::core_auth::CoreAuth;
use tresor_testkit::rfc5424::{self, SyslogMessage};

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(20);
/// The host name the workers write into every header.
pub const HOSTNAME: &str = "vault1.example.org";
/// 2026-12-01T10:00:00Z, a Tuesday.
pub const TUESDAY: Timestamp = Timestamp::from_millis(1_796_119_200_000);
pub const DAY: Duration = Duration::from_secs(86_400);

pub async fn services() -> CoreAuth {
    CoreAuth::start(TUESDAY).await
}

pub fn jobs_config(t: &CoreAuth) -> JobsConfig {
    JobsConfig { data_dir: t.dir.path().to_owned(), hostname: Some(HOSTNAME.to_owned()) }
}

/// Saves the settings through the log service, as the administration does (which wakes the workers).
pub async fn save(t: &CoreAuth, settings: &LoggingSettings) {
    let cap: ManageServer = t.admin.require().unwrap_or_else(|e| panic!("capability: {e}"));
    let saved = t.auth.audit().set_settings(&t.admin, cap, settings).await;
    saved.unwrap_or_else(|e| panic!("logging settings: {e}"));
}

/// An event with every field, values with the characters RFC 5424 makes a sender escape.
pub fn full_event(i: usize) -> AuditEvent {
    AuditEvent::new(306)
        .user(Named::new(format!("u-{i}"), "alice \"the admin\""))
        .address([192, 0, 2, 9].into())
        .database("db-1", "Team [main]")
        .object(format!("e-{i}"), format!("Web\\Mail {i}"))
        .new_object("Archive/Web]Mail")
        .reason("closed = \"gone\" ]")
}

/// Records `n` events with every field, all at once (the log commits them in groups); returns the last number.
pub async fn record_many(t: &CoreAuth, n: usize) -> u64 {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let audit = Arc::clone(t.auth.audit());
        tasks.spawn(async move { audit.record(full_event(i)).await });
    }
    let mut last = 0;
    while let Some(done) = tasks.join_next().await {
        let seq = done.unwrap_or_else(|e| panic!("task: {e}")).unwrap_or_else(|e| panic!("record: {e}"));
        last = last.max(seq);
    }
    last
}

/// Every record of the log, oldest first.
pub async fn all_records(t: &CoreAuth) -> Vec<AuditRecord> {
    let store = t.auth.audit().store();
    let mut out: Vec<AuditRecord> = Vec::new();
    loop {
        let after = out.last().map_or(0, |r| r.seq);
        let page = store.audit_page(&LogFilter::default(), LogCursor::After { after }, 1000).await;
        let page = page.unwrap_or_else(|e| panic!("read the log: {e}"));
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// The number of the last record.
pub async fn head(t: &CoreAuth) -> u64 {
    all_records(t).await.last().map_or(0, |r| r.seq)
}

/// Polls `done` until it holds, for at most [`WAIT`].
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The structured data a record must carry: every field it has, under the names `tresor-core` documents.
pub fn expected_params(r: &AuditRecord) -> BTreeMap<String, String> {
    let e = &r.event;
    let mut p = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        p.insert(k.to_owned(), v);
    };
    put("seq", r.seq.to_string());
    put("event", e.event.to_string());
    put("severity", r.severity.as_str().to_owned());
    if let Some(u) = &e.user {
        put("user", u.name.clone());
        put("userId", u.id.clone());
    }
    if let Some(a) = e.address {
        put("address", a.to_string());
    }
    if let Some(d) = &e.database {
        put("database", d.name.clone());
        put("databaseId", d.id.clone());
    }
    if let Some(o) = &e.object {
        put("object", o.name.clone());
        put("objectId", o.id.clone());
    }
    if let Some(n) = &e.new_object {
        put("newObject", n.clone());
    }
    if let Some(reason) = &e.reason {
        put("reason", reason.clone());
    }
    put("prev", hex(&r.prev_hash));
    put("hash", hex(&r.hash));
    p
}

/// Parses `line` strictly and checks that it says everything `record` holds.
///
/// # Panics
/// When it is not RFC 5424 or a field differs.
pub fn check_line(line: &str, record: &AuditRecord) -> SyslogMessage {
    let m = rfc5424::parse(line).unwrap_or_else(|e| panic!("{e}\n{line}"));
    assert_eq!((m.facility, m.severity, m.version), (13, record.severity.code(), 1), "{line}");
    let at = m.timestamp.as_deref().and_then(Timestamp::parse_rfc3339);
    assert_eq!(at, Some(record.at), "{line}");
    assert_eq!(m.hostname.as_deref(), Some(HOSTNAME));
    assert_eq!(m.app_name.as_deref(), Some("tresor"));
    assert_eq!(m.procid, Some(std::process::id().to_string()));
    assert_eq!(m.msgid, Some(record.event.event.to_string()));
    assert_eq!(m.structured_data.len(), 1, "{line}");
    let sd = m.element("tresor@32473").unwrap_or_else(|| panic!("no tresor@32473 element: {line}"));
    assert_eq!(sd.map(), expected_params(record), "{line}");
    assert_eq!(m.msg.as_deref(), Some(record.description.as_str()), "{line}");
    m
}

/// The lines of every log file in `dir`, in file name order.
pub fn log_lines(dir: &Path) -> Vec<String> {
    let mut names = log_files(dir);
    names.sort();
    let mut lines = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap_or_else(|e| panic!("read {name}: {e}"));
        assert!(text.is_empty() || text.ends_with('\n'), "{name} ends in the middle of a line");
        lines.extend(text.lines().map(str::to_owned));
    }
    lines
}

/// The names of the log files in `dir`.
pub fn log_files(dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap_or_else(|e| panic!("entry: {e}")).file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tresor-") && n.ends_with(".log"))
        .collect();
    names.sort();
    names
}

/// The `seq` of a line.
pub fn seq_of(line: &str) -> u64 {
    let m = rfc5424::parse(line).unwrap_or_else(|e| panic!("{e}\n{line}"));
    let seq = m.element("tresor@32473").and_then(|sd| sd.param("seq")).and_then(|s| s.parse().ok());
    seq.unwrap_or_else(|| panic!("no seq: {line}"))
}
