//! `tresor-bench events`: the server log's pipeline under a sustained rate of events. Records are appended through
//! the real `AuditLog` (group commit into a real store), followed into RFC 5424 files and to a remote syslog
//! receiver over TCP by the real workers of `tresor-jobs`. The report says whether everything arrived (no loss),
//! how far behind the files and the receiver fell, the append latency, and whether memory grew.
//!
//! The receiver is either an external one (`--receiver HOST:PORT`, e.g. rsyslog, whose output the caller counts)
//! or the bench's own, which reads octet-counted frames (RFC 6587) and checks that the record numbers arrive
//! complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::Mutex;
use tresor_core::audit::{AuditEvent, AuditStore, LoggingSettings, RemoteLog, Transport};
use tresor_core::{AuditLog, Clock, Store, SystemClock};

use crate::histogram::{Latencies, LatencySummary};

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Events appended per second.
    #[arg(long, default_value_t = 5000)]
    rate: u64,
    /// How long events are appended.
    #[arg(long, default_value = "60s", value_parser = crate::driver::parse_duration)]
    duration: Duration,
    /// An external syslog receiver (TCP, octet counting); without it the bench receives and checks itself.
    #[arg(long, value_name = "HOST:PORT")]
    receiver: Option<String>,
    /// Where the store and the log files go (a temporary directory when not given).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// How long to wait, after the last append, for the files and the receiver to catch up.
    #[arg(long, default_value = "60s", value_parser = crate::driver::parse_duration)]
    drain: Duration,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct EventsReport {
    pub rate_asked: u64,
    pub appended: u64,
    pub rate_achieved: f64,
    pub append_latency: Option<LatencySummary>,
    /// The most records the receiver was behind the log, sampled every second.
    pub max_receiver_lag: u64,
    /// Records the bench's own receiver got (None with an external one), and the numbers missing among them.
    pub received: Option<u64>,
    pub missing: Option<u64>,
    /// The first few record numbers that never arrived.
    pub first_missing: Vec<u64>,
    /// Records the sender dropped to keep its spool within bounds.
    pub dropped: u64,
    /// Lines in the log files once drained.
    pub file_lines: u64,
    /// Seconds from the last append until the files and the receiver held everything.
    pub drain_seconds: f64,
    /// Resident memory of the bench process (store, log, workers and producer) per 10 s of the run, in MiB.
    pub rss_mib: Vec<f64>,
}

impl EventsReport {
    pub fn to_text(&self) -> String {
        let lat = self.append_latency.as_ref().map_or_else(String::new, |l| {
            format!("append latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n", l.p50_ms, l.p99_ms, l.max_ms)
        });
        let received = match (self.received, self.missing) {
            (Some(r), Some(0)) => format!("receiver got {r} records, none missing\n"),
            (Some(r), Some(m)) => format!("receiver got {r} records, {m} missing (first: {:?})\n", self.first_missing),
            _ => "receiver: external (count its output)\n".to_owned(),
        };
        let rss: Vec<String> = self.rss_mib.iter().map(|m| format!("{m:.0}")).collect();
        format!(
            "appended {} events in {:.1} events/s (asked {})\n{lat}{received}log files hold {} lines; the sender dropped {}\n\
             receiver lag at most {} records; drained {:.1} s after the last append\nRSS every 10 s (MiB): {}\n",
            self.appended,
            self.rate_achieved,
            self.rate_asked,
            self.file_lines,
            self.dropped,
            self.max_receiver_lag,
            self.drain_seconds,
            rss.join(" ")
        )
    }
}

/// What the bench's own receiver has seen: one bit per record number, so that its own memory stays flat.
#[derive(Debug, Default)]
struct Received {
    count: AtomicU64,
    seqs: Mutex<SeqBits>,
}

#[derive(Debug, Default)]
struct SeqBits(Vec<u64>);

impl SeqBits {
    /// Marks `seq`; false when it was marked already (a repeat).
    fn insert(&mut self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        let new = self.0[word] & (1 << bit) == 0;
        self.0[word] |= 1 << bit;
        new
    }
    fn contains(&self, seq: u64) -> bool {
        self.0.get((seq / 64) as usize).is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }
}

