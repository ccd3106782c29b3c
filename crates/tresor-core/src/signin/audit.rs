//! What signing in writes to the server log (seed manual, Event IDs): log ons and log outs (101/102, or 601/602 for
//! accounts that administer the server), refused log ons with their reason (106), refused second factors (107),
//! accounts deactivated by failed log ons (108), sign-in codes that could not be sent (109) and own password
//! changes (104). A record names the account and the address; it never holds a password, a code or a token.

use std::net::IpAddr;

use crate::accounts::User;
use crate::audit::{AuditEvent, Named};
use crate::auth::{AuthService, is_administrator};
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::{DatabaseId, SessionId};
use crate::mail::MailError;
use crate::session::ClientKind;
use crate::validate;

/// A user as records name them: id and account name.
pub(crate) fn named(user: &User) -> Named {
    Named::new(user.id, user.account.clone())
}

/// The account name as it was typed at a refused log on, with no id (there may be no such account). Something
/// that cannot be an account name is not written down as typed.
pub(crate) fn as_given(account: &str) -> Named {
    match validate::name("account name", account) {
        Ok(name) => Named { id: String::new(), name },
        Err(_) => Named { id: String::new(), name: "(not a valid account name)".to_owned() },
    }
}

/// Why an admitted password still did not open a session, in the log's words; `None` for failures that are not
/// refusals (the store being away, say).
pub(crate) fn refusal_reason(e: &CoreError) -> Option<&'static str> {
    Some(match e {
        CoreError::AccountDisabled => "deactivated",
        CoreError::AddressNotAllowed(_) => "address not allowed",
        CoreError::SettingsDamaged(_) => "sign-in settings damaged",
        CoreError::ClientNotAllowed(_) => "client not allowed",
        CoreError::ServerPaused => "paused",
        CoreError::AlreadyLoggedOn => "logged on elsewhere",
        _ => return None,
    })
}

/// Why a sign-in code was not sent, without the mail server's own words (which could quote the message).
pub(crate) fn mail_failure(e: &MailError) -> &'static str {
    match e {
        MailError::Config(_) => "mail is not configured correctly",
        MailError::Connect(_) => "the mail server could not be reached",
        MailError::Auth(_) => "the mail server refused the login",
        MailError::Rejected(_) => "the mail server refused the message",
    }
}

/// Seed manual, Event IDs: 601 "Log on from the Server Manager" and 602 for the accounts that manage the server
/// (a server role, or the super administrator), 101 and 102 for everyone else. Tresor has no separate Server
/// Manager application; an administrator's session is where server management happens.
fn log_on_event(user: &User, manager: u16, client: u16) -> u16 {
    if is_administrator(user) { manager } else { client }
}

impl AuthService {
    /// 101 (or 601): a session was opened; the client kind is the new object.
    pub(crate) async fn note_log_on(&self, user: &User, client: ClientKind, address: IpAddr) {
        let event = AuditEvent::new(log_on_event(user, 601, 101)).user(named(user)).address(address);
        self.audit.note(event.new_object(format!("{} client", client.as_str()))).await;
    }

    /// 102 (or 602): the caller ended its own session.
    pub(crate) async fn note_log_out(&self, caller: &Caller) {
        let event = AuditEvent::new(log_on_event(&caller.user, 602, 102)).by(caller);
        self.audit.note(event.new_object(format!("{} client", caller.session.client.as_str()))).await;
    }

    /// 106: a log on (or the current password of a password change) was refused.
    pub(crate) async fn note_refused(&self, who: Named, address: IpAddr, reason: &str) {
        self.audit.note(AuditEvent::new(106).user(who).address(address).reason(reason)).await;
    }

    /// 106 for an admission refused after the right password, when `e` is such a refusal.
    pub(crate) async fn note_not_admitted(&self, user: &User, address: IpAddr, e: &CoreError) {
        if let Some(reason) = refusal_reason(e) {
            self.note_refused(named(user), address, reason).await;
        }
    }

    /// 107: a second factor was refused.
    pub(crate) async fn note_second_factor_refused(&self, user: &User, address: IpAddr, reason: &str) {
        self.audit.note(AuditEvent::new(107).user(named(user)).address(address).reason(reason)).await;
    }

    /// 108: failed log ons reached the limit and deactivated the account.
    pub(crate) async fn note_locked_out(&self, user: &User, address: IpAddr, failures: u32) {
        let event = AuditEvent::new(108).user(named(user)).address(address).object(user.id, user.account.clone());
        self.audit.note(event.reason(format!("{failures} failed log ons"))).await;
    }

    /// 109: the e-mailed sign-in code could not be sent.
    pub(crate) async fn note_code_not_sent(&self, user: &User, address: IpAddr, reason: &str) {
        self.audit.note(AuditEvent::new(109).user(named(user)).address(address).reason(reason)).await;
    }

    /// 613: an administrator ended `session`; the record's object is the session's user.
    pub(crate) async fn note_disconnected(
        &self,
        by: &Caller,
        session: SessionId,
        database: Option<(DatabaseId, &str)>,
    ) {
        let user = match self.store.session(session).await {
            Ok(Some(s)) => self.store.user(s.user_id).await.ok().flatten(),
            _ => None,
        };
        let mut event = AuditEvent::new(613).by(by);
        event = match user {
            Some(u) => event.object(u.id, u.account),
            None => event.object(session, format!("session {session}")),
        };
        if let Some((id, name)) = database {
            event = event.database(id, name);
        }
        self.audit.note(event.new_object("disconnected by an administrator")).await;
        let mut live = crate::live::LiveEvent::new(crate::live::LiveChange::SessionDisconnected, self.clock.now());
        live.session = Some(session);
        live.actor = Some(by.user.account.clone());
        self.live().publish(live);
    }

    /// 104: the caller changed its own password.
    pub(crate) async fn note_own_password_changed(&self, caller: &Caller) {
        let event = AuditEvent::new(104).by(caller).object(caller.user.id, caller.user.account.clone());
        self.audit.note(event.new_object("changed by the user")).await;
    }
}
