//! The server log's local files, written by the real worker from the real log on SQLite: every line strict
//! RFC 5424 carrying every field of its record, rotation by size and by the records' day or week (a manual clock),
//! old files deleted, files off and on, and a restart or a crash that loses nothing.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::task::JoinHandle;
use tresor_core::audit::{LoggingSettings, NewFile};
use tresor_jobs::{LogFiles, LogFilesStatus};
use tresor_testkit::core_auth::CoreAuth;

use support::{
    DAY, all_records, check_line, head, log_files, log_lines, record_many, save, seq_of, services, wait_until,
};

fn settings(folder: &Path) -> LoggingSettings {
    LoggingSettings { folder: Some(folder.display().to_string()), keep_days: 0, ..LoggingSettings::default() }
}

fn logs(t: &CoreAuth) -> PathBuf {
    t.dir.path().join("server-logs")
}

fn start(t: &CoreAuth) -> (JoinHandle<()>, Arc<LogFilesStatus>) {
    let worker = LogFiles::new(Arc::clone(t.auth.audit()), Arc::clone(&t.store), support::jobs_config(t));
    let status = worker.status();
    (tokio::spawn(worker.run()), status)
}

/// Waits until the worker has written (or skipped) everything up to the end of the log.
async fn caught_up(t: &CoreAuth, status: &LogFilesStatus) -> u64 {
    let end = head(t).await;
    wait_until(&format!("the files reach record {end}"), || status.position.load(Ordering::Relaxed) >= end).await;
    end
}

