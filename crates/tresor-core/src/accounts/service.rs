//! The account use cases: what an administrator may do to users, groups and sessions, and the checks that come
//! with each. Every method takes the capability its operation needs.

use std::sync::Arc;

use tresor_crypto::SecretString;

use super::model::*;
use crate::audit::AuditEvent;
use crate::auth::AuthService;
use crate::caller::{Caller, ManageAccounts, ManageSessions};
use crate::clock::Clock;
use crate::error::CoreError;
use crate::ids::{GroupId, SessionId, UserId};
use crate::net::AddressRule;
use crate::session::{EndReason, SessionRecord};
use crate::store::{ListFilter, Page, Store};
use crate::validate;

/// The account name of the built-in super administrator.
pub const SUPER_ADMIN_ACCOUNT: &str = "admin";

/// A user with the groups it is a direct member of.
#[derive(Debug, Clone)]
pub struct UserDetails {
    pub user: User,
    pub member_of: Vec<NamedRef<GroupId>>,
}

/// A group with its direct members and the groups it is a direct member of.
#[derive(Debug, Clone)]
pub struct GroupDetails {
    pub group: Group,
    pub members: Members,
    pub member_of: Vec<NamedRef<GroupId>>,
}

/// A live session with the account name of its user.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: SessionRecord,
    pub account: String,
}

/// What other use cases do when an account comes or goes (the vault: private databases, seed manual Databases).
/// Called after the account change is stored; a failure is logged and does not undo it.
#[async_trait::async_trait]
pub trait AccountObserver: Send + Sync + std::fmt::Debug {
    /// `by` is the administrator who created (or deleted) the user, for the server log.
    async fn user_created(&self, user: &User, by: &Caller) -> Result<(), CoreError>;
    async fn user_deleted(&self, user: &User, by: &Caller) -> Result<(), CoreError>;
    /// Groups, their enabled state or their nesting changed.
    fn groups_changed(&self) {}
    /// A user's account (its name, say) changed.
    fn user_changed(&self, _user: &User) {}
}

#[derive(Debug)]
pub struct AccountService {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) auth: Arc<AuthService>,
    seat_limit: u64,
    observer: std::sync::OnceLock<Arc<dyn AccountObserver>>,
}

