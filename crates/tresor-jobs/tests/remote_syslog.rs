//! The remote syslog sender against a real receiver (rsyslogd): UDP, TCP and TLS each deliver every record with
//! every field as rsyslog parses it; a receiver that goes down and comes back gets everything appended meanwhile
//! (TCP and TLS); the backlog is cut to the spool; switching the remote on starts from the end of the log and a new
//! receiver takes over where the old one stopped.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::task::JoinHandle;
use tresor_core::Timestamp;
use tresor_core::audit::{AuditRecord, LoggingSettings, RemoteLog, Transport};
use tresor_jobs::{RemoteSyslog, RemoteSyslogStatus};
use tresor_testkit::core_auth::CoreAuth;
use tresor_testkit::rfc5424;
use tresor_testkit::rsyslog::{Listen, Received, Rsyslog};

use support::{HOSTNAME, WAIT, all_records, check_line, head, record_many, save, services, wait_until};

fn remote(rsyslog: &Rsyslog, transport: Transport) -> RemoteLog {
    RemoteLog {
        host: rsyslog.host().to_owned(),
        port: rsyslog.port(),
        transport,
        ca_file: rsyslog.ca_file().map(|p| p.display().to_string()),
        spool_mb: 64,
    }
}

/// Only the remote: these tests start no file writer.
fn settings(remote: Option<RemoteLog>) -> LoggingSettings {
    LoggingSettings { files: false, remote, ..LoggingSettings::default() }
}

/// Starts a sender and waits until it has found its position.
async fn start(t: &CoreAuth) -> (JoinHandle<()>, Arc<RemoteSyslogStatus>) {
    let worker = RemoteSyslog::new(Arc::clone(t.auth.audit()), Arc::clone(&t.store), support::jobs_config(t));
    let status = worker.status();
    let task = tokio::spawn(worker.run());
    wait_until("the sender has started", || status.started.load(Ordering::Acquire)).await;
    (task, status)
}

/// Saves `remote` and starts a sender: it begins at the end of the log, after the settings' own record.
async fn sender_to(t: &CoreAuth, remote: RemoteLog) -> (JoinHandle<()>, Arc<RemoteSyslogStatus>) {
    save(t, &settings(Some(remote))).await;
    start(t).await
}

async fn stop(task: JoinHandle<()>) {
    task.abort();
    let _ = task.await;
}

/// Checks a message as it arrived (strictly, against its record) and as rsyslog parsed it.
fn check_received(m: &Received, records: &[AuditRecord]) -> u64 {
    let raw = rfc5424::parse(&m.rawmsg).unwrap_or_else(|e| panic!("{e}\n{}", m.rawmsg));
    let seq: u64 = raw.element("tresor@32473").and_then(|e| e.param("seq")).and_then(|s| s.parse().ok()).unwrap_or(0);
    let record = &records[usize::try_from(seq).unwrap_or(usize::MAX) - 1];
    check_line(&m.rawmsg, record);
    assert_eq!(m.protocol_version, "1");
    assert_eq!(m.syslogfacility, "13", "log audit");
    assert_eq!(m.syslogseverity, record.severity.code().to_string());
    assert_eq!(m.app_name, "tresor");
    assert_eq!(m.hostname, HOSTNAME);
    assert_eq!(m.procid, std::process::id().to_string());
    assert_eq!(m.msgid, record.event.event.to_string());
    assert_eq!(Timestamp::parse_rfc3339(&m.timereported), Some(record.at));
    assert_eq!(m.msg, record.description);
    let sd = rfc5424::parse_structured_data(&m.structured_data).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sd, raw.structured_data, "rsyslog read the structured data as sent");
    seq
}

/// Records `n` events and waits until the receiver has every record after `after`; returns what it received
/// (checked) as sequence numbers.
async fn deliver(t: &CoreAuth, rsyslog: &Rsyslog, n: usize, after: u64) -> Vec<u64> {
    let last = record_many(t, n).await;
    let want = usize::try_from(last - after).unwrap_or(0);
    let received = rsyslog.wait_for_messages(want, WAIT).await;
    let records = all_records(t).await;
    received.iter().map(|m| check_received(m, &records)).collect()
}

