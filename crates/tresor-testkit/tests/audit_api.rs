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
use serde_json::{Value, json};
use tresor_api::{
    CreateDatabaseRequest, CreateGroupRequest, ErrorCode, LogExportFormat, LogFilterQuery, LogPageQuery, LogQuery,
    LogRecord, LogSettings, LogSeverity, NotificationRequest, NotificationScope, NotificationTrigger, Role, ScopeView,
    TriggerView,
};
use tresor_client::Client;
use tresor_testkit::exports::{csv_rows, xml_records};
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
    for client in [&admin, &reader, &sa] {
        client.verify_log().await.unwrap();
        client.log_settings().await.unwrap();
        export(client, LogExportFormat::Xml, &filter()).await;
    }
    for client in [&plain, &accounts] {
        expect_err(client.admin_log(&LogQuery::default()).await, 403, ErrorCode::Forbidden);
        expect_err(client.export_log(LogExportFormat::Csv, &filter()).await, 403, ErrorCode::Forbidden);
        expect_err(client.verify_log().await, 403, ErrorCode::Forbidden);
        expect_err(client.log_settings().await, 403, ErrorCode::Forbidden);
        expect_err(client.notifications().await, 403, ErrorCode::Forbidden);
    }
    // A refused caller's parameters are not even looked at.
    let raw = Raw::new(&server);
    let token = common::token(&server, "plain", tresor_testkit::USER_PASSWORD).await;
    raw.get("/api/v1/admin/log?severity=loud", Some(&token)).await.expect(403, ErrorCode::Forbidden);
    raw.get("/api/v1/admin/log", None).await.expect(401, ErrorCode::Unauthenticated);
}

// --- exports and the chain ------------------------------------------------------------------------------------

async fn export(client: &Client, format: LogExportFormat, filter: &LogFilterQuery) -> Vec<u8> {
    client.export_log(format, filter).await.unwrap().bytes().await.unwrap()
}

#[tokio::test]
async fn exports_parse_as_csv_and_xml_with_formulas_defused() {
    let (server, admin, _reader) = setup().await;
    // An account name that is a spreadsheet formula, with quotes, a comma and XML's special characters.
    let name = r#"=HYPERLINK("x","y"),<b>&'"#;
    let odd = server.create_user(&admin, name, &[Role::EventLogReader]).await;
    odd.admin_log(&LogQuery::default()).await.unwrap();
    odd.admin_log(&LogQuery::default()).await.unwrap();
    let theirs = LogFilterQuery { user: Some(name.to_owned()), ..filter() };
    let mut want = all(&admin, &theirs, 1000).await;
    want.reverse();
    assert!(want.len() >= 2, "{want:?}");

    let download = admin.export_log(LogExportFormat::Csv, &theirs).await.unwrap();
    let rows = csv_rows(&download.bytes().await.unwrap());
    let header = "seq,time,severity,event,description,user,user_id,address,database,database_id,object,object_id,\
                  new_object,reason,prev_hash,hash";
    assert_eq!(rows[0].join(","), header);
    assert_eq!(rows.len() - 1, want.len(), "{rows:?}");
    for (row, r) in rows[1..].iter().zip(&want) {
        assert_eq!(row.len(), 16);
        assert_eq!(
            (row[0].as_str(), row[3].as_str(), row[15].as_str()),
            (&*r.seq.to_string(), &*r.event.to_string(), &*r.hash)
        );
        assert_eq!(row[5], format!("'{name}"), "a value that starts like a formula is marked as text");
        assert_eq!((row[2].as_str(), row[7].as_str()), ("info", "127.0.0.1"));
        assert_eq!(row[8], "", "an absent value is an empty field");
    }

    let records = xml_records(&export(&admin, LogExportFormat::Xml, &theirs).await);
    assert_eq!(records["tag"], "log");
    assert_eq!(records["attrib"], json!({"format": "tresor-log", "version": "1"}));
    let records = records["records"].as_array().unwrap();
    assert_eq!(records.len(), want.len());
    for (x, r) in records.iter().zip(&want) {
        assert_eq!(x["seq"], r.seq.to_string());
        assert_eq!(x["user"], name, "XML keeps the value as it is, escaped");
        assert_eq!((&x["hash"], &x["time"]), (&json!(r.hash), &json!(r.time)));
        assert!(x.get("database").is_none(), "an absent value has no element");
    }

    // The whole log, oldest first, without gaps; the export itself is in it (628, "export").
    let rows = csv_rows(&export(&admin, LogExportFormat::Csv, &filter()).await);
    let seqs: Vec<u64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert!(rows[1..].iter().any(|r| r[3] == "628" && r[5] == "admin" && r[12] == "export"), "{rows:?}");

    // The export's file headers.
    let raw = Raw::new(&server);
    let token = common::admin_token(&server).await;
    for (format, kind) in [("csv", "text/csv"), ("xml", "application/xml")] {
        let answer = raw.get(&format!("/api/v1/admin/log/export?format={format}&event=628"), Some(&token)).await;
        assert_eq!(answer.status, 200);
        assert!(answer.content_type.starts_with(kind), "{}", answer.content_type);
        assert!(answer.header("content-disposition").starts_with("attachment;"), "{:?}", answer.headers);
    }
    for query in ["", "format=pdf", "format=csv&format=xml", "format=csv&limit=5", "format=xml&event=1"] {
        let answer = raw.get(&format!("/api/v1/admin/log/export?{query}"), Some(&token)).await;
        answer.expect(400, ErrorCode::InvalidParameter);
    }

    let verdict = admin.verify_log().await.unwrap();
    assert!(verdict.intact && verdict.problem.is_none(), "{verdict:?}");
    assert!(verdict.checked >= seqs.len() as u64);
}

