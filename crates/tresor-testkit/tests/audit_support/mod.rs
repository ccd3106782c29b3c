//! What the server-log event tests share: reading the log through the client, finding the record of one act in
//! it, and making requests whose types have no defaults.
#![allow(dead_code)] // Each test binary uses its own part.

use serde_json::{Value, json};
use tresor_api::{
    CreateEntryRequest, LogPageQuery, LogQuery, LogRecord, LoginRequest, PutGrantsRequest, Role, WirePassword,
};
use tresor_client::{Client, ClientError};
use tresor_testkit::TestServer;

/// What a test expects of a record; `None` leaves the field unchecked, `Some(None)` wants it absent.
#[derive(Debug, Default, Clone)]
pub struct Want<'a> {
    pub user: Option<Option<&'a str>>,
    pub database: Option<Option<&'a str>>,
    pub object: Option<Option<&'a str>>,
    pub new_object: Option<Option<&'a str>>,
    pub reason: Option<Option<&'a str>>,
}

impl Want<'_> {
    fn matches(&self, r: &LogRecord) -> bool {
        let field = |want: Option<Option<&str>>, got: &Option<String>| want.is_none_or(|w| w == got.as_deref());
        field(self.user, &r.user)
            && field(self.database, &r.database)
            && field(self.object, &r.object)
            && field(self.new_object, &r.new_object)
            && field(self.reason, &r.reason)
    }
}

/// The log as an administrator reads it, from the record after `from` on.
pub struct Log {
    pub records: Vec<LogRecord>,
}

impl Log {
    /// Every record after `after`, oldest first. Reading forward (`after`) is not itself recorded.
    pub async fn read(admin: &Client, after: u64) -> Log {
        let mut records = Vec::new();
        let mut after = after;
        loop {
            let page = LogPageQuery { before: None, after: Some(after), limit: Some(1000) };
            let page = admin.admin_log(&LogQuery { page, ..LogQuery::default() }).await.unwrap();
            records.extend(page.records);
            match page.next_after {
                Some(next) => after = next,
                None => return Log { records },
            }
        }
    }

    /// The number of the last record, to read what comes after it later.
    pub fn end(&self) -> u64 {
        self.records.last().map_or(0, |r| r.seq)
    }

    pub fn of(&self, event: u16) -> Vec<&LogRecord> {
        self.records.iter().filter(|r| r.event == event).collect()
    }

    /// The one record of `event` that `want` describes; fails showing the records of that event.
    pub fn one(&self, event: u16, want: &Want<'_>) -> &LogRecord {
        let found: Vec<&LogRecord> = self.of(event).into_iter().filter(|r| want.matches(r)).collect();
        match found.as_slice() {
            [one] => one,
            _ => panic!("wanted one record {event} like {want:?}, found {}: {:#?}", found.len(), self.of(event)),
        }
    }

    /// Whether no record of `event` is like `want`.
    pub fn none(&self, event: u16, want: &Want<'_>) -> bool {
        self.of(event).into_iter().all(|r| !want.matches(r))
    }

    /// Fails if any text of any record contains `secret`.
    pub fn assert_never_says(&self, secret: &str) {
        for r in &self.records {
            let texts = [&r.user, &r.object, &r.new_object, &r.reason, &r.database];
            assert!(
                texts.iter().all(|t| t.as_deref().is_none_or(|t| !t.contains(secret)))
                    && !r.description.contains(secret),
                "a record holds a secret: {r:#?}"
            );
        }
    }
}

/// The user and database of an act, as most records have them.
pub fn by<'a>(user: &'a str, database: &'a str) -> Want<'a> {
    Want { user: Some(Some(user)), database: Some(Some(database)), ..Want::default() }
}

/// A login request of the API client kind.
pub fn login_request(account: &str, password: &str) -> LoginRequest {
    LoginRequest {
        account: account.to_owned(),
        password: WirePassword::new(password),
        client: Some(tresor_api::ClientKind::Api),
        device_token: None,
    }
}

/// A login that must fail; returns the error.
pub async fn refused_login(server: &TestServer, account: &str, password: &str) -> ClientError {
    server.client().login_step(&login_request(account, password)).await.unwrap_err()
}

/// A user (no role, no forced password change) and its logged-in client.
pub async fn user(server: &TestServer, admin: &Client, account: &str) -> Client {
    server.create_user(admin, account, &[] as &[Role]).await
}

/// An entry as JSON would give it (the request has no defaults to build it from in Rust).
pub fn entry(body: Value) -> CreateEntryRequest {
    serde_json::from_value(body).unwrap()
}

/// Grants `permissions` on the database to user `account`, allowed.
pub fn allow(account: &str, permissions: &[&str]) -> PutGrantsRequest {
    let settings: Vec<(&str, &str)> = permissions.iter().map(|p| (*p, "allow")).collect();
    on_database(json!({"kind": "user", "name": account}), &settings)
}

/// Sets each `(permission, setting)` on the database for `subject` (`{"kind": "user"|"group", "name": …}`);
/// `undefined` removes a grant.
pub fn on_database(subject: Value, settings: &[(&str, &str)]) -> PutGrantsRequest {
    let grants: Vec<Value> = settings
        .iter()
        .map(|(permission, setting)| {
            json!({"object": {"kind": "database"}, "subject": subject, "permission": permission, "setting": setting})
        })
        .collect();
    serde_json::from_value(json!({"grants": grants, "dry_run": false})).unwrap()
}
