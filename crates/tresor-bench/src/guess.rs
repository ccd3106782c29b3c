//! `tresor-bench guess`: a password-guessing flood against one account from one address, while other users log in
//! from another address. It reports how many Argon2id computations the flood cost the server (from the
//! dashboard's counter) against the bound the sign-in settings promise, and the other users' login latency before
//! and during the flood.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use tokio::time::Instant;
use tresor_client::Client;
use tresor_client::api::SigninSettings;

use crate::histogram::{Latencies, LatencySummary};
use crate::raw::http_client_from;
use crate::seed::{DEFAULT_USER_PASSWORD, user_name};
use crate::target::{AdminArgs, TargetArgs, admin_session};

#[derive(Debug, Args)]
pub struct GuessArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Wrong-password attempts against the victim.
    #[arg(long, default_value_t = 10_000)]
    pub attempts: u64,
    /// The account under attack.
    #[arg(long, default_value = "bench-user-10")]
    pub victim: String,
    /// Attempts in flight at once.
    #[arg(long, default_value_t = 16)]
    pub attackers: usize,
    /// Attempts per second, spread evenly; 0 sends as fast as the server answers (on a 2-core machine the flood's
    /// own TLS and the driver then take the CPU the logins need, whatever the server does with the attempts).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// The address the flood comes from (a loopback address on a test machine).
    #[arg(long, default_value = "127.0.0.1")]
    pub attack_from: IpAddr,
    /// The address the other users log in from.
    #[arg(long, default_value = "127.0.0.2")]
    pub users_from: IpAddr,
    /// Other users logging in at once (`bench-user-1` … without the victim).
    #[arg(long, default_value_t = 4)]
    pub users: usize,
    /// How long the other users log in before the flood, for the quiet latency.
    #[arg(long, default_value = "15s", value_parser = crate::driver::parse_duration)]
    pub quiet: Duration,
    #[arg(long, default_value = DEFAULT_USER_PASSWORD, env = "TRESOR_BENCH_USER_PASSWORD", hide_env_values = true)]
    pub user_password: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct GuessReport {
    pub attempts: u64,
    pub refused_wrong_password: u64,
    pub refused_rate_limited: u64,
    pub other_answers: u64,
    pub flood_seconds: f64,
    /// Argon2id computations during the flood, less those of the other users' logins.
    pub flood_hashes: u64,
    /// What the settings allow: the failed-login limit plus the burst plus the sustained rate over the flood.
    pub allowed_hashes: u64,
    pub quiet_logins: usize,
    pub flood_logins: usize,
    pub quiet: LatencySummary,
    pub during_flood: LatencySummary,
    pub p99_ratio: f64,
}

impl GuessReport {
    pub fn to_text(&self) -> String {
        format!(
            "flood: {} attempts in {:.1}s: {} wrong password, {} rate limited, {} other\n\
             Argon2id computations by the flood: {} (the settings allow at most {})\n\
             other users' logins: quiet p50 {:.1} ms p99 {:.1} ms ({} logins); during the flood p50 {:.1} ms \
             p99 {:.1} ms ({} logins); p99 ratio {:.2}\n",
            self.attempts,
            self.flood_seconds,
            self.refused_wrong_password,
            self.refused_rate_limited,
            self.other_answers,
            self.flood_hashes,
            self.allowed_hashes,
            self.quiet.p50_ms,
            self.quiet.p99_ms,
            self.quiet_logins,
            self.during_flood.p50_ms,
            self.during_flood.p99_ms,
            self.flood_logins,
            self.p99_ratio,
        )
    }
}

