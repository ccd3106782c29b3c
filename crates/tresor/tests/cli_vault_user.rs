//! A user's vault at the command line, against a real server: folders, entries added, listed, shown (secrets hidden
//! unless asked), read field by field, edited with flags and in `$EDITOR`, their history restored, moved, searched,
//! TOTP codes checked against an RFC 6238 computation here, attachments round-tripped, and deleted.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

// Each test binary uses a different part of the shared helpers.
#[allow(dead_code)]
mod cli_support;

use std::path::Path;

use cli_support::{Server, World, binary, chmod, mode};
use serde_json::Value;

const ALICE_PASSWORD: &str = "alice-Vault-Pw-1";
const BOB_PASSWORD: &str = "bob-Vault-Pw-22";
const FIRST_SECRET: &str = "gh-First-Secret-1";
const EDITOR_SECRET: &str = "gh-Editor-Secret-2";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const PIN: &str = "pin-4321-9876";
const CARD_NUMBER: &str = "4111111111111111";
const PRIVATE_KEY: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

/// An administrator, a database `Team` on which alice may do everything, and bob who may do nothing yet.
fn team(w: &World, server: &mut Server) {
    w.login_admin(server);
    w.ok("admin", &["admin", "db", "add", "Team", "--comments", "shared by the team"], "");
    w.add_user("alice", ALICE_PASSWORD, &["--no-must-change-password"]);
    w.add_user("bob", BOB_PASSWORD, &["--no-must-change-password"]);
    let granted = w.json("admin", &["admin", "grant", "Team", "--user", "alice", "all"]);
    assert_eq!(granted["dry_run"], false, "{granted}");
    w.login(server, "alice", "alice", &format!("{ALICE_PASSWORD}\n"));
    w.login(server, "bob", "bob", &format!("{BOB_PASSWORD}\n"));
}

