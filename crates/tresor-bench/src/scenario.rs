//! The scenarios `run` can drive, and what one worker does for one request of each.
//!
//! Extension point: a later issue adds a variant to [`Scenario`] (search, create, update under lock), the untimed preparation it needs to [`Scenario::prepare`] (log in, pick the seeded
//! database), and its one timed request to [`Worker::step`]. The driver needs nothing else.

use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use tresor_client::api::{LoginRequest, WirePassword};
use tresor_client::{Client, ClientError, Trust};

use crate::raw::{RawClient, RawError};
use crate::seed::user_name;
use reqwest::Method;
use serde_json::json;

use crate::vault_http::{VaultHttp, all_entry_ids, entries_page};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// `POST /api/v1/auth/login` as the seeded users in turn: one Argon2id verification per request.
    Login,
    /// `GET /api/v1/me` with a session each worker opened before timing starts.
    Me,
    /// `GET /healthz` of a Tresor server: no authentication, the HTTP stack and a store check.
    Healthz,
    /// `GET` of the URL as given (`tresor-bench hello` answers `GET /`): the reference point.
    Hello,
    /// Opening a database as a client does: every page (`--page-size` entries) of `--database` (all folders), one
    /// after the other; one timed step is the whole open.
    OpenDatabase,
    /// `GET /api/v1/vault/databases/{db}/entries/{id}?reveal=true` of an entry picked at random among those of
    /// `--database`.
    GetEntry,
    /// Every worker edits the same entry (the first of `--database`) under its lock: take the lock, save a change,
    /// release it. One timed step is one attempt: a completed cycle (three requests), or a lock refused because
    /// another worker holds it, which ends the attempt and is counted as `423 entry_locked`. The users need modify
    /// on the database.
    LockCycle,
    /// As `lock-cycle`, but a refused lock is asked for again at once until it is granted: one timed step is the
    /// whole wait and the cycle, what a user who insists experiences.
    LockCycleWait,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Me => "me",
            Self::Healthz => "healthz",
            Self::Hello => "hello",
            Self::OpenDatabase => "open-database",
            Self::GetEntry => "get-entry",
            Self::LockCycle => "lock-cycle",
            Self::LockCycleWait => "lock-cycle-wait",
        }
    }

    /// Whether the scenario logs in as seeded users.
    fn needs_users(self) -> bool {
        matches!(
            self,
            Self::Login | Self::Me | Self::OpenDatabase | Self::GetEntry | Self::LockCycle | Self::LockCycleWait
        )
    }

    /// The worker `index`'s state, with its own connection pool; whatever it does here is not timed.
    pub async fn prepare(self, setup: &Setup, index: usize) -> anyhow::Result<Worker> {
        if self.needs_users() && setup.logins.is_empty() {
            anyhow::bail!("the {} scenario needs seeded users: --users must be at least 1", self.name());
        }
        let client = || Client::new(&setup.url, setup.trust.clone()).context("client");
        Ok(match self {
            Self::Login => {
                // Workers start at different users so that concurrent logins are for different accounts.
                Worker::Login { client: client()?, logins: Arc::clone(&setup.logins), next: index }
            }
            Self::Me => Worker::Me { client: client()?.with_token(user_token(setup, index).await?) },
            Self::OpenDatabase => {
                let api = VaultHttp::new(&setup.url, &setup.trust, user_token(setup, index).await?)?;
                Worker::OpenDatabase { api, database: setup.database.clone(), page_size: setup.page_size }
            }
            Self::LockCycle | Self::LockCycleWait => {
                let api = VaultHttp::new(&setup.url, &setup.trust, user_token(setup, index).await?)?;
                let ids = setup.entry_ids(&api).await?;
                let entry = format!("/vault/databases/{}/entries/{}", setup.database, ids[0]);
                let wait = self == Self::LockCycleWait;
                Worker::LockCycle { api, lock: format!("{entry}/lock"), entry, wait, backoff: setup.lock_backoff }
            }
            Self::GetEntry => {
                let api = VaultHttp::new(&setup.url, &setup.trust, user_token(setup, index).await?)?;
                let ids = setup.entry_ids(&api).await?;
                let paths = Arc::new(
                    ids.iter()
                        .map(|id| format!("/vault/databases/{}/entries/{id}?reveal=true", setup.database))
                        .collect(),
                );
                Worker::GetEntry { api, paths, rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1) }
            }
            Self::Healthz => Worker::Healthz { client: client()? },
            Self::Hello => Worker::Hello { client: RawClient::new(&setup.url, &setup.trust)? },
        })
    }
}

/// A session for worker `index`, as the seeded user it takes in turn.
async fn user_token(setup: &Setup, index: usize) -> anyhow::Result<String> {
    let client = Client::new(&setup.url, setup.trust.clone()).context("client")?;
    let login = &setup.logins[index % setup.logins.len()];
    let answer = client.login(login).await.with_context(|| format!("login as {}", login.account))?;
    if answer.password_change_required {
        anyhow::bail!("{} must change its password first; seed it again", login.account);
    }
    Ok(answer.token)
}

