//! `tresor admin log …` (seed manual, Log): reading the server log with the advanced filter, following it, Export
//! log, checking its hash chain, and its settings (Server Settings → Logging).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::Value;
use tresor_api::{
    LogExportFormat, LogFilterQuery, LogPage, LogPageQuery, LogQuery, LogRecord, LogSettings, LogSeverity,
};
use tresor_client::Client;

use super::connect::Context;
use super::output::{fields, list, wire_name, yes_no};
use super::settings_edit::{assign, split};

/// How often `tail -f` asks for new records.
const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    #[command(subcommand)]
    command: Option<LogCommand>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Show at most this many records (default 100, at most 1000).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Show the records before this number (the next page of older ones).
    #[arg(long, value_name = "SEQ")]
    before: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Export the records the filter matches, oldest first, as CSV or XML (to standard output or a file).
    Export(ExportArgs),
    /// Show the last records, and with -f follow the log as records arrive (Ctrl-C ends).
    Tail(TailArgs),
    /// Check the hash chain: whether any record was altered, removed, reordered or cut off (exit status 1 if so).
    Verify,
    /// Show or change where the log goes: local files and a remote syslog receiver.
    Settings {
        #[command(subcommand)]
        command: LogSettingsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogSettingsCommand {
    /// Show the log's settings.
    Show,
    /// Change settings, e.g. `keep_days=30 new_file=weekly remote.host=logs.example.com remote.transport=tls`;
    /// `remote=none` stops sending, `folder=` goes back to the data directory's `logs`.
    Set {
        /// FIELD=VALUE pairs, with the names `log settings show --json` prints.
        #[arg(value_name = "FIELD=VALUE", required = true)]
        changes: Vec<String>,
    },
}

/// The advanced filter (seed manual, Log → Advanced filter); every option given must hold.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// The least severe level shown: error, warning, notice or info.
    #[arg(long, value_name = "LEVEL", value_parser = severity)]
    severity: Option<LogSeverity>,
    /// Records at this time or later: RFC 3339 (2026-01-31T09:00:00Z) or a date (2026-01-31, UTC midnight).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Records before this time: RFC 3339 or a date.
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// The user's account name or id.
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// The IP address the event came from.
    #[arg(long, value_name = "ADDRESS")]
    address: Option<String>,
    /// An event number (repeat, or separate by commas).
    #[arg(long, value_name = "N", value_delimiter = ',')]
    event: Vec<u16>,
    /// The database's name or id.
    #[arg(long, value_name = "DATABASE")]
    database: Option<String>,
    /// Part of the object's name (an entry's path, an account, a setting), or its id.
    #[arg(long, value_name = "OBJECT")]
    object: Option<String>,
    /// Part of any text of the record.
    #[arg(long, short = 'q', value_name = "TEXT")]
    search: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// csv or xml.
    #[arg(long, value_name = "FORMAT", value_parser = export_format)]
    format: LogExportFormat,
    /// Write to this file (created readable by you only) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// How many of the last records to show first.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 20)]
    lines: u32,
    /// Keep following the log, asking for new records every second, until Ctrl-C.
    #[arg(long, short = 'f')]
    follow: bool,
    #[command(flatten)]
    filter: FilterArgs,
}

fn severity(s: &str) -> Result<LogSeverity, String> {
    LogSeverity::parse(s).ok_or_else(|| "expected error, warning, notice or info".to_owned())
}

fn export_format(s: &str) -> Result<LogExportFormat, String> {
    LogExportFormat::parse(s).ok_or_else(|| "expected csv or xml".to_owned())
}

impl FilterArgs {
    fn query(&self) -> LogFilterQuery {
        LogFilterQuery {
            severity: self.severity,
            from: self.from.as_deref().map(time),
            to: self.to.as_deref().map(time),
            user: self.user.clone(),
            address: self.address.clone(),
            event: self.event.clone(),
            database: self.database.clone(),
            object: self.object.clone(),
            q: self.search.clone(),
        }
    }
}

/// A date alone (`2026-01-31`) means its midnight in UTC; anything else goes to the server as typed.
fn time(t: &str) -> String {
    let b = t.as_bytes();
    let date = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && t.chars().filter(char::is_ascii_digit).count() == 8;
    if date { format!("{t}T00:00:00Z") } else { t.to_owned() }
}

pub async fn run(ctx: &Context, args: LogArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match args.command {
        None => {
            let page = LogPageQuery { before: args.before, after: None, limit: args.limit };
            let page = client.admin_log(&LogQuery { filter: args.filter.query(), page }).await?;
            ctx.out.show(&page, records_table)
        }
        Some(LogCommand::Export(a)) => export(&client, &a).await,
        Some(LogCommand::Tail(a)) => tail(ctx, &client, &a).await,
        Some(LogCommand::Verify) => verify(ctx, &client).await,
        Some(LogCommand::Settings { command }) => settings(ctx, &client, command).await,
    }
}

