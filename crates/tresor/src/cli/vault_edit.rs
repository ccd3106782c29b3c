//! `tresor edit`: with flags, a PATCH of what they name; without, the entry opened in `$VISUAL`/`$EDITOR` as TOML
//! (secrets revealed), and a PATCH of what changed, conditional on the version that was read (`If-Match`).
//!
//! The editor path holds the entry's lock from before the entry is read until the edit ends — saved, unchanged,
//! failed or interrupted with Ctrl-C — and renews it while the editor is open, so that colleagues see who is
//! editing and their changes wait (seed manual 001: the entry being edited is locked).
//!
//! The file lives in a private directory (0700; on Linux in `/dev/shm`, so it never reaches a disk), is created
//! 0600, and every file in that directory (editors leave backups and swap files) is overwritten with zeros before
//! it is removed, also when the command fails.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use tresor_api::{CustomFieldInput, EntryView, UpdateEntryRequest, WirePassword};
use tresor_client::Client;
use zeroize::Zeroizing;

use super::connect::Context;
use super::prompt::confirm;
use super::vault_address::LocatedEntry;
use super::vault_entry::{entry_client, entry_fields, entry_path, masked};
use super::vault_write::{EditFlags, EntryFieldArgs, edits_custom, update_request};

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    #[command(flatten)]
    fields: EntryFieldArgs,
    #[command(flatten)]
    flags: EditFlags,
}

pub async fn edit(ctx: &Context, args: EditArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    if !args.fields.any() && !args.flags.any() {
        return edit_in_editor(ctx, &client, &at).await;
    }
    let current = client.get_entry(&at.database, &at.entry, edits_custom(&args.fields, &args.flags)).await?;
    args.fields.check(&client, current.kind, &args.flags.remove_fields).await?;
    let secrets = args.fields.read_secrets(&client, &entry_path(&current)).await?;
    let request = update_request(&args.fields, &args.flags, &current, secrets)?;
    let updated = client.update_entry(&at.database, &at.entry, &request).await?;
    ctx.out.show(&masked(updated), entry_fields)
}

/// The entry as the editor shows it. Every key must stay; an empty value removes a password, TOTP secret, expiry
/// or field.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditView {
    title: String,
    username: String,
    password: WirePassword,
    url: String,
    notes: String,
    tags: Vec<String>,
    /// RFC 3339, or empty.
    expires: String,
    /// The TOTP secret in base32, or empty.
    totp: WirePassword,
    /// Written before `fields` so that an empty list stays an inline `custom = []` outside the table.
    #[serde(default)]
    custom: Vec<CustomView>,
    #[serde(default)]
    fields: BTreeMap<String, WirePassword>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomView {
    name: String,
    value: WirePassword,
    #[serde(default)]
    hidden: bool,
}

impl EditView {
    fn of(e: &EntryView) -> Self {
        let value = |v: &Option<WirePassword>| v.clone().unwrap_or_default();
        Self {
            title: e.title.clone(),
            username: e.username.clone(),
            password: value(&e.password.value),
            url: e.url.clone(),
            notes: e.notes.clone(),
            tags: e.tags.clone(),
            expires: e.expires.clone().unwrap_or_default(),
            totp: value(&e.totp.value),
            custom: e
                .custom
                .iter()
                .map(|c| CustomView { name: c.name.clone(), value: value(&c.value), hidden: c.secret })
                .collect(),
            fields: e.fields.iter().map(|f| (f.name.clone(), value(&f.value))).collect(),
        }
    }

    fn to_text(&self, e: &EntryView) -> Result<Zeroizing<String>> {
        let body = Zeroizing::new(toml::to_string_pretty(self).context("cannot write the entry as TOML")?);
        let mut text = Zeroizing::new(format!(
            "# {} (type {}, version {}, id {})\n\
             # Change what you need, save and quit. Every key must stay; an empty value removes it.\n\
             # Secrets are shown in the clear: this file is yours alone and is wiped when the editor exits.\n\n",
            entry_path(e),
            e.kind.as_str(),
            e.version,
            e.id
        ));
        text.push_str(&body);
        Ok(text)
    }

    /// The PATCH that turns `self` into `new`, conditional on `version`; `None` when nothing changed.
    fn changes(&self, new: EditView, version: u32) -> Option<UpdateEntryRequest> {
        if *self == new {
            return None;
        }
        let changed = |old: &String, new: String| (*old != new).then_some(new);
        let changed_secret = |old: &WirePassword, new: WirePassword| (*old != new).then_some(new);
        // A field taken out of the file is removed: the API removes a field sent empty.
        let removed =
            self.fields.iter().filter(|(name, old)| !new.fields.contains_key(*name) && !old.expose_secret().is_empty());
        let mut fields: BTreeMap<String, WirePassword> =
            removed.map(|(name, _)| (name.clone(), WirePassword::default())).collect();
        fields.extend(new.fields.into_iter().filter(|(name, value)| self.fields.get(name) != Some(value)));
        let custom = (self.custom != new.custom).then(|| {
            new.custom
                .into_iter()
                .map(|c| CustomFieldInput { name: c.name, value: c.value, secret: c.hidden })
                .collect()
        });
        Some(UpdateEntryRequest {
            version: Some(version),
            title: changed(&self.title, new.title),
            username: changed(&self.username, new.username),
            password: changed_secret(&self.password, new.password),
            url: changed(&self.url, new.url),
            notes: changed(&self.notes, new.notes),
            tags: (self.tags != new.tags).then_some(new.tags),
            expires: changed(&self.expires, new.expires),
            fields: Some(fields).filter(|f| !f.is_empty()),
            custom,
            totp: changed_secret(&self.totp, new.totp),
        })
    }
}

