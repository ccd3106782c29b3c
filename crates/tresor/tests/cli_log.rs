//! The server log at the command line, as administrators and Event Log Readers drive it with the real binary:
//! `tresor admin log` with filters, `export` to standard output and to a private file (parsed by Python's csv
//! and ElementTree), `settings show|set`, `notification add|list|show|set|rm`, `tail -f` following new records
//! until Ctrl-C, and `verify`, which fails with exit status 1 once a record is altered in the database file.
//!
//! The records relied on are the ones the log writes itself: its settings changed (617), notifications listed
//! (630), added or changed (607) and deleted (612), the log read (628).
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use std::process::Command;

use cli_support::{Proc, Server, World, mode};
use serde_json::Value;
use tresor_testkit::exports::{csv_rows, xml_records};

const READER: &str = "reader-log-Pw-23";
const PLAIN: &str = "plain-log-Pw-37";

/// A world with a server, the super administrator logged in as `admin`, an Event Log Reader logged in as `reader`
/// and a user without roles logged in as `plain`.
fn world() -> (World, Server) {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    w.login_admin(&mut server);
    w.add_user("reader", READER, &["--no-must-change-password", "--role", "event_log_reader"]);
    w.add_user("plain", PLAIN, &["--no-must-change-password"]);
    w.login(&server, "reader", "reader", &format!("{READER}\n"));
    w.login(&server, "plain", "plain", &format!("{PLAIN}\n"));
    (w, server)
}

fn records(w: &World, client: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["admin", "log"];
    all.extend_from_slice(args);
    w.json(client, &all)["records"].as_array().unwrap().clone()
}

