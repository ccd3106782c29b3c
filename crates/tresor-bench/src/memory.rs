//! The server's memory, read from `/proc/<pid>/status` (Linux): resident set now (`VmRSS`) and its peak over the
//! process's life (`VmHWM`), sampled in the background while a run goes on.

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the sampler reads `/proc`: often enough to see a login storm's peak, rarely enough to cost nothing.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// One reading, in KiB as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of `pid`.
pub fn read(pid: u32) -> anyhow::Result<Reading> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}: is the server running?"))?;
    parse_status(&text).with_context(|| format!("{path} has no VmRSS/VmHWM lines"))
}

fn parse_status(text: &str) -> Option<Reading> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some(Reading { rss_kib: field("VmRSS:")?, hwm_kib: field("VmHWM:")? })
}

/// Samples a process until stopped.
#[derive(Debug)]
pub struct Sampler {
    pid: u32,
    start: Reading,
    stop: watch::Sender<bool>,
    task: JoinHandle<(u64, usize)>,
}

impl Sampler {
    /// Takes the first reading now (failing if the process cannot be read) and keeps sampling in the background.
    pub fn start(pid: u32) -> anyhow::Result<Self> {
        let start = read(pid)?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let (mut peak, mut samples) = (start.rss_kib, 1usize);
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                // The process may exit during the run; the report then shows what was seen before.
                let Ok(now) = read(pid) else { break };
                peak = peak.max(now.rss_kib);
                samples += 1;
            }
            (peak, samples)
        });
        Ok(Self { pid, start, stop, task })
    }

    /// Stops sampling and takes the last reading.
    pub async fn finish(self) -> ServerMemory {
        let _ = self.stop.send(true);
        let (peak, samples) = self.task.await.unwrap_or((self.start.rss_kib, 1));
        let end = read(self.pid).ok();
        let mib = |kib: u64| kib as f64 / 1024.0;
        ServerMemory {
            pid: self.pid,
            rss_start_mib: mib(self.start.rss_kib),
            rss_end_mib: end.map(|r| mib(r.rss_kib)),
            rss_peak_sampled_mib: mib(peak.max(end.map_or(0, |r| r.rss_kib))),
            hwm_mib: mib(end.map_or(self.start.hwm_kib, |r| r.hwm_kib)),
            samples,
        }
    }
}

/// The server's memory over a run, in MiB.
#[derive(Debug, Clone, Serialize)]
pub struct ServerMemory {
    pub pid: u32,
    /// Before the workers connected.
    pub rss_start_mib: f64,
    /// After the run; absent when the process had gone.
    pub rss_end_mib: Option<f64>,
    /// The largest RSS seen by sampling every 100 ms.
    pub rss_peak_sampled_mib: f64,
    /// The kernel's high-water mark of RSS over the process's whole life (`VmHWM`).
    pub hwm_mib: f64,
    pub samples: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_status() {
        let text = "Name:\ttresor\nVmPeak:\t  900000 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\nThreads:\t4\n";
        assert_eq!(parse_status(text), Some(Reading { rss_kib: 20480, hwm_kib: 30720 }));
        assert_eq!(parse_status("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = read(std::process::id()).expect("own /proc status");
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib);
    }
}