/// A shell script for `$EDITOR` that runs `body` with the file as `$1`.
fn editor(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
    chmod(&path, 0o700);
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_user_keeps_entries_from_the_command_line() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    team(&w, &mut server);
    for secret in [FIRST_SECRET, EDITOR_SECRET, TOTP_SECRET, PIN] {
        w.secret(secret);
    }

    // Databases, then folders.
    let dbs = w.json("alice", &["ls"]);
    assert_eq!(dbs["databases"][0]["name"], "Team", "{dbs}");
    assert!(w.ok("alice", &["ls"], "").contains("shared by the team"));
    w.ok("alice", &["mkdir", "Team/Web"], "");
    let line = w.fail("alice", &["mkdir", "Team/Web"], "");
    assert!(line.contains("exists"), "{line}");
    let line = w.fail("alice", &["mkdir", "Team/Ops/Prod"], "");
    assert!(line.contains("-p"), "{line}");
    w.ok("alice", &["mkdir", "-p", "Team/Ops/Prod"], "");

    // Add: the password and TOTP secret from standard input, a hidden field asked for (here: read from stdin).
    let args = [
        "add",
        "Team/Web/GitHub",
        "--username",
        "alice",
        "--url",
        "https://github.com",
        "--tag",
        "code",
        "--custom",
        "env=prod",
        "--hidden",
        "pin",
        "--password-stdin",
        "--totp-stdin",
        "--notes",
        "the org account",
    ];
    let added = w.ok("alice", &args, &format!("{FIRST_SECRET}\n{TOTP_SECRET}\n{PIN}\n"));
    assert!(added.contains("GitHub") && added.contains("********"), "{added}");
    w.secret("typed-Out-Loud-7");
    let line = w.fail("alice", &["add", "Team/Web/X", "--hidden", "pin=typed-Out-Loud-7"], "");
    assert!(line.contains("never taken from the command line"), "{line}");
    // Every type by its command-line name; type fields as flags.
    w.ok("alice", &["add", "Team/Remote", "--type", "teamviewer", "--field", "partner_id=123456789"], "");
    assert_eq!(w.ok("alice", &["get", "Team/Remote", "partner_id"], ""), "123456789\n");
    assert_eq!(w.json("alice", &["show", "Team/Remote"])["type"], "teamviewer");
    w.ok("alice", &["rm", "Team/Remote", "--yes"], "");
    // Secret type fields: from standard input in the order given, or from a file for a multi-line key.
    w.secret(CARD_NUMBER);
    let card = ["add", "Team/Card", "--type", "credit_card", "--secret-field", "card_number", "--secret-field", "cvv"];
    w.ok("alice", &card, &format!("{CARD_NUMBER}\n987\n"));
    assert_eq!(w.reveal("alice", &["get", "Team/Card", "card_number"]), format!("{CARD_NUMBER}\n"));
    assert_eq!(w.reveal("alice", &["get", "Team/Card", "cvv"]), "987\n");
    let key_file = w.root.path().join("id_key");
    std::fs::write(&key_file, PRIVATE_KEY).unwrap();
    let putty = ["add", "Team/Box", "--type", "putty", "--field", "host=box.example", "--field-file"];
    w.ok("alice", &[&putty[..], &[&format!("private_key={}", key_file.display())]].concat(), "");
    assert_eq!(w.reveal("alice", &["get", "Team/Box", "private_key"]), format!("{PRIVATE_KEY}\n"));
    for title in ["Team/Card", "Team/Box"] {
        w.ok("alice", &["rm", title, "--yes"], "");
    }
    let card = ["add", "Team/Card", "--type", "credit_card", "--field", "cvv=123"];
    let line = w.fail("alice", &card, "");
    assert!(line.contains("--secret-field cvv"), "{line}");

    // Listing: the root shows folders and root entries; -r everything; a folder its own level.
    let root = w.json("alice", &["ls", "Team"]);
    let names = |v: &Value, key: &str, field: &str| -> Vec<String> {
        v[key].as_array().unwrap().iter().map(|x| x[field].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&root, "folders", "path"), ["Ops", "Web"].map(String::from), "{root}");
    assert!(names(&root, "entries", "title").is_empty(), "{root}");
    let all = w.json("alice", &["ls", "Team", "-r"]);
    assert_eq!(names(&all, "entries", "title"), ["GitHub"], "{all}");
    assert_eq!(names(&all, "folders", "path").len(), 3, "{all}");
    let web = w.ok("alice", &["ls", "Team/Web"], "");
    assert!(web.contains("Team/Web/GitHub") && web.contains("https://github.com"), "{web}");

    // Show hides every secret; --reveal shows them (the World checks every other command for them).
    let shown = w.ok("alice", &["show", "Team/Web/GitHub"], "");
    assert!(shown.contains("********") && shown.contains("the org account") && shown.contains("prod"), "{shown}");
    let json = w.json("alice", &["show", "Team/Web/GitHub"]);
    assert_eq!(json["password"]["has_value"], true);
    assert_eq!(json["password"]["value"], Value::Null);
    let id = json["id"].as_str().unwrap().to_owned();
    let revealed = w.reveal("alice", &["show", "Team/Web/GitHub", "--reveal"]);
    assert!(revealed.contains(FIRST_SECRET) && revealed.contains(PIN) && revealed.contains(TOTP_SECRET));

    // get: one value alone, for scripts; by path, by DB/id and by bare id.
    assert_eq!(w.reveal("alice", &["get", "Team/Web/GitHub", "password"]), format!("{FIRST_SECRET}\n"));
    assert_eq!(w.reveal("alice", &["get", &format!("Team/{id}"), "pin"]), format!("{PIN}\n"));
    assert_eq!(w.ok("alice", &["get", &id, "username"], ""), "alice\n");
    assert_eq!(w.ok("alice", &["get", "Team/Web/GitHub", "env"], ""), "prod\n");
    let line = w.fail("alice", &["get", "Team/Web/GitHub", "cvv"], "");
    assert!(line.contains("cvv"), "{line}");

    // TOTP: the server's code is the one RFC 6238 gives for this secret now (or in the window next to it).
    let code = w.run_with("alice", &["totp", "Team/Web/GitHub", "--json"], "", &[], false);
    let code: Value = serde_json::from_str(&code.stdout).unwrap();
    let expected = totp::codes_around_now(TOTP_SECRET);
    assert!(expected.contains(&code["code"].as_str().unwrap().to_owned()), "{code} not in {expected:?}");
    assert_eq!(code["period_secs"], 30);
    let text = w.run_with("alice", &["totp", "Team/Web/GitHub"], "", &[], false).stdout;
    assert!(text.contains("s left"), "{text}");
    let got = w.run_with("alice", &["get", "Team/Web/GitHub", "totp"], "", &[], false).stdout;
    assert!(expected.contains(&got.trim().to_owned()), "{got}");

    edits_and_history(&w, &id);
    move_search_and_attachments(&w);

    // Someone without rights sees no database and cannot reach the entry, even by id.
    assert!(w.json("bob", &["ls"])["databases"].as_array().unwrap().is_empty());
    let line = w.fail("bob", &["show", &id], "");
    assert!(line.contains("no entry"), "{line}");

    // Deleting: refused without a terminal or --yes, then done; unknown entries fail in one line.
    let line = w.fail("alice", &["rm", "Team/Ops/Prod/GitHub"], "y\n");
    assert!(line.contains("--yes"), "{line}");
    w.ok("alice", &["rm", "Team/Ops/Prod/GitHub", "--yes"], "");
    let line = w.fail("alice", &["show", "Team/Ops/Prod/GitHub"], "");
    assert!(line.contains("Team/Ops/Prod/GitHub"), "{line}");
    w.fail("alice", &["show", "Team/Nowhere/Nothing"], "");
    w.fail("alice", &["show", "00000000-0000-4000-8000-000000000000"], "");
    w.fail("alice", &["show", "NoSuchDb/Thing"], "");
    let line = w.fail("alice", &["rmdir", "Team/Ops"], "");
    assert!(line.contains("Team/Ops"), "{line}");
    w.ok("alice", &["rmdir", "Team/Ops", "--recursive", "--yes"], "");
    assert_eq!(names(&w.json("alice", &["ls", "Team"]), "folders", "path"), ["Web"]);
    drop(server);
}

