//! The server log's routes: reading, exporting and verifying the log, its settings, and notifications.

use reqwest::{Method, Url};
use tresor_api::{
    LogExportFormat, LogFilterQuery, LogPage, LogQuery, LogSettings, LogVerification, NotificationList,
    NotificationRequest, NotificationView,
};

use crate::routes::{text, with_query};
use crate::routes_vault::Download;
use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

/// The filter as query parameters; `event` repeats, one parameter per number.
fn with_filter(url: Url, f: &LogFilterQuery) -> Url {
    let mut params = vec![
        ("severity", f.severity.map(|s| s.as_str().to_owned())),
        ("from", f.from.clone()),
        ("to", f.to.clone()),
        ("user", f.user.clone()),
        ("address", f.address.clone()),
        ("database", f.database.clone()),
        ("object", f.object.clone()),
        ("q", f.q.clone()),
    ];
    params.extend(f.event.iter().map(|e| ("event", Some(e.to_string()))));
    with_query(url, &params)
}

impl Client {
    /// `GET /api/v1/admin/log`: a page of the server log, newest first (or oldest first with `after`).
    pub async fn admin_log(&self, query: &LogQuery) -> Result<LogPage> {
        let url = with_filter(self.api_url(&["admin", "log"])?, &query.filter);
        let p = &query.page;
        let url = with_query(url, &[("before", text(p.before)), ("after", text(p.after)), ("limit", text(p.limit))]);
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/admin/log/export?format=`: the export file, read chunk by chunk from the returned
    /// [`Download`] (the server streams it).
    pub async fn export_log(&self, format: LogExportFormat, filter: &LogFilterQuery) -> Result<Download> {
        let url = with_query(self.api_url(&["admin", "log", "export"])?, &[("format", Some(format.as_str().into()))]);
        let url = with_filter(url, filter);
        self.download(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/admin/log/verify`: the check of the whole hash chain.
    pub async fn verify_log(&self) -> Result<LogVerification> {
        let url = self.api_url(&["admin", "log", "verify"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/admin/log-settings`.
    pub async fn log_settings(&self) -> Result<LogSettings> {
        let url = self.api_url(&["admin", "log-settings"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PUT /api/v1/admin/log-settings`: replaces them all.
    pub async fn update_log_settings(&self, settings: &LogSettings) -> Result<LogSettings> {
        let url = self.api_url(&["admin", "log-settings"])?;
        self.send_json(self.request(Method::PUT, url).json(settings)).await
    }

    /// `GET /api/v1/admin/notifications`.
    pub async fn notifications(&self) -> Result<NotificationList> {
        let url = self.api_url(&["admin", "notifications"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/admin/notifications`.
    pub async fn add_notification(&self, request: &NotificationRequest) -> Result<NotificationView> {
        let url = self.api_url(&["admin", "notifications"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/admin/notifications/{id}`.
    pub async fn notification(&self, id: u64) -> Result<NotificationView> {
        let url = self.api_url(&["admin", "notifications", &id.to_string()])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `PUT /api/v1/admin/notifications/{id}`: replaces its settings.
    pub async fn change_notification(&self, id: u64, request: &NotificationRequest) -> Result<NotificationView> {
        let url = self.api_url(&["admin", "notifications", &id.to_string()])?;
        self.send_json(self.request(Method::PUT, url).json(request)).await
    }

    /// `DELETE /api/v1/admin/notifications/{id}`.
    pub async fn delete_notification(&self, id: u64) -> Result<()> {
        let url = self.api_url(&["admin", "notifications", &id.to_string()])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }
}
