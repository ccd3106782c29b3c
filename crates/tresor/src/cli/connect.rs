//! From the saved state and the global flags to a ready [`Client`]: which server, trusted how, with which token.

use anyhow::{Context as _, Result, bail};
use tresor_client::{Client, Trust};

use super::GlobalArgs;
use super::output::Output;
use super::state::{ConfigDir, Session, server_key};

/// What every client command starts from.
#[derive(Debug)]
pub struct Context {
    pub dir: ConfigDir,
    pub out: Output,
    /// `--server`, normalized.
    pub server: Option<String>,
}

impl Context {
    pub fn new(global: &GlobalArgs) -> Result<Self> {
        Ok(Self {
            dir: ConfigDir::resolve(global.config_dir.as_deref())?,
            out: Output { json: global.json },
            server: global.server.as_deref().map(server_key).transpose()?,
        })
    }

    /// The trust saved for `server` (a server key): plain HTTP for `http://`, the session's CA file when the
    /// session is for that server, else its pinned fingerprint.
    pub fn saved_trust(&self, server: &str, session: Option<&Session>) -> Result<Trust> {
        if server.starts_with("http://") {
            return Ok(Trust::PlainHttp);
        }
        if let Some(ca) = session.filter(|s| s.server == server).and_then(|s| s.ca_cert.clone()) {
            return Ok(Trust::CaFile(ca));
        }
        match self.dir.known_servers()?.get(server)? {
            Some(pin) => Ok(Trust::Pinned(pin)),
            None => bail!("{server} is not a known server; run `tresor login {server} --user ACCOUNT` first"),
        }
    }

    /// The saved session, or an error saying how to get one.
    pub fn session(&self) -> Result<Session> {
        let session = self.dir.session()?.context("not logged in; run `tresor login URL --user ACCOUNT` first")?;
        if let Some(server) = &self.server
            && *server != session.server
        {
            // The token belongs to the session's server and must never be sent anywhere else.
            bail!(
                "not logged in to {server} (the saved session is for {}); run `tresor login {server} --user \
                 ACCOUNT` first",
                session.server
            );
        }
        Ok(session)
    }

    /// A client of the session's server carrying the session's token.
    pub fn authed_client(&self) -> Result<(Client, Session)> {
        let session = self.session()?;
        let trust = self.saved_trust(&session.server, Some(&session))?;
        let client = Client::new(&session.server, trust)?.with_token(session.token.clone());
        Ok((client, session))
    }
}