/// Reads back what the editor saved; a TOML error names its line, with any quoted value left out.
fn parse_view(text: &str) -> Result<EditView> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
        anyhow::anyhow!("the edited entry is not valid{at}: {}", without_quoted(e.message()))
    })
}

/// A message with every `quoted` or "quoted" part replaced, since the value may be a secret.
fn without_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None if c == '`' || c == '"' => {
                out.push(c);
                quote = Some(c);
            }
            None => out.push(c),
        }
    }
    out.trim().replace('\n', " ")
}

async fn edit_in_editor(ctx: &Context, client: &Client, at: &LocatedEntry) -> Result<()> {
    let lock = client.lock_entry(&at.database, &at.entry).await?;
    let renew_every = renewal_interval(&lock);
    let edit = edit_locked(ctx, client, at);
    let mut edit = std::pin::pin!(edit);
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + renew_every, renew_every);
    let outcome = loop {
        tokio::select! {
            outcome = &mut edit => break outcome,
            _ = &mut interrupted => break Err(anyhow::anyhow!("interrupted; nothing was changed")),
            _ = renew.tick() => {
                if let Err(e) = client.lock_entry(&at.database, &at.entry).await {
                    eprintln!("warning: the entry's lock could not be renewed: {e}");
                }
            }
        }
    };
    // The edit future is gone here: an editor still running was killed and the scratch file wiped.
    let released = client.unlock_entry(&at.database, &at.entry).await;
    match (outcome, released) {
        (Ok(()), Err(e)) if e.code() != Some(tresor_api::ErrorCode::LockNotHeld) => {
            eprintln!("warning: the entry's lock could not be released (it runs out by itself): {e}");
            Ok(())
        }
        (outcome, _) => outcome,
    }
}

/// Half the lock's lifetime, at least five seconds: the lock is renewed well before it runs out.
fn renewal_interval(lock: &tresor_api::EntryLockView) -> std::time::Duration {
    let parse = |t: &Option<String>| {
        t.as_deref().and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
    };
    let lifetime = match (parse(&lock.since), parse(&lock.expires)) {
        (Some(since), Some(expires)) => (expires - since).unsigned_abs(),
        _ => std::time::Duration::from_secs(60),
    };
    (lifetime / 2).max(std::time::Duration::from_secs(5))
}

/// The edit itself, run while the lock is held.
async fn edit_locked(ctx: &Context, client: &Client, at: &LocatedEntry) -> Result<()> {
    let current = super::vault_second::revealed_entry(client, &at.database, &at.entry).await?;
    if !current.revealed {
        bail!("the server did not reveal the entry's secrets; edit it with flags instead (see `tresor edit --help`)");
    }
    let original = EditView::of(&current);
    let scratch = Scratch::create(&original.to_text(&current)?)?;
    let edited = loop {
        run_editor(scratch.path()).await?;
        let text = scratch.read()?;
        match parse_view(&text) {
            Ok(view) => break view,
            Err(err) => {
                eprintln!("{err:#}");
                // Read on a thread of its own, so that Ctrl-C is heard while the question waits.
                let again = tokio::task::spawn_blocking(|| confirm("Edit again? [y/N] "))
                    .await
                    .context("the question was not answered")??;
                if again != Some(true) {
                    bail!("{err:#}; nothing was changed");
                }
            }
        }
    };
    drop(scratch);
    let Some(request) = original.changes(edited, current.version) else {
        ctx.out.done("No changes.");
        return Ok(());
    };
    let updated = client.update_entry_at(&at.database, &at.entry, current.version, &request).await?;
    ctx.out.show(&masked(updated), entry_fields)
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, run through the shell so that `EDITOR="code --wait"` works.
async fn run_editor(file: &Path) -> Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    // Killed if the edit is abandoned (Ctrl-C): the file it has open is about to be wiped.
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file)
        .kill_on_drop(true)
        .status()
        .await
        .with_context(|| format!("cannot run the editor {editor}"))?;
    if !status.success() {
        bail!("the editor {editor} failed ({status}); nothing was changed");
    }
    Ok(())
}

/// The private directory holding the file being edited; wiped and removed when dropped.
struct Scratch {
    dir: tempfile::TempDir,
    file: PathBuf,
}