/// Flags, the editor, a stale edit, history and restore on the entry `id` (Team/Web/GitHub).
fn edits_and_history(w: &World, id: &str) {
    let edited = w.json("alice", &["edit", "Team/Web/GitHub", "--url", "https://github.com/login", "--tag", "git"]);
    assert_eq!(edited["url"], "https://github.com/login");
    assert_eq!(edited["tags"], serde_json::json!(["git"]));
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["password"]["value"], Value::Null, "an edit's answer shows no secret");

    // The editor gets a private file with the revealed entry; what it changes is saved, and the file is gone.
    let tools = w.root.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let record = tools.join("record");
    let script = editor(
        &tools,
        "edit.sh",
        &format!(
            "stat -c %a \"$1\" > '{rec}'\necho \"$1\" >> '{rec}'\n\
             sed -i -e 's/^notes = .*/notes = \"edited in the editor\"/' \
             -e 's/^password = .*/password = \"{EDITOR_SECRET}\"/' \"$1\"",
            rec = record.display()
        ),
    );
    let out = w.run_with("alice", &["edit", "Team/Web/GitHub"], "", &[("EDITOR", &script)], true);
    assert_eq!(out.code, Some(0), "{out:?}");
    let seen = std::fs::read_to_string(&record).unwrap();
    let mut lines = seen.lines();
    assert_eq!(lines.next(), Some("600"), "the editor's file must be private: {seen}");
    let file = lines.next().unwrap();
    assert!(!Path::new(file).exists(), "{file} was left behind");
    assert!(!Path::new(file).parent().unwrap().exists(), "the editor's directory was left behind");
    assert_eq!(w.reveal("alice", &["get", "Team/Web/GitHub", "password"]), format!("{EDITOR_SECRET}\n"));
    assert_eq!(w.ok("alice", &["get", "Team/Web/GitHub", "notes"], ""), "edited in the editor\n");
    assert_eq!(w.ok("alice", &["get", "Team/Web/GitHub", "url"], ""), "https://github.com/login\n", "kept");

    // An editor that saves nothing changes nothing.
    let noop = editor(&tools, "noop.sh", "true");
    let out = w.run_with("alice", &["edit", "Team/Web/GitHub"], "", &[("EDITOR", &noop)], true);
    assert!(out.stdout.contains("No changes"), "{out:?}");

    // The same session saves while the editor is open (its lock lets it): the stale edit is refused, as based on an
    // older version than the current one.
    let config = w.config_dir("alice");
    let racer = editor(
        &tools,
        "race.sh",
        &format!(
            "'{bin}' --config-dir '{cfg}' edit Team/Web/GitHub --notes 'changed meanwhile' >/dev/null\n\
             sed -i 's/^username = .*/username = \"late\"/' \"$1\"",
            bin = binary(),
            cfg = config.display()
        ),
    );
    let out = w.run_with("alice", &["edit", "Team/Web/GitHub"], "", &[("EDITOR", &racer)], true);
    assert_eq!(out.code, Some(1), "{out:?}");
    let line = cli_support::the_error_line(&out.stderr);
    assert!(line.contains("precondition_failed") && line.contains("read it again"), "{line}");
    assert_eq!(w.ok("alice", &["get", "Team/Web/GitHub", "username"], ""), "alice\n");

    // History: every version; an old one shown revealed; restoring it brings its password back.
    let history = w.json("alice", &["history", "Team/Web/GitHub"]);
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 4, "{history}");
    assert_eq!(history["entry"], id);
    let v1 = w.reveal("alice", &["show", "Team/Web/GitHub", "--version", "1", "--reveal"]);
    assert!(v1.contains(FIRST_SECRET) && v1.contains("https://github.com"), "{v1}");
    let restored = w.json("alice", &["history", "Team/Web/GitHub", "--restore", "1"]);
    assert_eq!(restored["version"], 5, "{restored}");
    assert_eq!(w.reveal("alice", &["get", "Team/Web/GitHub", "password"]), format!("{FIRST_SECRET}\n"));

    // Custom fields travel as a whole list: changing one keeps the hidden others.
    w.ok("alice", &["edit", "Team/Web/GitHub", "--custom", "env=staging"], "");
    assert_eq!(w.ok("alice", &["get", "Team/Web/GitHub", "env"], ""), "staging\n");
    assert_eq!(w.reveal("alice", &["get", "Team/Web/GitHub", "pin"]), format!("{PIN}\n"));
    w.ok("alice", &["edit", "Team/Web/GitHub", "--remove-custom", "env"], "");
    w.fail("alice", &["get", "Team/Web/GitHub", "env"], "");
    assert_eq!(w.reveal("alice", &["get", "Team/Web/GitHub", "pin"]), format!("{PIN}\n"));
}

