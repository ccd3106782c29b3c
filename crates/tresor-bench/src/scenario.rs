//! The scenarios `run` can drive, and what one worker does for one request of each.
//!
//! Extension point: a later issue adds a variant to [`Scenario`] (open database, get entry, search, create,
//! update under lock), the untimed preparation it needs to [`Scenario::prepare`] (log in, pick the seeded
//! database), and its one timed request to [`Worker::step`]. The driver needs nothing else.

use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use tresor_client::api::{LoginRequest, WirePassword};
use tresor_client::{Client, ClientError, Trust};

use crate::raw::{RawClient, RawError};
use crate::seed::user_name;

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
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Me => "me",
            Self::Healthz => "healthz",
            Self::Hello => "hello",
        }
    }

    /// Whether the scenario logs in as seeded users.
    fn needs_users(self) -> bool {
        matches!(self, Self::Login | Self::Me)
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
            Self::Me => {
                let client = client()?;
                let login = &setup.logins[index % setup.logins.len()];
                let answer = client.login(login).await.with_context(|| format!("login as {}", login.account))?;
                if answer.password_change_required {
                    anyhow::bail!("{} must change its password first; seed it again", login.account);
                }
                Worker::Me { client: client.with_token(answer.token) }
            }
            Self::Healthz => Worker::Healthz { client: client()? },
            Self::Hello => Worker::Hello { client: RawClient::new(&setup.url, &setup.trust)? },
        })
    }
}

/// What every worker is prepared from.
#[derive(Debug)]
pub struct Setup {
    pub url: String,
    pub trust: Trust,
    /// One prepared login request per seeded user, shared by the workers.
    pub logins: Arc<Vec<LoginRequest>>,
}

impl Setup {
    /// `users` login requests for `bench-user-1` … `bench-user-{users}`, all with `password`.
    pub fn new(url: &str, trust: Trust, users: usize, password: &str) -> Self {
        let logins = (1..=users)
            .map(|n| LoginRequest { account: user_name(n), password: WirePassword::new(password), client: None })
            .collect();
        Self { url: url.to_owned(), trust, logins: Arc::new(logins) }
    }
}

/// One worker's connection(s) and position in its scenario.
#[derive(Debug)]
pub enum Worker {
    Login { client: Client, logins: Arc<Vec<LoginRequest>>, next: usize },
    Me { client: Client },
    Healthz { client: Client },
    Hello { client: RawClient },
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