impl Scratch {
    fn create(text: &str) -> Result<Self> {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        let mut builder = tempfile::Builder::new();
        builder.prefix("tresor-edit-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder
            .tempdir_in(&base)
            .or_else(|_| builder.tempdir())
            .context("cannot create a private directory for the editor")?;
        let file = dir.path().join("entry.toml");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let scratch = Self { dir, file };
        let mut handle = options.open(&scratch.file).context("cannot create the file for the editor")?;
        handle.write_all(text.as_bytes()).and_then(|()| handle.sync_all()).context("cannot write the file")?;
        Ok(scratch)
    }

    fn path(&self) -> &Path {
        &self.file
    }

    fn read(&self) -> Result<Zeroizing<String>> {
        let bytes = Zeroizing::new(std::fs::read(&self.file).context("cannot read the edited file back")?);
        let text = std::str::from_utf8(&bytes).context("the edited file is not UTF-8")?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Whatever the editor left (the file, a replacement written by rename, backups, swap files) is
        // overwritten before the directory goes.
        let Ok(files) = std::fs::read_dir(self.dir.path()) else { return };
        for file in files.flatten() {
            let path = file.path();
            if file.file_type().is_ok_and(|t| t.is_file()) {
                wipe(&path);
            }
        }
    }
}

fn wipe(path: &Path) {
    let Ok(length) = std::fs::metadata(path).map(|m| m.len()) else { return };
    if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(path) {
        let zeros = vec![0u8; 64 * 1024];
        let mut left = length;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            if file.write_all(&zeros[..n]).is_err() {
                break;
            }
            left -= n as u64;
        }
        let _ = file.sync_all();
    }
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::super::vault_entry::tests::sample_entry;
    use super::*;

    #[test]
    fn the_view_round_trips_through_toml() {
        let entry = sample_entry();
        let view = EditView::of(&entry);
        let text = view.to_text(&entry).expect("text");
        assert!(text.contains("s3cret-Pw-99") && text.starts_with("# Team/Web/Prod/db1"), "{}", text.as_str());
        let back = parse_view(&text).expect("parse");
        assert_eq!(back, view);
        assert!(view.changes(back, 3).is_none());
    }

    #[test]
    fn an_empty_custom_list_round_trips() {
        let mut entry = sample_entry();
        entry.custom.clear();
        entry.fields.clear();
        let view = EditView::of(&entry);
        let back = parse_view(&view.to_text(&entry).expect("text")).expect("parse");
        assert_eq!(back, view);
    }

    #[test]
    fn only_changes_are_sent_with_the_version_read() {
        let entry = sample_entry();
        let view = EditView::of(&entry);
        let text = view.to_text(&entry).expect("text");
        let edited = text
            .replace("password = \"s3cret-Pw-99\"", "password = \"new-Pw-1234\"")
            .replace("host = \"db1.example\"", "host = \"db2.example\"")
            .replace("totp = \"JBSWY3DPEHPK3PXP\"", "totp = \"\"");
        let request = view.changes(parse_view(&edited).expect("parse"), 3).expect("changes");
        let json = serde_json::to_value(&request).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"version": 3, "password": "new-Pw-1234", "fields": {"host": "db2.example"}, "totp": ""})
        );
    }

    #[test]
    fn a_removed_field_is_sent_empty_and_custom_fields_as_a_whole() {
        let entry = sample_entry();
        let view = EditView::of(&entry);
        let mut edited = parse_view(&view.to_text(&entry).expect("text")).expect("parse");
        edited.fields.remove("host");
        edited.custom.retain(|c| c.name != "env");
        let json = serde_json::to_value(view.changes(edited, 3).expect("changes")).expect("json");
        assert_eq!(json["fields"], serde_json::json!({"host": ""}));
        assert_eq!(json["custom"], serde_json::json!([{"name": "pin", "value": "4321-9876", "secret": true}]));
    }

    #[test]
    fn parse_errors_name_the_line_but_not_the_value() {
        let entry = sample_entry();
        let text = EditView::of(&entry).to_text(&entry).expect("text");
        let broken = text.replace("pin\"\nvalue = \"4321-9876\"", "pin\"\nvalue = 43219876");
        assert_ne!(broken.as_str(), text.as_str());
        let err = parse_view(&broken).expect_err("invalid");
        let message = err.to_string();
        assert!(message.contains("line") && !message.contains("43219876"), "{message}");
        assert!(parse_view(&text.replace("title =", "titel =")).is_err());
    }

    #[test]
    fn the_scratch_file_is_private_and_wiped() {
        let scratch = Scratch::create("secret = \"x\"\n").expect("scratch");
        let file = scratch.path().to_path_buf();
        let dir = scratch.dir.path().to_path_buf();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&file), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        std::fs::write(dir.join("entry.toml~"), "backup").expect("backup");
        assert_eq!(scratch.read().expect("read").as_str(), "secret = \"x\"\n");
        drop(scratch);
        assert!(!file.exists() && !dir.exists());
    }
}
