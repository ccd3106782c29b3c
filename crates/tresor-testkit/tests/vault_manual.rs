//! The manual's example (seed manual: Permissions → Entries and folders): one company database; the General tab
//! gives everyone "Access to database" and leaves Read/Modify/Add/Delete Undefined; each team's folder is granted
//! to its people. Each user then sees only their folders and entries, may change only where granted, and is told
//! which permission is missing where an entry is visible but not theirs to change.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::collections::BTreeSet;

use common::vault::{Admin, As, grant};
use serde_json::{Value, json};
use tresor_api::ErrorCode;
use tresor_testkit::{Engine, Options, TestServer, postgres_url};

fn titles(entries: &[Value]) -> BTreeSet<String> {
    entries.iter().map(|e| e["title"].as_str().unwrap().to_owned()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn company(server: &TestServer) {
    let admin = Admin::new(server).await;
    let keeper = admin.user(server, "keeper", &[]).await;
    let alice = admin.user(server, "alice", &[]).await;
    let bob = admin.user(server, "bob", &[]).await;
    let carol = admin.user(server, "carol", &[]).await;
    admin.group("staff", false).await;
    admin.group("hr-team", false).await;
    for u in [&alice, &bob, &carol] {
        admin.add_user_to_group("staff", &u.account).await;
    }
    admin.add_user_to_group("hr-team", &carol.account).await;

    let db = admin.database("Company").await;
    let keeper_rights =
        ["access", "read", "add", "modify", "delete"].map(|p| grant(None, keeper.subject(), p, "allow"));
    admin.grant(&db, keeper_rights.to_vec()).await;
    // General tab: access to the database for everyone; Read, Modify, Add and Delete left Undefined.
    admin.grant(&db, vec![grant(None, ("group", "staff"), "access", "allow")]).await;

    let k = As::new(&admin.raw, &keeper);
    let sales = k.folder(&db, "Sales", None).await;
    let it = k.folder(&db, "IT", None).await;
    let servers = k.folder(&db, "Servers", Some(&it)).await;
    let hr = k.folder(&db, "HR", None).await;
    let mut ids = std::collections::HashMap::new();
    for (title, folder) in [
        ("Root note", None),
        ("CRM", Some(&sales)),
        ("Webshop", Some(&sales)),
        ("Firewall", Some(&it)),
        ("db01", Some(&servers)),
        ("Payroll", Some(&hr)),
    ] {
        let created = k
            .entry(
                &db,
                &json!({"title": title, "password": format!("pw-{title}"), "notes": "company", "folder": folder}),
            )
            .await;
        ids.insert(title, created["id"].as_str().unwrap().to_owned());
    }

    // Entries and folders: Sales to alice (read, modify, add), IT to bob (read only), HR to the HR team (read,
    // modify, delete) — carol is in it and also reads Sales.
    let mut grants = Vec::new();
    for (folder, subject, perms) in [
        (&sales, ("user", "alice"), &["access", "read", "modify", "add"][..]),
        (&it, ("user", "bob"), &["access", "read"][..]),
        (&hr, ("group", "hr-team"), &["access", "read", "modify", "delete"][..]),
        (&sales, ("user", "carol"), &["access", "read"][..]),
    ] {
        for p in perms {
            grants.push(grant(Some(("folder", folder)), subject, p, "allow"));
        }
    }
    admin.grant(&db, grants).await;

    let base = format!("/api/v1/vault/databases/{db}");
    let cases = [
        (&alice, set(&["Sales"]), set(&["CRM", "Webshop"])),
        (&bob, set(&["IT", "IT/Servers"]), set(&["Firewall", "db01"])),
        (&carol, set(&["Sales", "HR"]), set(&["CRM", "Webshop", "Payroll"])),
        (
            &keeper,
            set(&["Sales", "IT", "IT/Servers", "HR"]),
            set(&["Root note", "CRM", "Webshop", "Firewall", "db01", "Payroll"]),
        ),
    ];
    for (user, folders, entries) in &cases {
        let me = As::new(&admin.raw, user);
        let dbs = me.get("/api/v1/vault/databases").await;
        assert_eq!(dbs.expect_ok()["databases"][0]["name"], "Company", "{}", user.account);
        let listed = me.get(&format!("{base}/folders")).await;
        let got: BTreeSet<String> = listed.expect_ok()["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(&got, folders, "{}: folders", user.account);
        assert_eq!(
            &titles(&me.all_pages(&format!("{base}/entries?recursive=true"), 100).await),
            entries,
            "{}",
            user.account
        );
        assert_eq!(
            &titles(&me.all_pages("/api/v1/vault/search?q=company", 100).await),
            entries,
            "{}: search",
            user.account
        );
        for (title, id) in &ids {
            let answer = me.get(&format!("{base}/entries/{id}?reveal=true")).await;
            if entries.contains(*title) {
                assert_eq!(answer.expect_ok()["password"]["value"], format!("pw-{title}"));
            } else {
                answer.expect(404, ErrorCode::NotFound);
            }
        }
    }

    // Modify where granted; a visible entry without modify is refused naming the permission.
    let (a, b, c) = (As::new(&admin.raw, &alice), As::new(&admin.raw, &bob), As::new(&admin.raw, &carol));
    let patch = json!({"notes": "changed"});
    a.send("PATCH", &format!("{base}/entries/{}", ids["CRM"]), &patch).await.expect_ok();
    c.send("PATCH", &format!("{base}/entries/{}", ids["Payroll"]), &patch).await.expect_ok();
    for (who, entry) in [(&b, "Firewall"), (&b, "db01"), (&c, "CRM")] {
        let refused = who.send("PATCH", &format!("{base}/entries/{}", ids[entry]), &patch).await;
        refused.expect(403, ErrorCode::Forbidden);
        assert!(refused.message().contains("modify"), "{}", refused.text);
    }
    // Someone else's entry is not there at all.
    a.send("PATCH", &format!("{base}/entries/{}", ids["Payroll"]), &patch).await.expect(404, ErrorCode::NotFound);
    b.send("DELETE", &format!("{base}/entries/{}", ids["CRM"]), &json!({})).await.expect(404, ErrorCode::NotFound);

    // Add: alice in Sales yes; bob in IT and alice at the root no (Add is Undefined there).
    a.entry(&db, &json!({"title": "New lead", "folder": sales})).await;
    let refused = b.send("POST", &format!("{base}/entries"), &json!({"title": "x", "folder": it})).await;
    refused.expect(403, ErrorCode::Forbidden);
    assert!(refused.message().contains("add"), "{}", refused.text);
    a.send("POST", &format!("{base}/entries"), &json!({"title": "x"})).await.expect(403, ErrorCode::Forbidden);
    // Delete: the HR team may delete in HR; alice may not delete in Sales.
    let refused =
        a.raw.send("DELETE", &format!("{base}/entries/{}", ids["CRM"]), Some(a.token), common::Body::None).await;
    refused.expect(403, ErrorCode::Forbidden);
    assert!(refused.message().contains("delete"), "{}", refused.text);
    c.raw
        .send("DELETE", &format!("{base}/entries/{}", ids["Payroll"]), Some(c.token), common::Body::None)
        .await
        .expect_ok();
    c.get(&format!("{base}/entries/{}", ids["Payroll"])).await.expect(404, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_sees_only_the_folders_granted_on_sqlite() {
    let server = TestServer::start_with(Options { seats: 10, ..Options::default() }).await;
    company(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_sees_only_the_folders_granted_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 10 }).await;
    company(&server).await;
}