async fn stop(task: JoinHandle<()>) {
    task.abort();
    let _ = task.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_is_strict_rfc5424_and_carries_every_field_of_its_record() {
    let t = services().await;
    save(&t, &settings(&logs(&t))).await;
    let (task, status) = start(&t);
    record_many(&t, 150).await;
    caught_up(&t, &status).await;

    let records = all_records(&t).await;
    let lines = log_lines(&logs(&t));
    assert_eq!(lines.len(), records.len(), "one line a record, from the first");
    for (line, record) in lines.iter().zip(&records) {
        check_line(line, record);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode(&logs(&t)), 0o700, "the logs folder is the server's alone");
        for name in log_files(&logs(&t)) {
            assert_eq!(mode(&logs(&t).join(&name)), 0o600, "{name}");
        }
    }
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_would_pass_the_size_limit_is_followed_by_the_next() {
    let t = services().await;
    save(&t, &LoggingSettings { max_file_kb: 16, ..settings(&logs(&t)) }).await;
    let (task, status) = start(&t);
    record_many(&t, 300).await;
    caught_up(&t, &status).await;

    let names = log_files(&logs(&t));
    assert!(names.len() >= 5, "300 lines of ~600 bytes in 16 KB files: {names:?}");
    for (i, name) in names.iter().enumerate() {
        assert_eq!(name, &format!("tresor-2026-12-01-{:03}.log", i + 1));
        let size = std::fs::metadata(logs(&t).join(name)).map(|m| m.len()).unwrap_or(u64::MAX);
        assert!(size <= 16 * 1024, "{name}: {size} bytes");
    }
    let seqs: Vec<u64> = log_lines(&logs(&t)).iter().map(|l| seq_of(l)).collect();
    assert_eq!(seqs, (1..=head(&t).await).collect::<Vec<_>>(), "every record once, in order, across the files");
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_day_starts_a_file_and_files_past_the_retention_are_deleted() {
    let t = services().await;
    std::fs::create_dir_all(logs(&t)).unwrap_or_else(|e| panic!("logs: {e}"));
    // Somebody's notes in the folder are not log files, whatever their age.
    std::fs::write(logs(&t).join("README.txt"), "notes").unwrap_or_else(|e| panic!("write: {e}"));
    save(&t, &LoggingSettings { keep_days: 2, ..settings(&logs(&t)) }).await;
    let (task, status) = start(&t);
    for _ in 0..5 {
        record_many(&t, 3).await;
        caught_up(&t, &status).await;
        t.clock.advance(DAY);
    }
    // Written from Tuesday 1 to Saturday 5 December; kept: two days before the 5th, and the 5th.
    assert_eq!(
        log_files(&logs(&t)),
        ["tresor-2026-12-03-001.log", "tresor-2026-12-04-001.log", "tresor-2026-12-05-001.log"]
    );
    assert!(logs(&t).join("README.txt").exists());
    for name in log_files(&logs(&t)) {
        let day = &name["tresor-".len().."tresor-2026-12-01".len()];
        let text = std::fs::read_to_string(logs(&t).join(&name)).unwrap_or_default();
        assert!(text.lines().all(|l| l.contains(&format!(" {day}T"))), "{name} holds only records of {day}");
    }
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_files_start_on_the_monday_of_the_iso_week() {
    let t = services().await;
    save(&t, &LoggingSettings { new_file: NewFile::Weekly, ..settings(&logs(&t)) }).await;
    let (task, status) = start(&t);
    // Tuesday 1 to Sunday 6 December are one week; Monday the 7th starts the next.
    for _ in 0..7 {
        record_many(&t, 2).await;
        caught_up(&t, &status).await;
        t.clock.advance(DAY);
    }
    assert_eq!(log_files(&logs(&t)), ["tresor-2026-11-30-001.log", "tresor-2026-12-07-001.log"]);
    let seqs: Vec<u64> = log_lines(&logs(&t)).iter().map(|l| seq_of(l)).collect();
    assert_eq!(seqs, (1..=head(&t).await).collect::<Vec<_>>());
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_after_the_position_and_a_crash_repeats_at_most_one_batch() {
    let t = services().await;
    save(&t, &settings(&logs(&t))).await;
    let (task, status) = start(&t);
    record_many(&t, 40).await;
    let first = caught_up(&t, &status).await;
    stop(task).await;

    // Records appended while the worker is down are written after it starts again, once.
    record_many(&t, 40).await;
    let (task, status) = start(&t);
    let second = caught_up(&t, &status).await;
    let seqs: Vec<u64> = log_lines(&logs(&t)).iter().map(|l| seq_of(l)).collect();
    assert_eq!(seqs, (1..=second).collect::<Vec<_>>(), "nothing lost, nothing twice");
    assert!(second > first);
    stop(task).await;

    // A crash after the last batch reached the disk but before the position was replaced: the position file still
    // names the batch before, and the newest file ends in a line cut off half-way.
    let position = logs(&t).join("tresor-log.position");
    std::fs::write(&position, format!("{first}\n")).unwrap_or_else(|e| panic!("position: {e}"));
    let newest = log_files(&logs(&t)).pop().unwrap_or_else(|| panic!("no log file"));
    let mut cut = std::fs::read_to_string(logs(&t).join(&newest)).unwrap_or_default();
    cut.push_str("<109>1 2026-12-01T10:00:00.000Z vault1.example.org tresor 1 306 [tresor@32473 seq=\"9");
    std::fs::write(logs(&t).join(&newest), cut).unwrap_or_else(|e| panic!("cut: {e}"));
    record_many(&t, 5).await;
    let (task, status) = start(&t);
    let third = caught_up(&t, &status).await;
    let records = all_records(&t).await;
    let lines = log_lines(&logs(&t));
    let seqs: Vec<u64> = lines.iter().map(|l| seq_of(l)).collect();
    let expected: Vec<u64> = (1..=second).chain(first + 1..=third).collect();
    assert_eq!(seqs, expected, "the batch after the stale position is written again, the cut line is gone");
    for line in &lines {
        let seq = seq_of(line);
        check_line(line, &records[usize::try_from(seq - 1).unwrap_or(usize::MAX)]);
    }
    assert_eq!(std::fs::read_to_string(&position).unwrap_or_default().trim(), third.to_string());
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_appended_while_files_are_off_are_skipped() {
    let t = services().await;
    save(&t, &LoggingSettings { files: false, ..settings(&logs(&t)) }).await;
    let (task, status) = start(&t);
    record_many(&t, 10).await;
    let off = caught_up(&t, &status).await;
    assert!(!logs(&t).exists(), "files off: the folder is not even created");

    save(&t, &settings(&logs(&t))).await;
    record_many(&t, 10).await;
    let end = caught_up(&t, &status).await;
    let seqs: Vec<u64> = log_lines(&logs(&t)).iter().map(|l| seq_of(l)).collect();
    assert_eq!(seqs, (off + 1..=end).collect::<Vec<_>>(), "from the switch on, every record once");

    // Another folder goes on where the first stopped.
    let moved = t.dir.path().join("moved-logs");
    save(&t, &settings(&moved)).await;
    record_many(&t, 3).await;
    let last = caught_up(&t, &status).await;
    let seqs: Vec<u64> = log_lines(&moved).iter().map(|l| seq_of(l)).collect();
    assert_eq!(seqs, (end + 1..=last).collect::<Vec<_>>());
    stop(task).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_writes_its_log_into_logs_in_its_data_directory() {
    let server = tresor_testkit::TestServer::start().await;
    // Logging in and the first password change are recorded.
    let _admin = server.admin().await;
    let logs = server.data_path().join("logs");
    wait_until("the server's log reaches its files", || logs.exists() && log_lines(&logs).len() >= 2).await;
    let lines = log_lines(&logs);
    for (i, line) in lines.iter().enumerate() {
        let m = tresor_testkit::rfc5424::parse(line).unwrap_or_else(|e| panic!("{e}\n{line}"));
        assert_eq!((m.facility, m.app_name.as_deref()), (13, Some("tresor")), "{line}");
        assert_eq!(seq_of(line), i as u64 + 1, "{line}");
    }
}