pub async fn run(args: &EventsArgs) -> anyhow::Result<EventsReport> {
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let sql = Arc::new(tresor_store_sqlite::open(&dir.join("tresor.db")).await.context("cannot open the store")?);
    let store: Arc<dyn Store> = sql.clone();
    let audit_store: Arc<dyn AuditStore> = sql;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let received = Arc::new(Received::default());
    let receiver = match &args.receiver {
        Some(addr) => addr.clone(),
        None => own_receiver(Arc::clone(&received)).await?,
    };
    let (host, port) = receiver.rsplit_once(':').context("--receiver is HOST:PORT")?;
    let logs = dir.join("logs");
    let settings = LoggingSettings {
        folder: Some(logs.to_string_lossy().into_owned()),
        remote: Some(RemoteLog {
            host: host.to_owned(),
            port: port.parse().context("--receiver port")?,
            transport: Transport::Tcp,
            ca_file: None,
            spool_mb: 1024,
        }),
        ..LoggingSettings::default()
    };
    settings.save(store.as_ref()).await?;
    let audit = AuditLog::start(audit_store, Arc::clone(&store), clock);
    let config = tresor_jobs::JobsConfig { data_dir: dir.clone(), hostname: Some("bench".into()) };
    let files = tokio::spawn(tresor_jobs::LogFiles::new(Arc::clone(&audit), Arc::clone(&store), config.clone()).run());
    let sender = tresor_jobs::RemoteSyslog::new(Arc::clone(&audit), Arc::clone(&store), config);
    let sent = sender.status();
    let syslog = tokio::spawn(sender.run());
    // A sender that is switched on starts at the end of the log: wait until it has, so that it sees every event.
    let waiting = Instant::now();
    while !sent.started.load(Ordering::Acquire) {
        anyhow::ensure!(waiting.elapsed() < Duration::from_secs(10), "the syslog sender did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The producer: every millisecond, the events due by then, each appended by its own task as requests would.
    let started = Instant::now();
    let appended = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Latencies::with_capacity((args.rate * 120) as usize)));
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut issued = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    let mut rss = Vec::new();
    let mut max_lag = 0u64;
    let mut next_sample = started;
    let mut n = 0u64;
    while started.elapsed() < args.duration {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * args.rate as f64) as u64;
        while issued < due {
            issued += 1;
            n += 1;
            let (audit, appended, latencies) = (Arc::clone(&audit), Arc::clone(&appended), Arc::clone(&latencies));
            tasks.spawn(async move {
                let t = Instant::now();
                let e = AuditEvent::new(305)
                    .user(tresor_core::audit::Named::new(format!("u{}", n % 500), format!("user-{}", n % 500)))
                    .address([10, 1, (n % 250) as u8, 7].into())
                    .database("d-1", "Operations")
                    .object(format!("e-{}", n % 10_000), format!("Servers/host-{}", n % 10_000));
                if audit.record(e).await.is_ok() {
                    appended.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut l) = latencies.lock() {
                        l.record(t.elapsed());
                    }
                }
            });
        }
        while tasks.try_join_next().is_some() {}
        if Instant::now() >= next_sample {
            next_sample += Duration::from_secs(1);
            let head = *audit.subscribe().borrow();
            max_lag = max_lag.max(head.saturating_sub(received_so_far(&args.receiver, &received, &sent)));
            if rss.len() as u64 * 10 <= started.elapsed().as_secs() {
                rss.push(rss_mib());
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let last_append = Instant::now();
    let total = appended.load(Ordering::Relaxed);
    let head = audit.store().audit_head().await?.map_or(0, |(seq, _)| seq);

    // Drain: the files and the receiver catch up with the head.
    let deadline = last_append + args.drain;
    let mut file_lines = count_lines(&logs)?;
    loop {
        let got = received_so_far(&args.receiver, &received, &sent);
        if file_lines >= head && got >= head {
            break;
        }
        if Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        file_lines = count_lines(&logs)?;
    }
    let drain_seconds = last_append.elapsed().as_secs_f64();
    rss.push(rss_mib());
    files.abort();
    syslog.abort();
    let (received_count, missing, first_missing) = if args.receiver.is_none() {
        let seqs = received.seqs.lock().await;
        let missing: Vec<u64> = (1..=head).filter(|s| !seqs.contains(*s)).collect();
        let got = received.count.load(Ordering::Relaxed);
        (Some(got), Some(missing.len() as u64), missing.into_iter().take(10).collect())
    } else {
        (None, None, Vec::new())
    };
    let latencies = std::mem::take(&mut *latencies.lock().map_err(|_| anyhow::anyhow!("latency lock"))?);
    Ok(EventsReport {
        rate_asked: args.rate,
        appended: total,
        rate_achieved: total as f64 / elapsed.as_secs_f64(),
        append_latency: latencies.summarize(),
        max_receiver_lag: max_lag,
        received: received_count,
        missing,
        first_missing,
        dropped: sent.dropped.load(Ordering::Relaxed),
        file_lines,
        drain_seconds,
        rss_mib: rss,
    })
}

/// How many records the receiver has: counted by the bench's own, or the syslog sender's position for an external
/// one (what it has written to the connection).
fn received_so_far(external: &Option<String>, received: &Received, sent: &tresor_jobs::RemoteSyslogStatus) -> u64 {
    match external {
        None => received.count.load(Ordering::Relaxed),
        Some(_) => sent.position.load(Ordering::Relaxed),
    }
}

/// Listens on an ephemeral loopback port and reads octet-counted frames from each connection.
async fn own_receiver(received: Arc<Received>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                let mut r = BufReader::new(socket);
                let mut len = Vec::new();
                loop {
                    len.clear();
                    if r.read_until(b' ', &mut len).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let Some(n) = std::str::from_utf8(&len).ok().and_then(|s| s.trim().parse::<usize>().ok()) else {
                        return;
                    };
                    let mut frame = vec![0; n];
                    if r.read_exact(&mut frame).await.is_err() {
                        return;
                    }
                    if let Some(seq) = seq_of(&frame)
                        && received.seqs.lock().await.insert(seq)
                    {
                        received.count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    Ok(addr.to_string())
}

/// The record number in a frame's structured data (`seq="N"`).
fn seq_of(frame: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(frame).ok()?;
    let rest = &text[text.find(" seq=\"")? + 6..];
    rest[..rest.find('"')?].parse().ok()
}

fn count_lines(dir: &Path) -> anyhow::Result<u64> {
    let mut lines = 0;
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            let mut file = std::io::BufReader::new(std::fs::File::open(&path)?);
            loop {
                let chunk = std::io::BufRead::fill_buf(&mut file)?;
                if chunk.is_empty() {
                    break;
                }
                lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                let n = chunk.len();
                std::io::BufRead::consume(&mut file, n);
            }
        }
    }
    Ok(lines)
}

fn rss_mib() -> f64 {
    crate::memory::read(std::process::id()).map_or(0.0, |r| r.rss_kib as f64 / 1024.0)
}
