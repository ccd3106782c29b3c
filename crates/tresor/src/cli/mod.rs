//! The `tresor` command line: its grammar (clap derive) and the dispatch of the client and admin commands.
//!
//! Output rules: results go to standard output (tables, or the API's JSON with `--json`); questions, notices and
//! the one-line `error: …` go to standard error; exit status 1 on failure, 2 on a usage error (clap's).

mod account;
mod admin_db;
mod admin_groups;
mod admin_log;
mod admin_notify;
mod admin_policy;
mod admin_rights;
mod admin_server;
mod admin_signin;
mod admin_users;
mod args;
mod connect;
mod output;
mod prompt;
mod settings_edit;
mod state;
mod vault;
mod vault_address;
mod vault_attach;
mod vault_edit;
mod vault_entry;
mod vault_seal;
mod vault_second;
mod vault_share;
mod vault_watch;
mod vault_write;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tresor_api::ErrorCode;
use tresor_client::ClientError;

use self::account::{HealthcheckArgs, LoginArgs, PasswdArgs};
use self::admin_db::DbCommand;
use self::admin_groups::GroupCommand;
use self::admin_log::LogArgs;
use self::admin_notify::NotificationCommand;
use self::admin_policy::{AssignArgs, PolicyCommand, VaultSettingsCommand};
use self::admin_rights::{GrantArgs, RevokeArgs, RightsCommand};
use self::admin_server::SessionCommand;
use self::admin_signin::{MailCommand, SettingsCommand};
use self::admin_users::UserCommand;
use self::connect::Context;
use self::vault::VaultCommand;

