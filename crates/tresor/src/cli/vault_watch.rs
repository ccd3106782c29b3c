//! `tresor watch [DB]`: the live event stream, one line per change as it happens (with `--json`, one JSON object per
//! line), until interrupted or the server closes the stream. Only what the session may see ever arrives.

use anyhow::{Result, bail};
use clap::Args;
use tresor_api::LiveEventView;

use super::connect::Context;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only the changes in this database (name or id).
    #[arg(value_name = "DB")]
    database: Option<String>,
}

pub async fn watch(ctx: &Context, args: WatchArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let mut stream = client.live_events().await?;
    // On standard error, so that it never mixes with the events, and only once the stream is open: a script can
    // wait for it before it acts.
    eprintln!("Watching{}; Ctrl-C to stop.", args.database.as_deref().map(|d| format!(" {d}")).unwrap_or_default());
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let event = tokio::select! {
            event = stream.next() => event,
            _ = &mut interrupted => {
                stream.close().await;
                return Ok(());
            }
        };
        let Some(event) = event else { bail!("the server closed the stream") };
        let event = event?;
        let wanted = args.database.as_deref().is_none_or(|d| {
            event.database.is_none()
                || event.database.as_deref() == Some(d)
                || event.database_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(d))
        });
        if wanted {
            if ctx.out.json {
                println!("{}", serde_json::to_string(&event)?);
            } else {
                println!("{}", line(&event));
            }
        }
        if event.kind == "session_ended" {
            bail!("the session has ended; log in again");
        }
    }
}

/// One change on one line: time, what, where, who.
fn line(e: &LiveEventView) -> String {
    let mut parts = vec![e.at.clone(), e.kind.clone()];
    if let Some(db) = e.database_name.as_ref().or(e.database.as_ref()) {
        parts.push(format!("db={db}"));
    }
    if let Some(entry) = &e.entry {
        parts.push(format!("entry={entry}"));
    }
    if let Some(folder) = &e.folder {
        parts.push(format!("folder={folder}"));
    }
    if let Some(version) = e.version {
        parts.push(format!("version={version}"));
    }
    if let Some(actor) = &e.actor {
        parts.push(format!("by={actor}"));
    }
    if let Some(missed) = e.missed {
        parts.push(format!("missed={missed}"));
    }
    parts.join(" ")
}