async fn every_record_arrives_with_every_field(listen: Listen, transport: Transport, n: usize) {
    let Some(rsyslog) = Rsyslog::start(listen) else { return };
    let t = services().await;
    let (task, status) = sender_to(&t, remote(&rsyslog, transport)).await;
    let start = status.position.load(Ordering::Relaxed);
    assert_eq!(start, head(&t).await, "a new receiver starts at the end of the log");
    let seqs: BTreeSet<u64> = deliver(&t, &rsyslog, n, start).await.into_iter().collect();
    assert_eq!(seqs, (start + 1..=head(&t).await).collect(), "every record after the start, none before");
    for m in rsyslog.messages() {
        assert_eq!(m.inputname, if listen == Listen::Udp { "imudp" } else { "imtcp" });
    }
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_udp_every_record_arrives_with_every_field() {
    every_record_arrives_with_every_field(Listen::Udp, Transport::Udp, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tcp_every_record_arrives_with_every_field() {
    every_record_arrives_with_every_field(Listen::Tcp, Transport::Tcp, 1500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_every_record_arrives_with_every_field() {
    every_record_arrives_with_every_field(Listen::Tls, Transport::Tls, 1500).await;
}

async fn a_receiver_that_comes_back_gets_everything_appended_while_it_was_down(listen: Listen, transport: Transport) {
    let Some(mut rsyslog) = Rsyslog::start(listen) else { return };
    let t = services().await;
    let (task, status) = sender_to(&t, remote(&rsyslog, transport)).await;
    let start = status.position.load(Ordering::Relaxed);
    deliver(&t, &rsyslog, 5, start).await;

    rsyslog.stop();
    let failures = status.failures.load(Ordering::Relaxed);
    let last = record_many(&t, 300).await;
    wait_until("the sender finds the receiver gone", || status.failures.load(Ordering::Relaxed) > failures).await;
    assert!(status.position.load(Ordering::Relaxed) < last, "nothing counts as sent while the receiver is down");

    rsyslog.start_again();
    let want = usize::try_from(last - start).unwrap_or(0);
    let received = rsyslog.wait_for_messages(want, WAIT).await;
    let records = all_records(&t).await;
    let seqs: BTreeSet<u64> = received.iter().map(|m| check_received(m, &records)).collect();
    assert_eq!(seqs, (start + 1..=last).collect(), "every record arrived (at least once)");
    wait_until("the sender has moved past the last record", || status.position.load(Ordering::Relaxed) == last).await;
    // The position in memory moves first, and the store follows for the same batch: wait for the store.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let stored = t.auth.audit().store().audit_cursor("syslog").await.unwrap_or_else(|e| panic!("cursor: {e}"));
        if stored == last {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the stored position stayed at {stored}, not {last}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tcp_a_receiver_that_comes_back_gets_everything_appended_while_it_was_down() {
    a_receiver_that_comes_back_gets_everything_appended_while_it_was_down(Listen::Tcp, Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_receiver_that_comes_back_gets_everything_appended_while_it_was_down() {
    a_receiver_that_comes_back_gets_everything_appended_while_it_was_down(Listen::Tls, Transport::Tls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_larger_than_the_spool_loses_its_oldest_records_and_says_how_many() {
    let Some(mut rsyslog) = Rsyslog::start(Listen::Tcp) else { return };
    let t = services().await;
    let (task, status) = sender_to(&t, RemoteLog { spool_mb: 1, ..remote(&rsyslog, Transport::Tcp) }).await;
    let start = status.position.load(Ordering::Relaxed);
    deliver(&t, &rsyslog, 20, start).await;
    let before = rsyslog.messages().len();

    rsyslog.stop();
    // About 3000 lines of ~650 bytes: twice what 1 MiB holds.
    let last = record_many(&t, 3000).await;
    rsyslog.start_again();
    wait_until("the sender has caught up", || status.position.load(Ordering::Relaxed) == last).await;
    let dropped = status.dropped.load(Ordering::Relaxed);
    assert!(dropped > 500, "dropped {dropped}");
    let want = usize::try_from(last - start).unwrap_or(0) - usize::try_from(dropped).unwrap_or(0);
    let received = rsyslog.wait_for_messages(want, WAIT).await;
    let records = all_records(&t).await;
    let after: Vec<u64> = received[before..].iter().map(|m| check_received(m, &records)).collect();
    let first_kept = last - after.len() as u64 + 1;
    assert_eq!(after, (first_kept..=last).collect::<Vec<_>>(), "the newest records, in order, up to the end");
    let kept_bytes: usize = received[before..].iter().map(|m| m.rawmsg.len()).sum();
    assert!(kept_bytes <= 1024 * 1024 + 64 * 1024, "{kept_bytes} bytes resent for a 1 MiB spool");
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switched_on_it_starts_at_the_end_and_a_new_receiver_takes_over_where_the_old_stopped() {
    let Some(first) = Rsyslog::start(Listen::Tcp) else { return };
    let Some(second) = Rsyslog::start(Listen::Udp) else { return };
    let t = services().await;
    save(&t, &settings(None)).await;
    let (task, status) = start(&t).await;
    record_many(&t, 10).await;

    let on = head(&t).await;
    save(&t, &settings(Some(remote(&first, Transport::Tcp)))).await;
    // The switch's own record (617) is appended as the switch happens and may fall on either side of it.
    wait_until("the sender has moved to the end of the log", || status.position.load(Ordering::Relaxed) >= on).await;
    let switched = status.position.load(Ordering::Relaxed);
    assert!(switched <= on + 1, "what came before the switch is not sent (from {switched}, switched at {on})");
    let seqs: BTreeSet<u64> = deliver(&t, &first, 10, switched).await.into_iter().collect();
    let moved = head(&t).await;
    assert_eq!(seqs, (switched + 1..=moved).collect());
    wait_until("the first receiver has everything", || status.position.load(Ordering::Relaxed) == moved).await;

    save(&t, &settings(Some(remote(&second, Transport::Udp)))).await;
    let seqs: BTreeSet<u64> = deliver(&t, &second, 10, moved).await.into_iter().collect();
    assert_eq!(seqs, (moved + 1..=head(&t).await).collect(), "the second receiver goes on from there");
    assert_eq!(first.messages().len(), usize::try_from(moved - switched).unwrap_or(0), "nothing more to the first");
    stop(task).await;
}
