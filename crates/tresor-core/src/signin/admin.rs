//! What administrators do about signing in: the settings (Connections, Failed logins, 2FA, Password Policy,
//! Email), pausing and continuing the server, resetting a user's second factor, and testing the mail server.

use crate::accounts::name_key;
use crate::accounts::service::{find_user, guard_target};
use crate::audit::AuditEvent;
use crate::auth::AuthService;
use crate::caller::{ManageAccounts, ManageServer};
use crate::error::CoreError;
use crate::mail::{MailMessage, SmtpSettings};
use crate::password_policy::LoginPasswordPolicy;
use crate::signin::settings::{self, ConnectionPolicy, LoginProtection, SigninSettings, TwoFactorSettings};

/// A change of the sign-in settings: each section given replaces the stored one; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct SigninSettingsChange {
    pub connections: Option<ConnectionPolicy>,
    pub protection: Option<LoginProtection>,
    pub two_factor: Option<TwoFactorSettings>,
    pub password_policy: Option<LoginPasswordPolicy>,
}

/// A user's second factor as an administrator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub totp_enrolled: bool,
    pub recovery_codes_left: u32,
    /// Failed logins since the last successful one.
    pub failed_logins: u32,
}

impl AuthService {
    /// The sign-in settings as stored, read afresh (not from this node's copy).
    pub async fn settings_for_admin(&self, _cap: &ManageServer) -> Result<SigninSettings, CoreError> {
        crate::signin::load_settings(self.store.as_ref(), self.settings()).await
    }

    /// Validates the whole result before anything is written, and writes the sections given in one transaction.
    pub async fn change_signin_settings(
        &self,
        cap: &ManageServer,
        change: SigninSettingsChange,
    ) -> Result<SigninSettings, CoreError> {
        let mut next = self.settings_for_admin(cap).await?;
        let SigninSettingsChange { connections, protection, two_factor, password_policy } = change;
        if let Some(v) = connections.clone() {
            next.connections = v;
        }
        if let Some(v) = protection {
            next.protection = v;
        }
        if let Some(v) = two_factor {
            next.two_factor = v;
        }
        if let Some(v) = password_policy {
            next.password_policy = v;
        }
        next.validate()?;
        let mut pairs = Vec::new();
        let mut sections = Vec::new();
        if connections.is_some() {
            pairs.push((settings::CONNECTIONS, next.connections.encode()));
            sections.push("connections");
        }
        if protection.is_some() {
            pairs.push((settings::PROTECTION, next.protection.encode()));
            sections.push("failed logins");
        }
        if two_factor.is_some() {
            pairs.push((settings::TWO_FACTOR, next.two_factor.encode()));
            sections.push("two-factor authentication");
        }
        if password_policy.is_some() {
            pairs.push((settings::PASSWORD_POLICY, next.password_policy.encode()));
            sections.push("password policy");
        }
        self.store.put_settings(&pairs).await?;
        self.forget_signin_settings();
        tracing::info!(actor = %cap.actor(), "sign-in settings changed");
        let event = AuditEvent::new(617).by(cap.caller()).object("signin", "Sign-in settings");
        self.audit.note(event.new_object(sections.join(", "))).await;
        self.settings_for_admin(cap).await
    }

    /// Seed manual, Manage → Pause / Continue. Returns whether the state changed.
    pub async fn set_paused(&self, cap: &ManageServer, paused: bool) -> Result<bool, CoreError> {
        let was = self.settings_for_admin(cap).await?.paused;
        self.store.put_setting(settings::PAUSED, if paused { "true" } else { "false" }).await?;
        self.forget_signin_settings();
        if was != paused {
            tracing::warn!(actor = %cap.actor(), "server {}", if paused { "paused" } else { "continued" });
            // Seed manual, Event IDs: 614 "The server was paused", 615 "The server was continued".
            self.audit.note(AuditEvent::new(if paused { 614 } else { 615 }).by(cap.caller())).await;
        }
        Ok(was != paused)
    }

    /// Seed manual, Users → Reset 2FA: the user enrols again at the next login; trusted devices are forgotten.
    pub async fn reset_two_factor(&self, cap: &ManageAccounts, user: &str) -> Result<bool, CoreError> {
        let user = find_user(self.store.as_ref(), user).await?;
        guard_target(cap, &user)?;
        let forgot = self.signin.reset_two_factor(user.id).await?;
        tracing::info!(actor = %cap.actor(), user = %user.account, "second factor reset");
        self.audit.note(AuditEvent::new(620).by(cap.caller()).object(user.id, user.account.clone())).await;
        Ok(forgot)
    }

    /// Whether a user has enrolled an authenticator, the recovery codes left and the failed logins counted.
    pub async fn two_factor_status(&self, _cap: &ManageAccounts, user: &str) -> Result<TwoFactorStatus, CoreError> {
        let user = find_user(self.store.as_ref(), user).await?;
        Ok(TwoFactorStatus {
            totp_enrolled: self.signin.totp_enrolment(user.id).await?.is_some(),
            recovery_codes_left: self.signin.recovery_codes_left(user.id).await?,
            failed_logins: self.signin.login_failures(&name_key(&user.account)).await?,
        })
    }

    /// Forgets the devices trusted for a user: after an administrator sets the password or deactivates the account.
    pub(crate) async fn forget_trusted_devices(&self, user: crate::ids::UserId) -> Result<(), CoreError> {
        Ok(self.signin.forget_trusted_devices(user).await?)
    }

    /// After an administrator reactivates an account: its failed logins start from zero again, or the next
    /// mistyped password would deactivate it at once.
    pub(crate) async fn account_reactivated(&self, account: &str) -> Result<(), CoreError> {
        Ok(self.signin.clear_login_failures(&name_key(account)).await?)
    }

    /// The outgoing mail server's settings (the password stays inside: views say only whether one is set).
    pub async fn mail_settings(&self, _cap: &ManageServer) -> Result<SmtpSettings, CoreError> {
        SmtpSettings::load(self.store.as_ref(), &self.keyring).await
    }

    /// Replaces the mail settings; a `password` of `None` keeps the stored one.
    pub async fn change_mail_settings(
        &self,
        cap: &ManageServer,
        mut next: SmtpSettings,
    ) -> Result<SmtpSettings, CoreError> {
        if next.password.is_none() {
            next.password = self.mail_settings(cap).await?.password;
        }
        next.save(self.store.as_ref(), &self.keyring).await?;
        tracing::info!(actor = %cap.actor(), "mail settings changed");
        // The server and sender, never the password.
        let summary = format!("{}:{} as {}", next.host, next.port, next.sender_address);
        let event = AuditEvent::new(645).by(cap.caller()).object("mail", "Mail settings");
        self.audit.note(event.new_object(summary)).await;
        self.mail_settings(cap).await
    }

    /// Seed manual, Email → Test Connection: sends a test message to `to`.
    pub async fn send_test_mail(&self, cap: &ManageServer, to: &str) -> Result<(), CoreError> {
        let settings = self.mail_settings(cap).await?;
        if !settings.is_configured() {
            return Err(CoreError::Validation("set the mail server first (sender address, host and port)".to_owned()));
        }
        let message = MailMessage {
            to: to.trim().to_owned(),
            subject: "Tresor test message".to_owned(),
            body: "This message was sent by Tresor to test its mail settings. They work.\n".to_owned(),
        };
        self.mailer.send(&settings, &message).await.map_err(|e| {
            tracing::warn!(actor = %cap.actor(), error = %e, "test mail failed");
            CoreError::MailFailed(e.to_string())
        })
    }
}