/// mv, search and an attachment's round trip.
fn move_search_and_attachments(w: &World) {
    let moved = w.json("alice", &["mv", "Team/Web/GitHub", "Team/Ops/Prod"]);
    assert_eq!(moved["folder_path"], "Ops/Prod", "{moved}");
    let line = w.fail("alice", &["show", "Team/Web/GitHub"], "");
    assert!(line.contains("Team/Web/GitHub"), "{line}");
    let found = w.json("alice", &["search", "github"]);
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["entries"][0]["folder_path"], "Ops/Prod");
    assert_eq!(w.json("alice", &["search", "nothing-like-this"])["total"], 0);
    let table = w.ok("alice", &["search", "GITHUB", "--database", "Team"], "");
    assert!(table.contains("Team/Ops/Prod/GitHub") && table.contains("1 of 1 entries"), "{table}");

    // A file of random bytes goes up and comes back identical, into a private file.
    let files = w.root.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let original = files.join("blob.bin");
    let bytes = random_bytes(300_000);
    std::fs::write(&original, &bytes).unwrap();
    let entry = "Team/Ops/Prod/GitHub";
    let added = w.json("alice", &["attach", entry, original.to_str().unwrap()]);
    assert_eq!(added["name"], "blob.bin");
    assert_eq!(added["size"], bytes.len());
    let list = w.json("alice", &["attachments", entry]);
    assert_eq!(list["attachments"].as_array().unwrap().len(), 1, "{list}");
    let copy = files.join("copy.bin");
    w.ok("alice", &["download", entry, "blob.bin", "-o", copy.to_str().unwrap()], "");
    assert!(std::fs::read(&copy).unwrap() == bytes, "the downloaded file differs");
    assert_eq!(mode(&copy), 0o600);
    let line = w.fail("alice", &["download", entry, "blob.bin", "-o", copy.to_str().unwrap()], "");
    assert!(line.contains("--force"), "{line}");
    let id = added["id"].as_str().unwrap();
    // To standard output, by id (run directly: the World reads output as text lines).
    let out = std::process::Command::new(binary())
        .arg("--config-dir")
        .arg(w.config_dir("alice"))
        .args(["download", entry, id, "-o", "-"])
        .env("HOME", w.root.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == bytes, "the bytes on standard output differ");
    w.ok("alice", &["detach", entry, "blob.bin", "--yes"], "");
    assert!(w.json("alice", &["attachments", entry])["attachments"].as_array().unwrap().is_empty());
    w.fail("alice", &["download", entry, "blob.bin"], "");

    // The generator honours what it is asked for, and its output is the password alone.
    let generated = w.run_with("alice", &["generate", "--length", "24", "--no-symbols"], "", &[], false).stdout;
    let password = generated.trim_end();
    assert_eq!(password.len(), 24, "{generated}");
    assert!(password.chars().all(char::is_alphanumeric), "{generated}");
    let types = w.json("alice", &["types"]);
    assert!(types["types"].as_array().unwrap().iter().any(|t| t["type"] == "credit_card"), "{types}");
}

