//! Reading and changing one entry: `show`, `get`, `rm`, `mv`, `history`, `totp`, and how entries look in tables.
//!
//! Secrets show as `********` unless `--reveal` asks the server for them; `get` fetches a secret only when the
//! field asked for is one.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use tresor_api::{EntrySummary, EntryView, FieldView, HistoryList, MoveEntryRequest, SecretView, TotpCode};
use tresor_client::Client;

use super::connect::Context;
use super::output::{fields, joined, list};
use super::prompt::confirm_deletion;
use super::vault_address::{LocatedEntry, locate_entry, locate_folder};

/// Shown for a secret that is set but not revealed.
pub const HIDDEN: &str = "********";

#[derive(Debug, Args)]
// `--version N` names an entry version here, not the program's.
#[command(disable_version_flag = true)]
pub struct ShowArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Show the secrets (password, secret and hidden fields, TOTP secret) instead of ********.
    #[arg(long)]
    reveal: bool,
    /// Show this version from the history instead of the current one.
    #[arg(long, value_name = "N")]
    version: Option<u32>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// password, username, url, notes, title, tags, expires, totp (the current code), totp_secret, or a field
    /// of the entry's type or a custom field by name.
    #[arg(value_name = "FIELD")]
    field: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Why the entry is deleted (required when the database asks for a reason).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct MvArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The target folder in the same database: DB/Folder/Sub, or DB for the root.
    #[arg(value_name = "FOLDER")]
    target: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Make version N the current one again (as a new version).
    #[arg(long, value_name = "N")]
    restore: Option<u32>,
}

#[derive(Debug, Args)]
pub struct EntryArg {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    pub entry: String,
}

pub async fn show(ctx: &Context, args: ShowArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let entry = match args.version {
        Some(version) => client.entry_version(&at.database, &at.entry, version, args.reveal).await,
        None if args.reveal => {
            let revealed = super::vault_second::revealed_entry(&client, &at.database, &at.entry).await;
            return ctx.out.show(&revealed.with_context(|| format!("cannot read {}", args.entry))?, entry_fields);
        }
        None => client.get_entry(&at.database, &at.entry, false).await,
    };
    ctx.out.show(&entry.with_context(|| format!("cannot read {}", args.entry))?, entry_fields)
}

pub async fn get(ctx: &Context, args: GetArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let name = args.field.as_str();
    let value = if name == "totp" {
        client.entry_totp(&at.database, &at.entry).await.context("cannot compute the TOTP code")?.code
    } else {
        let entry = client.get_entry(&at.database, &at.entry, false).await?;
        match field_value(&entry, name) {
            FieldValue::Plain(value) => value,
            FieldValue::Missing => bail!("{} has no field {name}", args.entry),
            FieldValue::Empty => bail!("{name} of {} is empty", args.entry),
            FieldValue::Secret => {
                let revealed = super::vault_second::revealed_entry(&client, &at.database, &at.entry).await?;
                match field_value(&revealed, name) {
                    FieldValue::Plain(value) => value,
                    _ => bail!("the server did not reveal {name} of {}", args.entry),
                }
            }
        }
    };
    let answer = serde_json::json!({ "field": name, "value": value.expose_secret() });
    // The value alone on standard output, for scripts.
    ctx.out.show(&answer, |_| value.expose_secret().to_owned())
}

/// What an entry holds under a field name.
#[derive(Debug)]
pub enum FieldValue {
    Plain(tresor_api::WirePassword),
    /// Set, but hidden until revealed.
    Secret,
    Empty,
    Missing,
}

/// The value of `name` in `entry`: the standard fields first, then the type's fields, then custom fields.
pub fn field_value(entry: &EntryView, name: &str) -> FieldValue {
    let text = |s: &str| {
        if s.is_empty() { FieldValue::Empty } else { FieldValue::Plain(tresor_api::WirePassword::new(s)) }
    };
    let secret = |s: &SecretView| match (&s.value, s.has_value) {
        (Some(v), _) if !v.expose_secret().is_empty() => FieldValue::Plain(v.clone()),
        (None, true) => FieldValue::Secret,
        _ => FieldValue::Empty,
    };
    match name {
        "title" => return text(&entry.title),
        "username" => return text(&entry.username),
        "url" => return text(&entry.url),
        "notes" => return text(&entry.notes),
        "tags" => return text(&entry.tags.join(",")),
        "expires" => return text(entry.expires.as_deref().unwrap_or_default()),
        "password" => return secret(&entry.password),
        "totp_secret" => return secret(&entry.totp),
        _ => {}
    }
    match entry.fields.iter().chain(&entry.custom).find(|f| f.name == name) {
        Some(f) => secret(&SecretView { value: f.value.clone(), has_value: f.has_value }),
        None => FieldValue::Missing,
    }
}

