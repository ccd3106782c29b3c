//! CPU time of the driver and of the server over the timed window, from `/proc/<pid>/stat` (Linux), so that a
//! report says how the machine's cores were shared: on a small machine the driver competes with the server.

use std::time::Duration;

use serde::Serialize;

/// Linux reports process times in USER_HZ ticks, fixed at 100 per second on every mainstream architecture.
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU time of `pid` (or of this process with `None`), all threads together, in seconds.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(|| "/proc/self/stat".to_owned(), |pid| format!("/proc/{pid}/stat"));
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

fn parse_stat(text: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may hold spaces; fields are counted after its end.
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Fields 3… follow; utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// CPU readings at the start of the window.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    driver: Option<f64>,
    server: Option<f64>,
}

impl CpuMark {
    pub fn now(server_pid: Option<u32>) -> Self {
        Self { driver: cpu_seconds(None), server: server_pid.and_then(|pid| cpu_seconds(Some(pid))) }
    }

    /// The CPU used since this mark, over a window of `window`.
    pub fn since(self, server_pid: Option<u32>, window: Duration) -> CpuUse {
        let end = Self::now(server_pid);
        let used = |a: Option<f64>, b: Option<f64>| Some((b? - a?).max(0.0));
        let cores = |s: Option<f64>| s.map(|s| if window.is_zero() { 0.0 } else { s / window.as_secs_f64() });
        let driver = used(self.driver, end.driver);
        let server = used(self.server, end.server);
        CpuUse {
            driver_seconds: driver,
            driver_cores: cores(driver),
            server_seconds: server,
            server_cores: cores(server),
        }
    }
}

/// CPU time over the timed window; `*_cores` is seconds of CPU per second of wall time.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CpuUse {
    pub driver_seconds: Option<f64>,
    pub driver_cores: Option<f64>,
    pub server_seconds: Option<f64>,
    pub server_cores: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_after_a_name_with_spaces() {
        let stat = "1234 (tresor (x) y) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 4 0 100 0 0";
        assert_eq!(parse_stat(stat), Some(3.0));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn reads_this_process() {
        assert!(cpu_seconds(None).is_some_and(|s| s >= 0.0));
    }
}