/// Bytes that are different on every run, from a small xorshift seeded by the clock.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// RFC 6238 (TOTP, SHA-1, 6 digits, 30 s), written here so that the server's codes are checked against an
/// independent computation.
mod totp {
    pub fn codes_around_now(base32: &str) -> Vec<String> {
        let key = decode_base32(base32);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 30;
        [now - 1, now, now + 1].iter().map(|&step| hotp(&key, step)).collect()
    }

    fn hotp(key: &[u8], counter: u64) -> String {
        let mac = hmac_sha1(key, &counter.to_be_bytes());
        let offset = usize::from(mac[19] & 0x0f);
        let bin = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
        format!("{:06}", bin % 1_000_000)
    }

    fn decode_base32(text: &str) -> Vec<u8> {
        let (mut bits, mut acc, mut out) = (0u32, 0u64, Vec::new());
        for c in text.chars().filter(|c| *c != '=') {
            let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c.to_ascii_uppercase()).unwrap() as u64;
            acc = (acc << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }

    fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
        let mut block = [0u8; 64];
        block[..key.len()].copy_from_slice(key);
        let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
        let inner = sha1(&[pad(0x36), message.to_vec()].concat());
        sha1(&[pad(0x5c), inner.to_vec()].concat())
    }

    fn sha1(data: &[u8]) -> [u8; 20] {
        let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
        let mut msg = data.to_vec();
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
        for chunk in msg.chunks(64) {
            let mut w = [0u32; 80];
            for i in 0..16 {
                w[i] = u32::from_be_bytes(chunk[i * 4..i * 4 + 4].try_into().unwrap());
            }
            for i in 16..80 {
                w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
            }
            let [mut a, mut b, mut c, mut d, mut e] = h;
            for (i, wi) in w.iter().enumerate() {
                let (f, k) = match i {
                    0..=19 => ((b & c) | (!b & d), 0x5A827999),
                    20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                    40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                    _ => (b ^ c ^ d, 0xCA62C1D6),
                };
                let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
                (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
            }
            for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
                *x = x.wrapping_add(y);
            }
        }
        let mut out = [0u8; 20];
        for (i, word) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    #[test]
    fn the_reference_implementation_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 in 8 digits.
        let key = b"12345678901234567890";
        assert_eq!(hotp(key, 59 / 30), "287082");
        assert_eq!(hotp(key, 1111111109 / 30), "081804");
        assert_eq!(decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key);
    }
}

