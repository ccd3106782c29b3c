//! `tresor-bench listen`: how long a change takes to reach many live-stream listeners. `--listeners` WebSockets are
//! opened on sessions of the seeded users (shared round-robin); one writer then changes the first entry of
//! `--database` `--changes` times, one change every `--interval`, and notes when each change was acknowledged. Each
//! listener notes when it heard of each version; the report is the distribution of (heard − acknowledged) over every
//! (listener, change) pair, and how many pairs never arrived. A listener hearing a change before the writer has its
//! acknowledgement counts as 0.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use serde_json::json;
use tokio::time::Instant;
use tresor_client::Client;
use tresor_client::api::{LoginRequest, UpdateEntryRequest, WirePassword};

use crate::driver::parse_duration;
use crate::histogram::{Latencies, LatencySummary};
use crate::seed::{DEFAULT_USER_PASSWORD, user_name};
use crate::target::TargetArgs;
use crate::vault_http::{VaultHttp, all_entry_ids};

#[derive(Debug, Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Open WebSockets.
    #[arg(long, default_value_t = 1000)]
    pub listeners: usize,
    /// Seeded users whose sessions the listeners use (`bench-user-1` … `bench-user-N`); the writer is
    /// `bench-user-1`, who needs modify on the database.
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    #[arg(long, default_value = DEFAULT_USER_PASSWORD, env = "TRESOR_BENCH_USER_PASSWORD", hide_env_values = true)]
    pub user_password: String,
    #[arg(long, default_value = "bench-db-1")]
    pub database: String,
    /// Changes made.
    #[arg(long, default_value_t = 100)]
    pub changes: u32,
    /// Time between changes.
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub interval: Duration,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct ListenReport {
    pub listeners: usize,
    pub changes: u32,
    /// (listener, change) pairs heard.
    pub delivered: u64,
    /// Pairs never heard within 10 s of the last change.
    pub missing: u64,
    pub latency: Option<LatencySummary>,
}

impl ListenReport {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "listeners {}  changes {}  delivered {}  missing {}\n",
            self.listeners, self.changes, self.delivered, self.missing
        );
        if let Some(l) = &self.latency {
            out.push_str(&format!(
                "heard after acknowledgement (ms): mean {:.2}  p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}\n",
                l.mean_ms, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms
            ));
        }
        out
    }
}

pub async fn run(args: &ListenArgs) -> anyhow::Result<ListenReport> {
    anyhow::ensure!(args.listeners > 0 && args.users > 0 && args.changes > 0, "nothing to measure");
    let trust = args.target.trust().await?;
    let mut sessions = Vec::with_capacity(args.users);
    for n in 1..=args.users {
        let login = LoginRequest {
            account: user_name(n),
            password: WirePassword::new(&args.user_password),
            client: None,
            device_token: None,
        };
        let client = Client::new(&args.target.url, trust.clone())?;
        let answer = client.login(&login).await.with_context(|| format!("login as {}", login.account))?;
        sessions.push(client.with_token(answer.token));
    }
    let writer = VaultHttp::new(&args.target.url, &trust, sessions[0].bearer_token().unwrap_or_default())?;
    let entry = all_entry_ids(&writer, &args.database).await.context("listing the entries")?;
    let entry = entry.first().cloned().with_context(|| format!("{} has no entries: seed it first", args.database))?;

    // Every listener reports (listener, version, when heard).
    let (heard_tx, mut heard_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, u32, Instant)>();
    let mut tasks = Vec::with_capacity(args.listeners);
    for i in 0..args.listeners {
        let mut stream = sessions[i % sessions.len()].live_events().await.with_context(|| format!("listener {i}"))?;
        let heard = heard_tx.clone();
        let entry = entry.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                if event.kind == "entry_changed"
                    && event.entry.as_deref() == Some(&entry)
                    && let Some(v) = event.version
                {
                    let _ = heard.send((i, v, Instant::now()));
                }
            }
        }));
    }
    drop(heard_tx);

    let path = format!("/vault/databases/{}/entries/{entry}", args.database);
    let mut acknowledged: HashMap<u32, Instant> = HashMap::new();
    let mut next = Instant::now();
    for n in 0..args.changes {
        tokio::time::sleep_until(next).await;
        next += args.interval;
        let change = UpdateEntryRequest { notes: Some(format!("change {n}")), ..UpdateEntryRequest::default() };
        let answer = writer.call(reqwest::Method::PATCH, &path, Some(&json!(change))).await?;
        let at = Instant::now();
        let version = answer["version"].as_u64().and_then(|v| u32::try_from(v).ok()).context("no version")?;
        acknowledged.insert(version, at);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let expected = args.listeners as u64 * u64::from(args.changes);
    let mut heard: Vec<(u32, Instant)> = Vec::with_capacity(expected as usize);
    while (heard.len() as u64) < expected {
        match tokio::time::timeout_at(deadline, heard_rx.recv()).await {
            Ok(Some((_, version, at))) => heard.push((version, at)),
            _ => break,
        }
    }
    tasks.iter().for_each(tokio::task::JoinHandle::abort);
    let mut latencies = Latencies::with_capacity(heard.len());
    let mut delivered = 0;
    for (version, at) in heard {
        if let Some(ack) = acknowledged.get(&version) {
            latencies.record(at.saturating_duration_since(*ack));
            delivered += 1;
        }
    }
    Ok(ListenReport {
        listeners: args.listeners,
        changes: args.changes,
        delivered,
        missing: expected.saturating_sub(delivered),
        latency: latencies.summarize(),
    })
}
