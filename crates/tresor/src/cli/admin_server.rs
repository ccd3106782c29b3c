//! `tresor admin info` (the Server Manager's dashboard), `tresor admin jobs` (the background workers) and
//! `tresor admin session …` (connected clients).

use anyhow::Result;
use clap::Subcommand;
use tresor_api::{JobList, JobState, ServerInfo, SessionList};

use super::connect::Context;
use super::output::{fields, joined, list, wire_name};

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List the open sessions.
    List,
    /// End a session: its client is logged out.
    Disconnect {
        /// Session id, as `tresor admin session list` shows it.
        #[arg(value_name = "ID")]
        id: String,
    },
}

pub async fn info(ctx: &Context) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let info = client.server_info().await?;
    ctx.out.show(&info, |i: &ServerInfo| {
        fields(vec![
            ("Status", wire_name(&i.status)),
            ("Addresses", joined(&i.addresses)),
            ("Port", i.port.to_string()),
            ("Running since", i.running_since.clone()),
            ("Started at", i.started_at.clone()),
            ("Version", i.version.clone()),
            ("Seats (used / licensed)", format!("{} / {}", i.seats.used, i.seats.licensed)),
            ("Registered users", i.registered_users.to_string()),
            ("Connected users", i.connected_users.to_string()),
            ("Installed databases", i.installed_databases.to_string()),
            ("Store engine", i.store_engine.clone()),
        ])
    })
}

/// `tresor admin jobs`: the background workers, how far each has followed the server log.
pub async fn jobs(ctx: &Context) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let jobs = client.jobs().await?;
    ctx.out.show(&jobs, |j: &JobList| {
        let rows = j
            .jobs
            .iter()
            .map(|w| {
                vec![
                    w.name.clone(),
                    match w.state {
                        JobState::Starting => "starting".to_owned(),
                        JobState::Following => "following".to_owned(),
                    },
                    w.position.to_string(),
                    j.log_head.saturating_sub(w.position).to_string(),
                    w.done.to_string(),
                    w.failures.to_string(),
                    w.detail.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let table = list(&["Job", "State", "Position", "Behind", "Done", "Failures", "Detail"], rows);
        format!(
            "{table}
The server log ends at record {}.",
            j.log_head
        )
    })
}

pub async fn sessions(ctx: &Context, command: SessionCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match command {
        SessionCommand::List => {
            let sessions = client.list_sessions().await?;
            ctx.out.show(&sessions, |s: &SessionList| {
                let rows = s
                    .sessions
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.clone(),
                            s.account.clone(),
                            s.address.clone(),
                            s.client.as_str().to_owned(),
                            s.since.clone(),
                            s.last_seen.clone(),
                            s.expires_at.clone(),
                        ]
                    })
                    .collect();
                let table = list(&["Id", "Account", "Address", "Client", "Since", "Last seen", "Expires"], rows);
                format!("{table}\n{} sessions", s.sessions.len())
            })
        }
        SessionCommand::Disconnect { id } => {
            client.delete_session(&id).await?;
            ctx.out.done(&format!("Disconnected session {id}."));
            Ok(())
        }
    }
}