/// Logs the other users in and out in a loop until `stop`, recording each login's latency.
async fn logins(
    http: reqwest::Client,
    url: String,
    users: Vec<String>,
    password: String,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Latencies> {
    let mut tasks = Vec::new();
    for account in users {
        let (http, url, password, stop) = (http.clone(), url.clone(), password.clone(), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::with_capacity(1024);
            while !stop.load(Ordering::Relaxed) {
                let body = serde_json::json!({"account": account, "password": password});
                let started = Instant::now();
                let answer = http.post(format!("{url}/api/v1/auth/login")).json(&body).send().await?;
                let status = answer.status();
                let text = answer.text().await?;
                if !status.is_success() {
                    bail!("{account} could not log in: {status} {text}");
                }
                latencies.record(started.elapsed());
                let token =
                    serde_json::from_str::<serde_json::Value>(&text)?["token"].as_str().unwrap_or_default().to_owned();
                http.post(format!("{url}/api/v1/auth/logout")).bearer_auth(token).send().await?;
            }
            Ok(latencies)
        }));
    }
    let mut all = Latencies::with_capacity(4096);
    for t in tasks {
        all.merge(t.await??);
    }
    Ok(all)
}

pub async fn run(args: &GuessArgs) -> anyhow::Result<GuessReport> {
    let trust = args.target.trust().await?;
    let url = args.target.url.trim_end_matches('/').to_owned();
    let (admin, _) = admin_session(&Client::new(&url, trust.clone())?, &args.admin).await?;
    let settings: SigninSettings = admin.signin_settings().await.context("reading the sign-in settings")?;
    let users: Vec<String> = (1..).map(user_name).filter(|u| *u != args.victim).take(args.users).collect();
    let users_http = http_client_from(&trust, args.users_from)?;
    let attack_http = http_client_from(&trust, args.attack_from)?;

    // Quiet: the other users alone.
    let stop = Arc::new(AtomicBool::new(false));
    let quiet_task = tokio::spawn(logins(
        users_http.clone(),
        url.clone(),
        users.clone(),
        args.user_password.clone(),
        Arc::clone(&stop),
    ));
    tokio::time::sleep(args.quiet).await;
    stop.store(true, Ordering::Relaxed);
    let quiet = quiet_task.await??;

    // The flood, with the other users logging in beside it.
    let before = admin.server_info().await?.password_hashes;
    let stop = Arc::new(AtomicBool::new(false));
    let users_task =
        tokio::spawn(logins(users_http, url.clone(), users, args.user_password.clone(), Arc::clone(&stop)));
    let next = Arc::new(AtomicU64::new(0));
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let started = Instant::now();
    let mut attackers = Vec::new();
    for _ in 0..args.attackers {
        let (http, url, next, counts) = (attack_http.clone(), url.clone(), Arc::clone(&next), Arc::clone(&counts));
        let (victim, total, rate) = (args.victim.clone(), args.attempts, args.rate);
        attackers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                if rate > 0 {
                    tokio::time::sleep_until(started + Duration::from_secs_f64(n as f64 / rate as f64)).await;
                }
                let guess = format!("guess-{n}");
                let body = serde_json::json!({"account": victim, "password": guess});
                let status = http.post(format!("{url}/api/v1/auth/login")).json(&body).send().await?.status();
                let slot = match status.as_u16() {
                    401 => 0,
                    429 => 1,
                    _ => 2,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for a in attackers {
        a.await??;
    }
    let flood_seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let during = users_task.await??;
    let after = admin.server_info().await?.password_hashes;
    let flood_logins = during.len();
    // Each of the other users' logins computed one hash; the admin's info requests computed none.
    let flood_hashes = (after - before).saturating_sub(flood_logins as u64);
    let p = &settings.protection;
    let allowed_hashes = u64::from(settings.protection.failed_login_limit)
        + u64::from(p.attempt_burst)
        + (f64::from(p.attempts_per_minute) * flood_seconds / 60.0).ceil() as u64;
    let quiet_logins = quiet.len();
    let quiet = quiet.summarize().context("no quiet logins")?;
    let during_flood = during.summarize().context("no logins during the flood")?;
    Ok(GuessReport {
        attempts: args.attempts,
        refused_wrong_password: counts[0].load(Ordering::Relaxed),
        refused_rate_limited: counts[1].load(Ordering::Relaxed),
        other_answers: counts[2].load(Ordering::Relaxed),
        flood_seconds,
        flood_hashes,
        allowed_hashes,
        quiet_logins,
        flood_logins,
        p99_ratio: during_flood.p99_ms / quiet.p99_ms,
        quiet,
        during_flood,
    })
}