pub async fn rm(ctx: &Context, args: RmArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    confirm_deletion(&format!("entry {}", args.entry), args.yes)?;
    client.delete_entry(&at.database, &at.entry, args.reason.as_deref()).await?;
    ctx.out.done(&format!("Deleted {}.", args.entry));
    Ok(())
}

pub async fn mv(ctx: &Context, args: MvArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let target = locate_folder(&client, &args.target).await?;
    let same = at.database == target.resolved.database || at.database == target.resolved.database_name;
    if !same {
        bail!("{} is in another database; entries move only between folders of their own database", args.target);
    }
    let request = MoveEntryRequest { folder: target.folder().map(str::to_owned) };
    let moved = client.move_entry(&at.database, &at.entry, &request).await?;
    ctx.out.show(&masked(moved), |e| format!("Moved to {}.", entry_path(e)))
}

pub async fn history(ctx: &Context, args: HistoryArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    if let Some(version) = args.restore {
        let restored = client.restore_entry_version(&at.database, &at.entry, version).await?;
        return ctx.out.show(&masked(restored), |e| {
            format!("Restored version {version} of {} as version {}.", entry_path(e), e.version)
        });
    }
    let versions = client.entry_history(&at.database, &at.entry).await?;
    ctx.out.show(&versions, |h: &HistoryList| {
        let rows = h
            .versions
            .iter()
            .map(|v| {
                let current = if v.current { "current" } else { "" };
                vec![v.version.to_string(), v.author.clone(), v.created_at.clone(), current.to_owned()]
            })
            .collect();
        list(&["Version", "Author", "Written", ""], rows)
    })
}

pub async fn totp(ctx: &Context, args: EntryArg) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let code = client.entry_totp(&at.database, &at.entry).await?;
    ctx.out.show(&code, |c: &TotpCode| format!("{} ({} s left)", c.code.expose_secret(), c.remaining_secs))
}

/// `DB/Folder/Title`.
pub fn entry_path(e: &EntryView) -> String {
    join_path(&e.database_name, &e.folder_path, &e.title)
}

pub fn join_path(database: &str, folder: &str, title: &str) -> String {
    [database, folder, title].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("/")
}

/// The entry without its secret values (whether each is set stays), for answers the user did not ask to reveal.
pub fn masked(mut e: EntryView) -> EntryView {
    e.password.value = None;
    e.totp.value = None;
    for f in e.fields.iter_mut().chain(e.custom.iter_mut()).filter(|f| f.secret) {
        f.value = None;
    }
    e.revealed = false;
    e
}

/// A secret as a table shows it: the value when revealed, `********` when set, `-` when not.
pub fn secret_text(value: Option<&tresor_api::WirePassword>, has_value: bool) -> String {
    match value {
        Some(v) if !v.expose_secret().is_empty() => v.expose_secret().to_owned(),
        _ if has_value => HIDDEN.to_owned(),
        _ => "-".to_owned(),
    }
}

fn field_text(f: &FieldView) -> String {
    if f.secret { secret_text(f.value.as_ref(), f.has_value) } else { secret_text(f.value.as_ref(), false) }
}

/// One entry as a two-column table.
pub fn entry_fields(e: &EntryView) -> String {
    let mut rows = vec![
        ("Title", e.title.clone()),
        ("Path", entry_path(e)),
        ("Type", e.kind.as_str().to_owned()),
        ("Username", e.username.clone()),
        ("Password", secret_text(e.password.value.as_ref(), e.password.has_value)),
        ("URL", e.url.clone()),
        ("Notes", e.notes.clone()),
        ("Tags", joined(&e.tags)),
        ("Expires", e.expires.clone().unwrap_or_else(|| "-".into())),
    ];
    rows.extend(e.fields.iter().filter(|f| f.has_value).map(|f| (f.name.as_str(), field_text(f))));
    rows.extend(e.custom.iter().map(|f| (f.name.as_str(), field_text(f))));
    rows.extend([
        ("TOTP secret", secret_text(e.totp.value.as_ref(), e.totp.has_value)),
        ("Version", format!("{}{}", e.version, if e.current { " (current)" } else { "" })),
        ("Author", e.author.clone()),
        ("Created", e.created_at.clone()),
        ("Updated", e.updated_at.clone()),
        ("Your rights", joined(e.rights.iter().map(|r| r.as_str()))),
        ("Id", e.id.clone()),
    ]);
    fields(rows)
}