/// Text from the server made safe for a terminal: control characters become spaces.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "-".to_owned(), clean)
}

fn records_table(page: &LogPage) -> String {
    let rows = page
        .records
        .iter()
        .map(|r| {
            vec![
                r.seq.to_string(),
                r.time.clone(),
                r.severity.as_str().to_owned(),
                opt(&r.user),
                opt(&r.address),
                r.event.to_string(),
                clean(&r.description),
                opt(&r.database),
                opt(&r.object),
                opt(&r.new_object),
                opt(&r.reason),
            ]
        })
        .collect();
    let header = [
        "Seq",
        "Time",
        "Severity",
        "User",
        "Address",
        "Event",
        "Description",
        "Database",
        "Object",
        "New object",
        "Reason",
    ];
    let more = match page.next_before {
        Some(seq) => format!("; older ones with --before {seq}"),
        None => String::new(),
    };
    format!("{}\n{} records{more}", list(&header, rows), page.records.len())
}

/// One record on one line, for `tail`.
fn record_line(r: &LogRecord) -> String {
    let mut line = format!(
        "{} {:<7} {} {}@{} {}",
        r.time,
        r.severity.as_str(),
        r.event,
        opt(&r.user),
        opt(&r.address),
        clean(&r.description)
    );
    for (name, value) in
        [("database", &r.database), ("object", &r.object), ("new", &r.new_object), ("reason", &r.reason)]
    {
        if let Some(v) = value {
            line.push_str(&format!(" {name}={:?}", clean(v)));
        }
    }
    line
}

async fn export(client: &Client, args: &ExportArgs) -> Result<()> {
    let mut download = client.export_log(args.format, &args.filter.query()).await?;
    let Some(path) = &args.output else {
        let mut out = std::io::stdout().lock();
        while let Some(chunk) = download.chunk().await? {
            out.write_all(&chunk).context("cannot write to standard output")?;
        }
        return out.flush().context("cannot write to standard output");
    };
    let mut file = create_private(path)?;
    let written: Result<()> = async {
        while let Some(chunk) = download.chunk().await? {
            file.write_all(&chunk)?;
        }
        file.sync_all()?;
        Ok(())
    }
    .await;
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e.context(format!("the export to {} did not complete and was removed", path.display())));
    }
    eprintln!("Exported the log to {}.", path.display());
    Ok(())
}

/// A new file, or an existing one emptied, readable and writable by its owner only: the log names users and
/// their addresses.
fn create_private(path: &std::path::Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    Ok(file)
}

async fn tail(ctx: &Context, client: &Client, args: &TailArgs) -> Result<()> {
    if !(1..=1000).contains(&args.lines) {
        bail!("--lines is 1 to 1000");
    }
    let filter = args.filter.query();
    let last = LogPageQuery { before: None, after: None, limit: Some(args.lines) };
    let mut page = client.admin_log(&LogQuery { filter: filter.clone(), page: last }).await?.records;
    page.reverse();
    let mut after = page.last().map_or(0, |r| r.seq);
    let mut out = std::io::stdout().lock();
    if !print_records(ctx, &mut out, &page)? || !args.follow {
        return Ok(());
    }
    // One listener for the whole run: a signal that came while no listener waited would be lost.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = &mut interrupted => return Ok(()),
            () = tokio::time::sleep(POLL) => {}
        }
        let open = tokio::select! {
            _ = &mut interrupted => return Ok(()),
            more = catch_up(ctx, client, &filter, &mut after, &mut out) => more?,
        };
        if !open {
            return Ok(());
        }
    }
}

/// Prints everything that arrived after `after`, a page at a time, and moves `after` on; false once standard
/// output is closed.
async fn catch_up(
    ctx: &Context,
    client: &Client,
    filter: &LogFilterQuery,
    after: &mut u64,
    out: &mut impl Write,
) -> Result<bool> {
    loop {
        let next = LogPageQuery { before: None, after: Some(*after), limit: Some(1000) };
        let page = client.admin_log(&LogQuery { filter: filter.clone(), page: next }).await?;
        if let Some(r) = page.records.last() {
            *after = r.seq;
        }
        if !print_records(ctx, out, &page.records)? {
            return Ok(false);
        }
        if page.next_after.is_none() {
            return Ok(true);
        }
    }
}

