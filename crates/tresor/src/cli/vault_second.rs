//! Second passwords at the command line: `tresor second-password ENTRY [--remove]` sets, changes or removes one,
//! and every command that reveals an entry's secrets asks for it (without echo) when the server says the entry has
//! one.

use anyhow::{Result, bail};
use clap::Args;
use tresor_api::{EntryView, ErrorCode};
use tresor_client::{Client, ClientError};

use super::connect::Context;
use super::prompt::{password_from_stdin, prompt_new_password, secret_value};
use super::vault_entry::entry_client;

#[derive(Debug, Args)]
pub struct SecondPasswordArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Remove the entry's second password (asks for it first).
    #[arg(long)]
    remove: bool,
    /// Read the passwords from standard input, one per line (the new one, then the current one if there is one),
    /// instead of asking on the terminal.
    #[arg(long)]
    password_stdin: bool,
}

pub async fn second_password(ctx: &Context, args: SecondPasswordArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let stdin = args.password_stdin;
    if args.remove {
        let current = secret_value("Current second password", stdin)?;
        client.remove_second_password(&at.database, &at.entry, &current).await?;
        ctx.out.done(&format!("Removed the second password of {}.", args.entry));
        return Ok(());
    }
    let new = if stdin {
        password_from_stdin("the new second password")?
    } else {
        prompt_new_password("New second password: ")?
    };
    match client.set_second_password(&at.database, &at.entry, &new, None).await {
        Err(e) if e.code() == Some(ErrorCode::SecondPasswordRequired) => {
            // It has one already: changing it needs the current one.
            let current = secret_value("Current second password", stdin)?;
            client.set_second_password(&at.database, &at.entry, &new, Some(&current)).await?;
        }
        other => other?,
    }
    ctx.out.done(&format!("Set the second password of {}.", args.entry));
    Ok(())
}

/// The entry with its secrets; when it has a second password, asks for it (on the terminal, or as one line of
/// standard input when that is not a terminal, for scripts) and tries once more.
pub async fn revealed_entry(client: &Client, db: &str, entry: &str) -> Result<EntryView> {
    match client.get_entry(db, entry, true).await {
        Err(e) if e.code() == Some(ErrorCode::SecondPasswordRequired) => {
            let piped = !std::io::IsTerminal::is_terminal(&std::io::stdin());
            let password = secret_value("Second password of this entry", piped)?;
            match client.reveal_entry_with(db, entry, &password).await {
                Err(ClientError::Api { code: ErrorCode::SecondPasswordWrong, .. }) => {
                    bail!("the second password is wrong; nothing was revealed")
                }
                other => Ok(other?),
            }
        }
        other => Ok(other?),
    }
}
