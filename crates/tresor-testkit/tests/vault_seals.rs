//! Sealed entries through the real server (seed manual: Permissions → Sealed access). A user shares an entry with
//! another user and seals it, naming authorised persons (users with admin rights on the database). The recipient
//! sees the entry but none of its secrets on any path (the current version revealed, an old version, the TOTP
//! code, a document; listings, search and the live stream never carry them) until an authorised person approves;
//! the first release after an approval breaks the seal (309); a request for approval is 308; authorised persons
//! set any state and add authorised persons (310); a time-boxed approval closes by itself. Every transition is
//! tried, allowed or refused. Bad input: a non-authorised person deciding is 403 (404 if the entry is invisible to
//! them), an unknown state 400, an authorised person without admin rights 422 naming them. Runs on SQLite and,
//! when `TRESOR_TEST_POSTGRES_URL` is set, PostgreSQL.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod audit_support;
mod common;

use std::time::{Duration, Instant};

use audit_support::{Log, Want, by};
use common::vault::{Admin, As, grant, rfc3339, secret_paths, unix_now};
use serde_json::{Value, json};
use tresor_api::{ErrorCode, Role};
use tresor_testkit::{TestServer, USER_PASSWORD};

const PW1: &str = "router-pw-1-secret";
const PW2: &str = "router-pw-2-secret";
const HIDDEN: &str = "hidden-pin-4711";
const TOTP: &str = "JBSWY3DPEHPK3PXP";
const DOCUMENT: &[u8] = b"the router's backup configuration";
const STATES: [&str; 5] = ["sealed", "unsealed", "waiting_for_approval", "approved", "broken"];

/// The world of one test: the database, the entry and its routes, and who is who.
struct World<'a> {
    db: String,
    entry: String,
    attachment: String,
    owner: As<'a>,
    rita: As<'a>,
    dba: As<'a>,
    delegate: As<'a>,
    dave: As<'a>,
    frank: As<'a>,
}

impl World<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/api/v1/vault/databases/{}/entries/{}{rest}", self.db, self.entry)
    }

    /// Every path that releases a secret, as the recipient tries it: each answers 200 with the secret, or 403
    /// `entry_sealed`; nothing else.
    async fn secrets_released(&self) -> bool {
        let mut tries = Vec::new();
        for path in secret_paths(&self.path(""), &self.attachment) {
            tries.push(self.rita.get(&path).await);
        }
        let released = tries.iter().filter(|a| a.status == 200).count();
        for a in &tries {
            if a.status != 200 {
                a.expect(403, ErrorCode::EntrySealed);
                for secret in [PW1, PW2, HIDDEN, TOTP] {
                    assert!(!a.text.contains(secret), "a refusal holds a secret: {}", a.text);
                }
            }
        }
        assert!(released == 0 || released == tries.len(), "all paths or none: {released} of {}", tries.len());
        if released > 0 {
            assert_eq!(tries[0].json.as_ref().unwrap()["password"]["value"], PW2);
            assert_eq!(tries[1].json.as_ref().unwrap()["password"]["value"], PW1);
            assert_eq!(tries[3].text.as_bytes(), DOCUMENT);
        }
        released > 0
    }

    /// What the recipient sees without asking for secrets: the entry, nothing secret; same for the listing, the
    /// history and search.
    async fn visible_without_secrets(&self) {
        let shown = self.rita.get(&self.path("")).await;
        let shown = shown.expect_ok();
        assert_eq!((shown["title"].as_str(), shown["username"].as_str()), (Some("Router"), Some("admin")));
        assert_eq!(shown["password"]["has_value"], true);
        assert!(shown["password"].get("value").is_none_or(Value::is_null), "{shown}");
        let old = self.rita.get(&self.path("/history/1")).await;
        let mut texts = vec![shown.to_string(), old.text.clone()];
        old.expect_ok();
        for path in [
            format!("/api/v1/vault/databases/{}/entries", self.db),
            "/api/v1/vault/search?q=Router".to_owned(),
            self.path("/history"),
            self.path("/attachments"),
        ] {
            let answer = self.rita.get(&path).await;
            answer.expect_ok();
            texts.push(answer.text.clone());
        }
        assert!(texts[2].contains("Router") && texts[3].contains("Router"), "listed and found: {texts:?}");
        for text in texts {
            for secret in [PW1, PW2, HIDDEN, TOTP] {
                assert!(!text.contains(secret), "a secret went out: {text}");
            }
        }
    }

    async fn seal_of_rita(&self, who: &As<'_>) -> Value {
        let list = who.get(&self.path("/seal")).await;
        let list = list.expect_ok();
        list["seals"].as_array().unwrap().iter().find(|s| s["recipient"] == "rita").cloned().unwrap_or(Value::Null)
    }

    async fn set(&self, who: &As<'_>, body: Value) -> common::Answer {
        who.send("PUT", &self.path("/seals/rita"), &body).await
    }
}

