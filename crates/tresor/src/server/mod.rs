//! `tresor server`: from configuration to a listening server. [`start`] does the work and returns a handle (the
//! test kit uses it in-process); [`run`] adds the banner, signals and logging for the command line.

mod certs;
mod keys;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tresor_core::audit::{AuditLog, AuditStore};
use tresor_core::mail::Mailer;
use tresor_core::signin::store::SigninStore;
use tresor_core::vault::VaultStore;
use tresor_core::{
    AccountService, AuthPorts, AuthService, Clock, Keyring, PasswordWork, ServerService, Store, SystemClock,
    VaultService,
};
use tresor_crypto::{PasswordHasher, SecretString};
use tresor_http::{AppState, ServerIdentity};

use crate::config::{Overrides, ServerConfig, StoreChoice, TlsChoice};

/// How long the vault cache keeps a copy when this server is its store's only writer (SQLite).
const SINGLE_WRITER_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(300);
/// How often dead entry locks are removed and their release recorded.
const LOCK_SWEEP: std::time::Duration = std::time::Duration::from_secs(30);

/// `tresor server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub overrides: Overrides,
}

/// A server that is up and listening.
#[derive(Debug)]
pub struct RunningServer {
    pub addrs: Vec<SocketAddr>,
    /// `https://127.0.0.1:8714` and so on, one per listener.
    pub urls: Vec<String>,
    /// SHA-256 of the server certificate, when TLS is on.
    pub fingerprint: Option<[u8; 32]>,
    /// The generated CA certificate, for clients that prefer `--ca-cert` to pinning.
    pub ca_cert: Option<PathBuf>,
    /// The super administrator's one-time password, on the first start only.
    pub admin_password: Option<SecretString>,
    /// What this start created (key file, certificates), for the banner.
    pub created: Vec<String>,
    pub store_engine: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The periodic tasks (the purge of expired sign-in state, the sweep of dead entry locks); stopped with the
    /// server.
    periodic: Vec<JoinHandle<()>>,
    /// The background workers (log files, remote syslog, notifications); stopped with the server.
    jobs: tresor_jobs::Jobs,
    /// The data directory's lock (SQLite), held until the server is dropped.
    _lock: Option<std::fs::File>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and returns when the server is down.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.periodic.iter().for_each(JoinHandle::abort);
        self.jobs.stop();
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.periodic.iter().for_each(JoinHandle::abort);
    }
}