impl AccountService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, auth: Arc<AuthService>, seat_limit: u64) -> Self {
        Self { store, clock, auth, seat_limit, observer: std::sync::OnceLock::new() }
    }

    /// Tells the observer that groups or their nesting changed.
    pub(super) fn groups_changed(&self) {
        if let Some(observer) = self.observer.get() {
            observer.groups_changed();
        }
    }

    /// Registers the one observer of account changes (set once, at start-up).
    pub fn observe(&self, observer: Arc<dyn AccountObserver>) {
        let _ = self.observer.set(observer);
    }

    /// Creates the built-in super administrator on first start, with a generated one-time password that must be
    /// changed at first login. Returns that password, or `None` when the account exists already.
    pub async fn ensure_super_admin(&self) -> Result<Option<SecretString>, CoreError> {
        if self.store.user_by_account(SUPER_ADMIN_ACCOUNT).await?.is_some() {
            return Ok(None);
        }
        let password = generate_password()?;
        let hash = self.auth.password_work().hash(SecretString::new(password.expose_secret().to_owned())).await?;
        let now = self.clock.now();
        let admin = User {
            id: UserId::random(),
            account: SUPER_ADMIN_ACCOUNT.to_owned(),
            kind: UserKind::SuperAdmin,
            profile: Profile { full_name: "Super Administrator".into(), ..Profile::default() },
            options: AccountOptions { must_change_password: true, ..AccountOptions::default() },
            roles: RoleSet::EMPTY,
            allowed_addresses: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_user(&admin, hash.as_str(), &[], self.seat_limit).await {
            Ok(()) => Ok(Some(password)),
            // Another node sharing the store created it first.
            Err(crate::store::StoreError::Duplicate(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    // --- users ------------------------------------------------------------------------------------------------

    pub async fn create_user(
        &self,
        cap: &ManageAccounts,
        new: NewUser,
        password: SecretString,
    ) -> Result<UserDetails, CoreError> {
        let account = validate::name("account name", &new.account)?;
        let profile = checked_profile(new.profile)?;
        let roles = checked_roles(cap, &new.roles)?;
        let allowed_addresses = parse_addresses(&new.allowed_addresses)?;
        let member_of = self.resolve_groups(&new.member_of).await?;
        let mut options = AccountOptions { must_change_password: true, ..AccountOptions::default() };
        options.apply(new.options);
        let now = self.clock.now();
        let user = User {
            id: UserId::random(),
            account,
            kind: UserKind::User,
            profile,
            options,
            roles,
            allowed_addresses,
            created_at: now,
            updated_at: now,
        };
        self.auth.check_new_password(&user, &password).await?;
        let hash = self.auth.password_work().hash(password).await?;
        self.store.insert_user(&user, hash.as_str(), &member_of, self.seat_limit).await.map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => {
                CoreError::Duplicate(format!("an account named '{}' exists already", user.account))
            }
            e => e.into(),
        })?;
        tracing::info!(actor = %cap.actor(), user = %user.account, "user created");
        self.note_user(cap.caller(), &user, super::audit::user_created(&user)).await;
        if let Some(observer) = self.observer.get()
            && let Err(e) = observer.user_created(&user, cap.caller()).await
        {
            tracing::error!(user = %user.account, error = %e, "after-creation work for the user failed");
        }
        self.user_details(user).await
    }

    pub async fn user(&self, _cap: &ManageAccounts, key: &str) -> Result<UserDetails, CoreError> {
        let user = self.resolve_user(key).await?;
        self.user_details(user).await
    }

    /// A page of users (625, "A list of users was sent to the admin").
    pub async fn list_users(&self, cap: &ManageAccounts, filter: &ListFilter) -> Result<Page<UserDetails>, CoreError> {
        let page = self.store.list_users(filter).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for user in page.items {
            items.push(self.user_details(user).await?);
        }
        self.note(AuditEvent::new(625).by(cap.caller())).await;
        Ok(Page { items, total: page.total })
    }

    pub async fn update_user(
        &self,
        cap: &ManageAccounts,
        key: &str,
        patch: UserPatch,
    ) -> Result<UserDetails, CoreError> {
        let mut user = self.resolve_user(key).await?;
        guard_target(cap, &user)?;
        let before = user.clone();
        if user.is_super_admin()
            && (patch.account.is_some()
                || patch.options.is_some()
                || patch.roles.is_some()
                || patch.member_of.is_some())
        {
            return Err(CoreError::Forbidden(
                "the super administrator's name, options, roles and groups are fixed; its profile and allowed \
                 addresses can change"
                    .into(),
            ));
        }
        let was_deactivated = user.options.deactivated;
        if let Some(a) = &patch.account {
            user.account = validate::name("account name", a)?;
        }
        let p = &mut user.profile;
        for (field, value, max, slot) in [
            ("full name", &patch.full_name, 128, &mut p.full_name),
            ("phone", &patch.phone, 64, &mut p.phone),
            ("department", &patch.department, 128, &mut p.department),
            ("description", &patch.description, 1024, &mut p.description),
        ] {
            if let Some(v) = value {
                *slot = validate::text(field, v, max)?;
            }
        }
        if let Some(e) = &patch.email {
            user.profile.email = validate::email(e)?;
        }
        if let Some(o) = patch.options {
            user.options.apply(o);
            if user.options.deactivated && user.id == cap.actor() {
                return Err(CoreError::Conflict("you cannot deactivate your own account".into()));
            }
        }
        if let Some(r) = &patch.roles {
            let roles = checked_roles(cap, r)?;
            if roles != user.roles && !cap.is_server_admin() {
                return Err(CoreError::Forbidden("changing server roles needs the Server Administrator role".into()));
            }
            user.roles = roles;
        }
        if let Some(a) = &patch.allowed_addresses {
            user.allowed_addresses = parse_addresses(a)?;
        }
        let member_of = match &patch.member_of {
            Some(keys) => Some(self.resolve_groups(keys).await?),
            None => None,
        };
        user.updated_at = self.clock.now();
        self.store.update_user(&user, member_of.as_deref()).await.map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => {
                CoreError::Duplicate(format!("an account named '{}' exists already", user.account))
            }
            e => e.into(),
        })?;
        if user.options.deactivated && !was_deactivated {
            self.auth.end_user_sessions(user.id, EndReason::AccountChanged).await?;
            self.auth.forget_trusted_devices(user.id).await?;
        } else if was_deactivated && !user.options.deactivated {
            self.auth.account_reactivated(&user.account).await?;
            self.auth.forget_user(user.id);
        } else {
            self.auth.forget_user(user.id);
        }
        tracing::info!(actor = %cap.actor(), user = %user.account, "user changed");
        let changes = super::audit::user_changes(&before, &user, member_of.is_some());
        self.note_user(cap.caller(), &user, changes).await;
        if let Some(observer) = self.observer.get() {
            observer.user_changed(&user);
        }
        self.user_details(user).await
    }

    pub async fn delete_user(&self, cap: &ManageAccounts, key: &str) -> Result<(), CoreError> {
        let user = self.resolve_user(key).await?;
        guard_target(cap, &user)?;
        if user.id == cap.actor() {
            return Err(CoreError::Conflict("you cannot delete your own account".into()));
        }
        self.auth.forget_user(user.id);
        if !self.store.delete_user(user.id).await? {
            return Err(CoreError::not_found(format!("user '{key}'")));
        }
        tracing::info!(actor = %cap.actor(), user = %user.account, "user deleted");
        self.note(AuditEvent::new(610).by(cap.caller()).object(user.id, user.account.clone())).await;
        if let Some(observer) = self.observer.get()
            && let Err(e) = observer.user_deleted(&user, cap.caller()).await
        {
            tracing::error!(user = %user.account, error = %e, "after-deletion work for the user failed");
        }
        Ok(())
    }

    /// An administrator sets a user's password; the user's sessions end. Unless told otherwise, the user must choose
    /// a new password at next logon: an administrator should not know a password the user keeps.
    pub async fn set_password(
        &self,
        cap: &ManageAccounts,
        key: &str,
        password: SecretString,
        must_change: Option<bool>,
    ) -> Result<(), CoreError> {
        let must_change = must_change.unwrap_or(true);
        let user = self.resolve_user(key).await?;
        guard_target(cap, &user)?;
        if user.id == cap.actor() {
            // Through this route no current password is asked for; a stolen session must not be enough.
            return Err(CoreError::Conflict("change your own password with tresor passwd".into()));
        }
        self.auth.check_new_password(&user, &password).await?;
        let hash = self.auth.password_work().hash(password).await?;
        self.store.set_password_hash(user.id, hash.as_str(), must_change, self.clock.now()).await?;
        self.auth.end_user_sessions(user.id, EndReason::AccountChanged).await?;
        // A device remembered under the old password must not skip the second factor for whoever holds the new one.
        self.auth.forget_trusted_devices(user.id).await?;
        tracing::info!(actor = %cap.actor(), user = %user.account, "password set by administrator");
        let how = if must_change {
            "set by an administrator; to be changed at next log on"
        } else {
            "set by an administrator"
        };
        self.note(AuditEvent::new(104).by(cap.caller()).object(user.id, user.account.clone()).new_object(how)).await;
        Ok(())
    }

    pub(super) async fn resolve_user(&self, key: &str) -> Result<User, CoreError> {
        find_user(self.store.as_ref(), key).await
    }

    async fn user_details(&self, user: User) -> Result<UserDetails, CoreError> {
        let member_of = self.store.user_groups(user.id).await?;
        Ok(UserDetails { user, member_of })
    }

    // --- sessions ---------------------------------------------------------------------------------------------

    /// The connected users: live sessions that are neither expired nor idle for longer than the idle timeout.
    pub async fn live_sessions(&self, _cap: &ManageSessions) -> Result<Vec<LiveSession>, CoreError> {
        let idle = self.auth.signin_settings().await?.idle_timeout();
        live_sessions(self.store.as_ref(), self.clock.now(), idle).await
    }

    /// Ends another user's session (seed manual, Users → Disconnect; 613, "A user disconnected from the server").
    pub async fn disconnect(&self, cap: &ManageSessions, id: &str) -> Result<(), CoreError> {
        let id: SessionId = id.parse().map_err(|_| CoreError::not_found(format!("session '{}'", shorten(id))))?;
        if !self.auth.end_session(id, EndReason::Disconnected).await? {
            return Err(CoreError::not_found(format!("live session '{id}'")));
        }
        tracing::info!(actor = %cap.actor(), session = %id, "session disconnected");
        self.auth.note_disconnected(cap.caller(), id, None).await;
        Ok(())
    }
}

