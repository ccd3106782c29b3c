//! Where the log goes (seed manual, Server Settings → Logging): local files and a remote syslog receiver.
//!
//! Stored as one settings key per field under `logging.`, written together in one transaction.

use crate::error::CoreError;
use crate::store::{Store, StoreError};
use crate::stored::{bit, flag};

/// When a new log file is started, besides when the current one is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewFile {
    Daily,
    Weekly,
}

/// How records travel to the remote receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// RFC 5426: one datagram per record, as the manual describes. Nothing is resent.
    Udp,
    /// RFC 6587 octet counting; records wait in the spool while the receiver is away.
    Tcp,
    /// RFC 5425: TCP with TLS, same framing and spool.
    Tls,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            "tls" => Some(Transport::Tls),
            _ => None,
        }
    }
}

impl NewFile {
    pub fn as_str(self) -> &'static str {
        match self {
            NewFile::Daily => "daily",
            NewFile::Weekly => "weekly",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(NewFile::Daily),
            "weekly" => Some(NewFile::Weekly),
            _ => None,
        }
    }
}

/// The remote receiver ("Send log messages to a remote server").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLog {
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    /// A PEM file of the certificate authority that signed the receiver's certificate, besides the system's.
    pub ca_file: Option<String>,
    /// The most the spool may hold while the receiver is away, in MiB; older records are dropped beyond it
    /// (and the drop is logged).
    pub spool_mb: u32,
}

/// The log's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingSettings {
    /// Write local files.
    pub files: bool,
    /// The logs folder; `None` for `logs` in the data directory.
    pub folder: Option<String>,
    /// "Max. file size (KB)".
    pub max_file_kb: u32,
    /// "Create new log file".
    pub new_file: NewFile,
    /// "Delete logs" older than this many days; 0 keeps them.
    pub keep_days: u32,
    pub remote: Option<RemoteLog>,
}

impl Default for LoggingSettings {
    fn default() -> Self {
        Self {
            files: true,
            folder: None,
            max_file_kb: 10 * 1024,
            new_file: NewFile::Daily,
            keep_days: 90,
            remote: None,
        }
    }
}

pub const DEFAULT_SPOOL_MB: u32 = 64;

const KEYS: [&str; 10] = [
    "logging.files",
    "logging.folder",
    "logging.max_file_kb",
    "logging.new_file",
    "logging.keep_days",
    "logging.remote.host",
    "logging.remote.port",
    "logging.remote.transport",
    "logging.remote.ca_file",
    "logging.remote.spool_mb",
];

impl LoggingSettings {
    /// Checks the settings as a whole; the message names the field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |m: String| Err(CoreError::Validation(m));
        if let Some(f) = &self.folder
            && (!std::path::Path::new(f).is_absolute() || f.chars().any(char::is_control))
        {
            return bad("folder: the logs folder must be an absolute path".into());
        }
        if !(16..=1024 * 1024).contains(&self.max_file_kb) {
            return bad("max_file_kb: a log file may grow to between 16 KB and 1 GB".into());
        }
        if self.keep_days > 36_500 {
            return bad("keep_days: at most 36500 days (0 keeps logs for ever)".into());
        }
        if let Some(r) = &self.remote {
            let host_ok = !r.host.is_empty()
                && r.host.len() <= 253
                && r.host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
            if !host_ok {
                return bad("remote.host: give a host name or an IP address".into());
            }
            if r.port == 0 {
                return bad("remote.port: give a port between 1 and 65535".into());
            }
            if !(1..=10_240).contains(&r.spool_mb) {
                return bad("remote.spool_mb: the spool holds between 1 and 10240 MiB".into());
            }
            if let Some(ca) = &r.ca_file {
                if r.transport != Transport::Tls {
                    return bad("remote.ca_file: a certificate authority is only used with the tls transport".into());
                }
                if !std::path::Path::new(ca).is_absolute() {
                    return bad("remote.ca_file: the file must be an absolute path".into());
                }
            }
        }
        Ok(())
    }

    /// Reads the stored settings; the defaults where none were stored. A stored value that does not read is an
    /// error naming the key (never silently replaced by a default).
    pub async fn load(store: &dyn Store) -> Result<Self, CoreError> {
        let mut values = Vec::with_capacity(KEYS.len());
        for key in KEYS {
            values.push(store.setting(key).await?);
        }
        let corrupt = |key: &str| CoreError::Internal(format!("the stored log setting {key} is damaged"));
        let d = Self::default();
        let get = |i: usize| values[i].as_deref();
        let flag = |i: usize, default: bool| get(i).map_or(Ok(default), |v| flag(v).ok_or_else(|| corrupt(KEYS[i])));
        let num = |i: usize, default: u32| get(i).map_or(Ok(default), |v| v.parse().map_err(|_| corrupt(KEYS[i])));
        let remote = match get(5) {
            None | Some("") => None,
            Some(host) => Some(RemoteLog {
                host: host.to_owned(),
                port: get(6).and_then(|p| p.parse().ok()).ok_or_else(|| corrupt(KEYS[6]))?,
                transport: get(7).and_then(Transport::parse).ok_or_else(|| corrupt(KEYS[7]))?,
                ca_file: get(8).filter(|s| !s.is_empty()).map(str::to_owned),
                spool_mb: num(9, DEFAULT_SPOOL_MB)?,
            }),
        };
        Ok(Self {
            files: flag(0, d.files)?,
            folder: get(1).filter(|s| !s.is_empty()).map(str::to_owned),
            max_file_kb: num(2, d.max_file_kb)?,
            new_file: get(3).map_or(Ok(d.new_file), |v| NewFile::parse(v).ok_or_else(|| corrupt(KEYS[3])))?,
            keep_days: num(4, d.keep_days)?,
            remote,
        })
    }

    /// Stores every field in one transaction.
    pub async fn save(&self, store: &dyn Store) -> Result<(), StoreError> {
        let r = self.remote.as_ref();
        let values = [
            bit(self.files).to_owned(),
            self.folder.clone().unwrap_or_default(),
            self.max_file_kb.to_string(),
            self.new_file.as_str().to_owned(),
            self.keep_days.to_string(),
            r.map(|r| r.host.clone()).unwrap_or_default(),
            r.map(|r| r.port.to_string()).unwrap_or_default(),
            r.map(|r| r.transport.as_str().to_owned()).unwrap_or_default(),
            r.and_then(|r| r.ca_file.clone()).unwrap_or_default(),
            r.map(|r| r.spool_mb.to_string()).unwrap_or_default(),
        ];
        let pairs: Vec<(&str, String)> = KEYS.into_iter().zip(values).collect();
        store.put_settings(&pairs).await
    }
}