// --- settings and notifications --------------------------------------------------------------------------------

fn settings_body(v: Value) -> LogSettings {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn log_settings_are_read_by_readers_and_changed_by_server_administrators() {
    let (server, admin, reader) = setup().await;
    let defaults = reader.log_settings().await.unwrap();
    assert_eq!(defaults, admin.log_settings().await.unwrap());
    assert!(defaults.files && defaults.folder.is_none() && defaults.remote.is_none(), "{defaults:?}");

    let folder = server.data_path().join("elsewhere");
    let wanted = settings_body(json!({
        "files": true, "folder": folder, "max_file_kb": 2048, "new_file": "weekly", "keep_days": 30,
        "remote": {"host": "127.0.0.1", "port": 6514, "transport": "tls"}
    }));
    let saved = admin.update_log_settings(&wanted).await.unwrap();
    assert_eq!(saved.remote.as_ref().map(|r| r.spool_mb), Some(64), "the spool's default");
    assert_eq!(reader.log_settings().await.unwrap(), saved);
    let logging = LogFilterQuery { event: vec![617], object: Some("logging".into()), ..filter() };
    let changed = all(&admin, &logging, 100).await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].user.as_deref(), Some("admin"));

    // An Event Log Reader reads them but changes nothing.
    expect_err(reader.update_log_settings(&defaults).await, 403, ErrorCode::Forbidden);
    assert_eq!(admin.log_settings().await.unwrap(), saved);

    let raw = Raw::new(&server);
    let token = common::admin_token(&server).await;
    let base = json!({"files": true, "max_file_kb": 1024, "new_file": "daily", "keep_days": 90});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b.to_string()
    };
    let remote = |r: Value| with("remote", r);
    for (body, field) in [
        (with("folder", json!("relative/logs")), "folder"),
        (with("max_file_kb", json!(8)), "max_file_kb"),
        (with("keep_days", json!(40000)), "keep_days"),
        (remote(json!({"host": "", "port": 514, "transport": "udp"})), "remote.host"),
        (remote(json!({"host": "a b", "port": 514, "transport": "udp"})), "remote.host"),
        (remote(json!({"host": "h", "port": 0, "transport": "udp"})), "remote.port"),
        (remote(json!({"host": "h", "port": 514, "transport": "udp", "spool_mb": 0})), "remote.spool_mb"),
        (remote(json!({"host": "h", "port": 514, "transport": "udp", "ca_file": "/ca.pem"})), "remote.ca_file"),
    ] {
        let answer = raw.send("PUT", "/api/v1/admin/log-settings", Some(&token), common::Body::Json(&body)).await;
        answer.expect(422, ErrorCode::ValidationFailed);
        assert!(answer.message().contains(field), "{body}: {}", answer.message());
    }
    for body in [
        with("colour", json!("red")),
        with("new_file", json!("hourly")),
        remote(json!({"host": "h", "port": 514, "transport": "carrier pigeon"})),
        remote(json!(["h", 514, "udp"])),
        json!({"files": true}).to_string(),
    ] {
        let answer = raw.send("PUT", "/api/v1/admin/log-settings", Some(&token), common::Body::Json(&body)).await;
        answer.expect(400, ErrorCode::InvalidBody);
    }
    assert_eq!(admin.log_settings().await.unwrap(), saved, "nothing refused was saved");
}