pub(crate) async fn live_sessions(
    store: &dyn Store,
    now: crate::clock::Timestamp,
    idle_timeout: Option<std::time::Duration>,
) -> Result<Vec<LiveSession>, CoreError> {
    let mut out = Vec::new();
    let mut names: std::collections::HashMap<UserId, String> = std::collections::HashMap::new();
    for session in store.live_sessions(now).await? {
        if idle_timeout.is_some_and(|limit| now.since(session.last_seen_at) > limit) {
            continue;
        }
        let account = match names.get(&session.user_id) {
            Some(a) => a.clone(),
            None => {
                let a = store.user(session.user_id).await?.map(|u| u.account).unwrap_or_default();
                names.insert(session.user_id, a.clone());
                a
            }
        };
        out.push(LiveSession { session, account });
    }
    Ok(out)
}

/// What an administrator may not touch: the super administrator is changed only by itself, and a Server
/// Administrator only by another Server Administrator.
pub(crate) fn guard_target(cap: &ManageAccounts, target: &User) -> Result<(), CoreError> {
    if target.is_super_admin() && target.id != cap.actor() {
        return Err(CoreError::Forbidden("the built-in super administrator can only be changed by itself".into()));
    }
    if target.roles.contains(Role::ServerAdministrator) && !cap.is_server_admin() {
        return Err(CoreError::Forbidden("only a Server Administrator can change a Server Administrator".into()));
    }
    Ok(())
}