/// Tresor: a self-hosted team password server, its administration console and its client.
#[derive(Debug, Parser)]
#[command(name = "tresor", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print the server's answer as JSON instead of tables (commands without an answer print nothing).
    #[arg(long, global = true, help_heading = "Client options")]
    pub json: bool,
    /// Directory of the client's files: known servers and the session [default: the user's config dir/tresor].
    #[arg(long, global = true, env = "TRESOR_CONFIG_DIR", value_name = "DIR", help_heading = "Client options")]
    pub config_dir: Option<PathBuf>,
    /// Talk to this server instead of the logged-in one (the session's token is only sent to its own server).
    #[arg(long, global = true, value_name = "URL", help_heading = "Client options")]
    pub server: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Tresor server.
    #[cfg(feature = "server")]
    Server(tresor::server::ServerArgs),
    /// Check a server configuration file.
    #[cfg(feature = "server")]
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Log in to a server and remember the session (pins the server's certificate on first use).
    Login(LoginArgs),
    /// End the session on the server and forget it.
    Logout,
    /// Show the account you are logged in as.
    Whoami,
    /// Change your own password.
    Passwd(PasswdArgs),
    #[command(flatten)]
    Vault(VaultCommand),
    /// Administer the server: dashboard, users, groups, sessions, databases, permissions, policies, the log.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Check that a server is healthy (exit status 0 when it reports ok); for container health checks.
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a server configuration file (TOML) and report the first problem.
    Check {
        /// The configuration file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Show the server dashboard: status, addresses, version, seats, users, databases.
    Info,
    /// Show the background workers (log files, remote syslog, notifications): how far each has followed the
    /// server log, what it has done and how often it failed.
    Jobs,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage groups and their members.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// List and disconnect connected sessions.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Manage databases: create, show, rename, settings, custom password, connections, delete.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Allow, deny or reset permissions of a user or group on a database, folder or entry.
    Grant(GrantArgs),
    /// Remove every grant of a user or group on a database.
    Revoke(RevokeArgs),
    /// List the grants on a database, or explain a user's effective rights.
    Rights {
        #[command(subcommand)]
        command: RightsCommand,
    },
    /// Show or change the server policy: default permissions and allowed entry types.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Give users and groups permissions on an existing, a new or a private database.
    Assign(AssignArgs),
    /// Show or change the vault settings: private databases, attachment limit, password policy.
    VaultSettings {
        #[command(subcommand)]
        command: VaultSettingsCommand,
    },
    /// Show or change the sign-in settings: connections, failed logins, two-factor authentication, password policy.
    Settings {
        #[command(subcommand)]
        command: SettingsCommand,
    },
    /// Show, set or test the outgoing mail server.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Read the server log (newest first, with the advanced filter); export, follow or verify it; its settings.
    Log(Box<LogArgs>),
    /// Manage notifications: e-mails to chosen recipients when a chosen event happens.
    Notification {
        #[command(subcommand)]
        command: NotificationCommand,
    },
    /// Pause the server: clients can neither log in nor work; administrators can.
    Pause,
    /// Continue a paused server.
    Continue,
}

/// Runs a client or admin command (`server` and `config` are dispatched by `main`).
pub async fn run(global: &GlobalArgs, command: Command) -> anyhow::Result<()> {
    let ctx = Context::new(global)?;
    match command {
        Command::Login(args) => account::login(&ctx, args).await,
        Command::Logout => account::logout(&ctx).await,
        Command::Whoami => account::whoami(&ctx).await,
        Command::Passwd(args) => account::passwd(&ctx, args).await,
        Command::Healthcheck(args) => account::healthcheck(&ctx, args).await,
        Command::Vault(command) => vault::run(&ctx, command).await,
        Command::Admin { command } => match command {
            AdminCommand::Info => admin_server::info(&ctx).await,
            AdminCommand::Jobs => admin_server::jobs(&ctx).await,
            AdminCommand::User { command } => admin_users::run(&ctx, command).await,
            AdminCommand::Group { command } => admin_groups::run(&ctx, command).await,
            AdminCommand::Session { command } => admin_server::sessions(&ctx, command).await,
            AdminCommand::Db { command } => admin_db::run(&ctx, command).await,
            AdminCommand::Grant(args) => admin_rights::grant(&ctx, args).await,
            AdminCommand::Revoke(args) => admin_rights::revoke(&ctx, args).await,
            AdminCommand::Rights { command } => admin_rights::rights(&ctx, command).await,
            AdminCommand::Policy { command } => admin_policy::policy(&ctx, command).await,
            AdminCommand::Assign(args) => admin_policy::assign(&ctx, args).await,
            AdminCommand::VaultSettings { command } => admin_policy::vault_settings(&ctx, command).await,
            AdminCommand::Settings { command } => admin_signin::settings(&ctx, command).await,
            AdminCommand::Mail { command } => admin_signin::mail(&ctx, command).await,
            AdminCommand::Log(args) => admin_log::run(&ctx, *args).await,
            AdminCommand::Notification { command } => admin_notify::run(&ctx, command).await,
            AdminCommand::Pause => admin_signin::pause(&ctx, true).await,
            AdminCommand::Continue => admin_signin::pause(&ctx, false).await,
        },
        #[cfg(feature = "server")]
        Command::Server(_) | Command::Config { .. } => {
            anyhow::bail!("internal: `server` and `config` are not client commands")
        }
    }
}

/// The one line printed for a failure: the error chain, a hint when the fix is known, no control characters.
pub fn error_line(err: &anyhow::Error) -> String {
    let hint = err.chain().find_map(|e| e.downcast_ref::<ClientError>()).and_then(|e| match e.code() {
        Some(ErrorCode::Unauthenticated) => Some("your session has ended; run `tresor login` again"),
        Some(ErrorCode::PasswordChangeRequired) => Some("change your password first with `tresor passwd`"),
        Some(ErrorCode::SecondFactorExpired) => Some("run `tresor login` again"),
        Some(ErrorCode::DatabasePasswordRequired) => {
            Some("pass --database-password to type it, or set TRESOR_DATABASE_PASSWORD")
        }
        _ => None,
    });
    let text = match hint {
        Some(hint) => format!("error: {err:#} — {hint}"),
        None => format!("error: {err:#}"),
    };
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_says_what_it_does() {
        fn walk(cmd: &clap::Command, path: &str) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                assert!(sub.get_about().is_some(), "`{path}` has no description");
                walk(sub, &path);
            }
        }
        walk(&Cli::command(), "tresor");
    }

    #[test]
    fn roles_are_listed_in_help() {
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("admin")
            .and_then(|c| c.find_subcommand_mut("user"))
            .and_then(|c| c.find_subcommand_mut("add"))
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        for role in tresor_api::Role::ALL {
            assert!(help.contains(role.as_str()), "{} missing from\n{help}", role.as_str());
        }
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["tresor", "admin", "user", "list", "--json", "--server", "https://x:8714"])
            .expect("parse");
        assert!(cli.global.json);
        assert_eq!(cli.global.server.as_deref(), Some("https://x:8714"));
    }

    #[test]
    fn login_parses_a_fingerprint_and_refuses_a_bad_one() {
        let fp = tresor_client::fingerprint_hex(&[0xAB; 32]);
        let ok = Cli::try_parse_from(["tresor", "login", "https://x", "--user", "a", "--trust-fingerprint", &fp]);
        assert!(ok.is_ok());
        let bad = Cli::try_parse_from(["tresor", "login", "https://x", "--user", "a", "--trust-fingerprint", "AB"]);
        assert!(bad.is_err());
        let both = Cli::try_parse_from([
            "tresor",
            "login",
            "https://x",
            "--user",
            "a",
            "--trust-fingerprint",
            &fp,
            "--ca-cert",
            "ca.pem",
        ]);
        assert!(both.is_err());
    }

    #[test]
    fn error_lines_are_one_line_with_a_hint() {
        let err = anyhow::Error::new(ClientError::Api {
            status: 401,
            code: ErrorCode::Unauthenticated,
            message: "session expired".into(),
        });
        let line = error_line(&err.context("cannot list users"));
        assert_eq!(
            line,
            "error: cannot list users: session expired (unauthenticated, HTTP 401) — your session has ended; run \
             `tresor login` again"
        );
        assert!(!error_line(&anyhow::anyhow!("a\nb")).contains('\n'));
    }
}
