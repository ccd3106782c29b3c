//! `tresor admin settings …` (sign-in settings), `tresor admin mail …` (the outgoing mail server), `tresor admin
//! pause|continue`, and users' second factor.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use clap::{Args, Subcommand};
use serde_json::Value;
use tresor_api::{MailSettings, MailSettingsRequest, MailTls, PauseState, SigninSettings, SigninSettingsPatch};

use super::connect::Context;
use super::output::{fields, joined, wire_name, yes_no};
use super::prompt::secret_value;
use super::settings_edit::{assign, split};

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show the sign-in settings: connections, failed logins, two-factor authentication, password policy.
    Show,
    /// Change settings, e.g. `two_factor.mode=totp protection.failed_login_limit=5 connections.clients=cli,web`.
    Set {
        /// SECTION.FIELD=VALUE pairs, with the names `settings show --json` prints.
        #[arg(value_name = "SECTION.FIELD=VALUE", required = true)]
        changes: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Show the outgoing mail server (the password never is).
    Show,
    /// Set the outgoing mail server.
    Set(MailArgs),
    /// Send a test message (seed manual: Email → Test Connection).
    Test {
        /// The recipient.
        #[arg(value_name = "ADDRESS")]
        to: String,
    },
}

#[derive(Debug, Args)]
pub struct MailArgs {
    #[arg(long, value_name = "ADDRESS")]
    sender_address: String,
    #[arg(long, value_name = "NAME", default_value = "")]
    sender_name: String,
    #[arg(long, value_name = "HOST")]
    host: String,
    #[arg(long, value_name = "PORT", default_value_t = 587)]
    port: u16,
    /// none, starttls or tls.
    #[arg(long, value_name = "MODE", default_value = "starttls", value_parser = tls_mode)]
    tls: MailTls,
    #[arg(long, value_name = "USER", default_value = "")]
    username: String,
    /// Ask for the mail server's password (or read it from standard input with --password-stdin).
    #[arg(long)]
    password: bool,
    #[arg(long, requires = "password")]
    password_stdin: bool,
    /// Remove the stored password.
    #[arg(long, conflicts_with = "password")]
    no_password: bool,
    /// PEM file of the CA that issued the mail server's certificate.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
}

fn tls_mode(s: &str) -> Result<MailTls, String> {
    match s {
        "none" => Ok(MailTls::None),
        "starttls" => Ok(MailTls::Starttls),
        "tls" => Ok(MailTls::Tls),
        _ => Err("expected none, starttls or tls".to_owned()),
    }
}

pub async fn settings(ctx: &Context, command: SettingsCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let current = client.signin_settings().await?;
    let shown = match command {
        SettingsCommand::Show => current,
        SettingsCommand::Set { changes } => client.update_signin_settings(&patch(&current, &changes)?).await?,
    };
    ctx.out.show(&shown, settings_fields)
}

/// Applies `section.field=value` pairs to the current settings; the sections touched are sent whole.
fn patch(current: &SigninSettings, changes: &[String]) -> Result<SigninSettingsPatch> {
    let mut doc = serde_json::to_value(current).context("cannot encode the settings")?;
    let mut touched = serde_json::Map::new();
    for change in changes {
        let (key, value) = split(change, "SECTION.FIELD=VALUE")?;
        let (section, field) = key.split_once('.').ok_or_else(|| anyhow!("expected SECTION.FIELD, got {key}"))?;
        let slot = doc
            .get_mut(section)
            .and_then(|s| s.get_mut(field))
            .ok_or_else(|| anyhow!("unknown setting {key}; `tresor admin settings show --json` lists them"))?;
        assign(slot, &key, &value)?;
        touched.insert(section.to_owned(), doc[section].clone());
    }
    serde_json::from_value(Value::Object(touched)).map_err(|e| anyhow!("invalid value: {e}"))
}

fn settings_fields(s: &SigninSettings) -> String {
    let c = &s.connections;
    let p = &s.protection;
    let t = &s.two_factor;
    let pp = &s.password_policy;
    let clients: Vec<String> = c.clients.iter().map(|k| k.as_str().to_owned()).collect();
    let never = |n: u32, unit: &str| if n == 0 { "never".to_owned() } else { format!("{n} {unit}") };
    let mut rows = Vec::new();
    if !s.damaged.is_empty() {
        rows.push(("Damaged (only administrators can log in; set them again)", joined(&s.damaged)));
    }
    rows.extend(vec![
        ("Paused", yes_no(s.paused)),
        ("Supported clients", joined(&clients)),
        ("New connection from another device", wire_name(&c.new_connection)),
        ("Disconnect idle sessions after", never(c.idle_minutes, "minutes")),
        ("Deactivate after failed logins", never(p.failed_login_limit, "failures")),
        ("Login attempts per address", format!("{} per minute, {} at once", p.attempts_per_minute, p.attempt_burst)),
        ("Two-factor authentication", wire_name(&t.mode)),
        ("Remember devices for", never(t.remember_device_days, "days")),
        ("E-mailed codes valid for", format!("{} minutes", t.email_code_minutes)),
        ("Password minimum length", pp.min_length.to_string()),
        (
            "Password must contain",
            [
                (pp.require_lowercase, "lowercase"),
                (pp.require_uppercase, "uppercase"),
                (pp.require_digits, "digits"),
                (pp.require_symbols, "symbols"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(", "),
        ),
        ("Password strength (zxcvbn score)", format!("at least {}", pp.min_strength)),
        ("Passwords remembered", pp.history.to_string()),
        ("Password maximum age", never(pp.max_age_days, "days")),
        ("Password minimum age", never(pp.min_age_days, "days")),
    ]);
    fields(rows)
}

pub async fn mail(ctx: &Context, command: MailCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match command {
        MailCommand::Show => ctx.out.show(&client.mail_settings().await?, mail_fields),
        MailCommand::Set(args) => {
            let password = if args.password {
                Some(secret_value("the mail server's password", args.password_stdin)?)
            } else if args.no_password {
                Some(tresor_api::WirePassword::new(""))
            } else {
                None
            };
            let ca_pem = match &args.ca_cert {
                Some(path) => {
                    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
                }
                None => String::new(),
            };
            let request = MailSettingsRequest {
                sender_name: args.sender_name,
                sender_address: args.sender_address,
                host: args.host,
                port: args.port,
                tls: args.tls,
                username: args.username,
                password,
                ca_pem,
            };
            ctx.out.show(&client.update_mail_settings(&request).await?, mail_fields)
        }
        MailCommand::Test { to } => {
            client.test_mail(&to).await?;
            ctx.out.done(&format!("The mail server accepted a test message to {to}."));
            Ok(())
        }
    }
}

fn mail_fields(m: &MailSettings) -> String {
    fields(vec![
        ("Sender", format!("{} <{}>", m.sender_name, m.sender_address)),
        ("Server", format!("{}:{}", m.host, m.port)),
        ("TLS", wire_name(&m.tls)),
        ("User", m.username.clone()),
        ("Password set", yes_no(m.password_set)),
        ("Private CA", yes_no(!m.ca_pem.is_empty())),
    ])
}

pub async fn pause(ctx: &Context, paused: bool) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let state = client.set_paused(paused).await?;
    ctx.out.show(&state, |s: &PauseState| {
        match (s.paused, s.changed) {
            (true, true) => "Server paused: clients cannot log in or work until it is continued.",
            (true, false) => "The server was paused already.",
            (false, true) => "Server continued.",
            (false, false) => "The server was running already.",
        }
        .to_owned()
    })
}
