//! Logging in and out, authenticating each request, and changing one's own password.
//!
//! Password hashing is the cost of a login and nothing else should be: [`PasswordWork`] runs Argon2id on the
//! blocking pool with a bounded number of hashes at once, so a login storm queues instead of exhausting memory.
//! Authenticating a request is a hash of the token and a lookup in a short-lived cache of sessions; the store is
//! read when an entry is older than [`AuthSettings::cache_ttl`] and written when `last_seen` has moved by more
//! than [`AuthSettings::touch_interval`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tresor_crypto::SecretString;

use crate::accounts::{NamedRef, User};
use crate::audit::AuditLog;
use crate::caller::Caller;
use crate::clock::{Clock, Timestamp};
use crate::error::CoreError;
use crate::ids::{GroupId, SessionId, UserId};
use crate::keyring::Keyring;
use crate::mail::Mailer;
use crate::net::address_allowed;
pub use crate::password_work::PasswordWork;
use crate::session::{EndReason, SessionRecord, token_hash};
use crate::signin::limiter::AttemptLimiter;
use crate::signin::settings::SigninSettings;
use crate::signin::store::SigninStore;
use crate::store::Store;
use crate::validate;

/// Session and password settings, from the server configuration.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session ends this long after login, whatever happens.
    pub session_lifetime: Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// How long a node trusts its cached copy of a session and its user before reading the store again. This
    /// bounds how late a change made through another node (a revoked session, a deactivated user) takes effect.
    pub cache_ttl: Duration,
    /// How far `last_seen` may run ahead of the stored value before it is written.
    pub touch_interval: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_lifetime: Duration::from_secs(12 * 3600),
            idle_timeout: Duration::from_secs(30 * 60),
            cache_ttl: Duration::from_secs(5),
            touch_interval: Duration::from_secs(60),
        }
    }
}

/// The outside world the sign-in rules reach.
#[derive(Debug, Clone)]
pub struct AuthPorts {
    pub store: Arc<dyn Store>,
    pub signin: Arc<dyn SigninStore>,
    pub clock: Arc<dyn Clock>,
    /// Seals authenticator secrets and the mail server's password.
    pub keyring: Arc<Keyring>,
    /// Sends e-mailed codes.
    pub mailer: Arc<dyn Mailer>,
    /// The server log, which every service records its events in.
    pub audit: Arc<AuditLog>,
}

#[derive(Debug)]
struct CachedSession {
    session: Arc<SessionRecord>,
    user: Arc<User>,
    groups: Arc<Vec<NamedRef<GroupId>>>,
    loaded_at: Timestamp,
    last_seen: AtomicI64,
    persisted_seen: AtomicI64,
}

#[derive(Debug)]
pub struct AuthService {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) signin: Arc<dyn SigninStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) audit: Arc<AuditLog>,
    pub(crate) work: Arc<PasswordWork>,
    settings: AuthSettings,
    cache: RwLock<HashMap<[u8; 32], Arc<CachedSession>>>,
    pub(crate) limiter: AttemptLimiter,
    /// The sign-in settings and when they were read; read again after [`AuthSettings::cache_ttl`] so that a
    /// change made through another node (a pause, a shorter idle timeout) takes effect within that bound.
    signin_settings: RwLock<Option<(Arc<SigninSettings>, Timestamp)>>,
    /// The live event stream's bus: this node's own until [`AuthService::with_live_bus`] swaps in one shared by
    /// several nodes.
    live: Arc<dyn crate::live::LiveBus>,
}

impl AuthService {
    pub fn new(ports: AuthPorts, work: Arc<PasswordWork>, settings: AuthSettings) -> Self {
        let AuthPorts { store, signin, clock, keyring, mailer, audit } = ports;
        Self {
            store,
            signin,
            clock,
            keyring,
            mailer,
            audit,
            work,
            settings,
            cache: RwLock::new(HashMap::new()),
            limiter: AttemptLimiter::default(),
            signin_settings: RwLock::new(None),
            live: Arc::new(crate::live::LocalBus::new()),
        }
    }

    /// Publishes the live stream through `bus` (one shared by several nodes) instead of this node's own.
    pub fn with_live_bus(mut self, bus: Arc<dyn crate::live::LiveBus>) -> Self {
        self.live = bus;
        self
    }