/// Prints records one a line (JSON lines with `--json`); false once standard output is closed (`| head`).
fn print_records(ctx: &Context, out: &mut impl Write, records: &[LogRecord]) -> Result<bool> {
    let mut text = String::new();
    for r in records {
        let line = if ctx.out.json { serde_json::to_string(r)? } else { record_line(r) };
        text.push_str(&line);
        text.push('\n');
    }
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

async fn verify(ctx: &Context, client: &Client) -> Result<()> {
    let verdict = client.verify_log().await?;
    if ctx.out.json {
        ctx.out.show(&verdict, |_| String::new())?;
    }
    match &verdict.problem {
        None => {
            ctx.out.done(&format!("The server log is intact: {} records checked.", verdict.checked));
            Ok(())
        }
        Some(p) => bail!(
            "the server log's chain is broken ({}): {}; the {} records before it are intact",
            p.kind,
            p.message,
            verdict.checked
        ),
    }
}

async fn settings(ctx: &Context, client: &Client, command: LogSettingsCommand) -> Result<()> {
    let current = client.log_settings().await?;
    let shown = match command {
        LogSettingsCommand::Show => current,
        LogSettingsCommand::Set { changes } => client.update_log_settings(&changed(&current, &changes)?).await?,
    };
    ctx.out.show(&shown, settings_fields)
}

/// The settings with `field=value` changes applied; `remote.*` on a log without a receiver starts from syslog's
/// defaults (UDP port 514).
fn changed(current: &LogSettings, changes: &[String]) -> Result<LogSettings> {
    const TEXT_OR_NONE: [&str; 2] = ["folder", "remote.ca_file"];
    let mut doc = serde_json::to_value(current).context("cannot encode the settings")?;
    for change in changes {
        let (key, value) = split(change, "FIELD=VALUE")?;
        if key == "remote" {
            match value.as_str() {
                "" | "none" | "off" => doc["remote"] = Value::Null,
                _ => bail!("remote=none stops sending; set the receiver with remote.host=… remote.port=…"),
            }
            continue;
        }
        if key.starts_with("remote.") && doc["remote"].is_null() {
            doc["remote"] =
                serde_json::json!({"host": "", "port": 514, "transport": "udp", "ca_file": null, "spool_mb": 64});
        }
        let slot = key
            .split('.')
            .try_fold(&mut doc, |v, part| v.get_mut(part))
            .filter(|_| key != "remote")
            .ok_or_else(|| anyhow!("unknown setting {key}; `tresor admin log settings show --json` lists them"))?;
        if TEXT_OR_NONE.contains(&key.as_str()) {
            *slot = if value.is_empty() || value == "none" { Value::Null } else { Value::from(value) };
        } else {
            assign(slot, &key, &value)?;
        }
    }
    serde_json::from_value(doc).map_err(|e| anyhow!("invalid value: {e}"))
}

fn settings_fields(s: &LogSettings) -> String {
    let mut rows = vec![
        ("Local files", yes_no(s.files)),
        ("Logs folder", s.folder.clone().unwrap_or_else(|| "logs in the data directory".to_owned())),
        ("Max. file size", format!("{} KB", s.max_file_kb)),
        ("New log file", wire_name(&s.new_file)),
        ("Delete logs after", if s.keep_days == 0 { "never".to_owned() } else { format!("{} days", s.keep_days) }),
    ];
    match &s.remote {
        None => rows.push(("Remote server", "none".to_owned())),
        Some(r) => {
            rows.push(("Remote server", format!("{}:{} ({})", r.host, r.port, wire_name(&r.transport))));
            rows.push(("Remote CA file", r.ca_file.clone().unwrap_or_else(|| "-".to_owned())));
            rows.push(("Spool while away", format!("{} MiB", r.spool_mb)));
        }
    }
    fields(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_alone_is_its_midnight() {
        assert_eq!(time("2026-01-31"), "2026-01-31T00:00:00Z");
        assert_eq!(time("2026-01-31T09:00:00+01:00"), "2026-01-31T09:00:00+01:00");
        assert_eq!(time("yesterday!"), "yesterday!");
    }

    #[test]
    fn settings_change_by_field() {
        let current: LogSettings = serde_json::from_value(serde_json::json!({
            "files": true, "folder": "/var/log/tresor", "max_file_kb": 1024, "new_file": "daily", "keep_days": 90,
            "remote": null
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let set = |c: &[&str]| changed(&current, &c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        let s = set(&["keep_days=30", "new_file=weekly", "folder=", "remote.host=logs.example.com"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.keep_days, s.folder.as_deref()), (30, None));
        let r = s.remote.unwrap_or_else(|| panic!("a receiver"));
        assert_eq!((r.host.as_str(), r.port, r.spool_mb), ("logs.example.com", 514, 64));
        assert!(set(&["colour=red"]).is_err());
        assert!(set(&["files=maybe"]).is_err());
        assert!(set(&["new_file=hourly"]).is_err());
        assert!(set(&["remote=yes"]).is_err());
        assert!(set(&["keep_days"]).is_err());
    }
}