/// Prepares the data directory, keys, certificates and store, and starts listening.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    let mut created = Vec::new();
    keys::ensure_data_dir(&config.data_dir)?;
    // SQLite is embedded: one server per store, so that its caches can trust that nobody else writes.
    let lock = match config.store {
        StoreChoice::Sqlite(_) => Some(keys::lock_data_dir(&config.data_dir)?),
        StoreChoice::Postgres(_) => None,
    };
    let (master, new_key) = keys::load_or_create_master_key(&config.master_key_file)?;
    if new_key {
        created.push(format!("master key {} (keep a copy apart from backups)", config.master_key_file.display()));
    }

    let (tls, fingerprint, ca_cert) = match &config.tls {
        TlsChoice::Off => (None, None, None),
        TlsChoice::Files { cert, key } => {
            crate::config::ensure_private(key)?;
            (Some(tresor_http::tls::server_config(cert, key)?), Some(certs::leaf_fingerprint(cert)?), None)
        }
        TlsChoice::Generated { names } => {
            let files = certs::TlsFiles::in_dir(&config.data_dir);
            let issued = certs::ensure(&files, &certs::certificate_names(names))?;
            match issued {
                certs::Issued::CaAndServerCertificate => {
                    created.push(format!("TLS CA {} and server certificate", files.ca_cert.display()));
                }
                certs::Issued::ServerCertificate => created.push("a new TLS server certificate".to_owned()),
                certs::Issued::Nothing => {}
            }
            let tls = tresor_http::tls::server_config(&files.chain, &files.key)?;
            (Some(tls), Some(certs::leaf_fingerprint(&files.chain)?), Some(files.ca_cert.clone()))
        }
    };

    // One SQL store serves both ports: accounts and sessions (`Store`) and the vault (`VaultStore`).
    let sql = Arc::new(match &config.store {
        StoreChoice::Sqlite(path) => {
            tresor_store_sqlite::open(path).await.with_context(|| format!("cannot open {}", path.display()))?
        }
        StoreChoice::Postgres(url) => {
            tresor_store_postgres::open(url).await.context("cannot open the PostgreSQL database")?
        }
    });
    let store: Arc<dyn Store> = Arc::clone(&sql) as Arc<dyn Store>;
    let signin: Arc<dyn SigninStore> = Arc::clone(&sql) as Arc<dyn SigninStore>;
    let audit_store: Arc<dyn AuditStore> = Arc::clone(&sql) as Arc<dyn AuditStore>;
    let vault_store: Arc<dyn VaultStore> = sql;
    let keyring = Arc::new(Keyring::bind(master, store.as_ref()).await?);

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let hasher = PasswordHasher::new(config.argon2)?;
    let work = Arc::new(PasswordWork::new(hasher, config.hash_concurrency));
    let audit = AuditLog::start(audit_store, Arc::clone(&store), Arc::clone(&clock));
    // One mailer serves the e-mailed sign-in codes and the notifications.
    let mailer: Arc<dyn Mailer> = Arc::new(tresor_mail::SmtpMailer::new());
    let ports = AuthPorts {
        store: Arc::clone(&store),
        signin,
        clock: Arc::clone(&clock),
        keyring: Arc::clone(&keyring),
        mailer: Arc::clone(&mailer),
        audit: Arc::clone(&audit),
    };
    let mut auth = AuthService::new(ports, work, config.auth.clone());
    // Nodes sharing PostgreSQL hear each other's live events over LISTEN/NOTIFY; an embedded store has one node.
    if let StoreChoice::Postgres(url) = &config.store {
        let bus =
            tresor_store_postgres::PgLiveBus::start(url).await.context("cannot listen for other nodes' events")?;
        auth = auth.with_live_bus(bus);
    }
    let auth = Arc::new(auth);
    let following = auth.follow_disconnections();
    let accounts =
        Arc::new(AccountService::new(Arc::clone(&store), Arc::clone(&clock), Arc::clone(&auth), config.seats));
    let server = Arc::new(ServerService::new(
        Arc::clone(&store),
        Arc::clone(&vault_store),
        Arc::clone(&clock),
        config.seats,
        Arc::clone(&auth),
    ));
    // With SQLite this server is the store's only writer and drops what it changes, so its vault cache may keep
    // copies long; nodes sharing PostgreSQL see each other's changes within the short bound.
    let cache_ttl =
        if lock.is_some() { SINGLE_WRITER_CACHE_TTL } else { tresor_core::vault::service::SHARED_CACHE_TTL };
    let jobs = tresor_jobs::Jobs::start(
        audit,
        Arc::clone(&store),
        Arc::clone(&keyring),
        mailer,
        tresor_jobs::JobsConfig { data_dir: config.data_dir.clone(), hostname: host_name() },
    );
    let vault = Arc::new(VaultService::new(
        Arc::clone(&store),
        vault_store,
        Arc::clone(&clock),
        keyring,
        Arc::clone(&auth),
        cache_ttl,
    ));
    accounts.observe(Arc::clone(&vault) as Arc<dyn tresor_core::AccountObserver>);
    let admin_password = accounts.ensure_super_admin().await?;
    // Expired challenges and trusted devices, and the failure counters of names that are no account, go every few
    // minutes; the task ends with the runtime.
    let purging = Arc::clone(&auth);
    let purge = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            every.tick().await;
            if let Err(e) = purging.purge_expired().await {
                tracing::warn!(error = %e, "could not purge expired sign-in state");
            }
        }
    });
    // Locks whose time ran out or whose session ended bind nobody already; this records their release (302) and
    // tidies the table. On several nodes each sweeps; a lock is removed, and recorded, by the one that gets it.
    let sweeping = Arc::clone(&vault);
    let sweep = tokio::spawn(async move {
        let mut every = tokio::time::interval(LOCK_SWEEP);
        loop {
            every.tick().await;
            if let Err(e) = sweeping.release_dead_locks().await {
                tracing::warn!(error = %e, "could not release dead entry locks");
            }
        }
    });
    server.record_start().await?;

    let mut listeners = Vec::new();
    for addr in &config.listen {
        listeners.push(tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?);
    }
    let addrs = tresor_http::serve::local_addrs(&listeners);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let urls = addrs.iter().map(|a| format!("{scheme}://{a}")).collect();
    let identity = ServerIdentity {
        addresses: addrs.iter().map(|a| a.ip().to_string()).collect(),
        port: addrs.first().map_or(0, SocketAddr::port),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: clock.now(),
    };
    let workers = jobs.status();
    let state = AppState { auth, accounts, server, vault, identity: Arc::new(identity), workers };
    let app = tresor_http::router(state);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(tresor_http::serve::serve(listeners, app, tls, async move {
        let _ = rx.await;
    }));
    Ok(RunningServer {
        addrs,
        urls,
        fingerprint,
        ca_cert,
        admin_password,
        created,
        store_engine: store.engine(),
        shutdown: Some(tx),
        task: Some(task),
        periodic: vec![purge, sweep, following],
        jobs,
        _lock: lock,
    })
}

/// This machine's name, for the log's syslog headers.
fn host_name() -> Option<String> {
    let name = rustix::system::uname().nodename().to_string_lossy().into_owned();
    (!name.is_empty()).then_some(name)
}

/// `tresor server`: start, print the banner, serve until Ctrl-C or SIGTERM.
pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    let config = ServerConfig::load(&args.overrides)?;
    init_tracing(&config.log_filter);
    harden_process();
    let running = start(config).await?;
    print_banner(&running);
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

#[allow(clippy::print_stdout)] // The banner is the command's output; the one-time password must never be logged.
fn print_banner(r: &RunningServer) {
    for c in &r.created {
        println!("Created {c}");
    }
    for url in &r.urls {
        println!("Tresor {} listening on {url} (store: {})", env!("CARGO_PKG_VERSION"), r.store_engine);
    }
    if let Some(fp) = r.fingerprint {
        println!("TLS certificate SHA-256 fingerprint: {}", tresor_client::fingerprint_hex(&fp));
    }
    if let Some(ca) = &r.ca_cert {
        println!("CA certificate for --ca-cert: {}", ca.display());
    }
    if let Some(pw) = &r.admin_password {
        println!();
        println!("Super administrator account: admin");
        println!("One-time password:           {}", pw.expose_secret());
        println!("It is shown only now and must be changed at first login:");
        println!("  tresor login {} --user admin", r.urls.first().map_or("https://127.0.0.1:8714", String::as_str));
        println!();
    }
}

fn init_tracing(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// No core dumps: a dump of the server process would hold keys and passwords in the clear.
fn harden_process() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    if let Err(e) = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) }) {
        tracing::warn!(error = %e, "could not disable core dumps");
    }
    if let Err(e) = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable) {
        tracing::warn!(error = %e, "could not mark the process non-dumpable");
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
