//! Second passwords of entries: set, change or remove one
//! (`/api/v1/vault/databases/{db}/entries/{entry}/second-password`), and open an entry that has one. The password
//! travels in [`SECOND_PASSWORD_HEADER`], marked sensitive.

use reqwest::header::HeaderValue;
use reqwest::{Method, RequestBuilder};
use tresor_api::{EntryView, SECOND_PASSWORD_HEADER, SecondPasswordRequest, WirePassword};

use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

/// `request` with the second password in its header, when there is one.
fn with_second_password(request: RequestBuilder, password: Option<&WirePassword>) -> Result<RequestBuilder> {
    let Some(password) = password else { return Ok(request) };
    let mut value = HeaderValue::from_bytes(password.expose_secret().as_bytes()).map_err(|_| {
        ClientError::Transport("the second password contains control characters and cannot be sent".into())
    })?;
    value.set_sensitive(true);
    Ok(request.header(SECOND_PASSWORD_HEADER, value))
}

impl Client {
    /// `PUT …/entries/{entry}/second-password`: sets the entry's second password; `current` when it has one.
    pub async fn set_second_password(
        &self,
        db: &str,
        entry: &str,
        password: &WirePassword,
        current: Option<&WirePassword>,
    ) -> Result<()> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "second-password"])?;
        let body = SecondPasswordRequest { password: password.clone() };
        self.send_empty(with_second_password(self.request(Method::PUT, url).json(&body), current)?).await
    }

    /// `DELETE …/entries/{entry}/second-password`: removes the entry's second password, giving the current one.
    pub async fn remove_second_password(&self, db: &str, entry: &str, current: &WirePassword) -> Result<()> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "second-password"])?;
        self.send_empty(with_second_password(self.request(Method::DELETE, url), Some(current))?).await
    }

    /// `GET …/entries/{entry}?reveal=true` with the entry's second password.
    pub async fn reveal_entry_with(&self, db: &str, entry: &str, second_password: &WirePassword) -> Result<EntryView> {
        let mut url = self.api_url(&["vault", "databases", db, "entries", entry])?;
        url.query_pairs_mut().append_pair("reveal", "true");
        self.send_json(with_second_password(self.request(Method::GET, url), Some(second_password))?).await
    }
}