fn checked_roles(cap: &ManageAccounts, roles: &[Role]) -> Result<RoleSet, CoreError> {
    let set: RoleSet = roles.iter().copied().collect();
    if set.contains(Role::DirectoryOperator)
        && !set.contains(Role::DatabaseAdministrator)
        && !set.contains(Role::AccountAdministrator)
    {
        // Seed manual, Roles: "this server role additionally requires the Database or Account Administrator role".
        return Err(CoreError::Validation(
            "the Active Directory Operator role needs the Database or Account Administrator role as well".into(),
        ));
    }
    if !set.is_empty() && !cap.is_server_admin() {
        return Err(CoreError::Forbidden("assigning server roles needs the Server Administrator role".into()));
    }
    Ok(set)
}

fn checked_profile(p: Profile) -> Result<Profile, CoreError> {
    Ok(Profile {
        full_name: validate::text("full name", &p.full_name, 128)?,
        email: validate::email(&p.email)?,
        phone: validate::text("phone", &p.phone, 64)?,
        department: validate::text("department", &p.department, 128)?,
        description: validate::text("description", &p.description, 1024)?,
    })
}

fn parse_addresses(list: &[String]) -> Result<Vec<AddressRule>, CoreError> {
    if list.len() > 256 {
        return Err(CoreError::Validation("at most 256 allowed addresses".into()));
    }
    list.iter().map(|s| s.parse::<AddressRule>().map_err(|e| CoreError::Validation(e.to_string()))).collect()
}

pub(super) fn duplicate_group(e: crate::store::StoreError, name: &str) -> CoreError {
    match e {
        crate::store::StoreError::Duplicate(_) => {
            CoreError::Duplicate(format!("a group named '{name}' exists already"))
        }
        e => e.into(),
    }
}

/// A user by id or account name, or "not found" naming the key.
pub(crate) async fn find_user(store: &dyn Store, key: &str) -> Result<User, CoreError> {
    let found = match key.parse::<UserId>() {
        Ok(id) => store.user(id).await?,
        Err(_) => store.user_by_account(key).await?,
    };
    found.ok_or_else(|| CoreError::not_found(format!("user '{}'", shorten(key))))
}

/// A group by id or name, or "not found" naming the key.
pub(crate) async fn find_group(store: &dyn Store, key: &str) -> Result<Group, CoreError> {
    let found = match key.parse::<GroupId>() {
        Ok(id) => store.group(id).await?,
        Err(_) => store.group_by_name(key).await?,
    };
    found.ok_or_else(|| CoreError::not_found(format!("group '{}'", shorten(key))))
}

/// Caller-supplied keys are echoed in errors; keep them short.
pub(crate) fn shorten(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// A one-time password: 20 characters in four groups from an alphabet without look-alikes (about 115 bits).
fn generate_password() -> Result<SecretString, CoreError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let chars = crate::vault::generator::random_chars(ALPHABET, 20)?;
    let mut out = String::with_capacity(24);
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(*c));
    }
    Ok(SecretString::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_grouped_and_distinct() {
        let a = generate_password().unwrap_or_else(|e| panic!("{e}"));
        let b = generate_password().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.expose_secret().len(), 23, "{}", a.expose_secret());
        assert_eq!(a.expose_secret().split('-').count(), 4);
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
