//! The vault part of `tresor-bench seed`: databases `bench-db-1` … with folders `bench-folder-1` … and entries,
//! every seeded user granted access and read, `bench-user-1` also add (it writes the entries: the super
//! administrator cannot act as a client). Idempotent like the rest of seeding: existing databases and folders are
//! kept, and only the entries missing up to the asked number are created.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use tresor_client::api::{LoginRequest, WirePassword};
use tresor_client::{Client, Trust};

use crate::seed::{StepCount, user_name};
use crate::vault_http::VaultHttp;

/// The name of the `n`-th seeded database, counting from 1.
pub fn database_name(n: usize) -> String {
    format!("bench-db-{n}")
}

fn folder_name(n: usize) -> String {
    format!("bench-folder-{n}")
}

/// What the vault seeding is asked for.
#[derive(Debug)]
pub struct VaultSeed<'a> {
    pub url: &'a str,
    pub trust: &'a Trust,
    pub admin_token: String,
    pub users: usize,
    pub user_password: &'a str,
    pub databases: usize,
    pub folders: usize,
    pub entries: usize,
    pub concurrency: usize,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct VaultCounts {
    pub databases: StepCount,
    pub folders: StepCount,
    pub entries: StepCount,
}

pub async fn seed_vault(s: &VaultSeed<'_>) -> anyhow::Result<VaultCounts> {
    let mut counts = VaultCounts::default();
    if s.databases == 0 {
        return Ok(counts);
    }
    anyhow::ensure!(s.users >= 1, "seeding databases needs at least one seeded user (--users) to write entries");
    let admin = VaultHttp::new(s.url, s.trust, s.admin_token.clone())?;
    let writer_login = LoginRequest {
        account: user_name(1),
        password: WirePassword::new(s.user_password),
        client: None,
        device_token: None,
    };
    let answer = Client::new(s.url, s.trust.clone())?.login(&writer_login).await.context("login as bench-user-1")?;
    let writer = VaultHttp::new(s.url, s.trust, answer.token)?;

    for d in 1..=s.databases {
        let name = database_name(d);
        match admin
            .call(Method::POST, "/admin/databases", Some(&json!({"name": name, "comments": "tresor-bench"})))
            .await
        {
            Ok(_) => counts.databases.created += 1,
            Err(e) if e.status == Some(409) => counts.databases.existing += 1,
            Err(e) => return Err(e).with_context(|| format!("creating {name}")),
        }
        grant(&admin, &name, s.users).await.with_context(|| format!("granting {name}"))?;
        let folders = ensure_folders(&writer, &name, s.folders, &mut counts.folders).await?;
        let step = create_entries(&writer, &name, &folders, s.entries, s.concurrency).await?;
        counts.entries.created += step.created;
        counts.entries.existing += step.existing;
        eprintln!("{name}: {} entries ({} new)", step.created + step.existing, step.created);
    }
    Ok(counts)
}

/// Access and read for every seeded user; add for bench-user-1, the writer.
async fn grant(admin: &VaultHttp, database: &str, users: usize) -> anyhow::Result<()> {
    let one = |user: usize, permission: &str| {
        json!({"object": {"kind": "database"}, "subject": {"kind": "user", "name": user_name(user)},
            "permission": permission, "setting": "allow"})
    };
    let mut grants: Vec<Value> = (1..=users).flat_map(|u| [one(u, "access"), one(u, "read")]).collect();
    grants.push(one(1, "add"));
    admin.call(Method::PUT, &format!("/admin/databases/{database}/grants"), Some(&json!({"grants": grants}))).await?;
    Ok(())
}

/// The ids of `bench-folder-1` … `bench-folder-{count}` at the root, created where missing.
async fn ensure_folders(
    writer: &VaultHttp,
    database: &str,
    count: usize,
    tally: &mut StepCount,
) -> anyhow::Result<Vec<String>> {
    let listing = writer.get(&format!("/vault/databases/{database}/folders")).await?;
    let existing: Vec<(String, String)> = listing["folders"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| Some((f["name"].as_str()?.to_owned(), f["id"].as_str()?.to_owned())))
        .collect();
    let mut ids = Vec::with_capacity(count);
    for n in 1..=count {
        let name = folder_name(n);
        if let Some((_, id)) = existing.iter().find(|(have, _)| *have == name) {
            tally.existing += 1;
            ids.push(id.clone());
            continue;
        }
        let created = writer
            .call(Method::POST, &format!("/vault/databases/{database}/folders"), Some(&json!({"name": name})))
            .await?;
        tally.created += 1;
        ids.push(created["id"].as_str().context("folder id")?.to_owned());
    }
    Ok(ids)
}

/// Creates entries until the database holds `wanted`, spread round-robin over the folders, `width` at a time.
async fn create_entries(
    writer: &VaultHttp,
    database: &str,
    folders: &[String],
    wanted: usize,
    width: usize,
) -> anyhow::Result<StepCount> {
    let page = writer.get(&format!("/vault/databases/{database}/entries?recursive=true&limit=1")).await?;
    let existing = page["total"].as_u64().unwrap_or(0) as usize;
    let missing = wanted.saturating_sub(existing);
    let next = Arc::new(AtomicUsize::new(existing));
    let end = existing + missing;
    let folders = Arc::new(folders.to_vec());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..width.max(1).min(missing) {
        let (writer, next, folders, database) =
            (writer.clone(), Arc::clone(&next), Arc::clone(&folders), database.to_owned());
        tasks.spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= end {
                    return Ok::<_, anyhow::Error>(());
                }
                let mut body = json!({"type": "password", "title": format!("bench-entry-{k}"),
                    "username": format!("user{k}@example.com"), "password": format!("pw-{k}-{:x}", k * 7919),
                    "url": format!("https://service-{}.example.com", k % 500), "notes": "seeded by tresor-bench"});
                if !folders.is_empty() {
                    body["folder"] = json!(folders[k % folders.len()]);
                }
                writer.call(Method::POST, &format!("/vault/databases/{database}/entries"), Some(&body)).await?;
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("seeding task failed")??;
    }
    Ok(StepCount { created: missing, existing })
}
