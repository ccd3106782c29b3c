//! The server configuration, loaded once in layers (defaults → TOML file → `TRESOR_*` environment → flags) into a
//! validated [`ServerConfig`] that is passed explicitly. Unknown keys are errors; secrets may come from `*_file`
//! settings, whose files must not be group- or world-readable.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use tresor_core::AuthSettings;
use tresor_crypto::Argon2Params;

/// The port Tresor listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8714;

/// The configuration file as written: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<Vec<String>>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub master_key_file: Option<PathBuf>,
    pub log_level: Option<String>,
    #[serde(default)]
    pub tls: TlsFile,
    #[serde(default)]
    pub session: SessionFile,
    #[serde(default)]
    pub licence: LicenceFile,
    #[serde(default)]
    pub password_hashing: HashingFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// `false` serves plain HTTP: only behind a TLS-terminating proxy.
    pub enabled: Option<bool>,
    /// Extra DNS names and addresses for the generated certificate.
    pub names: Option<Vec<String>>,
    /// A certificate chain (leaf first) and key of your own instead of the generated ones.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub lifetime_minutes: Option<u64>,
    pub idle_timeout_minutes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceFile {
    /// Named-user seats. Without a licence the server allows 3 users (seed manual, Licensing).
    pub seats: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashingFile {
    pub memory_kib: Option<u32>,
    pub iterations: Option<u32>,
    pub parallelism: Option<u32>,
    /// How many password hashes may run at once (default: the number of cores).
    pub max_concurrent: Option<usize>,
}

/// Values from the environment and the command line, the two upper layers.
#[derive(Default, Clone, clap::Args)]
pub struct Overrides {
    /// Configuration file (TOML).
    #[arg(long, env = "TRESOR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory: SQLite database, master key, generated TLS certificates.
    #[arg(long, env = "TRESOR_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on (IPv4, [IPv6] or both; repeat the flag). Default 127.0.0.1:8714.
    #[arg(long, env = "TRESOR_LISTEN", value_delimiter = ',', value_name = "ADDR:PORT")]
    pub listen: Vec<String>,
    /// PostgreSQL instead of the embedded SQLite: postgres://user@host/db.
    #[arg(long, env = "TRESOR_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Master key file (default: master.key in the data directory).
    #[arg(long, env = "TRESOR_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Another DNS name or address for the generated certificate (repeat the flag).
    #[arg(long = "tls-name", env = "TRESOR_TLS_NAMES", value_delimiter = ',', value_name = "NAME")]
    pub tls_names: Vec<String>,
    /// Serve plain HTTP, without TLS: only behind a TLS-terminating proxy.
    #[arg(long)]
    pub insecure_http: bool,
    /// Named-user seats (default 3, the unlicensed limit).
    #[arg(long, env = "TRESOR_SEATS", value_name = "N")]
    pub seats: Option<u64>,
    /// Log filter, e.g. `info` or `tresor=debug`.
    #[arg(long, env = "TRESOR_LOG", value_name = "FILTER")]
    pub log_level: Option<String>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The database URL may carry a password.
        f.debug_struct("Overrides")
            .field("config", &self.config)
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("database_url", &self.database_url.as_ref().map(|_| "<redacted>"))
            .field("master_key_file", &self.master_key_file)
            .field("tls_names", &self.tls_names)
            .field("insecure_http", &self.insecure_http)
            .field("seats", &self.seats)
            .field("log_level", &self.log_level)
            .finish()
    }
}

/// Where the data lives.
#[derive(Clone)]
pub enum StoreChoice {
    Sqlite(PathBuf),
    /// The URL may carry a password: it is never printed.
    Postgres(String),
}

impl std::fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreChoice::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            StoreChoice::Postgres(_) => f.write_str("Postgres(<redacted>)"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum TlsChoice {
    /// Certificates generated in the data directory, valid for loopback and these extra names.
    Generated {
        names: Vec<String>,
    },
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
    Off,
}

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: Vec<SocketAddr>,
    pub store: StoreChoice,
    pub master_key_file: PathBuf,
    pub tls: TlsChoice,
    pub auth: AuthSettings,
    pub seats: u64,
    pub argon2: Argon2Params,
    pub hash_concurrency: usize,
    pub log_filter: String,
}

