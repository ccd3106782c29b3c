//! The server log as RFC 5424 lines in local files (seed manual, Server Settings → Logging → Local log).
//!
//! The worker follows the log from the position kept in the logs folder (`tresor-log.position`), writes each
//! batch of up to 1000 records, syncs it to disk, then replaces the position file. A crash between the two writes
//! the last batch again at the next start, so a record is written at least once and at most twice; a line cut off
//! half-way is removed before writing goes on. A folder without a position file gets the log from its first
//! record; a damaged position file is reported and treated the same way (nothing is lost, some lines repeat).
//!
//! While "write local files" is off, records are skipped, not kept back: switched on again, the files go on from
//! the end of the log. A changed logs folder goes on from where the old one stopped. Failures to write are logged
//! (without record contents) and retried with growing pauses from the same position.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tresor_core::audit::LoggingSettings;
use tresor_core::audit::rfc5424::Origin;
use tresor_core::{AuditLog, Store, StoreError};

use crate::JobsConfig;
use crate::folder::{LogFolder, POSITION_FILE, Rules};
use crate::follow::{Backoff, Follow, PAGE, Wake};

/// What the file writer has done since it started.
#[derive(Debug, Default)]
pub struct LogFilesStatus {
    /// Whether the writer knows its position: records appended from then on are handled.
    pub started: AtomicBool,
    /// The last record written (or skipped while files are off).
    pub position: AtomicU64,
    /// Batches that failed to be written (each is tried again).
    pub failures: AtomicU64,
    /// Lines written since this process started.
    pub written: AtomicU64,
}

/// Follows the log into files in the logs folder.
#[derive(Debug)]
pub struct LogFiles {
    audit: Arc<AuditLog>,
    store: Arc<dyn Store>,
    config: JobsConfig,
    status: Arc<LogFilesStatus>,
}

impl LogFiles {
    pub fn new(audit: Arc<AuditLog>, store: Arc<dyn Store>, config: JobsConfig) -> Self {
        Self { audit, store, config, status: Arc::default() }
    }

    pub fn status(&self) -> Arc<LogFilesStatus> {
        Arc::clone(&self.status)
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let mut writer = Writer {
            origin: Origin::this_process(self.config.hostname.clone()),
            default_dir: self.config.data_dir.join("logs"),
            folder: None,
            position: None,
            status: self.status,
        };
        let mut follow = Follow::new(self.audit, self.store, "log files");
        let mut settings = follow.settings().await;
        let mut backoff = Backoff::new();
        loop {
            follow.mark_read();
            let wake = match writer.step(&follow, &settings).await {
                Ok(more) => {
                    if backoff.failing() {
                        tracing::info!("log files: writing again");
                    }
                    backoff.reset();
                    if more {
                        continue;
                    }
                    follow.wait().await
                }
                Err(e) => {
                    writer.status.failures.fetch_add(1, Ordering::Relaxed);
                    let folder = writer.dir(&settings);
                    tracing::warn!(folder = %folder.display(), error = %e, "log files: could not write; trying again");
                    follow.pause(backoff.next()).await
                }
            };
            if wake == Wake::Settings {
                settings = follow.settings().await;
            }
        }
    }
}

/// Why a batch was not written.
#[derive(Debug)]
enum Failure {
    Store(StoreError),
    Io(io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Store(e) => write!(f, "reading the server log: {e}"),
            Failure::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

struct Writer {
    origin: Origin,
    default_dir: PathBuf,
    /// The open logs folder; `None` while files are off or after a folder change.
    folder: Option<LogFolder>,
    /// The last record written or skipped; `None` until known (read from the folder at the first start).
    position: Option<u64>,
    status: Arc<LogFilesStatus>,
}

impl Writer {
    fn dir(&self, settings: &LoggingSettings) -> PathBuf {
        settings.folder.as_ref().map_or_else(|| self.default_dir.clone(), PathBuf::from)
    }

    /// Handles one batch; returns whether more records are waiting.
    async fn step(&mut self, follow: &Follow, settings: &LoggingSettings) -> Result<bool, Failure> {
        if !settings.files {
            self.close().await;
            let head = follow.head().await?;
            self.moved_to(head.max(self.position.unwrap_or(0)));
            return Ok(false);
        }
        let dir = self.dir(settings);
        if self.folder.as_ref().map(LogFolder::dir) != Some(dir.as_path()) {
            self.close().await;
            let (folder, position) = open_folder(dir, self.position).await?;
            self.folder = Some(folder);
            self.moved_to(position);
        }
        let position = self.position.unwrap_or(0);
        let page = follow.page(position).await?;
        let Some(last) = page.last().map(|r| r.seq) else { return Ok(false) };
        let more = page.len() == PAGE as usize;
        let lines = page.len() as u64;
        let Some(mut folder) = self.folder.take() else { return Ok(false) };
        let (origin, rules) = (self.origin.clone(), Rules::of(settings));
        let (folder, written) = blocking(move || {
            let written = folder.append(&page, &origin, &rules).and_then(|()| folder.write_position(last));
            (folder, written)
        })
        .await?;
        self.folder = Some(folder);
        written?;
        self.status.written.fetch_add(lines, Ordering::Relaxed);
        self.moved_to(last);
        Ok(more)
    }

    fn moved_to(&mut self, position: u64) {
        self.position = Some(position);
        self.status.position.store(position, Ordering::Relaxed);
        self.status.started.store(true, Ordering::Release);
    }

    /// Syncs and closes the current file, if any.
    async fn close(&mut self) {
        let Some(mut folder) = self.folder.take() else { return };
        let dir = folder.dir().to_owned();
        match blocking(move || folder.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(folder = %dir.display(), error = %e, "log files: could not close the current file");
            }
        }
    }
}

/// Opens (creating) the folder and settles the position: the one carried over from another folder or from the
/// time files were off, written into this folder; otherwise the folder's own.
async fn open_folder(dir: PathBuf, carried: Option<u64>) -> io::Result<(LogFolder, u64)> {
    blocking(move || {
        let folder = LogFolder::open(&dir)?;
        let position = match carried {
            Some(p) => {
                folder.write_position(p)?;
                p
            }
            None => stored_position(&folder, &dir)?,
        };
        Ok((folder, position))
    })
    .await?
}

fn stored_position(folder: &LogFolder, dir: &Path) -> io::Result<u64> {
    match folder.read_position() {
        Ok(p) => Ok(p.unwrap_or(0)),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            tracing::warn!(
                folder = %dir.display(),
                "log files: {POSITION_FILE} is damaged; writing the log again from its first record"
            );
            Ok(0)
        }
        Err(e) => Err(e),
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| io::Error::other(format!("the file task failed: {e}")))
}