#[test]
fn the_log_its_settings_and_notifications_at_the_command_line() {
    let (w, _server) = world();

    // Settings: everyone with the role reads them; only the server administrator changes them.
    let shown = w.ok("reader", &["admin", "log", "settings", "show"], "");
    assert!(shown.contains("Max. file size") && shown.contains("10240 KB"), "{shown}");
    let set = ["admin", "log", "settings", "set", "keep_days=30", "new_file=weekly"];
    let changed = w.ok("admin", &set, "");
    assert!(changed.contains("30 days") && changed.contains("weekly"), "{changed}");
    let line = w.fail("reader", &["admin", "log", "settings", "set", "keep_days=1"], "");
    assert!(line.contains("forbidden") && line.contains("Server Administrator"), "{line}");
    let line = w.fail("admin", &["admin", "log", "settings", "set", "max_file_kb=1"], "");
    assert!(line.contains("max_file_kb") && line.contains("validation_failed"), "{line}");
    let line = w.fail("admin", &["admin", "log", "settings", "set", "colour=red"], "");
    assert!(line.contains("unknown setting colour"), "{line}");
    let json = w.json("admin", &["admin", "log", "settings", "show"]);
    assert_eq!((json["keep_days"].as_u64(), json["new_file"].as_str()), (Some(30), Some("weekly")), "{json}");

    // Notifications.
    let add = [
        "admin",
        "notification",
        "add",
        "--event",
        "306",
        "--to",
        "security@example.com",
        "--notes",
        "Who deleted it?",
        "--user",
        "reader",
        "--off",
    ];
    let added = w.ok("admin", &add, "");
    assert!(added.contains("306 An entry was deleted") && added.contains("users reader"), "{added}");
    let second = w.json("admin", &["admin", "notification", "add", "--event", "614", "--to", "ops@example.com"]);
    assert_eq!((second["id"].as_u64(), second["send_email"].as_bool()), (Some(2), Some(true)), "{second}");
    let table = w.ok("admin", &["admin", "notification", "list"], "");
    assert!(table.contains("security@example.com") && table.contains("ops@example.com"), "{table}");
    assert!(table.contains("2 notifications"), "{table}");
    let set = w.json("admin", &["admin", "notification", "set", "1", "--on", "--to", "a@example.com", "--all-users"]);
    assert_eq!(set["send_email"], true, "{set}");
    assert_eq!(set["recipients"], serde_json::json!(["a@example.com"]));
    assert_eq!((set["trigger"].as_str(), set["notes"].as_str()), (Some("all"), Some("Who deleted it?")), "{set}");
    let line = w.fail("admin", &["admin", "notification", "set", "1"], "");
    assert!(line.contains("nothing to change"), "{line}");
    let line =
        w.fail("admin", &["admin", "notification", "add", "--event", "306", "--to", "x@y.z", "--user", "nobody"], "");
    assert!(line.contains("nobody"), "{line}");
    let done = w.ok("admin", &["admin", "notification", "rm", "2", "--yes"], "");
    assert!(done.contains("Deleted notification 2"), "{done}");
    let line = w.fail("admin", &["admin", "notification", "show", "2"], "");
    assert!(line.contains("not_found"), "{line}");
    let line = w.fail("reader", &["admin", "notification", "list"], "");
    assert!(line.contains("forbidden"), "{line}");

    // Reading with filters: each act above is in the log, by the administrator.
    let acts = records(&w, "reader", &["--event", "607,612", "--user", "admin"]);
    let events: Vec<u64> = acts.iter().map(|r| r["event"].as_u64().unwrap()).collect();
    assert_eq!(events.iter().filter(|e| **e == 607).count(), 3, "{acts:?}");
    assert_eq!(events.iter().filter(|e| **e == 612).count(), 1, "{acts:?}");
    let logging = records(&w, "reader", &["--event", "617", "--object", "logging"]);
    assert_eq!(logging.len(), 1, "the refused changes left no record: {logging:?}");
    assert_eq!(logging[0]["severity"], "notice");
    let notice = records(&w, "reader", &["--severity", "notice", "--limit", "1000"]);
    assert!(notice.iter().all(|r| r["severity"] != "info"), "{notice:?}");
    let found = records(&w, "reader", &["--search", "NOTIFICATION 2", "--from", "2020-01-01"]);
    assert!(found.iter().any(|r| r["event"] == 612), "{found:?}");
    assert!(records(&w, "reader", &["--to", "2020-01-01"]).is_empty());
    let table = w.ok("reader", &["admin", "log", "--event", "612"], "");
    assert!(table.contains("A notification was deleted") && table.contains("1 records"), "{table}");
    let page = w.json("reader", &["admin", "log", "--limit", "1"]);
    let older = page["next_before"].as_u64().unwrap();
    let next = records(&w, "reader", &["--limit", "1", "--before", &older.to_string()]);
    assert!(next[0]["seq"].as_u64().unwrap() < older, "{next:?}");

    // Export: CSV to standard output, XML to a file only its owner reads.
    let csv = w.ok("reader", &["admin", "log", "export", "--format", "csv", "--event", "607"], "");
    let rows = csv_rows(csv.as_bytes());
    assert_eq!(rows[0][..4], ["seq", "time", "severity", "event"]);
    assert_eq!(rows.len(), 4, "a header and the three 607 records: {rows:?}");
    assert!(rows[1..].iter().all(|r| r[3] == "607" && r[5] == "admin"), "{rows:?}");
    let file = w.root.path().join("log.xml");
    let args = ["admin", "log", "export", "--format", "xml", "-o", file.to_str().unwrap()];
    let out = w.run("reader", &args, "");
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(mode(&file), 0o600);
    let xml = xml_records(&std::fs::read(&file).unwrap());
    assert_eq!(xml["tag"], "log");
    assert!(xml["records"].as_array().unwrap().len() >= 10, "{xml}");

    // Bad input: the option and what is wrong with it, exit status 1 (2 for what clap refuses).
    let line = w.fail("reader", &["admin", "log", "--from", "yesterday"], "");
    assert!(line.contains("from") && line.contains("invalid_parameter"), "{line}");
    let out = w.run("reader", &["admin", "log", "--severity", "loud"], "");
    assert_eq!(out.code, Some(2), "{out:?}");
    let out = w.run("reader", &["admin", "log", "export"], "");
    assert_eq!(out.code, Some(2), "--format is required: {out:?}");
    // A user without the role reads nothing.
    for args in [&["admin", "log"][..], &["admin", "log", "verify"], &["admin", "log", "export", "--format", "csv"]] {
        let line = w.fail("plain", args, "");
        assert!(line.contains("forbidden") && line.contains("Event Log Reader"), "{line}");
    }
}

