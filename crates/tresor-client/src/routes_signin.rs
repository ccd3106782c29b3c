//! The two-step login and the sign-in administration routes.

use reqwest::{Method, StatusCode};
use tresor_api::{
    LoginRequest, LoginResponse, MailSettings, MailSettingsRequest, PauseState, SecondFactorRequest,
    SecondFactorRequired, SigninSettings, SigninSettingsPatch, TestMailRequest, TwoFactorStatus,
};

use crate::error::one_line;
use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

/// What a login answers: a session, or a challenge for the second factor.
#[derive(Debug, Clone)]
pub enum LoginReply {
    Session(Box<LoginResponse>),
    SecondFactor(Box<SecondFactorRequired>),
}

impl Client {
    /// `POST /api/v1/auth/login`, for an account that may need a second factor.
    pub async fn login_step(&self, request: &LoginRequest) -> Result<LoginReply> {
        let url = self.api_url(&["auth", "login"])?;
        let response = self.send(self.request(Method::POST, url).json(request)).await?;
        let accepted = response.status() == StatusCode::ACCEPTED;
        let body = response.bytes().await.map_err(|e| ClientError::Transport(one_line(&e)))?;
        let decode = |e: serde_json::Error| ClientError::Decode(e.to_string());
        Ok(if accepted {
            LoginReply::SecondFactor(Box::new(serde_json::from_slice(&body).map_err(decode)?))
        } else {
            LoginReply::Session(Box::new(serde_json::from_slice(&body).map_err(decode)?))
        })
    }

    /// `POST /api/v1/auth/login` for an account without a second factor; a challenge is an error.
    pub async fn login(&self, request: &LoginRequest) -> Result<LoginResponse> {
        match self.login_step(request).await? {
            LoginReply::Session(s) => Ok(*s),
            LoginReply::SecondFactor(_) => Err(ClientError::SecondFactorRequired),
        }
    }

    /// `POST /api/v1/auth/login/second-factor`.
    pub async fn login_second_factor(&self, request: &SecondFactorRequest) -> Result<LoginResponse> {
        let url = self.api_url(&["auth", "login", "second-factor"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/admin/signin-settings`.
    pub async fn signin_settings(&self) -> Result<SigninSettings> {
        let url = self.api_url(&["admin", "signin-settings"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PATCH /api/v1/admin/signin-settings`.
    pub async fn update_signin_settings(&self, patch: &SigninSettingsPatch) -> Result<SigninSettings> {
        let url = self.api_url(&["admin", "signin-settings"])?;
        self.send_json(self.request(Method::PATCH, url).json(patch)).await
    }

    /// `GET /api/v1/admin/mail-settings`.
    pub async fn mail_settings(&self) -> Result<MailSettings> {
        let url = self.api_url(&["admin", "mail-settings"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PUT /api/v1/admin/mail-settings`.
    pub async fn update_mail_settings(&self, request: &MailSettingsRequest) -> Result<MailSettings> {
        let url = self.api_url(&["admin", "mail-settings"])?;
        self.send_json(self.request(Method::PUT, url).json(request)).await
    }

    /// `POST /api/v1/admin/mail-settings/test`.
    pub async fn test_mail(&self, to: &str) -> Result<()> {
        let url = self.api_url(&["admin", "mail-settings", "test"])?;
        self.send_empty(self.request(Method::POST, url).json(&TestMailRequest { to: to.to_owned() })).await
    }

    /// `POST /api/v1/admin/pause` or `/continue`.
    pub async fn set_paused(&self, paused: bool) -> Result<PauseState> {
        let url = self.api_url(&["admin", if paused { "pause" } else { "continue" }])?;
        self.send_json(self.request(Method::POST, url)).await
    }

    /// `GET /api/v1/admin/users/{user}/two-factor`.
    pub async fn user_two_factor(&self, user: &str) -> Result<TwoFactorStatus> {
        let url = self.api_url(&["admin", "users", user, "two-factor"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `DELETE /api/v1/admin/users/{user}/two-factor`: Reset 2FA.
    pub async fn reset_user_two_factor(&self, user: &str) -> Result<()> {
        let url = self.api_url(&["admin", "users", user, "two-factor"])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }
}
