//! The user's own commands: `login` (with trust on first use), `logout`, `whoami`, `passwd`, and `healthcheck`.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use serde::Serialize;
use tresor_api::{
    ChangePasswordRequest, ClientKind, ErrorCode, LoginRequest, MeResponse, SecondFactorMethod, SecondFactorRequest,
    SecondFactorRequired, SessionInfo, UserView, WirePassword,
};
use tresor_client::{Client, LoginReply, Trust, fetch_fingerprint, fingerprint_hex, parse_fingerprint};

use super::connect::Context;
use super::output::{fields, joined, wire_name, yes_no};
use super::prompt::{
    confirm, current_and_new_password, password_from_stdin, prompt_line, prompt_new_password, prompt_password,
};
use super::state::{ConfigDir, PinCheck, Session, server_key};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server, e.g. https://tresor.example.com:8714
    #[arg(value_name = "URL")]
    url: String,
    /// Account name to log in as.
    #[arg(long, short = 'u', value_name = "ACCOUNT")]
    user: String,
    /// Read the password from the first line of standard input (and, if the server demands a new one, the new
    /// password from the next line).
    #[arg(long)]
    password_stdin: bool,
    /// Verify the server's certificate with this PEM CA file instead of pinning its fingerprint.
    #[arg(long, value_name = "FILE", conflicts_with = "trust_fingerprint")]
    ca_cert: Option<PathBuf>,
    /// Trust the server if its certificate has this SHA-256 fingerprint (AB:CD:… or plain hex), without asking;
    /// also replaces a pinned fingerprint after a deliberate certificate change.
    #[arg(long, value_name = "FP", value_parser = fingerprint_arg)]
    trust_fingerprint: Option<[u8; 32]>,
    /// The second factor, when the server asks for one: an authenticator code or a recovery code. Without it the
    /// code is asked for (or, with --password-stdin, read from the next line); an e-mailed code is always given
    /// that way, since each login mails a new one.
    #[arg(long, value_name = "CODE")]
    code: Option<String>,
    /// Trust this device: later logins skip the second factor for the days the server allows.
    #[arg(long)]
    remember_device: bool,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the current and the new password from the first two lines of standard input.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The server to check (default: --server, else the logged-in server).
    #[arg(value_name = "URL")]
    url: Option<String>,
    /// Verify the server's certificate with this PEM CA file instead of the saved trust.
    #[arg(long, value_name = "FILE", conflicts_with = "trust_fingerprint")]
    ca_cert: Option<PathBuf>,
    /// Expect this SHA-256 certificate fingerprint instead of the saved trust.
    #[arg(long, value_name = "FP", value_parser = fingerprint_arg)]
    trust_fingerprint: Option<[u8; 32]>,
}

fn fingerprint_arg(text: &str) -> Result<[u8; 32], String> {
    parse_fingerprint(text).ok_or_else(|| "expected 32 hex pairs separated by colons, or 64 hex digits".to_owned())
}

/// What `login --json` prints: the answer without its token.
#[derive(Serialize)]
struct LoginOutput<'a> {
    server: &'a str,
    account: &'a str,
    session: &'a SessionInfo,
    password_changed: bool,
    user: &'a UserView,
}