/// What every worker is prepared from.
#[derive(Debug)]
pub struct Setup {
    pub url: String,
    pub trust: Trust,
    /// One prepared login request per seeded user, shared by the workers.
    pub logins: Arc<Vec<LoginRequest>>,
    /// The database of the vault scenarios (name or id).
    pub database: String,
    /// Entries per listing page in open-database.
    pub page_size: usize,
    /// How long a lock-cycle worker waits after a refusal.
    pub lock_backoff: std::time::Duration,
    /// Its entries' ids, listed once by the first worker that needs them.
    entry_ids: tokio::sync::OnceCell<Arc<Vec<String>>>,
}

impl Setup {
    /// The database's entry ids: one listing for all workers, before timing starts.
    async fn entry_ids(&self, api: &VaultHttp) -> anyhow::Result<&Arc<Vec<String>>> {
        self.entry_ids
            .get_or_try_init(|| async {
                let ids = all_entry_ids(api, &self.database).await.context("listing the entries")?;
                anyhow::ensure!(!ids.is_empty(), "{} has no entries: seed it first", self.database);
                Ok(Arc::new(ids))
            })
            .await
    }

    /// `users` login requests for `bench-user-1` … `bench-user-{users}`, all with `password`.
    pub fn new(url: &str, trust: Trust, users: usize, password: &str, database: &str, page_size: usize) -> Self {
        let logins = (1..=users)
            .map(|n| LoginRequest {
                account: user_name(n),
                password: WirePassword::new(password),
                client: None,
                device_token: None,
            })
            .collect();
        Self {
            url: url.to_owned(),
            trust,
            logins: Arc::new(logins),
            database: database.to_owned(),
            page_size,
            lock_backoff: std::time::Duration::ZERO,
            entry_ids: tokio::sync::OnceCell::new(),
        }
    }
}

/// One worker's connection(s) and position in its scenario.
#[derive(Debug)]
pub enum Worker {
    Login { client: Client, logins: Arc<Vec<LoginRequest>>, next: usize },
    Me { client: Client },
    Healthz { client: Client },
    Hello { client: RawClient },
    OpenDatabase { api: VaultHttp, database: String, page_size: usize },
    GetEntry { api: VaultHttp, paths: Arc<Vec<String>>, rng: u64 },
    LockCycle { api: VaultHttp, entry: String, lock: String, wait: bool, backoff: std::time::Duration },
}

impl Worker {
    /// One timed request.
    pub async fn step(&mut self) -> Result<(), Failure> {
        match self {
            Self::Login { client, logins, next } => {
                let login = &logins[*next % logins.len()];
                *next = next.wrapping_add(1);
                client.login(login).await.map(drop)?;
            }
            Self::Me { client } => client.me().await.map(drop)?,
            Self::Healthz { client } => client.health().await.map(drop)?,
            Self::Hello { client } => client.get().await?,
            Self::OpenDatabase { api, database, page_size } => {
                let mut seen = 0;
                loop {
                    let (count, total) = api.entry_page(&entries_page(database, seen, *page_size)).await?;
                    seen += count;
                    if count == 0 || seen as u64 >= total {
                        break;
                    }
                }
            }
            Self::GetEntry { api, paths, rng } => {
                // xorshift64: cheap, and each worker walks its own sequence.
                *rng ^= *rng << 13;
                *rng ^= *rng >> 7;
                *rng ^= *rng << 17;
                api.get(&paths[(*rng % paths.len() as u64) as usize]).await?;
            }
            Self::LockCycle { api, entry, lock, wait, backoff } => {
                loop {
                    match api.call(Method::POST, lock, None).await {
                        Ok(_) => break,
                        Err(e) if e.status == Some(423) => {
                            tokio::time::sleep(*backoff).await;
                            if !*wait {
                                return Err(e.into());
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                api.call(Method::PATCH, entry, Some(&json!({"notes": "edited under the lock"}))).await?;
                api.call_empty(Method::DELETE, lock).await?;
            }
        }
        Ok(())
    }
}

/// A failed request, classified for the report's error table.
#[derive(Debug)]
pub struct Failure {
    /// `401 invalid_credentials`, `transport`, …: what errors are counted by.
    pub kind: String,
    /// The first message seen of this kind, to say what happened.
    pub message: String,
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        let kind = match &e {
            ClientError::Api { status, code, .. } => format!("{status} {code}"),
            ClientError::Tls(_) => "tls".to_owned(),
            ClientError::Transport(_) => "transport".to_owned(),
            ClientError::Decode(_) => "decode".to_owned(),
            ClientError::InvalidUrl(_) => "invalid_url".to_owned(),
            ClientError::SecondFactorRequired => "second_factor_required".to_owned(),
        };
        Self { kind, message: e.to_string() }
    }
}

impl From<RawError> for Failure {
    fn from(e: RawError) -> Self {
        let kind = e.status.map_or_else(|| "transport".to_owned(), |s| s.to_string());
        Self { kind, message: e.message }
    }
}
