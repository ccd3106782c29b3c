//! The server log through the real server: every filter narrows the log to what it names, pages run both ways
//! without gaps or repeats, exports parse as CSV (Python's csv module, strict) and XML (Python's ElementTree),
//! the chain verifies, and only Event Log Readers and Server Administrators read it.
//!
//! The records these tests rely on are the ones the log service writes itself: reading the log (628), changing
//! its settings (617), listing (630), adding or changing (607) and deleting (612) notifications. Records other
//! services add meanwhile (logins, …) may be there or not; every check holds either way.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::{Raw, expect_err};
use tresor_api::{ErrorCode, LogFilterQuery, LogPageQuery, LogQuery, LogRecord, LogSeverity, Role};
use tresor_client::Client;
use tresor_testkit::{Options, TestServer};

/// Every record the filter matches, newest first, read page by page with `before`.
async fn all(client: &Client, filter: &LogFilterQuery, limit: u32) -> Vec<LogRecord> {
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let query = LogQuery { filter: filter.clone(), page: LogPageQuery { before, after: None, limit: Some(limit) } };
        let page = client.admin_log(&query).await.unwrap();
        out.extend(page.records);
        match page.next_before {
            Some(b) => before = Some(b),
            None => return out,
        }
    }
}

/// An RFC 3339 time as milliseconds since the epoch.
fn millis(t: &str) -> i128 {
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
    t.unix_timestamp_nanos() / 1_000_000
}

fn filter() -> LogFilterQuery {
    LogFilterQuery::default()
}

/// A server, its super administrator, and an Event Log Reader named `reader`.
async fn setup() -> (TestServer, Client, Client) {
    let server = TestServer::start_with(Options { seats: 20, ..Options::default() }).await;
    let admin = server.admin().await;
    let reader = server.create_user(&admin, "reader", &[Role::EventLogReader]).await;
    (server, admin, reader)
}