pub async fn login(ctx: &Context, mut args: LoginArgs) -> Result<()> {
    let server = server_key(&args.url)?;
    let ca_cert = args
        .ca_cert
        .map(|path| std::fs::canonicalize(&path).with_context(|| format!("cannot find {}", path.display())))
        .transpose()?;
    let trust = if server.starts_with("http://") {
        eprintln!("warning: {server} is plain HTTP: the password crosses the network unencrypted");
        Trust::PlainHttp
    } else if let Some(ca) = &ca_cert {
        Trust::CaFile(ca.clone())
    } else {
        Trust::Pinned(establish_pin(&ctx.dir, &server, args.trust_fingerprint).await?)
    };
    let client = Client::new(&server, trust)?;

    let password = if args.password_stdin {
        password_from_stdin("the password")?
    } else {
        prompt_password(&format!("Password for {} at {server}: ", args.user))?
    };
    let device_token = ctx.dir.device_token(&server, &args.user)?.map(WirePassword::new);
    let had_device_token = device_token.is_some();
    let request = LoginRequest {
        account: args.user.clone(),
        password: password.clone(),
        client: Some(ClientKind::Cli),
        device_token,
    };
    let answer = match client.login_step(&request).await? {
        LoginReply::Session(answer) => *answer,
        LoginReply::SecondFactor(challenge) => {
            if had_device_token {
                // The server no longer trusts this device (it expired, or the second factor was reset).
                ctx.dir.save_device_token(&server, &args.user, None)?;
            }
            if args.remember_device && challenge.remember_device_days == 0 {
                eprintln!("note: this server does not remember devices; --remember-device has no effect");
            }
            let code = second_factor_code(&challenge, args.code.take(), args.password_stdin)?;
            let request = SecondFactorRequest {
                challenge: WirePassword::new(challenge.challenge.clone()),
                code,
                remember_device: args.remember_device,
            };
            let answer = client.login_second_factor(&request).await?;
            if !answer.recovery_codes.is_empty() {
                eprintln!(
                    "Authenticator enrolled. Keep these one-time recovery codes somewhere safe: each opens one login \
                     when the authenticator is lost. They are not shown again."
                );
                for code in &answer.recovery_codes {
                    eprintln!("  {code}");
                }
            }
            answer
        }
    };
    if let Some(device) = &answer.device_token {
        ctx.dir.save_device_token(&server, &args.user, Some(&device.token))?;
        eprintln!("This device is trusted until {}.", device.expires_at);
    }
    end_previous_session(ctx).await;
    let session =
        Session { server: server.clone(), account: answer.user.account.clone(), token: answer.token.clone(), ca_cert };
    // Saved before any password change, so that a failed change can be retried with `tresor passwd`.
    ctx.dir.save_session(&session)?;

    if answer.password_change_required {
        eprintln!("The server requires a new password for {} before anything else.", session.account);
        let new_password = if args.password_stdin {
            password_from_stdin("the new password")?
        } else {
            prompt_new_password("New password: ")?
        };
        client
            .with_token(answer.token.clone())
            .change_password(&ChangePasswordRequest { current_password: password, new_password })
            .await
            .context("the login worked but the password change failed; retry with `tresor passwd`")?;
        eprintln!("Password changed.");
    }

    ctx.out.show(
        &LoginOutput {
            server: &server,
            account: &session.account,
            session: &answer.session,
            password_changed: answer.password_change_required,
            user: &answer.user,
        },
        |o| format!("Logged in to {} as {}", o.server, o.account),
    )
}

/// The second factor the server asks for: from `--code`, the next line of standard input, or the terminal. An
/// enrolment first shows the new authenticator as a QR code, an `otpauth://` URI and its secret.
fn second_factor_code(
    challenge: &SecondFactorRequired,
    given: Option<String>,
    from_stdin: bool,
) -> Result<WirePassword> {
    match challenge.method {
        SecondFactorMethod::TotpEnrolment => {
            let Some(offer) = &challenge.enrolment else {
                bail!("the server asked to enrol an authenticator but sent none")
            };
            eprintln!("This server asks for a second factor. Add this account to an authenticator app:");
            if let Some(qr) = terminal_qr(&offer.uri) {
                eprintln!("{qr}");
            }
            eprintln!("  URI:    {}", offer.uri);
            eprintln!("  secret: {}", offer.secret);
        }
        SecondFactorMethod::Email => {
            let to = challenge.sent_to.as_deref().unwrap_or("your address");
            eprintln!("A sign-in code was sent to {to}.");
        }
        SecondFactorMethod::Totp => {}
    }
    if let Some(code) = given {
        return Ok(WirePassword::new(code));
    }
    let what = match challenge.method {
        SecondFactorMethod::TotpEnrolment => "the first code the app shows",
        SecondFactorMethod::Totp => "the authenticator code (or a recovery code)",
        SecondFactorMethod::Email => "the code from the e-mail",
    };
    if from_stdin {
        password_from_stdin(what)
    } else {
        let line = prompt_line(&format!("Enter {what}: "))?;
        Ok(WirePassword::new(line))
    }
}

/// The URI as a QR code drawn with half-block characters, two rows per line; `None` if it does not fit a code.
fn terminal_qr(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build())
}

/// The session file holds one login; the one it is about to replace is ended on its server, so it does not
/// linger there as a connected session. Best effort and brief: a failure only leaves it to expire.
async fn end_previous_session(ctx: &Context) {
    if let Ok((previous, _)) = ctx.authed_client() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), previous.logout()).await;
    }
}

