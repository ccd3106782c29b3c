//! Shared by the `vault_*` tests: raw HTTP (reqwest over the client's TLS stack, trusting the server's CA) to a
//! `tresor server` child process, on SQLite or on a fresh PostgreSQL schema, and the store opened directly with
//! sqlx to check or damage what the server wrote.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli_support::Server;

/// Every seeded user's password (no change pending).
pub const USER_PASSWORD: &str = "vault-user-Pw-4711";
/// The super administrator's password after the forced change.
pub const ADMIN_PASSWORD: &str = "vault-admin-Pw-4711";
/// Every permission a database grant can set.
pub const ALL_PERMISSIONS: [&str; 5] = ["access", "read", "modify", "add", "delete"];

/// Where the server keeps its state.
#[derive(Debug, Clone)]
pub enum Engine {
    /// `tresor.db` in the data directory.
    Sqlite,
    /// A schema of its own in the database at `base`; `url` points the server at it through the search path.
    Postgres { base: String, url: String, schema: String },
}

impl Engine {
    /// SQLite, and PostgreSQL in a fresh schema when `TRESOR_TEST_POSTGRES_URL` is set (required under
    /// `TRESOR_REQUIRE_PEERS=1`).
    pub async fn all() -> Vec<Engine> {
        let mut engines = vec![Engine::Sqlite];
        match std::env::var("TRESOR_TEST_POSTGRES_URL") {
            Ok(base) if !base.is_empty() => engines.push(Engine::postgres(&base).await),
            _ => {
                assert!(
                    std::env::var("TRESOR_REQUIRE_PEERS").as_deref() != Ok("1"),
                    "TRESOR_REQUIRE_PEERS=1 but TRESOR_TEST_POSTGRES_URL is not set"
                );
                eprintln!("skipped: TRESOR_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
            }
        }
        engines
    }

    pub async fn postgres(base: &str) -> Engine {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let schema = format!("tresor_vault_{}_{}", std::process::id(), nanos % 1_000_000_000_000);
        let mut conn = pg_connect(base).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut conn).await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Engine::Postgres { base: base.to_owned(), url, schema }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres { .. } => "postgres",
        }
    }

    /// The server's extra flags for this engine.
    pub fn server_args(&self) -> Vec<String> {
        let mut args = vec!["--seats".to_owned(), "100".to_owned()];
        if let Engine::Postgres { url, .. } = self {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    /// Starts `tresor server` on `data_dir` with this engine.
    pub fn start(&self, data_dir: &Path) -> Server {
        let args = self.server_args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Server::start(data_dir, &args)
    }
}

pub async fn pg_connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| panic!("cannot connect to PostgreSQL: {e}"))
}

/// The SQLite file of a data directory, opened directly (the server must be stopped).
pub async fn sqlite_connect(data_dir: &Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let path = sqlite_path(data_dir);
    assert!(path.is_file(), "no database at {}", path.display());
    let url = format!("sqlite://{}", path.display());
    sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tresor.db")
}

/// One HTTP client for one server; each [`Api`] made from it shares its connection pool.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    /// Trusts the CA the server printed, as `--ca-cert` does.
    pub fn new(server: &Server) -> Http {
        let trust = tresor_client::Trust::CaFile(server.ca_cert.clone());
        let tls = tresor_client::tls_config(&trust).unwrap();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        Http { client, base: format!("{}/api/v1", server.url) }
    }

    /// Logs `account` in; fails unless the server answers with a token and no pending password change.
    pub async fn login(&self, account: &str, password: &str) -> Api {
        let api = Api { http: self.clone(), token: None };
        let (status, body) =
            api.call(Method::POST, "/auth/login", Some(json!({"account": account, "password": password}))).await;
        assert_eq!(status, 200, "login as {account}: {body}");
        assert_eq!(body["password_change_required"], false, "{account} must change its password first");
        Api { http: self.clone(), token: Some(body["token"].as_str().unwrap().to_owned()) }
    }

    /// The super administrator's first login with its one-time password and the forced change.
    pub async fn first_admin_login(&self, one_time_password: &str) -> Api {
        let anonymous = Api { http: self.clone(), token: None };
        let login = json!({"account": "admin", "password": one_time_password});
        let (status, body) = anonymous.call(Method::POST, "/auth/login", Some(login)).await;
        assert_eq!(status, 200, "first admin login: {body}");
        let pending = Api { http: self.clone(), token: Some(body["token"].as_str().unwrap().to_owned()) };
        let change = json!({"current_password": one_time_password, "new_password": ADMIN_PASSWORD});
        let (status, body) = pending.call(Method::PUT, "/me/password", Some(change)).await;
        assert!(status == 200 || status == 204, "admin password change: {status} {body}");
        self.login("admin", ADMIN_PASSWORD).await
    }
}

/// A session (or none) on one server.
#[derive(Debug, Clone)]
pub struct Api {
    http: Http,
    token: Option<String>,
}

impl Api {
    /// Sends a request and returns the status and the JSON body (`null` when empty or not JSON); a transport
    /// error is a panic.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.try_call(method, path, body).await.unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// As [`Api::call`], but a request that gets no complete answer (the server was killed) is an `Err`.
    pub async fn try_call(&self, method: Method, path: &str, body: Option<Value>) -> Result<(u16, Value), String> {
        let response = self.request(method, path).json_opt(body).send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// A request builder with the bearer token, for bodies that are not JSON.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.client.request(method, format!("{}{path}", self.http.base));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// A call that must answer `expected`; returns the body.
    pub async fn expect(&self, expected: u16, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(method.clone(), path, body).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        answer
    }

    /// Creates a user who can log in at once with [`USER_PASSWORD`].
    pub async fn create_user(&self, account: &str) {
        let user = json!({"account": account, "password": USER_PASSWORD, "options": {"must_change_password": false}});
        self.expect(201, Method::POST, "/admin/users", Some(user)).await;
    }

    /// Creates a database and gives `users` every permission on it; returns its id.
    pub async fn create_database(&self, name: &str, users: &[&str]) -> String {
        let db = self.expect(201, Method::POST, "/admin/databases", Some(json!({"name": name, "comments": ""}))).await;
        let id = db["id"].as_str().unwrap().to_owned();
        let grants: Vec<Value> = users
            .iter()
            .flat_map(|user| {
                ALL_PERMISSIONS.iter().map(move |permission| {
                    json!({"object": {"kind": "database"}, "subject": {"kind": "user", "name": user},
                        "permission": permission, "setting": "allow"})
                })
            })
            .collect();
        let (status, body) =
            self.call(Method::PUT, &format!("/admin/databases/{id}/grants"), Some(json!({"grants": grants}))).await;
        assert!((200..300).contains(&status), "grants: {status} {body}");
        id
    }
}

trait JsonOpt {
    fn json_opt(self, body: Option<Value>) -> Self;
}

impl JsonOpt for reqwest::RequestBuilder {
    fn json_opt(self, body: Option<Value>) -> Self {
        match body {
            Some(body) => self.json(&body),
            None => self,
        }
    }
}

/// A small seeded generator (xorshift64*), so that a failing run can be replayed from its printed seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }

    /// A printable secret of `len` characters.
    pub fn secret(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!";
        (0..len).map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize] as char).collect()
    }
}

/// The seed of a test: `TRESOR_TEST_SEED` to replay one, else taken from the clock. Printed either way.
pub fn seed() -> u64 {
    let seed = std::env::var("TRESOR_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("seed: {seed} (replay with TRESOR_TEST_SEED={seed})");
    seed
}
