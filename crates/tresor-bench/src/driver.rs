//! `tresor-bench run`: prepares one worker per connection, lets them run a warm-up and then a timed window,
//! and merges what they recorded into a [`Report`].
//!
//! The timing loop ends by itself: no request starts after the window closes (or after `--max-requests`), and a
//! request still unanswered a few seconds later is abandoned and counted as an error.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::time::Instant;

use crate::cpu::CpuMark;
use crate::histogram::Latencies;
use crate::memory::Sampler;
use crate::raw::RawClient;
use crate::report::{ErrorCount, Measured, Report};
use crate::scenario::{Scenario, Setup, Worker};
use crate::seed::DEFAULT_USER_PASSWORD;
use crate::target::TargetArgs;

/// How long after the window closes a request may still take before it is abandoned.
const ABANDON_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    /// Workers, each on its own connection with keep-alive, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Length of the timed window (`10s`, `500ms`, `2m`; a bare number is seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Untimed load before the window, so that connections, caches and the allocator settle.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Also end the window after this many timed requests.
    #[arg(long)]
    pub max_requests: Option<u64>,
    /// Process id of the server, to report its memory (Linux `/proc`).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seeded users the scenarios log in as (`bench-user-1` … `bench-user-N`).
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Password of the seeded users.
    #[arg(long, default_value = DEFAULT_USER_PASSWORD, env = "TRESOR_BENCH_USER_PASSWORD", hide_env_values = true)]
    pub user_password: String,
    /// Database the vault scenarios (open-database, get-entry) use: name or id.
    #[arg(long, default_value = "bench-db-1")]
    pub database: String,
    /// Entries per page in open-database. The server streams up to 100,000 per page, so a client opens a
    /// database in one request; smaller pages measure paging.
    #[arg(long, default_value_t = 100_000)]
    pub page_size: usize,
    /// In lock-cycle and lock-cycle-wait, how long a worker whose lock was refused waits before it asks again
    /// (`0` asks again at once).
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub lock_backoff: Duration,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Parses `10s`, `250ms`, `2m` or a bare number of seconds (fractions allowed).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("{text:?} is not a duration like 10s or 500ms"))?;
    Duration::try_from_secs_f64(value * scale).map_err(|_| format!("{text:?} is not a usable duration"))
}

/// Shared by all workers of one run.
#[derive(Debug)]
struct Clock {
    measure_from: Instant,
    stop_at: Instant,
    abandon_at: Instant,
    max_requests: Option<u64>,
    issued: AtomicU64,
    stop: AtomicBool,
}

/// What one worker brings back.
#[derive(Debug, Default)]
struct Tally {
    latencies: Latencies,
    errors: BTreeMap<String, ErrorCount>,
    warmup_requests: u64,
    last_end: Option<Instant>,
}

pub async fn run(args: &RunArgs) -> anyhow::Result<Report> {
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(!args.duration.is_zero(), "--duration must be positive");
    let trust = args.target.trust().await?;
    let sampler = args.server_pid.map(Sampler::start).transpose()?;

    // Which HTTP version the same stack negotiates with this server (Tresor's servers offer h2 and http/1.1).
    let probe_path = if args.scenario == Scenario::Hello { None } else { Some("/healthz") };
    let probe = RawClient::new(&args.target.url, &trust)?;
    let probe = match probe_path {
        Some(path) => probe.with_path(path),
        None => probe,
    };
    let protocol = probe.protocol().await?;

    let mut setup =
        Setup::new(&args.target.url, trust, args.users, &args.user_password, &args.database, args.page_size);
    setup.lock_backoff = args.lock_backoff;
    let workers = prepare(args.scenario, setup, args.concurrency).await?;

    let start = Instant::now();
    let measure_from = start + args.warmup;
    let stop_at = measure_from + args.duration;
    let clock = Arc::new(Clock {
        measure_from,
        stop_at,
        abandon_at: stop_at + ABANDON_AFTER,
        max_requests: args.max_requests,
        issued: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    // A worker at 50,000 requests/s over the window needs this much; more only costs a reallocation.
    let capacity = (args.duration.as_secs_f64() * 50_000.0 / args.concurrency as f64) as usize;
    let server_pid = args.server_pid;
    let cpu_mark = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from).await;
        CpuMark::now(server_pid)
    });
    let mut tasks = tokio::task::JoinSet::new();
    for worker in workers {
        tasks.spawn(drive(worker, Arc::clone(&clock), capacity.min(1 << 22)));
    }

    let mut latencies = Latencies::default();
    let mut errors: BTreeMap<String, ErrorCount> = BTreeMap::new();
    let (mut warmup_requests, mut last_end) = (0, None::<Instant>);
    while let Some(joined) = tasks.join_next().await {
        let tally = joined.context("a worker failed")?;
        latencies.merge(tally.latencies);
        for (kind, count) in tally.errors {
            errors.entry(kind).or_insert_with(|| ErrorCount { count: 0, message: count.message.clone() }).count +=
                count.count;
        }
        warmup_requests += tally.warmup_requests;
        last_end = last_end.max(tally.last_end);
    }
    let window = last_end.map_or(args.duration, |end| end.saturating_duration_since(measure_from));
    let cpu = cpu_mark.await.context("CPU accounting")?.since(server_pid, window);
    let server_memory = match sampler {
        Some(s) => Some(s.finish().await),
        None => None,
    };
    let measured =
        Measured { protocol, window, warmup_requests, latencies, errors_by_kind: errors, server_memory, cpu };
    Ok(Report::new(args, measured))
}

/// Prepares all workers concurrently (logging in is slow by design), failing on the first that cannot start.
async fn prepare(scenario: Scenario, setup: Setup, count: usize) -> anyhow::Result<Vec<Worker>> {
    let setup = Arc::new(setup);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..count {
        let setup = Arc::clone(&setup);
        tasks.spawn(async move { scenario.prepare(&setup, index).await });
    }
    let mut workers = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        workers.push(joined.context("preparing a worker failed")??);
    }
    Ok(workers)
}

/// One worker's loop: nothing but the request, two clock reads and a push per iteration.
async fn drive(mut worker: Worker, clock: Arc<Clock>, capacity: usize) -> Tally {
    let mut tally = Tally { latencies: Latencies::with_capacity(capacity), ..Tally::default() };
    loop {
        let started = Instant::now();
        if started >= clock.stop_at || clock.stop.load(Ordering::Relaxed) {
            break;
        }
        let timed = started >= clock.measure_from;
        if timed
            && let Some(max) = clock.max_requests
            && clock.issued.fetch_add(1, Ordering::Relaxed) >= max
        {
            clock.stop.store(true, Ordering::Relaxed);
            break;
        }
        let outcome = tokio::time::timeout_at(clock.abandon_at, worker.step()).await;
        let ended = Instant::now();
        if !timed {
            tally.warmup_requests += 1;
            if outcome.is_err() {
                break;
            }
            continue;
        }
        tally.last_end = Some(ended);
        match outcome {
            Ok(Ok(())) => tally.latencies.record(ended - started),
            Ok(Err(failure)) => {
                let entry = tally
                    .errors
                    .entry(failure.kind)
                    .or_insert_with(|| ErrorCount { count: 0, message: failure.message });
                entry.count += 1;
            }
            Err(_) => {
                let entry = tally.errors.entry("abandoned".to_owned()).or_insert_with(|| ErrorCount {
                    count: 0,
                    message: format!("no answer {}s after the window closed", ABANDON_AFTER.as_secs()),
                });
                entry.count += 1;
                break;
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