/// Trust on first use, as ssh does: compare with the pinned fingerprint, or show the new one and ask.
async fn establish_pin(dir: &ConfigDir, server: &str, given: Option<[u8; 32]>) -> Result<[u8; 32]> {
    let seen = fetch_fingerprint(server).await?;
    let seen_hex = fingerprint_hex(&seen);
    if let Some(given) = given
        && given != seen
    {
        bail!(
            "the server's certificate fingerprint is {seen_hex}, not the {} given with --trust-fingerprint; do not \
             log in until you know why",
            fingerprint_hex(&given)
        );
    }
    let mut known = dir.known_servers()?;
    match known.check(server, &seen)? {
        PinCheck::Matches => return Ok(seen),
        PinCheck::Changed { pinned } if given.is_none() => bail!(
            "THE SERVER'S CERTIFICATE FINGERPRINT CHANGED: {server} was pinned to {} but now presents {seen_hex}; \
             someone may be intercepting the connection. Only if the server's certificate was replaced on \
             purpose, run `tresor login {server} --user ACCOUNT --trust-fingerprint {seen_hex}`",
            fingerprint_hex(&pinned)
        ),
        PinCheck::Changed { pinned } => {
            eprintln!("warning: replacing the pinned fingerprint {} of {server}", fingerprint_hex(&pinned));
        }
        PinCheck::Unknown if given.is_some() => {}
        PinCheck::Unknown => {
            eprintln!("The server at {server} presents a certificate with the SHA-256 fingerprint");
            eprintln!("  {seen_hex}");
            eprintln!("Compare it with the fingerprint the server printed when it started.");
            match confirm("Trust this server? [y/N] ")? {
                Some(true) => {}
                Some(false) => bail!("not trusting {server}"),
                None => bail!(
                    "cannot ask whether to trust {server} without a terminal; check its fingerprint and pass \
                     --trust-fingerprint {seen_hex}"
                ),
            }
        }
    }
    known.insert(server, &seen);
    dir.save_known_servers(&known)?;
    Ok(seen)
}

pub async fn logout(ctx: &Context) -> Result<()> {
    let (client, session) = ctx.authed_client()?;
    match client.logout().await {
        Ok(()) => {}
        Err(e) if e.code() == Some(ErrorCode::Unauthenticated) => {}
        Err(e) => eprintln!("warning: the server did not end the session ({e}); forgetting it here anyway"),
    }
    ctx.dir.remove_session()?;
    ctx.out.done(&format!("Logged out of {}", session.server));
    Ok(())
}

pub async fn whoami(ctx: &Context) -> Result<()> {
    let (client, session) = ctx.authed_client()?;
    let me = client.me().await?;
    ctx.out.show(&me, |me: &MeResponse| {
        fields(vec![
            ("Server", session.server.clone()),
            ("Account", me.user.account.clone()),
            ("Full name", me.user.full_name.clone()),
            ("Kind", wire_name(&me.user.kind)),
            ("Roles", joined(me.user.roles.iter().map(|r| r.as_str()))),
            ("Member of", joined(me.user.member_of.iter().map(|g| g.name.as_str()))),
            ("Session", me.session.id.clone()),
            ("Session expires", me.session.expires_at.clone()),
            ("Idle timeout", format!("{} min", me.session.idle_timeout_minutes)),
            ("Must change password", yes_no(me.password_change_required)),
        ])
    })
}

pub async fn passwd(ctx: &Context, args: PasswdArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let (current_password, new_password) = current_and_new_password(args.password_stdin)?;
    client.change_password(&ChangePasswordRequest { current_password, new_password }).await?;
    ctx.out.done("Password changed.");
    Ok(())
}

/// Exits 0 only when the server reports `ok`: for container health checks.
pub async fn healthcheck(ctx: &Context, args: HealthcheckArgs) -> Result<()> {
    let session = ctx.dir.session().ok().flatten();
    let server = match args.url.as_deref().or(ctx.server.as_deref()) {
        Some(url) => server_key(url)?,
        None => session.as_ref().map(|s| s.server.clone()).context("no server to check: pass a URL or log in first")?,
    };
    let trust = if let Some(ca) = args.ca_cert {
        Trust::CaFile(ca)
    } else if let Some(pin) = args.trust_fingerprint {
        Trust::Pinned(pin)
    } else {
        ctx.saved_trust(&server, session.as_ref())?
    };
    let health = Client::new(&server, trust)?.health().await?;
    if health.status != "ok" {
        bail!("{server} reports status {:?}", health.status);
    }
    ctx.out.show(&health, |h| format!("{server}: {} (version {})", h.status, h.version))
}
