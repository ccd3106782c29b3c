//! `tresor-bench seed`: fills a server with users, groups, and vault databases with folders and entries at a chosen scale,
//! concurrently and idempotently, so that a second run with the same flags changes nothing.
//!
//! Names are fixed patterns (`bench-user-1` …, `bench-group-1` …) that the scenarios of `run` rely on.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tresor_client::api::{AccountOptionsPatch, CreateGroupRequest, CreateUserRequest, ErrorCode, WirePassword};
use tresor_client::{Client, ClientError};

use crate::seed_vault::{VaultCounts, VaultSeed, seed_vault};
use crate::target::{AdminArgs, TargetArgs, admin_session};

/// The password seeded users get unless `--user-password` says otherwise; `run` uses the same default.
pub const DEFAULT_USER_PASSWORD: &str = "bench-password-0123";

/// The account name of the `n`-th seeded user, counting from 1.
pub fn user_name(n: usize) -> String {
    format!("bench-user-{n}")
}

/// The name of the `n`-th seeded group, counting from 1.
pub fn group_name(n: usize) -> String {
    format!("bench-group-{n}")
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub admin: AdminArgs,
    /// Number of users (`bench-user-1` … `bench-user-N`), ready to log in: no password change pending.
    #[arg(long)]
    pub users: usize,
    /// Number of groups (`bench-group-1` …).
    #[arg(long, default_value_t = 0)]
    pub groups: usize,
    /// Users per group, spread so that every user is in about the same number of groups.
    #[arg(long, default_value_t = 10)]
    pub members_per_group: usize,
    /// Password of every seeded user.
    #[arg(long, default_value = DEFAULT_USER_PASSWORD, env = "TRESOR_BENCH_USER_PASSWORD", hide_env_values = true)]
    pub user_password: String,
    /// Vault databases (`bench-db-1` …); every seeded user gets access and read, bench-user-1 writes the entries.
    #[arg(long, default_value_t = 0)]
    pub databases: usize,
    /// Folders at the root of each database (`bench-folder-1` …); entries are spread over them.
    #[arg(long, default_value_t = 20)]
    pub folders: usize,
    /// Entries in each database.
    #[arg(long, default_value_t = 0)]
    pub entries_per_database: usize,
    /// Requests in flight at once while seeding (the server bounds its own password hashing further).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// What one seeding step did: objects created and objects that were there already.
#[derive(Debug, Default, Serialize)]
pub struct StepCount {
    /// Requests that succeeded. Adding a member is idempotent on the server, so for memberships this includes
    /// those that a previous run made.
    pub created: usize,
    pub existing: usize,
}

#[derive(Debug, Serialize)]
pub struct SeedSummary {
    pub users: StepCount,
    pub groups: StepCount,
    pub memberships: StepCount,
    pub vault: VaultCounts,
    pub seconds: f64,
}

/// Seeds in dependency order: users, groups, memberships, then the vault (`seed_vault`), each step idempotent.
pub async fn seed(args: &SeedArgs) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let trust = args.target.trust().await?;
    let client = Client::new(&args.target.url, trust.clone()).context("client")?;
    let (admin, admin_token) = admin_session(&client, &args.admin).await?;
    let width = args.concurrency.max(1);

    let password = args.user_password.clone();
    let users = run_bounded(&admin, args.users, width, move |admin, i| {
        let request = CreateUserRequest {
            account: user_name(i + 1),
            password: WirePassword::new(password.as_str()),
            full_name: format!("Bench User {}", i + 1),
            options: AccountOptionsPatch { must_change_password: Some(false), ..Default::default() },
            ..Default::default()
        };
        async move { admin.create_user(&request).await.map(drop) }
    })
    .await
    .context("creating users")?;

    let groups = run_bounded(&admin, args.groups, width, |admin, i| async move {
        let request = CreateGroupRequest { name: group_name(i + 1), ..Default::default() };
        admin.create_group(&request).await.map(drop)
    })
    .await
    .context("creating groups")?;

    let user_count = args.users;
    let per_group = args.members_per_group.min(user_count);
    let memberships = run_bounded(&admin, args.groups * per_group, width, move |admin, i| {
        let (group, user) = membership(i, per_group, user_count);
        async move { admin.add_group_user(&group_name(group), &user_name(user)).await.map(drop) }
    })
    .await
    .context("adding group members")?;

    let vault = seed_vault(&VaultSeed {
        url: &args.target.url,
        trust: &trust,
        admin_token,
        users: args.users,
        user_password: &args.user_password,
        databases: args.databases,
        folders: args.folders,
        entries: args.entries_per_database,
        concurrency: width,
    })
    .await
    .context("seeding the vault")?;

    Ok(SeedSummary { users, groups, memberships, vault, seconds: started.elapsed().as_secs_f64() })
}

/// The `i`-th membership: group `i / per_group + 1` gets consecutive users starting where the previous group
/// stopped, wrapping around, so that memberships spread evenly over the users.
fn membership(i: usize, per_group: usize, users: usize) -> (usize, usize) {
    (i / per_group + 1, i % users + 1)
}

/// Runs `make(client, i)` for every `i` in `0..count`, at most `width` at a time. An answer saying the object is
/// there already counts as done, which makes seeding idempotent.
async fn run_bounded<F, Fut>(admin: &Client, count: usize, width: usize, make: F) -> anyhow::Result<StepCount>
where
    F: Fn(Client, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ClientError>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..width.min(count) {
        let (next, make, admin) = (Arc::clone(&next), Arc::clone(&make), admin.clone());
        tasks.spawn(async move {
            let mut count_here = StepCount::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, ClientError>(count_here);
                }
                match make(admin.clone(), i).await {
                    Ok(()) => count_here.created += 1,
                    Err(e) if already_there(&e) => count_here.existing += 1,
                    Err(e) => return Err(e),
                }
            }
        });
    }
    let mut total = StepCount::default();
    while let Some(joined) = tasks.join_next().await {
        let part = joined.context("seeding task failed")??;
        total.created += part.created;
        total.existing += part.existing;
    }
    Ok(total)
}

/// A duplicate name (user, group) or an existing membership (conflict) means a previous run did this already.
fn already_there(e: &ClientError) -> bool {
    matches!(e.code(), Some(ErrorCode::DuplicateName | ErrorCode::Conflict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memberships_spread_over_users_and_wrap() {
        // 3 groups of 4 members over 10 users.
        let all: Vec<_> = (0..12).map(|i| membership(i, 4, 10)).collect();
        assert_eq!(&all[..4], &[(1, 1), (1, 2), (1, 3), (1, 4)]);
        assert_eq!(&all[4..8], &[(2, 5), (2, 6), (2, 7), (2, 8)]);
        assert_eq!(&all[8..], &[(3, 9), (3, 10), (3, 1), (3, 2)]);
    }
}
