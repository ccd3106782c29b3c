//! One method per route that shares an entry (`/api/v1/vault/databases/{db}/entries/{entry}/shares`): give a user
//! or group rights on an entry, list the entry's grants, take a share back.

use reqwest::Method;
use tresor_api::{ShareList, ShareRequest, SubjectRef};

use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

impl Client {
    /// `POST /api/v1/vault/databases/{db}/entries/{entry}/shares`: shares the entry; returns its grants afterwards.
    pub async fn share_entry(&self, db: &str, entry: &str, request: &ShareRequest) -> Result<ShareList> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "shares"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/shares`: the grants set on the entry.
    pub async fn entry_shares(&self, db: &str, entry: &str) -> Result<ShareList> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "shares"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `DELETE /api/v1/vault/databases/{db}/entries/{entry}/shares/{user|group}/{name}`: takes back what the entry
    /// allows one user or group.
    pub async fn unshare_entry(&self, db: &str, entry: &str, subject: &SubjectRef) -> Result<()> {
        let (kind, name) = match subject {
            SubjectRef::User(user) => ("user", user),
            SubjectRef::Group(group) => ("group", group),
        };
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "shares", kind, name])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }
}
