//! Which server the driver talks to and how it trusts it: the `--url`, `--trust-fingerprint` and `--ca-cert`
//! flags shared by every subcommand that makes requests, and the administrator login used by `seed`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use tresor_client::api::{ChangePasswordRequest, ErrorCode, LoginRequest, WirePassword};
use tresor_client::{Client, ClientError, Trust, fetch_fingerprint, fingerprint_hex, parse_fingerprint};

/// The server under test.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Base URL of the server, e.g. https://127.0.0.1:8714.
    #[arg(long)]
    pub url: String,
    /// SHA-256 fingerprint of the server's certificate, as the server prints it. Without it (and without
    /// --ca-cert) the fingerprint is fetched and trusted on first use, which is fine for a local test server.
    #[arg(long, conflicts_with = "ca_cert")]
    pub trust_fingerprint: Option<String>,
    /// PEM file of the CA that issued the server's certificate.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
}

impl TargetArgs {
    /// The trust the flags ask for; an https URL with neither flag is pinned to the certificate it presents now.
    pub async fn trust(&self) -> anyhow::Result<Trust> {
        if let Some(text) = &self.trust_fingerprint {
            let pin = parse_fingerprint(text).context("--trust-fingerprint is not a SHA-256 fingerprint")?;
            return Ok(Trust::Pinned(pin));
        }
        if let Some(path) = &self.ca_cert {
            return Ok(Trust::CaFile(path.clone()));
        }
        if self.url.trim_start().starts_with("http://") {
            return Ok(Trust::PlainHttp);
        }
        let pin =
            fetch_fingerprint(&self.url).await.with_context(|| format!("fetching the certificate of {}", self.url))?;
        eprintln!("trusting {} on first use: {}", self.url, fingerprint_hex(&pin));
        Ok(Trust::Pinned(pin))
    }
}

/// How the administrator who seeds the server logs in.
#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    /// Account that creates users and groups (the super administrator or an Account Administrator).
    #[arg(long, default_value = "admin")]
    pub admin_user: String,
    /// Its password (for a fresh server, the one-time password the server printed).
    #[arg(long, env = "TRESOR_BENCH_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// When the server demands a password change at first login, change it to this. It is also tried when
    /// --admin-password is refused, so that the same command works again after the first run.
    #[arg(long, env = "TRESOR_BENCH_NEW_ADMIN_PASSWORD", hide_env_values = true)]
    pub new_admin_password: Option<String>,
}

/// Logs the administrator in, changing a one-time password first when the server asks and a new one was given;
/// returns the session and its token (for the raw vault requests).
pub async fn admin_session(client: &Client, admin: &AdminArgs) -> anyhow::Result<(Client, String)> {
    let login = |password: &str| {
        let request = LoginRequest {
            account: admin.admin_user.clone(),
            password: WirePassword::new(password),
            client: None,
            device_token: None,
        };
        async move { client.login(&request).await }
    };
    let (password, answer) = match login(&admin.admin_password).await {
        Ok(answer) => (admin.admin_password.as_str(), answer),
        Err(ClientError::Api { code: ErrorCode::InvalidCredentials, .. }) if admin.new_admin_password.is_some() => {
            let new = admin.new_admin_password.as_deref().unwrap_or_default();
            let answer = login(new).await.context("the administrator's new password is refused as well")?;
            (new, answer)
        }
        Err(e) => return Err(e).context("administrator login"),
    };
    let session = client.clone().with_token(answer.token.clone());
    if !answer.password_change_required {
        return Ok((session, answer.token));
    }
    let Some(new) = admin.new_admin_password.as_deref() else {
        bail!("the server requires {} to change the password first; pass --new-admin-password", admin.admin_user);
    };
    if new == password {
        bail!("--new-admin-password must differ from the current password");
    }
    let change =
        ChangePasswordRequest { current_password: WirePassword::new(password), new_password: WirePassword::new(new) };
    session.change_password(&change).await.context("changing the administrator's one-time password")?;
    eprintln!("changed the password of {} as the server required", admin.admin_user);
    let answer = login(new).await.context("administrator login with the new password")?;
    Ok((client.clone().with_token(answer.token.clone()), answer.token))
}