impl ServerConfig {
    /// Builds the configuration from all layers.
    pub fn load(o: &Overrides) -> anyhow::Result<Self> {
        let file = match &o.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        Self::from_layers(file, o)
    }

    fn from_layers(f: FileConfig, o: &Overrides) -> anyhow::Result<Self> {
        let data_dir = o.data_dir.clone().or(f.data_dir).unwrap_or_else(|| PathBuf::from("tresor-data"));
        // Paths derived from it are printed (the CA for --ca-cert) and must work from any directory.
        let data_dir = std::path::absolute(&data_dir).unwrap_or(data_dir);
        let listen_raw = if o.listen.is_empty() {
            f.listen.unwrap_or_else(|| vec![format!("127.0.0.1:{DEFAULT_PORT}")])
        } else {
            o.listen.clone()
        };
        let listen = listen_raw.iter().map(|s| parse_listen(s)).collect::<anyhow::Result<Vec<_>>>()?;
        if listen.is_empty() {
            bail!("listen: give at least one address");
        }
        let database_url = match (o.database_url.clone().or(f.database_url), f.database_url_file) {
            (Some(url), _) => Some(url),
            (None, Some(path)) => Some(read_secret_file(&path)?.trim().to_owned()),
            (None, None) => None,
        };
        let store = match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                StoreChoice::Postgres(url)
            }
            Some(url) if url.starts_with("sqlite:") => {
                StoreChoice::Sqlite(PathBuf::from(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:")))
            }
            Some(_) => bail!("database_url: expected postgres://… or sqlite:PATH"),
            None => StoreChoice::Sqlite(data_dir.join("tresor.db")),
        };
        let master_key_file =
            o.master_key_file.clone().or(f.master_key_file).unwrap_or_else(|| data_dir.join("master.key"));
        let tls_enabled = !o.insecure_http && f.tls.enabled.unwrap_or(true);
        let tls = match (tls_enabled, f.tls.cert_file, f.tls.key_file) {
            (false, _, _) => TlsChoice::Off,
            (true, Some(cert), Some(key)) => TlsChoice::Files { cert, key },
            (true, None, None) => {
                let mut names = f.tls.names.unwrap_or_default();
                names.extend(o.tls_names.iter().cloned());
                for n in &names {
                    if n.is_empty() || n.len() > 253 || n.contains(char::is_whitespace) {
                        bail!("tls.names: '{n}' is not a DNS name or address");
                    }
                }
                TlsChoice::Generated { names }
            }
            _ => bail!("tls: cert_file and key_file go together"),
        };
        let minutes = |v: Option<u64>, default: u64, key: &str| -> anyhow::Result<Duration> {
            let m = v.unwrap_or(default);
            if m == 0 || m > 60 * 24 * 365 {
                bail!("{key}: give 1 to 525600 minutes");
            }
            Ok(Duration::from_secs(m * 60))
        };
        let auth = AuthSettings {
            session_lifetime: minutes(f.session.lifetime_minutes, 12 * 60, "session.lifetime_minutes")?,
            idle_timeout: minutes(f.session.idle_timeout_minutes, 30, "session.idle_timeout_minutes")?,
            ..AuthSettings::default()
        };
        let seats = o.seats.or(f.licence.seats).unwrap_or(3);
        let h = f.password_hashing;
        let min = Argon2Params::owasp_minimum();
        let argon2 = Argon2Params::new(
            h.memory_kib.unwrap_or(min.memory_kib()),
            h.iterations.unwrap_or(min.iterations()),
            h.parallelism.unwrap_or(min.parallelism()),
        )
        .context("password_hashing")?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hash_concurrency = h.max_concurrent.unwrap_or(cores);
        if hash_concurrency == 0 || hash_concurrency > 256 {
            bail!("password_hashing.max_concurrent: give 1 to 256");
        }
        let log_filter = o.log_level.clone().or(f.log_level).unwrap_or_else(|| "info".to_owned());
        Ok(ServerConfig {
            data_dir,
            listen,
            store,
            master_key_file,
            tls,
            auth,
            seats,
            argon2,
            hash_concurrency,
            log_filter,
        })
    }
}

