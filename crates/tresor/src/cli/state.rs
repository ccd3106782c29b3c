//! The client's files in its config directory: `known_servers.toml` (pinned certificate fingerprints, as ssh's
//! `known_hosts`) and `session.json` (the current login). Both are private to the user.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use tresor_client::{fingerprint_hex, parse_fingerprint};

const KNOWN_SERVERS: &str = "known_servers.toml";
const SESSION: &str = "session.json";
/// Device tokens of logins with `--remember-device`, per server and account.
const DEVICES: &str = "devices.json";

fn device_key(server: &str, account: &str) -> String {
    format!("{server} {}", account.to_lowercase())
}

/// The normalized form of a server URL used as a key everywhere: scheme, host, port (when not the default) and
/// path prefix, without a trailing slash, query or fragment.
pub fn server_key(url: &str) -> Result<String> {
    let mut parsed = reqwest_url(url)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{url:?} is not an http:// or https:// URL");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        bail!("credentials do not belong in the server URL");
    }
    parsed.set_query(None);
    parsed.set_fragment(None);
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn reqwest_url(url: &str) -> Result<tresor_client::Url> {
    tresor_client::Url::parse(url.trim()).map_err(|e| anyhow!("invalid server URL {url:?}: {e}"))
}

/// Where the client keeps its files.
#[derive(Debug, Clone)]
pub struct ConfigDir {
    path: PathBuf,
}

/// What the pinned fingerprint of a server says about the one just seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    /// The server is not in `known_servers.toml`.
    Unknown,
    Matches,
    Changed {
        pinned: [u8; 32],
    },
}

/// `known_servers.toml`: server URL → SHA-256 fingerprint of its certificate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownServers {
    #[serde(default)]
    servers: BTreeMap<String, String>,
}

impl KnownServers {
    /// The pinned fingerprint of `server` (a [`server_key`]).
    pub fn get(&self, server: &str) -> Result<Option<[u8; 32]>> {
        self.servers
            .get(server)
            .map(|text| {
                parse_fingerprint(text)
                    .ok_or_else(|| anyhow!("{KNOWN_SERVERS}: the fingerprint of {server} is malformed"))
            })
            .transpose()
    }

    pub fn check(&self, server: &str, seen: &[u8; 32]) -> Result<PinCheck> {
        Ok(match self.get(server)? {
            None => PinCheck::Unknown,
            Some(pinned) if pinned == *seen => PinCheck::Matches,
            Some(pinned) => PinCheck::Changed { pinned },
        })
    }

    pub fn insert(&mut self, server: &str, fingerprint: &[u8; 32]) {
        self.servers.insert(server.to_owned(), fingerprint_hex(fingerprint));
    }
}

/// `session.json`: the login this client uses by default.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// A [`server_key`].
    pub server: String,
    pub account: String,
    /// The bearer token; the file is mode 0600 for its sake.
    pub token: String,
    /// The CA file the server's certificate was verified with, when not pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.server)
            .field("account", &self.account)
            .field("token", &"<redacted>")
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

impl ConfigDir {
    /// The directory given by `--config-dir`/`TRESOR_CONFIG_DIR`, else the platform's config dir + `tresor`.
    pub fn resolve(flag: Option<&Path>) -> Result<Self> {
        let path = match flag {
            Some(path) => path.to_owned(),
            None => dirs::config_dir()
                .context("no configuration directory is known for this user; pass --config-dir")?
                .join("tresor"),
        };
        Ok(Self { path })
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the directory (mode 0700) when it does not exist.
    fn ensure(&self) -> Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.path).with_context(|| format!("cannot create {}", self.path.display()))
    }

    pub fn known_servers(&self) -> Result<KnownServers> {
        let path = self.path.join(KNOWN_SERVERS);
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KnownServers::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn save_known_servers(&self, known: &KnownServers) -> Result<()> {
        let body = toml::to_string_pretty(known).context("cannot encode the known servers")?;
        let text = format!(
            "# Servers this client trusts, as ssh's known_hosts: URL = SHA-256 fingerprint of the server's \
             certificate.\n{body}"
        );
        self.write_private(KNOWN_SERVERS, text.as_bytes())
    }

    pub fn session(&self) -> Result<Option<Session>> {
        let path = self.path.join(SESSION);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        refuse_if_shared(&path)?;
        let session = serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
        Ok(Some(session))
    }

    pub fn save_session(&self, session: &Session) -> Result<()> {
        let text = serde_json::to_vec_pretty(session).context("cannot encode the session")?;
        self.write_private(SESSION, &text)
    }

    /// Removes the session file; false when there was none.
    pub fn remove_session(&self) -> Result<bool> {
        let path = self.path.join(SESSION);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }

    /// The device token a login with `--remember-device` saved for this account on this server.
    pub fn device_token(&self, server: &str, account: &str) -> Result<Option<String>> {
        Ok(self.devices()?.remove(&device_key(server, account)))
    }

    /// Saves (or, with `None`, forgets) the device token of an account on a server.
    pub fn save_device_token(&self, server: &str, account: &str, token: Option<&str>) -> Result<()> {
        let mut devices = self.devices()?;
        match token {
            Some(t) => devices.insert(device_key(server, account), t.to_owned()),
            None => devices.remove(&device_key(server, account)),
        };
        let text = serde_json::to_vec_pretty(&devices).context("cannot encode the device tokens")?;
        self.write_private(DEVICES, &text)
    }

    fn devices(&self) -> Result<BTreeMap<String, String>> {
        let path = self.path.join(DEVICES);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        refuse_if_shared(&path)?;
        serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
    }

    /// Writes a file readable only by its owner: a fresh temporary file is created with mode 0600 (never
    /// widened and narrowed after), filled, synced and renamed over the old one, so a reader never sees half a
    /// file and an old file's wider mode is not inherited.
    fn write_private(&self, name: &str, contents: &[u8]) -> Result<()> {
        self.ensure()?;
        let path = self.path.join(name);
        let tmp = self.path.join(format!(".{name}.tmp"));
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", tmp.display()));
            }
            _ => {}
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("cannot replace {}", path.display()))
    }
}