    /// The live event stream's bus. The other services publish on it, so that one stream serves them all.
    pub fn live(&self) -> &Arc<dyn crate::live::LiveBus> {
        &self.live
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// The server log. The other services take it from here, so that one log serves them all.
    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    pub fn password_work(&self) -> &Arc<PasswordWork> {
        &self.work
    }

    /// Finds the live session a bearer token names. Every request goes through here.
    pub async fn authenticate(&self, token: &str, address: IpAddr) -> Result<Caller, CoreError> {
        let hash = token_hash(token);
        let now = self.clock.now();
        let cached = self.cache_read().get(&hash).cloned();
        let entry = match cached {
            Some(e) if now.since(e.loaded_at) < self.settings.cache_ttl => e,
            stale => self.load(hash, now, stale.as_deref()).await?,
        };
        let signin = self.signin_settings().await?;
        let last_seen = Timestamp::from_millis(entry.last_seen.load(Ordering::Relaxed));
        let idle = signin.idle_timeout().is_some_and(|limit| now.since(last_seen) > limit);
        if now >= entry.session.expires_at || idle {
            self.end(entry.session.id, hash, EndReason::Expired).await;
            return Err(CoreError::Unauthenticated);
        }
        if !address_allowed(&entry.user.allowed_addresses, address) {
            return Err(CoreError::AddressNotAllowed(address));
        }
        if signin.paused && !is_administrator(&entry.user) {
            return Err(CoreError::ServerPaused);
        }
        entry.last_seen.fetch_max(now.as_millis(), Ordering::Relaxed);
        self.maybe_persist_last_seen(&entry, now);
        Ok(Caller { session: entry.session.clone(), user: entry.user.clone(), groups: entry.groups.clone(), address })
    }

    async fn load(
        &self,
        hash: [u8; 32],
        now: Timestamp,
        stale: Option<&CachedSession>,
    ) -> Result<Arc<CachedSession>, CoreError> {
        let session = match self.store.session_by_token_hash(&hash).await? {
            Some(s) if s.ended_at.is_none() => s,
            _ => {
                self.cache_write().remove(&hash);
                return Err(CoreError::Unauthenticated);
            }
        };
        let user = match self.store.user(session.user_id).await? {
            Some(u) if !u.options.deactivated => u,
            _ => {
                self.end(session.id, hash, EndReason::AccountChanged).await;
                return Err(CoreError::Unauthenticated);
            }
        };
        let groups = self.store.user_groups(user.id).await?;
        let seen = stale.map_or(0, |s| s.last_seen.load(Ordering::Relaxed)).max(session.last_seen_at.as_millis());
        let entry = Arc::new(CachedSession {
            last_seen: AtomicI64::new(seen),
            persisted_seen: AtomicI64::new(session.last_seen_at.as_millis()),
            session: Arc::new(session),
            user: Arc::new(user),
            groups: Arc::new(groups),
            loaded_at: now,
        });
        let mut cache = self.cache_write();
        if cache.len() > 4096 {
            // Drop what cannot be used any more, so that the cache holds live sessions only.
            cache.retain(|_, e| now < e.session.expires_at && now.since(e.loaded_at) < self.settings.session_lifetime);
        }
        cache.insert(hash, Arc::clone(&entry));
        Ok(entry)
    }

    fn maybe_persist_last_seen(&self, entry: &CachedSession, now: Timestamp) {
        let persisted = entry.persisted_seen.load(Ordering::Relaxed);
        if now.since(Timestamp::from_millis(persisted)) < self.settings.touch_interval {
            return;
        }
        if entry
            .persisted_seen
            .compare_exchange(persisted, now.as_millis(), Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return; // another request is writing it
        }
        let store = Arc::clone(&self.store);
        let id = entry.session.id;
        tokio::spawn(async move {
            if let Err(e) = store.touch_session(id, now).await {
                tracing::warn!(session = %id, error = %e, "could not record session activity");
            }
        });
    }

    async fn end(&self, id: SessionId, hash: [u8; 32], reason: EndReason) {
        self.cache_write().remove(&hash);
        if let Err(e) = self.store.end_session(id, reason, self.clock.now()).await {
            tracing::warn!(session = %id, error = %e, "could not end session");
        }
    }

    /// Ends the caller's own session.
    pub async fn logout(&self, caller: &Caller) -> Result<(), CoreError> {
        self.cache_write().remove(&caller.session.token_hash);
        self.store.end_session(caller.session.id, EndReason::Logout, self.clock.now()).await?;
        tracing::info!(user = %caller.user.account, session = %caller.session.id, "logout");
        self.note_log_out(caller).await;
        Ok(())
    }

    /// Ends one session by id (an administrator's disconnect); returns whether it was live.
    pub async fn end_session(&self, id: SessionId, reason: EndReason) -> Result<bool, CoreError> {
        self.forget_session(id);
        Ok(self.store.end_session(id, reason, self.clock.now()).await?)
    }

    /// Drops one session from this node's cache: the next request reads it from the store.
    pub fn forget_session(&self, id: SessionId) {
        self.cache_write().retain(|_, e| e.session.id != id);
    }

    /// Follows the live bus for sessions disconnected on other nodes and drops them from this node's cache at once,
    /// rather than when the cached copy expires. Runs until the runtime ends.
    pub fn follow_disconnections(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let mut events = self.live.subscribe();
        let auth = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) if event.change == crate::live::LiveChange::SessionDisconnected => {
                        let (Some(auth), Some(session)) = (auth.upgrade(), event.session) else { return };
                        auth.forget_session(session);
                    }
                    Ok(_) => {}
                    // Fell behind: whatever was missed, no cached session may outlive a disconnection.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => match auth.upgrade() {
                        Some(auth) => auth.forget_all(),
                        None => return,
                    },
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    /// Ends every session of a user, after a change that must take effect at once (deactivation, deletion,
    /// password reset by an administrator).
    pub async fn end_user_sessions(&self, user: UserId, reason: EndReason) -> Result<u64, CoreError> {
        self.forget_user(user);
        Ok(self.store.end_user_sessions(user, reason, self.clock.now()).await?)
    }