#[test]
fn tail_follows_the_log_and_verify_finds_an_altered_record() {
    let (w, _server) = world();
    w.ok("admin", &["admin", "log", "settings", "set", "keep_days=10"], "");

    // The last record of the kind, then each new one as it arrives; Ctrl-C ends it cleanly.
    let mut tail = Proc::typing(w.command("reader", &["admin", "log", "tail", "-f", "-n", "5", "--event", "617"]));
    let first = tail.wait_for_line("the record already there", |l| l.contains(" 617 admin@"));
    assert!(first.contains("notice") && first.contains("The server options were modified"), "{first}");
    let mut seen = vec![first];
    for days in ["keep_days=11", "keep_days=12"] {
        w.ok("admin", &["admin", "log", "settings", "set", days], "");
        let next = tail.wait_for_line("the next change", |l| l.contains(" 617 admin@") && !seen.iter().any(|s| s == l));
        assert!(next.contains("object=\"Logging\""), "{next}");
        seen.push(next);
    }
    let done = tail.interrupt();
    assert!(done.status.success(), "Ctrl-C ends tail cleanly: {done:?}");
    let lines: Vec<&str> = done.stdout.lines().collect();
    assert_eq!(lines, seen, "each record once, in order");

    // tail without -f prints the last records and ends; --json prints one record a line.
    let out = w.ok("reader", &["admin", "log", "tail", "-n", "2", "--event", "617", "--json"], "");
    let seqs: Vec<u64> =
        out.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["seq"].as_u64().unwrap()).collect();
    assert!(seqs.len() == 2 && seqs[0] < seqs[1], "the last two, oldest first: {out}");

    // verify: intact, then broken once a record is changed behind the server's back.
    let ok = w.ok("reader", &["admin", "log", "verify"], "");
    assert!(ok.contains("intact"), "{ok}");
    let db = w.data_dir().join("tresor.db");
    let script = "import sqlite3, sys\n\
                  c = sqlite3.connect(sys.argv[1], timeout=30)\n\
                  c.execute(\"UPDATE audit_log SET reason = 'nothing happened' WHERE seq = ?\", (int(sys.argv[2]),))\n\
                  c.commit()";
    let status = Command::new("python3").args(["-c", script, db.to_str().unwrap(), &seqs[0].to_string()]).status();
    assert!(status.unwrap().success());
    let line = w.fail("reader", &["admin", "log", "verify"], "");
    assert!(line.contains("altered") && line.contains(&format!("record {}", seqs[0])), "{line}");
    let out = w.run("reader", &["admin", "log", "verify", "--json"], "");
    assert_eq!(out.code, Some(1), "{out:?}");
    let verdict: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!((verdict["intact"].as_bool(), verdict["problem"]["kind"].as_str()), (Some(false), Some("altered")));
}

#[test]
fn jobs_shows_the_workers_that_follow_the_log() {
    let (w, _server) = world();
    let table = w.ok("reader", &["admin", "jobs"], "");
    for name in ["log-files", "remote-syslog", "notifications"] {
        assert!(table.contains(name), "{name} missing from:\n{table}");
    }
    assert!(table.contains("The server log ends at record "), "{table}");
    let json = w.json("admin", &["admin", "jobs"]);
    assert_eq!(json["jobs"].as_array().map(Vec::len), Some(3), "{json}");
    assert!(json["log_head"].as_u64().unwrap_or(0) > 0, "{json}");
    let line = w.fail("plain", &["admin", "jobs"], "");
    assert!(line.contains("server role"), "{line}");
}
