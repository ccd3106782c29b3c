//! `tresor seal …`: sealed entries (seed manual: Permissions → Sealed access). The recipient shows its seal and
//! asks for approval with a reason; an authorised person shows the seals it decides on, sets a state (approve,
//! perhaps until a time; deny with a reason; unseal; seal again) and adds authorised persons. A seal is set when an
//! entry is shared: `tresor share ENTRY --user U read access --seal-by ADMIN`.

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use tresor_api::{SealList, SealStateName, SealView, SetSealRequest};

use super::connect::Context;
use super::output::{joined, list};
use super::vault_entry::entry_client;

#[derive(Debug, Subcommand)]
pub enum SealCommand {
    /// Show your seal on an entry and the seals you are an authorised person of.
    Show(SealEntryArg),
    /// Ask an authorised person to approve opening an entry sealed for you.
    Request(SealRequestArgs),
    /// As an authorised person, set the state of a user's seal (approve, deny, unseal, seal again).
    Set(SealSetArgs),
    /// As an authorised person, add authorised persons to a user's seal.
    Authorize(SealAuthorizeArgs),
}

#[derive(Debug, Args)]
pub struct SealEntryArg {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
}

#[derive(Debug, Args)]
pub struct SealRequestArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Why you need to open it (kept in the server log).
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

/// The states an authorised person sets.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    Sealed,
    Unsealed,
    WaitingForApproval,
    Approved,
    Broken,
}

#[derive(Debug, Args)]
pub struct SealSetArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The user the entry is sealed for.
    #[arg(long, value_name = "USER")]
    user: String,
    /// The new state: `approved` to let the user open it, `sealed` (with --reason) to deny a request.
    #[arg(value_name = "STATE", value_enum)]
    state: StateArg,
    /// Why (required when denying a request).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// With `approved`: the approval ends at this time (RFC 3339) and the seal closes again.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

#[derive(Debug, Args)]
pub struct SealAuthorizeArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The user the entry is sealed for.
    #[arg(long, value_name = "USER")]
    user: String,
    /// The users to add, each with admin rights on the database.
    #[arg(value_name = "AUTHORIZED", required = true)]
    authorized: Vec<String>,
}

pub async fn run(ctx: &Context, command: SealCommand) -> Result<()> {
    match command {
        SealCommand::Show(args) => {
            let (client, at) = entry_client(ctx, &args.entry).await?;
            let seals = client.entry_seals(&at.database, &at.entry).await?;
            ctx.out.show(&seals, |l| seals_text(l, &args.entry))
        }
        SealCommand::Request(args) => {
            let (client, at) = entry_client(ctx, &args.entry).await?;
            let seal = client
                .request_unseal(&at.database, &at.entry, &args.reason)
                .await
                .with_context(|| format!("cannot ask to open {}", args.entry))?;
            ctx.out.show(&seal, |s| format!("Asked to open {}.\n{}", args.entry, seal_text(s)))
        }
        SealCommand::Set(args) => {
            let (client, at) = entry_client(ctx, &args.entry).await?;
            let request =
                SetSealRequest { state: state_name(args.state), reason: args.reason, approved_until: args.until };
            let seal = client
                .set_seal(&at.database, &at.entry, &args.user, &request)
                .await
                .with_context(|| format!("cannot change the seal of {} on {}", args.user, args.entry))?;
            ctx.out.show(&seal, seal_text)
        }
        SealCommand::Authorize(args) => {
            let (client, at) = entry_client(ctx, &args.entry).await?;
            let seal = client
                .add_seal_authorized(&at.database, &at.entry, &args.user, &args.authorized)
                .await
                .with_context(|| format!("cannot add authorised persons to the seal of {}", args.user))?;
            ctx.out.show(&seal, seal_text)
        }
    }
}

fn state_name(state: StateArg) -> SealStateName {
    match state {
        StateArg::Sealed => SealStateName::Sealed,
        StateArg::Unsealed => SealStateName::Unsealed,
        StateArg::WaitingForApproval => SealStateName::WaitingForApproval,
        StateArg::Approved => SealStateName::Approved,
        StateArg::Broken => SealStateName::Broken,
    }
}

fn seal_text(s: &SealView) -> String {
    let until = s.approved_until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
    let reason = s.reason.as_deref().map(|r| format!("\nReason: {r}")).unwrap_or_default();
    format!(
        "Sealed for {}: {}{until}. Authorised persons: {}.{reason}",
        s.recipient,
        s.state.as_str(),
        joined(&s.authorized)
    )
}

fn seals_text(l: &SealList, entry: &str) -> String {
    if l.seals.is_empty() {
        return format!("{entry} is not sealed for you, and you decide on none of its seals.");
    }
    let rows = l
        .seals
        .iter()
        .map(|s| {
            vec![
                s.recipient.clone(),
                s.state.as_str().to_owned(),
                s.approved_until.clone().unwrap_or_else(|| "-".into()),
                joined(&s.authorized),
                s.reason.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    list(&["Sealed for", "State", "Until", "Authorised persons", "Reason"], rows)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::vault::VaultCommand;
    use super::super::{Cli, Command};
    use super::*;

    fn parse(argv: &[&str]) -> std::result::Result<Cli, clap::Error> {
        Cli::try_parse_from(["tresor"].iter().chain(argv))
    }

    #[test]
    fn seal_commands_parse_and_refuse_unknown_states() {
        let cli = parse(&["seal", "set", "Team/X", "--user", "rita", "approved", "--until", "2030-01-01T00:00:00Z"]);
        let Command::Vault(VaultCommand::Seal(SealCommand::Set(args))) = cli.expect("parse").command else {
            panic!("not seal set")
        };
        assert!(matches!(args.state, StateArg::Approved));
        assert!(parse(&["seal", "set", "Team/X", "--user", "rita", "open"]).is_err(), "an unknown state");
        assert!(parse(&["seal", "set", "Team/X", "--user", "rita", "waiting-for-approval"]).is_ok());
        assert!(parse(&["seal", "request", "Team/X"]).is_err(), "a reason is required");
        assert!(parse(&["seal", "request", "Team/X", "--reason", "incident"]).is_ok());
        assert!(parse(&["seal", "authorize", "Team/X", "--user", "rita"]).is_err(), "someone to add");
        assert!(parse(&["seal", "show", "Team/X"]).is_ok());
    }
}