#[tokio::test]
async fn reading_the_log_is_recorded_and_filters_narrow_it() {
    let (_server, admin, reader) = setup().await;
    for client in [&admin, &admin, &reader] {
        client.admin_log(&LogQuery::default()).await.unwrap();
    }
    let everything = all(&admin, &filter(), 1000).await;
    assert!(everything.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let reads: Vec<&LogRecord> = everything.iter().filter(|r| r.event == 628).collect();
    let by = |name: &str| reads.iter().filter(|r| r.user.as_deref() == Some(name)).count();
    assert!(by("admin") >= 2 && by("reader") >= 1, "each read from the newest end is recorded: {reads:?}");
    let read = reads[0];
    assert_eq!(read.severity, LogSeverity::Info);
    assert_eq!(read.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(read.description, "The server log was sent to the admin");
    assert_eq!((read.hash.len(), read.prev_hash.len()), (64, 64));
    assert!(read.time.ends_with('Z'), "UTC: {}", read.time);

    // event
    let only = all(&admin, &LogFilterQuery { event: vec![628], ..filter() }, 1000).await;
    assert!(only.iter().all(|r| r.event == 628) && only.len() >= 3, "{only:?}");
    // user, by name (any case) and by id
    let mine = all(&admin, &LogFilterQuery { user: Some("READER".into()), ..filter() }, 1000).await;
    assert!(!mine.is_empty() && mine.iter().all(|r| r.user.as_deref() == Some("reader")), "{mine:?}");
    let id = mine[0].user_id.clone();
    let by_id = all(&admin, &LogFilterQuery { user: id.clone(), ..filter() }, 1000).await;
    assert!(by_id.len() >= mine.len() && by_id.iter().all(|r| r.user_id == id));
    // address
    let local = all(&admin, &LogFilterQuery { address: Some("127.0.0.1".into()), ..filter() }, 1000).await;
    assert!(!local.is_empty() && local.iter().all(|r| r.address.as_deref() == Some("127.0.0.1")));
    let elsewhere = all(&admin, &LogFilterQuery { address: Some("10.9.9.9".into()), ..filter() }, 1000).await;
    assert!(elsewhere.is_empty(), "{elsewhere:?}");
    // severity: the least severe level shown
    let notice = all(&admin, &LogFilterQuery { severity: Some(LogSeverity::Notice), ..filter() }, 1000).await;
    assert!(notice.iter().all(|r| r.severity <= LogSeverity::Notice), "{notice:?}");
    assert!(notice.iter().all(|r| r.event != 628));
    // time: from is inclusive, to exclusive; together they hold every record, each once
    let at = read.time.clone();
    let from = all(&admin, &LogFilterQuery { from: Some(at.clone()), ..filter() }, 1000).await;
    let to = all(&admin, &LogFilterQuery { to: Some(at.clone()), ..filter() }, 1000).await;
    assert!(from.iter().any(|r| r.seq == read.seq) && to.iter().all(|r| r.seq != read.seq));
    assert!(from.iter().all(|r| millis(&r.time) >= millis(&at)) && to.iter().all(|r| millis(&r.time) < millis(&at)));
    for r in &everything {
        let (late, early) = (from.iter().any(|f| f.seq == r.seq), to.iter().any(|t| t.seq == r.seq));
        assert!(late != early, "record {} is in exactly one half", r.seq);
    }
    // full text, any case
    let text = all(&admin, &LogFilterQuery { q: Some("LOG WAS SENT".into()), ..filter() }, 1000).await;
    assert!(!text.is_empty() && text.iter().all(|r| r.description.to_lowercase().contains("log was sent")));
    // database and object: nothing matches names no record carries
    for f in [
        LogFilterQuery { database: Some("no-such-database".into()), ..filter() },
        LogFilterQuery { object: Some("no-such-object".into()), ..filter() },
        LogFilterQuery { user: Some("nobody".into()), ..filter() },
    ] {
        assert!(all(&admin, &f, 1000).await.is_empty(), "{f:?}");
    }
    // conditions add up
    let both = LogFilterQuery { event: vec![628], user: Some("reader".into()), ..filter() };
    let both = all(&admin, &both, 1000).await;
    assert!(!both.is_empty() && both.iter().all(|r| r.event == 628 && r.user.as_deref() == Some("reader")));
}

#[tokio::test]
async fn pages_run_both_ways_without_gaps_or_repeats() {
    let (_server, admin, _reader) = setup().await;
    for _ in 0..7 {
        admin.admin_log(&LogQuery::default()).await.unwrap();
    }
    let reads = LogFilterQuery { event: vec![628], ..filter() };
    let newest_first = all(&admin, &reads, 2).await;
    assert!(newest_first.len() >= 7, "{newest_first:?}");
    let mut seqs: Vec<u64> = newest_first.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");

    // Oldest first with `after`, as `tail` reads: the same records the other way round.
    let mut oldest_first = Vec::new();
    let mut after = 0;
    loop {
        let page = LogPageQuery { before: None, after: Some(after), limit: Some(3) };
        let page = admin.admin_log(&LogQuery { filter: reads.clone(), page }).await.unwrap();
        assert!(page.next_before.is_none());
        let last = page.records.last().map(|r| r.seq);
        oldest_first.extend(page.records.iter().map(|r| r.seq));
        match (page.next_after, last) {
            (Some(next), Some(last)) => {
                assert_eq!(next, last);
                after = next;
            }
            _ => break,
        }
    }
    seqs.reverse();
    assert_eq!(oldest_first[..seqs.len()], seqs[..], "after-paging starts with what before-paging saw");

    // A full last page says so; a short one does not.
    let page = admin
        .admin_log(&LogQuery { filter: reads.clone(), page: LogPageQuery { limit: Some(1000), ..Default::default() } })
        .await
        .unwrap();
    assert!(page.next_before.is_none() && page.next_after.is_none());
}

#[tokio::test]
async fn bad_parameters_are_refused_with_their_name() {
    let (server, admin, _reader) = setup().await;
    let raw = Raw::new(&server);
    let token = common::admin_token(&server).await;
    let cases = [
        ("severity=loud", "severity"),
        ("severity=", "severity"),
        ("from=yesterday", "from"),
        ("to=2026-02-30T00:00:00Z", "to"),
        ("event=abc", "event"),
        ("event=101,99999", "event"),
        ("event=5", "event"),
        ("address=localhost", "address"),
        ("user=%00", "user"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("before=0", "before"),
        ("after=-1", "after"),
        ("after=99999999999999999999", "after"),
        ("before=5&after=2", "before"),
        ("user=a&user=b", "user"),
        ("colour=red", "colour"),
    ];
    for (query, name) in cases {
        let answer = raw.get(&format!("/api/v1/admin/log?{query}"), Some(&token)).await;
        answer.expect(400, ErrorCode::InvalidParameter);
        assert!(answer.message().contains(name), "{query}: {}", answer.message());
    }
    let q = "x".repeat(257);
    let answer = raw.get(&format!("/api/v1/admin/log?q={q}"), Some(&token)).await;
    answer.expect(400, ErrorCode::InvalidParameter);
    // The typed client reports the same.
    let bad = LogQuery { filter: LogFilterQuery { from: Some("soon".into()), ..filter() }, ..Default::default() };
    let message = expect_err(admin.admin_log(&bad).await, 400, ErrorCode::InvalidParameter);
    assert!(message.contains("from"), "{message}");
}

#[tokio::test]
async fn only_event_log_readers_and_server_administrators_read_the_log() {
    let (server, admin, reader) = setup().await;
    let plain = server.create_user(&admin, "plain", &[]).await;
    let accounts = server.create_user(&admin, "accounts", &[Role::AccountAdministrator]).await;
    let sa = server.create_user(&admin, "sa", &[Role::ServerAdministrator]).await;
    for client in [&admin, &reader, &sa] {
        client.admin_log(&LogQuery::default()).await.unwrap();
    }
    for client in [&plain, &accounts] {
        expect_err(client.admin_log(&LogQuery::default()).await, 403, ErrorCode::Forbidden);
    }
    // A refused caller's parameters are not even looked at.
    let raw = Raw::new(&server);
    let token = common::token(&server, "plain", tresor_testkit::USER_PASSWORD).await;
    raw.get("/api/v1/admin/log?severity=loud", Some(&token)).await.expect(403, ErrorCode::Forbidden);
    raw.get("/api/v1/admin/log", None).await.expect(401, ErrorCode::Unauthenticated);
}