/// Entry summaries as a table with their full paths.
pub fn entry_table(entries: &[EntrySummary]) -> String {
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                join_path(&e.database_name, &e.folder_path, &e.title),
                e.kind.as_str().to_owned(),
                e.username.clone(),
                e.url.clone(),
                e.id.clone(),
            ]
        })
        .collect();
    list(&["Path", "Type", "Username", "URL", "Id"], rows)
}

/// A client and an entry address, for commands that act on one entry.
pub async fn entry_client(ctx: &Context, entry: &str) -> Result<(Client, LocatedEntry)> {
    let (client, _) = ctx.authed_client()?;
    let at = locate_entry(&client, entry).await?;
    Ok((client, at))
}

#[cfg(test)]
pub mod tests {
    use tresor_api::{EntryKind, WirePassword};

    use super::*;

    /// A revealed entry with one of everything.
    pub fn sample_entry() -> EntryView {
        let secret = |v: &str| SecretView { value: Some(WirePassword::new(v)), has_value: true };
        let field = |name: &str, value: &str, secret: bool| FieldView {
            name: name.into(),
            value: Some(WirePassword::new(value)),
            secret,
            has_value: !value.is_empty(),
        };
        EntryView {
            id: "0b0c5a52-8f5e-4c43-9a57-2f4d1d0e3b7a".into(),
            database: "d1".into(),
            database_name: "Team".into(),
            folder: Some("f1".into()),
            folder_path: "Web/Prod".into(),
            kind: EntryKind::Putty,
            version: 3,
            current: true,
            title: "db1".into(),
            username: "root".into(),
            password: secret("s3cret-Pw-99"),
            url: "ssh://db1".into(),
            notes: "line one\nline \"two\"".into(),
            tags: vec!["ops".into()],
            expires: None,
            fields: vec![
                field("host", "db1.example", false),
                field("port", "", false),
                field("private_key", "-----BEGIN KEY-----\nabc\n", true),
            ],
            custom: vec![field("env", "prod", false), field("pin", "4321-9876", true)],
            totp: secret("JBSWY3DPEHPK3PXP"),
            revealed: true,
            rights: vec![],
            author: "alice".into(),
            created_at: "2025-01-01T00:00:00Z".into(),
            updated_at: "2025-01-02T00:00:00Z".into(),
        }
    }

    #[test]
    fn secrets_are_masked_unless_revealed() {
        let shown = entry_fields(&masked(sample_entry()));
        for secret in ["s3cret-Pw-99", "JBSWY3DPEHPK3PXP", "4321-9876", "BEGIN KEY"] {
            assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
        }
        assert!(shown.contains(HIDDEN) && shown.contains("db1.example") && shown.contains("Team/Web/Prod/db1"));
        let revealed = entry_fields(&sample_entry());
        assert!(revealed.contains("s3cret-Pw-99") && revealed.contains("4321-9876"), "{revealed}");
    }

    #[test]
    fn fields_are_found_by_name() {
        let e = masked(sample_entry());
        assert!(matches!(field_value(&e, "username"), FieldValue::Plain(v) if v.expose_secret() == "root"));
        assert!(matches!(field_value(&e, "password"), FieldValue::Secret));
        assert!(matches!(field_value(&e, "host"), FieldValue::Plain(v) if v.expose_secret() == "db1.example"));
        assert!(matches!(field_value(&e, "pin"), FieldValue::Secret));
        assert!(matches!(field_value(&e, "env"), FieldValue::Plain(_)));
        assert!(matches!(field_value(&e, "port"), FieldValue::Empty));
        assert!(matches!(field_value(&e, "expires"), FieldValue::Empty));
        assert!(matches!(field_value(&e, "nothing"), FieldValue::Missing));
        let revealed = sample_entry();
        assert!(matches!(field_value(&revealed, "pin"), FieldValue::Plain(v) if v.expose_secret() == "4321-9876"));
    }
}
