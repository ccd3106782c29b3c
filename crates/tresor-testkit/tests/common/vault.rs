//! Vault helpers over raw HTTP: users with tokens, databases, folders, entries and grants, a fixed-seed random
//! generator, RFC 3339 times and an RFC 6238 TOTP computed independently of the server.

use serde_json::{Value, json};
use tresor_api::Role;
use tresor_testkit::{TestServer, USER_PASSWORD};

use super::{Body, Raw};

/// The super administrator's session and a raw client: what every vault test sets its world up with.
#[derive(Debug, Clone)]
pub struct Admin {
    pub raw: Raw,
    pub token: String,
}

/// A user made for a test: its id, account name and a live token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub account: String,
    pub token: String,
}

impl Admin {
    pub async fn new(server: &TestServer) -> Self {
        Admin { raw: Raw::new(server), token: super::admin_token(server).await }
    }

    pub async fn send(&self, method: &str, path: &str, body: &Value) -> super::Answer {
        self.raw.send(method, path, Some(&self.token), Body::Json(&body.to_string())).await
    }

    pub async fn get(&self, path: &str) -> super::Answer {
        self.raw.get(path, Some(&self.token)).await
    }

    /// A ready user (no forced password change) with these roles, logged in.
    pub async fn user(&self, server: &TestServer, account: &str, roles: &[Role]) -> User {
        let body = json!({"account": account, "password": USER_PASSWORD, "roles": roles,
            "options": {"must_change_password": false}});
        let created = self.send("POST", "/api/v1/admin/users", &body).await;
        let id = created.expect_ok()["id"].as_str().unwrap().to_owned();
        let token = super::token(server, account, USER_PASSWORD).await;
        User { id, account: account.to_owned(), token }
    }

    pub async fn group(&self, name: &str, disabled: bool) -> String {
        let created = self.send("POST", "/api/v1/admin/groups", &json!({"name": name, "disabled": disabled})).await;
        created.expect_ok()["id"].as_str().unwrap().to_owned()
    }

    pub async fn add_user_to_group(&self, group: &str, user: &str) {
        let path = format!("/api/v1/admin/groups/{group}/members/users/{user}");
        self.raw.send("PUT", &path, Some(&self.token), Body::None).await.expect_ok();
    }

    /// `child` becomes a member of `parent`.
    pub async fn add_group_to_group(&self, parent: &str, child: &str) {
        let path = format!("/api/v1/admin/groups/{parent}/members/groups/{child}");
        self.raw.send("PUT", &path, Some(&self.token), Body::None).await.expect_ok();
    }

    pub async fn database(&self, name: &str) -> String {
        let created = self.send("POST", "/api/v1/admin/databases", &json!({"name": name})).await;
        created.expect_ok()["id"].as_str().unwrap().to_owned()
    }

    /// Stores grants (each a `GrantInput` as JSON) and returns the answer's `changes`.
    pub async fn grant(&self, db: &str, grants: Vec<Value>) -> Value {
        let answer =
            self.send("PUT", &format!("/api/v1/admin/databases/{db}/grants"), &json!({"grants": grants})).await;
        answer.expect_ok()["changes"].clone()
    }
}

/// A grant on the database (`object: None`), a folder (`Some(("folder", id))`) or an entry.
/// Every path that releases an entry's secrets, for the entry whose route is `base`: the current version revealed,
/// version 1 revealed, the TOTP code, the document `attachment`, in that order.
pub fn secret_paths(base: &str, attachment: &str) -> [String; 4] {
    [
        format!("{base}?reveal=true"),
        format!("{base}/history/1?reveal=true"),
        format!("{base}/totp"),
        format!("{base}/attachments/{attachment}"),
    ]
}

pub fn grant(object: Option<(&str, &str)>, subject: (&str, &str), permission: &str, setting: &str) -> Value {
    let object = match object {
        None => json!({"kind": "database"}),
        Some((kind, id)) => json!({"kind": kind, "id": id}),
    };
    json!({"object": object, "subject": {"kind": subject.0, "name": subject.1},
        "permission": permission, "setting": setting})
}

impl User {
    pub fn subject(&self) -> (&str, &str) {
        ("user", &self.account)
    }
}

/// A user's view over raw HTTP.
#[derive(Debug, Clone, Copy)]
pub struct As<'a> {
    pub raw: &'a Raw,
    pub token: &'a str,
}

impl<'a> As<'a> {
    pub fn new(raw: &'a Raw, user: &'a User) -> Self {
        As { raw, token: &user.token }
    }

    pub async fn get(&self, path: &str) -> super::Answer {
        self.raw.get(path, Some(self.token)).await
    }

    pub async fn send(&self, method: &str, path: &str, body: &Value) -> super::Answer {
        self.raw.send(method, path, Some(self.token), Body::Json(&body.to_string())).await
    }

    pub async fn delete(&self, path: &str) -> super::Answer {
        self.raw.send("DELETE", path, Some(self.token), Body::None).await
    }

    /// Creates a folder and returns its id.
    pub async fn folder(&self, db: &str, name: &str, parent: Option<&str>) -> String {
        let body = json!({"name": name, "parent": parent});
        let created = self.send("POST", &format!("/api/v1/vault/databases/{db}/folders"), &body).await;
        created.expect_ok()["id"].as_str().unwrap().to_owned()
    }

    /// Creates an entry from a `CreateEntryRequest` as JSON and returns the answer.
    pub async fn entry(&self, db: &str, body: &Value) -> Value {
        let created = self.send("POST", &format!("/api/v1/vault/databases/{db}/entries"), body).await;
        created.expect_ok().clone()
    }

    /// Every page of a listing that answers `{entries, total}`, `limit` at a time; checks `total` on each page.
    pub async fn all_pages(&self, path: &str, limit: u32) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        loop {
            let page = self.get(&format!("{path}{sep}offset={}&limit={limit}", out.len())).await;
            let page = page.expect_ok();
            let entries = page["entries"].as_array().unwrap();
            let total = page["total"].as_u64().unwrap();
            out.extend(entries.iter().cloned());
            assert!(out.len() as u64 <= total, "{path}: more entries than the total {total}");
            if entries.is_empty() || out.len() as u64 == total {
                assert_eq!(out.len() as u64, total, "{path}: pages end before the total");
                return out;
            }
        }
    }
}

/// splitmix64: a fixed-seed generator, so that a failing case can be replayed from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 for a Unix time in seconds.
pub fn rfc3339(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// RFC 6238 with HMAC-SHA-1, 30-second steps and 6 digits, for a base32 secret.
pub fn totp(secret_base32: &str, unix: i64) -> String {
    let key = base32_decode(secret_base32);
    let counter = (unix / 30).to_be_bytes();
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    let mac = aws_lc_rs::hmac::sign(&key, &counter);
    let mac = mac.as_ref();
    let offset = (mac[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    format!("{:06}", bin % 1_000_000)
}

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in s.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase()).unwrap() as u64;
        value = (value << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
        }
    }
    out
}
