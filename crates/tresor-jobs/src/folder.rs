//! The logs folder on disk: the log's RFC 5424 lines in files named by the day or ISO week they belong to
//! (`tresor-2026-12-01-001.log`, so that names sort in time order), a new file when the current one would pass
//! the size limit or its day or week is over, files past the retention deleted, and the position file that says
//! how far the log has been written.
//!
//! Plain blocking I/O: the worker runs it on the blocking pool.

use std::borrow::Borrow;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use time::{Date, Month, OffsetDateTime};
use tresor_core::Timestamp;
use tresor_core::audit::rfc5424::{self, Origin};
use tresor_core::audit::{AuditRecord, LoggingSettings, NewFile};

/// The position file: the number of the last record written, in decimal.
pub(crate) const POSITION_FILE: &str = "tresor-log.position";
const POSITION_TMP: &str = ".tresor-log.position.tmp";
const PREFIX: &str = "tresor-";
const SUFFIX: &str = ".log";

/// How the files are cut, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    pub max_bytes: u64,
    pub new_file: NewFile,
    /// 0 keeps every file.
    pub keep_days: u32,
}

impl Rules {
    pub(crate) fn of(settings: &LoggingSettings) -> Self {
        Self {
            max_bytes: u64::from(settings.max_file_kb) * 1024,
            new_file: settings.new_file,
            keep_days: settings.keep_days,
        }
    }
}

/// A log file's name: the first day of its period (the day, or the Monday of the ISO week) and its number within
/// the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LogName {
    pub date: Date,
    pub n: u32,
}

impl LogName {
    /// Reads `tresor-YYYY-MM-DD-NNN.log`; `None` for any other name (such files are left alone).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
        let (date, n) = rest.split_at_checked(10)?;
        let n = n.strip_prefix('-')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (y, m, d) = (date.get(0..4)?, date.get(5..7)?, date.get(8..10)?);
        if !(digits(y) && digits(m) && digits(d) && date.get(4..5) == Some("-") && date.get(7..8) == Some("-")) {
            return None;
        }
        if n.len() < 3 || !digits(n) {
            return None;
        }
        let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
        let date = Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
        Some(Self { date, n: n.parse().ok()? })
    }

    pub(crate) fn file_name(self) -> String {
        let d = self.date;
        format!("{PREFIX}{:04}-{:02}-{:02}-{:03}{SUFFIX}", d.year(), u8::from(d.month()), d.day(), self.n)
    }
}

/// The UTC day of a record's time.
pub(crate) fn day_of(at: Timestamp) -> Date {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.as_millis()) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date()
}

/// The first day of the period `day` falls in: the day itself, or the Monday of its ISO week.
pub(crate) fn period_of(day: Date, new_file: NewFile) -> Date {
    match new_file {
        NewFile::Daily => day,
        NewFile::Weekly => days_before(day, u32::from(day.weekday().number_days_from_monday())),
    }
}

fn days_before(day: Date, days: u32) -> Date {
    day.checked_sub(time::Duration::days(i64::from(days))).unwrap_or(Date::MIN)
}

/// The file being written.
#[derive(Debug)]
struct Current {
    name: LogName,
    out: BufWriter<File>,
    size: u64,
}