/// `tresor edit` holds the entry's lock while the editor is open: another user's change is refused naming the
/// holder, the lock goes when the edit ends, and Ctrl-C while editing releases it and changes nothing.
#[test]
fn the_editor_holds_the_entry_lock() {
    let w = World::new();
    let mut server = Server::start(&w.data_dir(), &[]);
    team(&w, &mut server);
    w.json("admin", &["admin", "grant", "Team", "--user", "bob", "access", "read", "modify"]);
    w.ok("alice", &["add", "Team/Printer", "--username", "admin", "--notes", "first"], "");
    let tools = w.root.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    // Bob watches the database as it happens.
    let mut watching = cli_support::Proc::spawn(w.command("bob", &["watch", "Team", "--json"]), "");
    watching.wait_for_stderr("the watch to start", |l| l.starts_with("Watching Team"));

    // While alice's editor is open, bob's edit is refused with the holder's name; when she saves, it is released.
    let bin = binary();
    let bob_config = w.config_dir("bob");
    let record = tools.join("bob-while-locked");
    let while_open = editor(
        &tools,
        "while-open.sh",
        &format!(
            "'{bin}' --config-dir '{cfg}' edit Team/Printer --notes 'from bob' > '{rec}' 2>&1 || echo \"exit $?\" >> '{rec}'\n\
             sed -i 's/^notes = .*/notes = \"from alice\"/' \"$1\"",
            cfg = bob_config.display(),
            rec = record.display()
        ),
    );
    let out = w.run_with("alice", &["edit", "Team/Printer"], "", &[("EDITOR", &while_open)], true);
    assert_eq!(out.code, Some(0), "{out:?}");
    let bob_saw = std::fs::read_to_string(&record).unwrap();
    assert!(bob_saw.contains("entry_locked") && bob_saw.contains("being edited by alice"), "{bob_saw}");
    assert!(bob_saw.contains("exit 1"), "{bob_saw}");
    assert_eq!(w.ok("alice", &["get", "Team/Printer", "notes"], ""), "from alice\n");
    w.ok("bob", &["edit", "Team/Printer", "--notes", "from bob"], "");
    // Bob's watch saw alice lock, change and release the entry, then his own change; nothing of the secrets.
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("entry_changed by bob") {
        let line = watching.wait_for_line("a live event", |l| l.starts_with('{'));
        let event: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(event["database_name"], "Team", "{line}");
        assert!(event.get("password").is_none() && !line.contains("from alice"), "{line}");
        seen.push(format!("{} by {}", event["kind"].as_str().unwrap(), event["actor"].as_str().unwrap_or("-")));
    }
    assert_eq!(
        seen,
        ["entry_locked by alice", "entry_changed by alice", "entry_unlocked by alice", "entry_changed by bob"],
        "{seen:?}"
    );
    let stopped = watching.interrupt();
    assert!(stopped.status.success(), "Ctrl-C ends a watch normally: {stopped:?}");

    // Ctrl-C while the editor is open: nothing is saved, and the lock is gone at once.
    let go = tools.join("go");
    let waiting = editor(
        &tools,
        "waiting.sh",
        &format!(
            "sed -i 's/^notes = .*/notes = \"never saved\"/' \"$1\"\n\
             echo editor-open\nexec >/dev/null 2>&1\nwhile [ ! -e '{go}' ]; do sleep 0.05; done",
            go = go.display()
        ),
    );
    let mut cmd = w.command("alice", &["edit", "Team/Printer"]);
    cmd.env("EDITOR", &waiting);
    let mut editing = cli_support::Proc::spawn(cmd, "");
    editing.wait_for_line("the editor", |l| l == "editor-open");
    let line = w.fail("bob", &["edit", "Team/Printer", "--notes", "while alice edits"], "");
    assert!(line.contains("being edited by alice"), "{line}");
    let interrupted = editing.interrupt();
    std::fs::write(&go, "").unwrap();
    assert!(!interrupted.status.success(), "{interrupted:?}");
    assert!(interrupted.stderr.contains("interrupted; nothing was changed"), "{interrupted:?}");
    w.ok("bob", &["edit", "Team/Printer", "--notes", "after the interruption"], "");
    assert_eq!(w.ok("alice", &["get", "Team/Printer", "notes"], ""), "after the interruption\n");
}
