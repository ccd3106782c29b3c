//! The result of a run, printed as a few aligned lines for people or as one JSON object for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::cpu::CpuUse;
use crate::driver::RunArgs;
use crate::histogram::{Latencies, LatencySummary};
use crate::memory::ServerMemory;

/// How many errors of one kind, and the first message seen.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCount {
    pub count: u64,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub url: String,
    /// The HTTP version the client stack negotiated with the server.
    pub protocol: String,
    pub concurrency: usize,
    pub warmup_seconds: f64,
    /// From the start of the timed window to the answer of its last request.
    pub seconds: f64,
    pub warmup_requests: u64,
    /// Requests answered successfully in the window.
    pub requests: u64,
    pub errors: u64,
    /// Successful requests per second of the window.
    pub requests_per_second: f64,
    /// Latency of the successful requests; absent when there were none.
    pub latency: Option<LatencySummary>,
    /// Errors by kind: `<status> <code>` for API errors, `transport`, `tls`, `decode` or `abandoned`.
    pub errors_by_kind: BTreeMap<String, ErrorCount>,
    pub server_memory: Option<ServerMemory>,
    /// How the cores were shared during the window (the server's share only with `--server-pid`).
    pub cpu: CpuUse,
    /// Server CPU time per successful request, in microseconds: the figure that does not depend on how much of
    /// the machine the driver took.
    pub server_cpu_us_per_request: Option<f64>,
    /// The driver's CPU time per successful request, in microseconds.
    pub driver_cpu_us_per_request: Option<f64>,
}

/// What the driver measured, before it is summarized.
#[derive(Debug)]
pub struct Measured {
    pub protocol: String,
    pub window: Duration,
    pub warmup_requests: u64,
    pub latencies: Latencies,
    pub errors_by_kind: BTreeMap<String, ErrorCount>,
    pub server_memory: Option<ServerMemory>,
    pub cpu: CpuUse,
}

impl Report {
    pub fn new(args: &RunArgs, measured: Measured) -> Self {
        let Measured { protocol, window, warmup_requests, latencies, errors_by_kind, server_memory, cpu } = measured;
        let requests = latencies.len() as u64;
        let seconds = window.as_secs_f64();
        let per_request = |cpu: Option<f64>| cpu.filter(|_| requests > 0).map(|s| s * 1e6 / requests as f64);
        Self {
            scenario: args.scenario.name(),
            url: args.target.url.clone(),
            protocol,
            concurrency: args.concurrency,
            warmup_seconds: args.warmup.as_secs_f64(),
            seconds,
            warmup_requests,
            requests,
            errors: errors_by_kind.values().map(|e| e.count).sum(),
            requests_per_second: if seconds > 0.0 { requests as f64 / seconds } else { 0.0 },
            latency: latencies.summarize(),
            errors_by_kind,
            server_memory,
            server_cpu_us_per_request: per_request(cpu.server_seconds),
            driver_cpu_us_per_request: per_request(cpu.driver_seconds),
            cpu,
        }
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "scenario {} against {} ({}), {} connections, {:.1}s timed after {:.1}s warm-up",
            self.scenario, self.url, self.protocol, self.concurrency, self.seconds, self.warmup_seconds
        );
        let _ = writeln!(
            out,
            "  throughput  {:.0} requests/s ({} ok, {} errors)",
            self.requests_per_second, self.requests, self.errors
        );
        if let Some(l) = &self.latency {
            let _ = writeln!(
                out,
                "  latency ms  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}  mean {:.3}",
                l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms
            );
        }
        for (kind, e) in &self.errors_by_kind {
            let _ = writeln!(out, "  error       {kind}: {} (first: {})", e.count, e.message);
        }
        if let Some(m) = &self.server_memory {
            let end = m.rss_end_mib.map_or_else(|| "gone".to_owned(), |v| format!("{v:.1}"));
            let _ = writeln!(
                out,
                "  server RSS  start {:.1} MiB, end {end} MiB, peak sampled {:.1} MiB, VmHWM {:.1} MiB (pid {})",
                m.rss_start_mib, m.rss_peak_sampled_mib, m.hwm_mib, m.pid
            );
        }
        let show = |v: Option<f64>, digits: usize| v.map_or_else(|| "?".to_owned(), |v| format!("{v:.digits$}"));
        let _ = writeln!(
            out,
            "  CPU         driver {} cores ({} us/request), server {} cores ({} us/request)",
            show(self.cpu.driver_cores, 2),
            show(self.driver_cpu_us_per_request, 1),
            show(self.cpu.server_cores, 2),
            show(self.server_cpu_us_per_request, 1)
        );
        out
    }
}