async fn seals(server: &TestServer) {
    let admin = Admin::new(server).await;
    let client_admin = server.admin().await;
    let start = Log::read(&client_admin, 0).await.end();
    let owner = admin.user(server, "owner", &[]).await;
    let rita = admin.user(server, "rita", &[]).await;
    let dba = admin.user(server, "dba", &[Role::DatabaseAdministrator]).await;
    let delegate = admin.user(server, "delegate", &[]).await;
    let plain = admin.user(server, "plain", &[]).await;
    let dave = admin.user(server, "dave", &[]).await;
    let frank = admin.user(server, "frank", &[]).await;
    let db = admin.database("Sealed").await;
    let mut grants: Vec<Value> =
        ["access", "read", "add", "modify", "share", "seal"].map(|p| grant(None, owner.subject(), p, "allow")).to_vec();
    grants.extend(["access", "read", "share"].map(|p| grant(None, dave.subject(), p, "allow")));
    grants.extend(["access", "grant_admin"].map(|p| grant(None, delegate.subject(), p, "allow")));
    grants.push(grant(None, plain.subject(), "access", "allow"));
    admin.grant(&db, grants).await;
    let o = As::new(&admin.raw, &owner);
    let created = o
        .entry(
            &db,
            &json!({"title": "Router", "username": "admin", "password": PW1, "totp": TOTP,
                "custom": [{"name": "PIN", "value": HIDDEN, "secret": true}]}),
        )
        .await;
    let entry = created["id"].as_str().unwrap().to_owned();
    let entries = format!("/api/v1/vault/databases/{db}/entries");
    o.send("PATCH", &format!("{entries}/{entry}"), &json!({"password": PW2})).await.expect_ok();
    let upload = format!("{entries}/{entry}/attachments?name=backup.cfg");
    let uploaded = o.raw.send("POST", &upload, Some(o.token), common::Body::Raw(DOCUMENT, None)).await;
    let attachment = uploaded.expect_ok()["id"].as_str().unwrap().to_owned();
    let w = World {
        db: db.clone(),
        entry: entry.clone(),
        attachment,
        owner: As::new(&admin.raw, &owner),
        rita: As::new(&admin.raw, &rita),
        dba: As::new(&admin.raw, &dba),
        delegate: As::new(&admin.raw, &delegate),
        dave: As::new(&admin.raw, &dave),
        frank: As::new(&admin.raw, &frank),
    };
    let shares = w.path("/shares");
    let share = |who: &str, seal: Option<Value>| {
        let mut body = json!({"subject": {"kind": "user", "name": who}, "permissions": ["access", "read"]});
        if let Some(seal) = seal {
            body["seal"] = seal;
        }
        body
    };

    // Sealing refused: authorised persons without admin rights (named), none, the recipient itself, a group, a
    // sharer without `seal`; an unknown user is 404. Nothing is stored: rita still cannot see the entry.
    let refused = w.owner.send("POST", &shares, &share("rita", Some(json!({"authorized": ["plain", "dba"]})))).await;
    refused.expect(422, ErrorCode::ValidationFailed);
    assert!(refused.message().contains("plain") && !refused.message().contains("dba"), "{}", refused.text);
    for seal in [json!({"authorized": []}), json!({"authorized": ["rita", "dba"]})] {
        w.owner.send("POST", &shares, &share("rita", Some(seal))).await.expect(422, ErrorCode::ValidationFailed);
    }
    admin.group("ops", false).await;
    let group =
        json!({"subject": {"kind": "group", "name": "ops"}, "permissions": ["read"], "seal": {"authorized": ["dba"]}});
    w.owner.send("POST", &shares, &group).await.expect(422, ErrorCode::ValidationFailed);
    let no_seal = w.dave.send("POST", &shares, &share("frank", Some(json!({"authorized": ["dba"]})))).await;
    no_seal.expect(403, ErrorCode::Forbidden);
    assert!(no_seal.message().contains("'seal'"), "{}", no_seal.text);
    w.owner
        .send("POST", &shares, &share("rita", Some(json!({"authorized": ["nobody"]}))))
        .await
        .expect(404, ErrorCode::NotFound);
    let malformed = w.owner.send("POST", &shares, &share("rita", Some(json!({"authorized": "dba"})))).await;
    assert_eq!(malformed.status, 400, "{}", malformed.text);
    w.rita.get(&w.path("")).await.expect(404, ErrorCode::NotFound);

    // Sealed with dba (a Database Administrator, who cannot see the entry) as the authorised person.
    w.owner.send("POST", &shares, &share("rita", Some(json!({"authorized": ["dba"]})))).await.expect_ok();
    let seal = w.seal_of_rita(&w.rita).await;
    assert_eq!((seal["state"].as_str(), seal["authorized"].clone()), (Some("sealed"), json!(["dba"])), "{seal}");
    assert_eq!(seal["sealed_by"], "owner");
    w.dba.get(&w.path("")).await.expect(404, ErrorCode::NotFound);
    assert_eq!(w.seal_of_rita(&w.dba).await["state"], "sealed", "authorised persons read the seal");
    assert!(w.dave.get(&w.path("/seal")).await.expect_ok()["seals"].as_array().unwrap().is_empty());
    w.frank.get(&w.path("/seal")).await.expect(404, ErrorCode::NotFound);
    // A second seal while this one is in force: 409.
    let again = w.owner.send("POST", &shares, &share("rita", Some(json!({"authorized": ["dba"]})))).await;
    again.expect(409, ErrorCode::Conflict);

    // Sealed: the entry shows, its secrets go out on no path; live events carry none either.
    let mut rita_hears = server.login("rita", USER_PASSWORD).await.unwrap().live_events().await.unwrap();
    w.visible_without_secrets().await;
    assert!(!w.secrets_released().await);
    // Nor can she pass it on unsealed, even holding `share`: frank would get what she may not read.
    admin.grant(&db, vec![grant(None, rita.subject(), "share", "allow")]).await;
    w.rita.send("POST", &shares, &share("frank", None)).await.expect(403, ErrorCode::EntrySealed);
    w.frank.get(&w.path("")).await.expect(404, ErrorCode::NotFound);
    w.owner.send("PATCH", &w.path(""), &json!({"notes": "touched"})).await.expect_ok();
    let heard = tokio::time::timeout(Duration::from_secs(10), rita_hears.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(heard.entry.as_deref(), Some(entry.as_str()));
    let heard = serde_json::to_string(&heard).unwrap();
    for secret in [PW1, PW2, HIDDEN, TOTP, "Router"] {
        assert!(!heard.contains(secret), "an event carries entry data: {heard}");
    }

    // Deciding is for authorised persons only: the recipient and someone who sees the entry get 403, someone who
    // cannot see it 404; an unknown state is 400.
    for who in [&w.rita, &w.dave, &w.owner] {
        let answer = w.set(who, json!({"state": "approved"})).await;
        answer.expect(403, ErrorCode::Forbidden);
        assert!(answer.message().contains("authorised"), "{}", answer.text);
    }
    w.set(&w.frank, json!({"state": "approved"})).await.expect(404, ErrorCode::NotFound);
    w.set(&w.delegate, json!({"state": "approved"})).await.expect(404, ErrorCode::NotFound);
    let unknown = w.set(&w.dba, json!({"state": "open"})).await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    w.set(&w.dba, json!({"state": "approved", "approved_until": "tomorrow"}))
        .await
        .expect(400, ErrorCode::InvalidValue);
    w.set(&w.dba, json!({"state": "approved", "approved_until": rfc3339(unix_now() - 5)}))
        .await
        .expect(422, ErrorCode::ValidationFailed);
    w.set(&w.dba, json!({"state": "sealed", "approved_until": rfc3339(unix_now() + 60)}))
        .await
        .expect(422, ErrorCode::ValidationFailed);
    w.dba.send("PUT", &w.path("/seals/frank"), &json!({"state": "approved"})).await.expect(404, ErrorCode::NotFound);
    assert_eq!(w.seal_of_rita(&w.rita).await["state"], "sealed", "nothing changed");

    // The recipient asks (308), needs a reason, and asks once; still nothing is released while it waits.
    let request = w.path("/seal/request");
    w.rita.send("POST", &request, &json!({"reason": "  "})).await.expect(422, ErrorCode::ValidationFailed);
    w.dave.send("POST", &request, &json!({"reason": "me too"})).await.expect(404, ErrorCode::NotFound);
    let waiting = w.rita.send("POST", &request, &json!({"reason": "incident 42"})).await;
    assert_eq!(waiting.expect_ok()["state"], "waiting_for_approval");
    w.rita.send("POST", &request, &json!({"reason": "again"})).await.expect(409, ErrorCode::Conflict);
    assert!(!w.secrets_released().await);

    // Denied: a reason is required; then sealed again, still nothing.
    w.set(&w.dba, json!({"state": "sealed"})).await.expect(422, ErrorCode::ValidationFailed);
    let denied = w.set(&w.dba, json!({"state": "sealed", "reason": "not during the freeze"})).await;
    assert_eq!(denied.expect_ok()["state"], "sealed");
    assert_eq!(w.seal_of_rita(&w.rita).await["reason"], "not during the freeze");
    assert!(!w.secrets_released().await);

    // Asked again and approved: the first release breaks the seal (309, once); broken keeps releasing.
    w.rita.send("POST", &request, &json!({"reason": "incident 43"})).await.expect_ok();
    assert_eq!(w.set(&w.dba, json!({"state": "approved"})).await.expect_ok()["state"], "approved");
    assert!(w.secrets_released().await);
    assert_eq!(w.seal_of_rita(&w.rita).await["state"], "broken");
    assert!(w.secrets_released().await);
    let log = Log::read(&client_admin, start).await;
    log.one(308, &Want { reason: Some(Some("incident 42")), ..by("rita", "Sealed") });
    log.one(308, &Want { reason: Some(Some("incident 43")), ..by("rita", "Sealed") });
    log.one(309, &Want { object: Some(Some("Router")), ..by("rita", "Sealed") });
    log.one(310, &Want { reason: Some(Some("not during the freeze")), ..by("dba", "Sealed") });
    log.one(310, &Want { new_object: Some(Some("sealed for rita; authorised persons: dba")), ..by("owner", "Sealed") });

    // Authorised persons add others, each with admin rights (delegate holds grant_admin); plain and the recipient
    // are refused, and only authorised persons may add.
    let add = w.path("/seals/rita/authorized");
    let refused = w.dba.send("POST", &add, &json!({"users": ["plain"]})).await;
    refused.expect(422, ErrorCode::ValidationFailed);
    assert!(refused.message().contains("plain"), "{}", refused.text);
    w.dba.send("POST", &add, &json!({"users": ["rita"]})).await.expect(422, ErrorCode::ValidationFailed);
    w.rita.send("POST", &add, &json!({"users": ["delegate"]})).await.expect(403, ErrorCode::Forbidden);
    let added = w.dba.send("POST", &add, &json!({"users": ["delegate", "dba"]})).await;
    assert_eq!(added.expect_ok()["authorized"], json!(["dba", "delegate"]));
    assert_eq!(added.expect_ok()["state"], "broken", "adding leaves the state");

    // Every state, set by an authorised person from every state: all allowed; what each means for a release, and
    // that the recipient may ask only when sealed.
    for from in STATES {
        for to in STATES {
            w.set(&w.delegate, json!({"state": from, "reason": "table"})).await.expect_ok();
            let set = w.set(&w.dba, json!({"state": to, "reason": "table"})).await;
            assert_eq!(set.expect_ok()["state"], to, "{from} → {to}");
        }
        w.set(&w.delegate, json!({"state": from, "reason": "table"})).await.expect_ok();
        let released = w.secrets_released().await;
        let after = w.seal_of_rita(&w.rita).await["state"].as_str().unwrap().to_owned();
        match from {
            "sealed" | "waiting_for_approval" => assert!(!released && after == from, "{from}: {after}"),
            "approved" => assert!(released && after == "broken", "{from}: {after}"),
            _ => assert!(released && after == from, "{from}: {after}"),
        }
        w.set(&w.dba, json!({"state": from, "reason": "table"})).await.expect_ok();
        let asked = w.rita.send("POST", &request, &json!({"reason": "may I"})).await;
        if from == "sealed" {
            assert_eq!(asked.expect_ok()["state"], "waiting_for_approval");
        } else {
            asked.expect(409, ErrorCode::Conflict);
        }
    }

    // A time-boxed check-out: approved for a few seconds, opened (broken), then sealed again by itself.
    let until = unix_now() + 4;
    let approved = w.set(&w.delegate, json!({"state": "approved", "approved_until": rfc3339(until)})).await;
    assert_eq!(approved.expect_ok()["approved_until"], rfc3339(until).as_str());
    assert!(w.secrets_released().await);
    let deadline = Instant::now() + Duration::from_secs(30);
    // One path polled (the window may close between the four paths of one round), then all of them.
    while w.rita.get(&w.path("?reveal=true")).await.status == 200 {
        assert!(Instant::now() < deadline, "the check-out did not close");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(unix_now() >= until, "closed early");
    assert!(!w.secrets_released().await);
    let closed = w.seal_of_rita(&w.rita).await;
    assert_eq!((closed["state"].as_str(), closed["approved_until"].clone()), (Some("sealed"), Value::Null));
    let refused = w.rita.get(&w.path("?reveal=true")).await;
    assert!(refused.message().contains("approval ended"), "{}", refused.text);
    w.rita.send("POST", &request, &json!({"reason": "once more"})).await.expect_ok();

    // Unsealed, a new seal may replace it.
    w.set(&w.dba, json!({"state": "unsealed"})).await.expect_ok();
    assert!(w.secrets_released().await);
    w.owner.send("POST", &shares, &share("rita", Some(json!({"authorized": ["delegate"]})))).await.expect_ok();
    assert_eq!(w.seal_of_rita(&w.rita).await["authorized"], json!(["delegate"]));
    assert!(!w.secrets_released().await);

    let log = Log::read(&client_admin, start).await;
    assert_eq!(log.of(309).len(), 3, "once per approval opened: {:#?}", log.of(309));
    for secret in [PW1, PW2, HIDDEN, TOTP] {
        log.assert_never_says(secret);
    }
}

common::on_each_engine!(seals, seats = 10);