/// `tresor config check FILE`: the file alone, over the defaults.
pub fn check(path: &Path) -> anyhow::Result<ServerConfig> {
    let file = read_file(path)?;
    ServerConfig::from_layers(file, &Overrides::default())
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))
}

/// `127.0.0.1:8714`, `[::1]:8714`, or an address alone (port 8714).
fn parse_listen(s: &str) -> anyhow::Result<SocketAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    bail!("listen: '{s}' is not an address (examples: 127.0.0.1:8714, [::1]:8714, 0.0.0.0)")
}

/// Reads a file holding a secret, refusing one that others could read.
pub fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    ensure_private(path)?;
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Refuses a key or secret file that is readable or writable by group or others.
pub fn ensure_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} is accessible by group or others (mode {:o}); it holds a secret. Fix it with: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers(toml_text: &str, o: &Overrides) -> anyhow::Result<ServerConfig> {
        let f: FileConfig = toml::from_str(toml_text).map_err(|e| anyhow::anyhow!(e.message().to_owned()))?;
        ServerConfig::from_layers(f, o)
    }

    #[test]
    fn defaults_make_a_working_server() -> anyhow::Result<()> {
        let c = layers("", &Overrides::default())?;
        assert_eq!(c.listen, vec!["127.0.0.1:8714".parse()?]);
        let cwd = std::env::current_dir()?;
        assert!(matches!(c.store, StoreChoice::Sqlite(ref p) if *p == cwd.join("tresor-data/tresor.db")));
        assert_eq!(c.master_key_file, cwd.join("tresor-data/master.key"));
        assert!(matches!(c.tls, TlsChoice::Generated { ref names } if names.is_empty()));
        assert_eq!(c.seats, 3);
        assert_eq!(c.argon2, Argon2Params::owasp_minimum());
        Ok(())
    }

    #[test]
    fn flags_beat_the_file() -> anyhow::Result<()> {
        let o =
            Overrides { data_dir: Some("/srv/t".into()), listen: vec!["[::1]:9000".into()], ..Overrides::default() };
        let c = layers("data_dir = \"/var/lib/tresor\"\nlisten = [\"0.0.0.0:1\"]\n", &o)?;
        assert_eq!(c.data_dir, PathBuf::from("/srv/t"));
        assert_eq!(c.listen, vec!["[::1]:9000".parse()?]);
        let c = layers("data_dir = \"/var/lib/tresor\"\n", &Overrides::default())?;
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/tresor"));
        Ok(())
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(layers("data_dri = \"x\"", &Overrides::default()).is_err());
        assert!(layers("[tls]\nenable = true", &Overrides::default()).is_err());
        assert!(layers("listen = [\"localhost:80:80\"]", &Overrides::default()).is_err());
        assert!(layers("[password_hashing]\nmemory_kib = 1024", &Overrides::default()).is_err());
        assert!(layers("[session]\nidle_timeout_minutes = 0", &Overrides::default()).is_err());
        assert!(layers("[tls]\ncert_file = \"a.pem\"", &Overrides::default()).is_err());
        assert!(layers("database_url = \"mysql://x\"", &Overrides::default()).is_err());
    }

    #[test]
    fn listen_takes_ipv4_ipv6_and_bare_addresses() -> anyhow::Result<()> {
        assert_eq!(parse_listen("0.0.0.0")?, "0.0.0.0:8714".parse()?);
        assert_eq!(parse_listen("::1")?, "[::1]:8714".parse()?);
        assert_eq!(parse_listen("[::]:443")?, "[::]:443".parse()?);
        Ok(())
    }

    #[test]
    fn world_readable_secrets_are_refused() -> anyhow::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let p = dir.path().join("db-url");
        std::fs::write(&p, "postgres://x")?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))?;
        let err = read_secret_file(&p).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
        assert_eq!(read_secret_file(&p)?, "postgres://x");
        Ok(())
    }
}
