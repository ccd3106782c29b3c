//! `tresor-bench argon2`: the raw Argon2id verification rate at the server's parameters, on N threads, which is
//! the ceiling of the login rate (a login costs one verification; hashing happens only when a password is set).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tresor_crypto::{Argon2Params, PasswordHasher, SecretString};

use crate::histogram::{Latencies, LatencySummary};

#[derive(Debug, Args)]
pub struct KdfArgs {
    /// How long to measure (a bare number of seconds, or `5s`, `500ms`).
    #[arg(long, default_value = "5s", value_parser = crate::driver::parse_duration)]
    pub seconds: Duration,
    /// Threads verifying at once; the server runs as many hashes at once as it has cores.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct KdfReport {
    pub algorithm: &'static str,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub threads: usize,
    pub seconds: f64,
    pub verifications: u64,
    pub verifications_per_second: f64,
    pub latency: Option<LatencySummary>,
}

impl KdfReport {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Argon2id m={} KiB t={} p={} on {} threads: {:.1} verifications/s ({} in {:.1}s)\n",
            self.memory_kib,
            self.iterations,
            self.parallelism,
            self.threads,
            self.verifications_per_second,
            self.verifications,
            self.seconds
        );
        if let Some(l) = &self.latency {
            out.push_str(&format!(
                "  per verification ms  p50 {:.1}  p99 {:.1}  max {:.1}  mean {:.1}\n",
                l.p50_ms, l.p99_ms, l.max_ms, l.mean_ms
            ));
        }
        out
    }
}

/// Verifies a correct password against one hash on every thread until the time is up. Each thread reuses one
/// working-memory buffer, so this is the key derivation alone: no allocation, no page faults.
pub fn measure(args: &KdfArgs) -> anyhow::Result<KdfReport> {
    anyhow::ensure!(args.threads > 0, "--threads must be at least 1");
    let params = Argon2Params::owasp_minimum();
    let hasher = PasswordHasher::new(params).context("Argon2id")?;
    let password = SecretString::new("bench-password-0123".to_owned());
    let hash = hasher.hash(&password).context("hashing")?;
    // One untimed verification checks that the hash verifies at all.
    anyhow::ensure!(hasher.verify(&password, &hash), "a fresh hash does not verify");

    let started = Instant::now();
    let deadline = started + args.seconds;
    let per_thread: Vec<Latencies> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut latencies = Latencies::default();
                    let mut memory = hasher.new_memory();
                    while Instant::now() < deadline {
                        let t0 = Instant::now();
                        let ok = hasher.verify_with(&password, &hash, &mut memory);
                        latencies.record(t0.elapsed());
                        std::hint::black_box(ok);
                    }
                    latencies
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut all = Latencies::default();
    for l in per_thread {
        all.merge(l);
    }
    let verifications = all.len() as u64;
    Ok(KdfReport {
        algorithm: "argon2id",
        memory_kib: params.memory_kib(),
        iterations: params.iterations(),
        parallelism: params.parallelism(),
        threads: args.threads,
        seconds,
        verifications,
        verifications_per_second: verifications as f64 / seconds,
        latency: all.summarize(),
    })
}