/// A session file others can read has leaked its token already; like ssh with a private key, refuse it.
fn refuse_if_shared(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} is accessible by other users (mode {:o}); remove it and run `tresor login` again",
                path.display(),
                mode & 0o777
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> (tempfile::TempDir, ConfigDir) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ConfigDir::resolve(Some(&tmp.path().join("nested").join("tresor"))).expect("dir");
        (tmp, dir)
    }

    fn session() -> Session {
        Session {
            server: "https://tresor.example:8714".into(),
            account: "alice".into(),
            token: "tok-123".into(),
            ca_cert: None,
        }
    }

    #[test]
    fn server_keys_are_normalized() {
        assert_eq!(server_key("https://Tresor.Example:8714/").expect("key"), "https://tresor.example:8714");
        assert_eq!(server_key("https://x:443/prefix/?q#f").expect("key"), "https://x/prefix");
        assert_eq!(server_key("http://127.0.0.1:8080").expect("key"), "http://127.0.0.1:8080");
        assert!(server_key("ftp://x").is_err());
        assert!(server_key("https://u:p@x").is_err());
        assert!(server_key("x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn session_file_is_private_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, dir) = temp_dir();
        assert!(dir.session().expect("read").is_none());
        dir.save_session(&session()).expect("save");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&dir.path().join(SESSION)), 0o600);
        assert_eq!(dir.session().expect("read"), Some(session()));
        assert!(dir.remove_session().expect("remove"));
        assert!(!dir.remove_session().expect("remove again"));
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_session_file_is_replaced_private_and_refused_while_shared() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, dir) = temp_dir();
        dir.save_session(&session()).expect("save");
        let path = dir.path().join(SESSION);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = dir.session().expect_err("shared file");
        assert!(err.to_string().contains("other users"), "{err}");
        dir.save_session(&session()).expect("save again");
        assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        assert!(dir.session().expect("read").is_some());
    }

    #[test]
    fn session_debug_hides_the_token() {
        assert!(!format!("{:?}", session()).contains("tok-123"));
    }

    #[test]
    fn known_servers_detect_a_changed_fingerprint() {
        let (_tmp, dir) = temp_dir();
        let server = "https://tresor.example:8714";
        let first = [0x11; 32];
        let second = [0x22; 32];
        let mut known = dir.known_servers().expect("empty");
        assert_eq!(known.check(server, &first).expect("check"), PinCheck::Unknown);
        known.insert(server, &first);
        dir.save_known_servers(&known).expect("save");

        let known = dir.known_servers().expect("reload");
        assert_eq!(known.check(server, &first).expect("check"), PinCheck::Matches);
        assert_eq!(known.check(server, &second).expect("check"), PinCheck::Changed { pinned: first });
        assert_eq!(known.check("https://other", &first).expect("check"), PinCheck::Unknown);
        let text = fs::read_to_string(dir.path().join(KNOWN_SERVERS)).expect("text");
        assert!(text.contains(&fingerprint_hex(&first)), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(KNOWN_SERVERS)).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_malformed_pin_is_an_error_not_a_silent_unknown() {
        let known: KnownServers = toml::from_str("[servers]\n\"https://x\" = \"zz\"\n").expect("parse");
        assert!(known.check("https://x", &[0; 32]).is_err());
    }
}