fn notification(v: Value) -> NotificationRequest {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn notifications_name_users_groups_and_databases_and_are_recorded() {
    let (server, admin, reader) = setup().await;
    let group = admin.create_group(&CreateGroupRequest { name: "Auditors".into(), ..Default::default() }).await;
    let group = group.unwrap();
    let db = admin.create_database(&CreateDatabaseRequest { name: "Team".into(), comments: String::new() }).await;
    let db = db.unwrap();

    let added = admin
        .add_notification(&notification(json!({
            "event": 306, "notes": "An entry went", "recipients": ["security@example.com"],
            "trigger": {"users": ["reader"], "groups": [group.id]}, "scope": {"databases": ["team"]}
        })))
        .await
        .unwrap();
    assert_eq!((added.id, added.event, added.description.as_str()), (1, 306, "An entry was deleted"));
    assert!(added.send_email, "on unless switched off");
    let TriggerView::Selected { users, groups } = &added.trigger else { panic!("{added:?}") };
    assert_eq!(users[0].name.as_deref(), Some("reader"));
    assert_eq!((groups[0].id.as_str(), groups[0].name.as_deref()), (group.id.as_str(), Some("Auditors")));
    let ScopeView::Databases { databases } = &added.scope else { panic!("{added:?}") };
    assert_eq!((databases[0].id.as_str(), databases[0].name.as_deref()), (db.id.as_str(), Some("Team")));

    let second = NotificationRequest {
        event: 614,
        notes: String::new(),
        recipients: vec!["ops@example.com".into(), "oncall@example.com".into()],
        send_email: false,
        trigger: NotificationTrigger::All,
        scope: NotificationScope::Entries(vec!["6f1c1f9e-3c7e-4a55-9d0f-5a4bd1b0e2a1".into()]),
    };
    let second = admin.add_notification(&second).await.unwrap();
    assert_eq!(second.id, 2, "numbered in the order they were added");
    let list = admin.notifications().await.unwrap().notifications;
    assert_eq!(list.iter().map(|n| n.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(admin.notification(1).await.unwrap(), added);

    let mut changed = notification(json!({"event": 306, "recipients": ["security@example.com"]}));
    changed.send_email = false;
    let changed = admin.change_notification(1, &changed).await.unwrap();
    assert_eq!(
        (changed.trigger, changed.scope),
        (TriggerView::All(tresor_api::Everything::All), ScopeView::All(tresor_api::Everything::All))
    );
    admin.delete_notification(2).await.unwrap();
    assert_eq!(admin.notifications().await.unwrap().notifications.len(), 1);

    // Each act is in the log, by whom, about which notification.
    let acts = all(&admin, &LogFilterQuery { event: vec![607, 612, 630], ..filter() }, 1000).await;
    let count = |e: u16| acts.iter().filter(|r| r.event == e).count();
    assert_eq!((count(607), count(612)), (3, 1), "{acts:?}");
    assert!(count(630) >= 3, "{acts:?}");
    assert!(acts.iter().all(|r| r.user.as_deref() == Some("admin")));
    let about = all(&admin, &LogFilterQuery { object: Some("NOTIFICATION 2".into()), ..filter() }, 1000).await;
    assert!(
        about.iter().any(|r| r.event == 612)
            && about.iter().all(|r| r.object.as_deref().unwrap_or("").contains("notification 2"))
    );

    // Unknown numbers, unknown names, bad values.
    for result in [admin.notification(9).await.map(drop), admin.delete_notification(9).await] {
        expect_err(result, 404, ErrorCode::NotFound);
    }
    expect_err(
        admin.change_notification(9, &notification(json!({"event": 306, "recipients": ["a@example.com"]}))).await,
        404,
        ErrorCode::NotFound,
    );
    for (body, says) in [
        (json!({"event": 999, "recipients": ["a@example.com"]}), "999"),
        (json!({"event": 306, "recipients": []}), "recipient"),
        (json!({"event": 306, "recipients": ["not an address"]}), "recipient"),
        (json!({"event": 306, "recipients": ["a@example.com"], "trigger": {"users": ["nobody"]}}), "nobody"),
        (json!({"event": 306, "recipients": ["a@example.com"], "trigger": {"groups": ["Nobodies"]}}), "Nobodies"),
        (json!({"event": 306, "recipients": ["a@example.com"], "trigger": {}}), "user or group"),
        (json!({"event": 306, "recipients": ["a@example.com"], "scope": {"databases": ["Nowhere"]}}), "Nowhere"),
        (json!({"event": 306, "recipients": ["a@example.com"], "scope": {"entries": ["Web/Mail"]}}), "by id"),
    ] {
        let message =
            expect_err(admin.add_notification(&notification(body.clone())).await, 422, ErrorCode::ValidationFailed);
        assert!(message.contains(says), "{body}: {message}");
    }
    let raw = Raw::new(&server);
    let token = common::admin_token(&server).await;
    for body in [
        json!({"event": 306}),
        json!({"event": 306, "recipients": ["a@example.com"], "trigger": "some"}),
        json!({"event": 306, "recipients": ["a@example.com"], "scope": {"databases": [], "entries": []}}),
        json!({"event": 306, "recipients": ["a@example.com"], "colour": "red"}),
    ] {
        let answer =
            raw.send("POST", "/api/v1/admin/notifications", Some(&token), common::Body::Json(&body.to_string())).await;
        answer.expect(400, ErrorCode::InvalidBody);
    }
    for path in ["/api/v1/admin/notifications/one", "/api/v1/admin/notifications/-1"] {
        raw.get(path, Some(&token)).await.expect(400, ErrorCode::InvalidParameter);
    }
    assert_eq!(admin.notifications().await.unwrap().notifications.len(), 1, "nothing refused was added");

    // An Event Log Reader manages no notifications.
    expect_err(reader.notifications().await, 403, ErrorCode::Forbidden);
    expect_err(reader.notification(1).await, 403, ErrorCode::Forbidden);
    expect_err(
        reader.add_notification(&notification(json!({"event": 306, "recipients": ["a@example.com"]}))).await,
        403,
        ErrorCode::Forbidden,
    );
    expect_err(reader.delete_notification(1).await, 403, ErrorCode::Forbidden);
    assert_eq!(admin.notifications().await.unwrap().notifications.len(), 1);
}