impl Current {
    /// Everything written is on disk.
    fn sync(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

/// One logs folder and the file being written in it.
#[derive(Debug)]
pub(crate) struct LogFolder {
    dir: PathBuf,
    current: Option<Current>,
}

impl LogFolder {
    /// Opens the folder, creating it (0700 on Unix: the log names users, addresses and entries) if it is missing.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        Ok(Self { dir: dir.to_owned(), current: None })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The position written last; `None` when there is no position file.
    pub(crate) fn read_position(&self) -> io::Result<Option<u64>> {
        match fs::read_to_string(self.dir.join(POSITION_FILE)) {
            Ok(text) => text.trim().parse().map(Some).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{POSITION_FILE} does not hold a number"))
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the position file atomically: a temporary file, synced, renamed over it, and the folder synced.
    pub(crate) fn write_position(&self, seq: u64) -> io::Result<()> {
        let tmp = self.dir.join(POSITION_TMP);
        let mut file = File::create(&tmp)?;
        file.write_all(format!("{seq}\n").as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, self.dir.join(POSITION_FILE))?;
        sync_dir(&self.dir)
    }

    /// Appends one line per record, starting new files as the rules say, and syncs what it wrote to disk. After a
    /// failure the current file is let go, so the next try reopens it (cutting off a line written half).
    pub(crate) fn append<R: Borrow<AuditRecord>>(
        &mut self,
        records: &[R],
        origin: &Origin,
        rules: &Rules,
    ) -> io::Result<()> {
        let result = self.append_lines(records, origin, rules);
        if result.is_err() {
            self.current = None;
        }
        result
    }

    fn append_lines<R: Borrow<AuditRecord>>(
        &mut self,
        records: &[R],
        origin: &Origin,
        rules: &Rules,
    ) -> io::Result<()> {
        let mut created = false;
        for record in records {
            let record = record.borrow();
            let mut line = rfc5424::format(record, origin);
            line.push('\n');
            let len = line.len() as u64;
            let day = day_of(record.at);
            let period = period_of(day, rules.new_file);
            let start = match &self.current {
                None => Some(period),
                Some(c) if period > c.name.date => Some(period),
                // Full: a new file of the same period. A clock that went back does not reopen an older period.
                Some(c) if c.size > 0 && c.size + len > rules.max_bytes => Some(c.name.date),
                Some(_) => None,
            };
            if let Some(period) = start {
                created |= self.start_file(period, day, len, rules)?;
            }
            let Some(current) = self.current.as_mut() else {
                return Err(io::Error::other("no log file is open"));
            };
            current.out.write_all(line.as_bytes())?;
            current.size += len;
        }
        if let Some(current) = self.current.as_mut() {
            current.sync()?;
        }
        if created {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Makes the last file of `period` current if a line of `len` bytes still fits, or starts the next one; then
    /// deletes the files that `today` puts past the retention. Returns whether a file was created.
    fn start_file(&mut self, period: Date, today: Date, len: u64, rules: &Rules) -> io::Result<bool> {
        if let Some(mut done) = self.current.take() {
            done.sync()?;
        }
        let last = self.names()?.into_iter().filter(|n| n.date == period).max();
        let mut created = false;
        let (name, file, size) = match last {
            Some(name) => {
                let (file, size) = reopen(&self.dir.join(name.file_name()))?;
                if size == 0 || size + len <= rules.max_bytes {
                    (name, file, size)
                } else {
                    created = true;
                    let next = LogName { date: period, n: name.n + 1 };
                    (next, create(&self.dir.join(next.file_name()))?, 0)
                }
            }
            None => {
                created = true;
                let first = LogName { date: period, n: 1 };
                (first, create(&self.dir.join(first.file_name()))?, 0)
            }
        };
        self.current = Some(Current { name, out: BufWriter::with_capacity(64 * 1024, file), size });
        self.delete_old(today, rules);
        Ok(created)
    }

    /// The log files in the folder.
    fn names(&self) -> io::Result<Vec<LogName>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            if let Some(name) = entry?.file_name().to_str().and_then(LogName::parse) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// "Delete logs" older than `keep_days` before `today`, by the last day each file's name covers (a weekly file
    /// covers six days after its Monday); never the current file. A file that cannot be deleted is left, with a
    /// warning, for the next time.
    fn delete_old(&self, today: Date, rules: &Rules) {
        if rules.keep_days == 0 {
            return;
        }
        let cutoff = days_before(today, rules.keep_days);
        let span = if rules.new_file == NewFile::Weekly { 6 } else { 0 };
        let current = self.current.as_ref().map(|c| c.name);
        let names = match self.names() {
            Ok(names) => names,
            Err(e) => {
                tracing::warn!(folder = %self.dir.display(), error = %e, "could not list the log files to delete old ones");
                return;
            }
        };
        for name in names {
            let last_day = name.date.checked_add(time::Duration::days(span)).unwrap_or(Date::MAX);
            if Some(name) != current && last_day < cutoff {
                let path = self.dir.join(name.file_name());
                if let Err(e) = fs::remove_file(&path) {
                    tracing::warn!(file = %path.display(), error = %e, "could not delete an old log file");
                }
            }
        }
    }

    /// Syncs and lets go of the current file.
    pub(crate) fn close(&mut self) -> io::Result<()> {
        match self.current.take() {
            Some(mut current) => current.sync(),
            None => Ok(()),
        }
    }
}

/// A new log file, readable by its owner only.
fn create(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// An existing log file opened for appending, cut back to its last whole line: a line without its newline was
/// being written when the process stopped, and its record lies beyond the position, so it is written again.
fn reopen(path: &Path) -> io::Result<(File, u64)> {
    let mut file = OpenOptions::new().read(true).append(true).open(path)?;
    let len = file.metadata()?.len();
    let whole = whole_lines_len(&mut file, len)?;
    if whole < len {
        file.set_len(whole)?;
        file.sync_data()?;
    }
    Ok((file, whole))
}

/// The length up to and with the last newline, scanning back from `len`.
fn whole_lines_len(file: &mut File, len: u64) -> io::Result<u64> {
    let mut buf = [0u8; 8192];
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;
    use tresor_core::audit::{AuditEvent, GENESIS};

    use super::*;

    const DAY_MS: i64 = 86_400_000;
    /// 2026-12-01T10:00:00Z, a Tuesday.
    const TUESDAY: i64 = 1_796_119_200_000;

    fn records(first: u64, count: u64, at: i64, step_ms: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS;
        (0..count)
            .map(|i| {
                let e = AuditEvent::new(306).object("e1", "Web/Mail").reason("x".repeat(200));
                let offset = step_ms * i64::try_from(i).unwrap_or(0);
                let r = AuditRecord::chained(first + i, Timestamp::from_millis(at + offset), e, prev);
                prev = r.hash;
                r
            })
            .collect()
    }

    fn origin() -> Origin {
        Origin { hostname: "vault1".into(), procid: 7 }
    }

    fn rules(max_kb: u64, new_file: NewFile, keep_days: u32) -> Rules {
        Rules { max_bytes: max_kb * 1024, new_file, keep_days }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn seqs(dir: &Path) -> Vec<u64> {
        let mut out = Vec::new();
        for name in listing(dir).into_iter().filter(|n| LogName::parse(n).is_some()) {
            let text = fs::read_to_string(dir.join(name)).expect("read");
            for line in text.lines() {
                let seq = line.split("seq=\"").nth(1).and_then(|s| s.split('"').next()).expect("seq");
                out.push(seq.parse().expect("number"));
            }
        }
        out
    }

    #[test]
    fn names_sort_in_time_order_and_other_names_are_not_logs() {
        let name = LogName { date: date!(2026 - 12 - 01), n: 1 };
        assert_eq!(name.file_name(), "tresor-2026-12-01-001.log");
        assert_eq!(LogName::parse("tresor-2026-12-01-001.log"), Some(name));
        assert_eq!(LogName::parse("tresor-2026-12-01-1234.log").map(|n| n.n), Some(1234));
        for other in [
            "tresor-2026-12-01-01.log",
            "tresor-2026-13-01-001.log",
            "tresor-2026-02-30-001.log",
            "tresor-2026-12-01-001.log.gz",
            "tresor-+026-12-01-001.log",
            "tresor-2026é2-01-001.log",
            POSITION_FILE,
            "notes.txt",
        ] {
            assert_eq!(LogName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn weeks_are_iso_weeks_starting_on_monday() {
        assert_eq!(period_of(date!(2026 - 12 - 01), NewFile::Weekly), date!(2026 - 11 - 30));
        assert_eq!(period_of(date!(2026 - 12 - 06), NewFile::Weekly), date!(2026 - 11 - 30));
        assert_eq!(period_of(date!(2026 - 12 - 07), NewFile::Weekly), date!(2026 - 12 - 07));
        // Across a year end: ISO week 1 of 2027 starts on Monday 2027-01-04; 2027-01-03 is in 2026's week 53.
        assert_eq!(period_of(date!(2027 - 01 - 03), NewFile::Weekly), date!(2026 - 12 - 28));
        assert_eq!(period_of(date!(2026 - 12 - 01), NewFile::Daily), date!(2026 - 12 - 01));
        assert_eq!(day_of(Timestamp::from_millis(TUESDAY)), date!(2026 - 12 - 01));
    }

    #[test]
    fn a_full_file_is_followed_by_the_next_number_and_no_file_passes_the_limit() {
        let dir = tempfile::tempdir().expect("dir");
        let mut folder = LogFolder::open(dir.path()).expect("open");
        let rules = rules(16, NewFile::Daily, 0);
        for batch in records(1, 120, TUESDAY, 1000).chunks(25) {
            folder.append(batch, &origin(), &rules).expect("append");
        }
        let names = listing(dir.path());
        assert!(names.len() >= 3, "{names:?}");
        for (i, name) in names.iter().enumerate() {
            assert_eq!(name, &format!("tresor-2026-12-01-{:03}.log", i + 1));
            let size = fs::metadata(dir.path().join(name)).expect("size").len();
            assert!(size <= 16 * 1024, "{name} has {size} bytes");
        }
        assert_eq!(seqs(dir.path()), (1..=120).collect::<Vec<_>>());
    }

    #[test]
    fn a_new_day_or_week_starts_a_new_file_by_the_records_time() {
        let dir = tempfile::tempdir().expect("dir");
        let mut folder = LogFolder::open(dir.path()).expect("open");
        // One record every 10 hours from Tuesday: Tuesday to the next Tuesday.
        folder
            .append(&records(1, 18, TUESDAY, DAY_MS * 10 / 24), &origin(), &rules(1024, NewFile::Daily, 0))
            .expect("append");
        let days = listing(dir.path());
        assert_eq!(days.first().map(String::as_str), Some("tresor-2026-12-01-001.log"));
        assert_eq!(days.last().map(String::as_str), Some("tresor-2026-12-08-001.log"));
        assert_eq!(days.len(), 8, "{days:?}");

        let dir = tempfile::tempdir().expect("dir");
        let mut folder = LogFolder::open(dir.path()).expect("open");
        folder
            .append(&records(1, 18, TUESDAY, DAY_MS * 10 / 24), &origin(), &rules(1024, NewFile::Weekly, 0))
            .expect("append");
        assert_eq!(listing(dir.path()), ["tresor-2026-11-30-001.log", "tresor-2026-12-07-001.log"]);
        assert_eq!(seqs(dir.path()), (1..=18).collect::<Vec<_>>());
    }

    #[test]
    fn files_past_the_retention_are_deleted_by_the_date_in_their_name() {
        let dir = tempfile::tempdir().expect("dir");
        for name in [
            "tresor-2026-11-27-001.log",
            "tresor-2026-11-27-002.log",
            "tresor-2026-11-28-001.log",
            "tresor-2026-11-29-001.log",
            "notes.txt",
        ] {
            fs::write(dir.path().join(name), "old\n").expect("write");
        }
        let mut folder = LogFolder::open(dir.path()).expect("open");
        // Kept 2 days from 2026-12-01: the 29th and later stay.
        folder.append(&records(1, 1, TUESDAY, 0), &origin(), &rules(1024, NewFile::Daily, 2)).expect("append");
        assert_eq!(listing(dir.path()), ["notes.txt", "tresor-2026-11-29-001.log", "tresor-2026-12-01-001.log"]);

        // A weekly file lasts until its Sunday: the week of 2026-11-23 ends on the 29th, inside the two days.
        fs::write(dir.path().join("tresor-2026-11-23-001.log"), "old\n").expect("write");
        fs::write(dir.path().join("tresor-2026-11-16-001.log"), "old\n").expect("write");
        let mut folder = LogFolder::open(dir.path()).expect("open");
        folder.append(&records(2, 1, TUESDAY, 0), &origin(), &rules(1024, NewFile::Weekly, 2)).expect("append");
        assert!(listing(dir.path()).contains(&"tresor-2026-11-23-001.log".to_owned()));
        assert!(!listing(dir.path()).contains(&"tresor-2026-11-16-001.log".to_owned()));

        // 0 keeps everything.
        let mut folder = LogFolder::open(dir.path()).expect("open");
        folder
            .append(&records(3, 1, TUESDAY + 400 * DAY_MS, 0), &origin(), &rules(1024, NewFile::Daily, 0))
            .expect("append");
        assert!(listing(dir.path()).contains(&"tresor-2026-11-23-001.log".to_owned()));
    }

    #[test]
    fn a_clock_that_went_back_does_not_reopen_an_older_file() {
        let dir = tempfile::tempdir().expect("dir");
        let mut folder = LogFolder::open(dir.path()).expect("open");
        let r = rules(1024, NewFile::Daily, 1);
        folder.append(&records(1, 1, TUESDAY, 0), &origin(), &r).expect("append");
        // A record dated 10 days later, then one dated back: the later file stays current.
        folder.append(&records(2, 1, TUESDAY + 10 * DAY_MS, 0), &origin(), &r).expect("append");
        folder.append(&records(3, 1, TUESDAY, 0), &origin(), &r).expect("append");
        assert_eq!(listing(dir.path()), ["tresor-2026-12-11-001.log"]);
        assert_eq!(seqs(dir.path()), [2, 3]);
    }

    #[test]
    fn a_line_cut_off_by_a_crash_is_removed_before_writing_goes_on() {
        let dir = tempfile::tempdir().expect("dir");
        let mut folder = LogFolder::open(dir.path()).expect("open");
        let r = rules(1024, NewFile::Daily, 0);
        folder.append(&records(1, 3, TUESDAY, 0), &origin(), &r).expect("append");
        drop(folder);
        let path = dir.path().join("tresor-2026-12-01-001.log");
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"<109>1 2026-12-01T10:00:00Z vault1 tresor 7 306 [tresor@32473 seq=\"4").expect("write");
        drop(file);
        let mut folder = LogFolder::open(dir.path()).expect("open");
        folder.append(&records(4, 2, TUESDAY, 0), &origin(), &r).expect("append");
        assert_eq!(seqs(dir.path()), [1, 2, 3, 4, 5]);
        assert!(fs::read_to_string(&path).expect("read").ends_with('\n'));
    }

    #[test]
    fn the_position_is_replaced_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let folder = LogFolder::open(&dir.path().join("a/b")).expect("open");
        assert_eq!(folder.read_position().expect("read"), None);
        folder.write_position(41).expect("write");
        folder.write_position(42).expect("write");
        assert_eq!(folder.read_position().expect("read"), Some(42));
        assert_eq!(listing(folder.dir()), [POSITION_FILE]);
        fs::write(folder.dir().join(POSITION_FILE), "4x").expect("damage");
        assert_eq!(folder.read_position().map_err(|e| e.kind()), Err(io::ErrorKind::InvalidData));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join("a/b")).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