    /// Drops every cached session, after a change that may touch many users (a group renamed or deleted).
    pub fn forget_all(&self) {
        self.cache_write().clear();
    }

    /// Drops cached copies of a user's sessions so that the next request reads the changed account.
    pub fn forget_user(&self, user: UserId) {
        self.cache_write().retain(|_, e| e.user.id != user);
    }

    /// Changes the caller's own password (seed manual, Account options: "user may not change password", "user must
    /// change password at next logon"; the latter wins when both are set, or the account could never log in).
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: SecretString,
        new: SecretString,
    ) -> Result<(), CoreError> {
        let options = caller.user.options;
        if options.may_not_change_password && !options.must_change_password {
            return Err(CoreError::PasswordChangeNotAllowed);
        }
        self.check_new_password(&caller.user, &new).await?;
        if current.expose_secret() == new.expose_secret() {
            return Err(CoreError::Validation("the new password must differ from the current one".into()));
        }
        // The current password is a guess like a login's: the same limit before the hash, the same failure count.
        let settings = self.signin_settings().await?;
        let p = settings.protection;
        if let Err(wait) = self.limiter.take(caller.address, p.attempts_per_minute, p.attempt_burst, self.clock.now()) {
            return Err(crate::signin::refused_after_a_pause(wait).await);
        }
        let hash = self.store.password_hash(caller.user.id).await?;
        if !self.work.verify(current, hash).await {
            let who = crate::audit::Named::new(caller.user.id, caller.user.account.clone());
            self.note_refused(who, caller.address, "wrong current password at a password change").await;
            let key = crate::accounts::name_key(&caller.user.account);
            self.count_failure(&key, Some(&caller.user), caller.address, &settings).await?;
            return Err(CoreError::InvalidCredentials);
        }
        self.limiter.give_back(caller.address, p.attempt_burst);
        if !options.must_change_password
            && let Some(set_at) = self.signin.password_set_at(caller.user.id).await?
            && settings.password_policy.too_young(set_at, self.clock.now())
        {
            return Err(CoreError::Validation(format!(
                "the password was changed less than {} days ago; the password policy asks to keep it longer",
                settings.password_policy.min_age_days
            )));
        }
        let history = settings.password_policy.history;
        if history > 1 {
            let earlier = self.signin.password_history(caller.user.id, history - 1).await?;
            for old in earlier {
                let candidate = SecretString::new(new.expose_secret().to_owned());
                if self.work.verify(candidate, Some(old)).await {
                    return Err(CoreError::Validation(format!(
                        "the new password was used before; the password policy asks for {} different passwords \
                         before one is used again",
                        history
                    )));
                }
            }
        }
        let new_hash = self.work.hash(new).await?;
        self.store.set_password_hash(caller.user.id, new_hash.as_str(), false, self.clock.now()).await?;
        self.forget_user(caller.user.id);
        tracing::info!(user = %caller.user.account, "password changed");
        self.note_own_password_changed(caller).await;
        Ok(())
    }

    /// Checks a new password against the password policy, with the account's names as words it must not be.
    pub async fn check_new_password(&self, user: &User, password: &SecretString) -> Result<(), CoreError> {
        validate::new_password(password)?;
        let policy = self.signin_settings().await?.password_policy;
        let context = [user.account.as_str(), user.profile.full_name.as_str(), user.profile.email.as_str()];
        policy.check(password.expose_secret(), &context)
    }

    /// The sign-in settings in force, from a copy at most [`AuthSettings::cache_ttl`] old.
    pub async fn signin_settings(&self) -> Result<Arc<SigninSettings>, CoreError> {
        let now = self.clock.now();
        if let Some((s, at)) = self.signin_settings.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && now.since(*at) < self.settings.cache_ttl
        {
            return Ok(Arc::clone(s));
        }
        let fresh = Arc::new(crate::signin::load_settings(self.store.as_ref(), &self.settings).await?);
        *self.signin_settings.write().unwrap_or_else(|e| e.into_inner()) = Some((Arc::clone(&fresh), now));
        Ok(fresh)
    }

    /// The idle timeout in force (zero: sessions do not end for idleness).
    pub async fn idle_timeout(&self) -> Result<Duration, CoreError> {
        Ok(self.signin_settings().await?.idle_timeout().unwrap_or(Duration::ZERO))
    }

    /// Drops the cached sign-in settings, after this node changed them.
    pub(crate) fn forget_signin_settings(&self) {
        *self.signin_settings.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn cache_read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<[u8; 32], Arc<CachedSession>>> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    fn cache_write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<[u8; 32], Arc<CachedSession>>> {
        self.cache.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether an account holds a server role (or is the super administrator): such accounts keep working while the
/// server is paused.
pub(crate) fn is_administrator(user: &User) -> bool {
    user.is_super_admin() || !user.roles.is_empty()
}
