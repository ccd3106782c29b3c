//! Nothing invisible leaks: random worlds (users, nested groups with a disabled one, a folder tree, entries,
//! grants with validity windows, a server policy) built through the API from a fixed seed, then every read path
//! walked by every user and compared with a deliberately naive model of DESIGN §3 written here from its prose.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::vault::{Admin, As, Rng, User, grant, rfc3339, unix_now};
use serde_json::{Value, json};
use tresor_api::ErrorCode;
use tresor_testkit::{Engine, Options, TestServer, postgres_url};

/// The common word in every title, so that a search finds every entry the user may see.
const WORD: &str = "zebra";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Obj {
    Db,
    Folder(usize),
    Entry(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Subj {
    User(usize),
    Group(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Perm {
    Access,
    Read,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Allow,
    Deny,
}

/// `[from, to)` in Unix seconds.
type Window = (Option<i64>, Option<i64>);

/// The world as plain data, indices into the vectors.
struct World {
    db: String,
    db_name: String,
    /// (id, parent, name)
    folders: Vec<(String, Option<usize>, String)>,
    /// (id, folder, title)
    entries: Vec<(String, Option<usize>, String)>,
    users: Vec<User>,
    /// (name, disabled)
    groups: Vec<(String, bool)>,
    /// (child, parent): the child group is a member of the parent.
    group_in_group: Vec<(usize, usize)>,
    user_in_group: Vec<(usize, usize)>,
    grants: HashMap<(Obj, Subj, Perm), (Setting, Window)>,
    /// The server policy's state for `read` (`access` has none): None = Undefined, Some(true) = Enabled.
    policy_read: Option<bool>,
    now: i64,
}

impl World {
    fn belongs(&self, user: usize, group: usize) -> bool {
        !self.groups[group].1
            && (self.user_in_group.contains(&(user, group))
                || self.group_in_group.iter().any(|&(c, p)| p == group && self.belongs(user, c)))
    }

    fn applies(&self, subject: Subj, user: usize) -> bool {
        match subject {
            Subj::User(u) => u == user,
            Subj::Group(g) => self.belongs(user, g),
        }
    }

    /// Rule 1: any Deny → Deny, else any Allow → Allow, else Undefined (None); only grants inside their window.
    fn level(&self, user: usize, object: Obj, p: Perm) -> Option<Setting> {
        let mut values = self.grants.iter().filter(|((o, s, q), (_, (from, to)))| {
            *o == object
                && *q == p
                && self.applies(*s, user)
                && from.is_none_or(|f| self.now >= f)
                && to.is_none_or(|t| self.now < t)
        });
        let values: Vec<Setting> = values.by_ref().map(|(_, (s, _))| *s).collect();
        if values.contains(&Setting::Deny) {
            Some(Setting::Deny)
        } else if values.contains(&Setting::Allow) {
            Some(Setting::Allow)
        } else {
            None
        }
    }

    fn chain(&self, object: Obj) -> Vec<Obj> {
        let above = match object {
            Obj::Db => return vec![Obj::Db],
            Obj::Folder(f) => self.folders[f].1,
            Obj::Entry(e) => self.entries[e].1,
        };
        let mut chain = above.map_or_else(|| vec![Obj::Db], |f| self.chain(Obj::Folder(f)));
        chain.push(object);
        chain
    }

    /// Rules 2 and 3: top-down from the policy, a Deny is final, an explicit value replaces, only Allow grants.
    fn allowed(&self, user: usize, object: Obj, p: Perm) -> bool {
        let mut result = match (p, self.policy_read) {
            (Perm::Read, Some(true)) => Some(Setting::Allow),
            (Perm::Read, Some(false)) => Some(Setting::Deny),
            _ => None,
        };
        for level in self.chain(object) {
            if result == Some(Setting::Deny) {
                break;
            }
            if let Some(here) = self.level(user, level, p) {
                result = Some(here);
            }
        }
        result == Some(Setting::Allow)
    }

    fn visible(&self, user: usize, object: Obj) -> bool {
        self.allowed(user, object, Perm::Access) && self.allowed(user, object, Perm::Read)
    }

    fn visible_entries(&self, user: usize) -> BTreeSet<String> {
        (0..self.entries.len())
            .filter(|&e| self.visible(user, Obj::Entry(e)))
            .map(|e| self.entries[e].0.clone())
            .collect()
    }

    /// A folder is listed if it or something below it is visible.
    fn listed(&self, user: usize, f: usize) -> bool {
        self.visible(user, Obj::Folder(f))
            || self.entries.iter().enumerate().any(|(e, x)| x.1 == Some(f) && self.visible(user, Obj::Entry(e)))
            || self.folders.iter().enumerate().any(|(c, x)| x.1 == Some(f) && self.listed(user, c))
    }

    /// The database is open to the user when access to it is allowed or anything in it is visible.
    fn open(&self, user: usize) -> bool {
        self.allowed(user, Obj::Db, Perm::Access)
            || (0..self.folders.len()).any(|f| self.visible(user, Obj::Folder(f)))
            || (0..self.entries.len()).any(|e| self.visible(user, Obj::Entry(e)))
    }

    /// What the model knows about one user, for failure messages.
    fn describe(&self, user: usize) -> String {
        let groups: Vec<_> = (0..self.groups.len()).filter(|&g| self.belongs(user, g)).collect();
        let mut grants: Vec<_> = self
            .grants
            .iter()
            .filter(|((_, s, _), _)| self.applies(*s, user))
            .map(|(k, v)| format!("{k:?} {v:?}"))
            .collect();
        grants.sort();
        format!(
            "now {} policy_read {:?} groups {groups:?} (edges {:?}, direct {:?}) folders {:?} entries {:?}\n{}",
            self.now,
            self.policy_read,
            self.group_in_group,
            self.user_in_group,
            self.folders.iter().map(|f| f.1).collect::<Vec<_>>(),
            self.entries.iter().map(|e| e.1).collect::<Vec<_>>(),
            grants.join("\n")
        )
    }

    fn folder_path(&self, f: Option<usize>) -> String {
        match f {
            None => String::new(),
            Some(f) => {
                let above = self.folder_path(self.folders[f].1);
                if above.is_empty() { self.folders[f].2.clone() } else { format!("{above}/{}", self.folders[f].2) }
            }
        }
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Builds a random world through the API: the case's own users, groups and database; the first user owns the
/// database's content.
async fn build(server: &TestServer, admin: &Admin, case: u64, rng: &mut Rng) -> World {
    let users_n = 5;
    let mut users = Vec::new();
    for i in 0..users_n {
        users.push(admin.user(server, &format!("c{case}-u{i}"), &[]).await);
    }
    let groups: Vec<(String, bool)> = (0..4).map(|i| (format!("c{case}-g{i}"), i == 3)).collect();
    for (name, disabled) in &groups {
        admin.group(name, *disabled).await;
    }
    let mut group_in_group = Vec::new();
    for child in 1..groups.len() {
        for parent in 0..child {
            if rng.chance(40) {
                admin.add_group_to_group(&groups[parent].0, &groups[child].0).await;
                group_in_group.push((child, parent));
            }
        }
    }
    let mut user_in_group = Vec::new();
    for (u, user) in users.iter().enumerate().skip(1) {
        for (g, (group, _)) in groups.iter().enumerate() {
            if rng.chance(35) {
                admin.add_user_to_group(group, &user.account).await;
                user_in_group.push((u, g));
            }
        }
    }
    let db_name = format!("case-{case}");
    let db = admin.database(&db_name).await;
    let owner_grants = ["access", "read", "add", "modify"].map(|p| grant(None, users[0].subject(), p, "allow"));
    admin.grant(&db, owner_grants.to_vec()).await;
    let owner = As::new(&admin.raw, &users[0]);
    let mut folders: Vec<(String, Option<usize>, String)> = Vec::new();
    for i in 0..(5 + rng.below(4)) {
        let parent = if folders.is_empty() || rng.chance(30) { None } else { Some(rng.below(folders.len())) };
        let name = format!("F{i}");
        let id = owner.folder(&db, &name, parent.map(|p| folders[p].0.as_str())).await;
        folders.push((id, parent, name));
    }
    let mut entries = Vec::new();
    for i in 0..(8 + rng.below(6)) {
        let folder = if rng.chance(20) { None } else { Some(rng.below(folders.len())) };
        let title = format!("E{i} {WORD}");
        let mut body = json!({"title": title, "username": format!("user{i}"), "password": format!("secret-{i}"),
            "notes": format!("note {i}"), "folder": folder.map(|f| folders[f].0.clone())});
        if i % 2 == 0 {
            body["totp"] = json!(TOTP_SECRET);
        }
        let id = owner.entry(&db, &body).await["id"].as_str().unwrap().to_owned();
        if i % 3 == 0 {
            let path = format!("/api/v1/vault/databases/{db}/entries/{id}/attachments?name=a{i}.bin");
            let bytes = rng.bytes(100);
            owner.raw.send("POST", &path, Some(owner.token), common::Body::Raw(&bytes, None)).await.expect_ok();
        }
        entries.push((id, folder, title));
    }
    let mut world = World {
        db,
        db_name,
        folders,
        entries,
        users,
        groups,
        group_in_group,
        user_in_group,
        grants: HashMap::new(),
        policy_read: None,
        now: unix_now(),
    };
    for p in [Perm::Access, Perm::Read] {
        world.grants.insert((Obj::Db, Subj::User(0), p), (Setting::Allow, (None, None)));
    }
    // Two rounds: the second replaces or removes some of the first's grants.
    for round in 0..2 {
        let mut batch = HashMap::new();
        for _ in 0..(if round == 0 { 24 } else { 8 }) {
            let object = match rng.below(100) {
                0..15 => Obj::Db,
                15..55 => Obj::Folder(rng.below(world.folders.len())),
                _ => Obj::Entry(rng.below(world.entries.len())),
            };
            let subject = if rng.chance(50) {
                Subj::User(1 + rng.below(users_n - 1))
            } else {
                Subj::Group(rng.below(world.groups.len()))
            };
            let permission = if rng.chance(50) { Perm::Access } else { Perm::Read };
            let setting = match rng.below(100) {
                0..60 => Some(Setting::Allow),
                60..85 => Some(Setting::Deny),
                _ => None,
            };
            let hour = 3600;
            let window = match (setting.is_some(), rng.below(10)) {
                (false, _) | (_, 0..6) => (None, None),
                (_, 6) => (Some(world.now - 2 * hour), Some(world.now - hour)),
                (_, 7) => (Some(world.now + hour), Some(world.now + 2 * hour)),
                (_, 8) => (Some(world.now - hour), Some(world.now + hour)),
                _ => (None, Some(world.now - hour)),
            };
            batch.insert((object, subject, permission), (setting, window));
        }
        let mut inputs = Vec::new();
        for (&(object, subject, permission), &(setting, (from, to))) in &batch {
            let object_ref = match object {
                Obj::Db => None,
                Obj::Folder(f) => Some(("folder", world.folders[f].0.as_str())),
                Obj::Entry(e) => Some(("entry", world.entries[e].0.as_str())),
            };
            let subject_ref = match subject {
                Subj::User(u) => ("user", world.users[u].account.as_str()),
                Subj::Group(g) => ("group", world.groups[g].0.as_str()),
            };
            let name = match permission {
                Perm::Access => "access",
                Perm::Read => "read",
            };
            let word = match setting {
                Some(Setting::Allow) => "allow",
                Some(Setting::Deny) => "deny",
                None => "undefined",
            };
            let mut g = grant(object_ref, subject_ref, name, word);
            if let Some(from) = from {
                g["valid_from"] = json!(rfc3339(from));
            }
            if let Some(to) = to {
                g["valid_to"] = json!(rfc3339(to));
            }
            inputs.push(g);
            match setting {
                Some(s) => world.grants.insert((object, subject, permission), (s, (from, to))),
                None => world.grants.remove(&(object, subject, permission)),
            };
        }
        admin.grant(&world.db, inputs).await;
    }
    world.policy_read = match rng.below(100) {
        0..60 => None,
        60..85 => Some(true),
        _ => Some(false),
    };
    let state = match world.policy_read {
        None => "undefined",
        Some(true) => "enabled",
        Some(false) => "disabled",
    };
    admin.send("PATCH", "/api/v1/admin/policy", &json!({"permissions": {"read": state}})).await.expect_ok();
    world
}

fn ids(entries: &[Value]) -> BTreeSet<String> {
    entries.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

/// Every read path for every user, compared with the model.
async fn check(admin: &Admin, world: &World, case: u64) {
    for (u, user) in world.users.iter().enumerate() {
        let who = format!("case {case}, {}: {}", user.account, world.describe(u));
        let me = As::new(&admin.raw, user);
        let open = world.open(u);
        let visible = world.visible_entries(u);

        let dbs = me.get("/api/v1/vault/databases").await;
        let listed: Vec<&str> =
            dbs.expect_ok()["databases"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
        let want: Vec<&str> = if open { vec![world.db.as_str()] } else { vec![] };
        assert_eq!(listed, want, "{who}: databases");

        let base = format!("/api/v1/vault/databases/{}", world.db);
        let folders = me.get(&format!("{base}/folders")).await;
        let all = me.get(&format!("{base}/entries?recursive=true")).await;
        if open {
            let got: BTreeSet<String> = folders.expect_ok()["folders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned())
                .collect();
            let want: BTreeSet<String> =
                (0..world.folders.len()).filter(|&f| world.listed(u, f)).map(|f| world.folders[f].0.clone()).collect();
            assert_eq!(got, want, "{who}: folders");
            all.expect_ok();
            let got = ids(&me.all_pages(&format!("{base}/entries?recursive=true"), 3).await);
            assert_eq!(got, visible, "{who}: entry listing");
        } else {
            folders.expect(404, ErrorCode::NotFound);
            all.expect(404, ErrorCode::NotFound);
        }

        let found = ids(&me.all_pages(&format!("/api/v1/vault/search?q={WORD}"), 4).await);
        assert_eq!(found, visible, "{who}: search");

        for (e, (id, folder, title)) in world.entries.iter().enumerate() {
            let sees = visible.contains(id);
            let entry = format!("{base}/entries/{id}");
            let paths = [
                entry.clone(),
                format!("{entry}?reveal=true"),
                format!("{entry}/history"),
                format!("{entry}/history/1"),
                format!("{entry}/attachments"),
            ];
            for path in &paths {
                let answer = me.get(path).await;
                if sees {
                    answer.expect_ok();
                } else {
                    answer.expect(404, ErrorCode::NotFound);
                    assert!(!answer.text.contains(WORD) && !answer.text.contains("secret-"), "{who}: {path} leaks");
                }
            }
            // Nobody here holds share: an entry's grants are refused where it is seen and not found where it is not.
            let shares = me.get(&format!("{entry}/shares")).await;
            if sees {
                shares.expect(403, ErrorCode::Forbidden);
            } else {
                shares.expect(404, ErrorCode::NotFound);
            }
            let code = me.get(&format!("{entry}/totp")).await;
            if sees && e % 2 == 0 {
                code.expect_ok();
            } else {
                code.expect(404, ErrorCode::NotFound);
            }
            if sees {
                let shown = me.get(&format!("{entry}?reveal=true")).await;
                let shown = shown.expect_ok();
                assert_eq!(
                    (shown["title"].as_str(), shown["password"]["value"].as_str()),
                    (Some(title.as_str()), Some(format!("secret-{e}").as_str()))
                );
            }
            let path = [world.db_name.clone(), world.folder_path(*folder), title.clone()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            let resolved = me.get(&format!("/api/v1/vault/resolve?path={}", encode(&path))).await;
            if sees {
                assert_eq!(resolved.expect_ok()["entry"].as_str(), Some(id.as_str()), "{who}: resolve {path}");
            } else {
                resolved.expect(404, ErrorCode::NotFound);
            }
        }
        for (f, (id, _, _)) in world.folders.iter().enumerate() {
            let path = format!("{}/{}", world.db_name, world.folder_path(Some(f)));
            let resolved = me.get(&format!("/api/v1/vault/resolve?path={}", encode(&path))).await;
            if world.listed(u, f) {
                assert_eq!(resolved.expect_ok()["folder"].as_str(), Some(id.as_str()), "{who}: resolve {path}");
            } else {
                resolved.expect(404, ErrorCode::NotFound);
            }
        }
    }
}

async fn run(server: &TestServer, seeds: &[u64]) {
    let admin = Admin::new(server).await;
    for &seed in seeds {
        let mut rng = Rng::new(seed);
        let world = build(server, &admin, seed, &mut rng).await;
        check(&admin, &world, seed).await;
        admin
            .raw
            .send("POST", "/api/v1/admin/policy/restore", Some(&admin.token), common::Body::None)
            .await
            .expect_ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_invisible_leaks_on_sqlite() {
    let server = TestServer::start_with(Options { seats: 40, ..Options::default() }).await;
    run(&server, &[1, 2, 3, 4]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_invisible_leaks_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let server = TestServer::start_with(Options { engine: Engine::Postgres(url), seats: 40 }).await;
    run(&server, &[5, 6]).await;
}

/// Regression: a database whose only visible content is an entry in a folder the user cannot see was missing from
/// `/vault/databases` and from search, because those asked a load of folders only whether the database was open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_opened_only_by_an_entry_is_listed_and_searched() {
    let server = TestServer::start().await;
    let admin = Admin::new(&server).await;
    let owner = admin.user(&server, "owner", &[]).await;
    let reader = admin.user(&server, "reader", &[]).await;
    let db = admin.database("Only an entry").await;
    let owner_rights = ["access", "read", "add"].map(|p| grant(None, owner.subject(), p, "allow"));
    admin.grant(&db, owner_rights.to_vec()).await;
    let o = As::new(&admin.raw, &owner);
    let folder = o.folder(&db, "Hidden", None).await;
    let shown = o.entry(&db, &json!({"title": format!("shown {WORD}"), "folder": folder})).await;
    o.entry(&db, &json!({"title": format!("other {WORD}"), "folder": folder})).await;
    let id = shown["id"].as_str().unwrap();
    let entry_grants = ["access", "read"].map(|p| grant(Some(("entry", id)), reader.subject(), p, "allow"));
    admin.grant(&db, entry_grants.to_vec()).await;

    let me = As::new(&admin.raw, &reader);
    let dbs = me.get("/api/v1/vault/databases").await;
    assert_eq!(dbs.expect_ok()["databases"].as_array().unwrap().len(), 1, "{}", dbs.text);
    for path in [format!("/api/v1/vault/search?q={WORD}"), format!("/api/v1/vault/search?q={WORD}&database={db}")] {
        let found = me.all_pages(&path, 10).await;
        assert_eq!(ids(&found), BTreeSet::from([id.to_owned()]), "{path}");
    }
    let folders = me.get(&format!("/api/v1/vault/databases/{db}/folders")).await;
    assert_eq!(folders.expect_ok()["folders"][0]["rights"], json!([]), "listed only for what is below it");
}
