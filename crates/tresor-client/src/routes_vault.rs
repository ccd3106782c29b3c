//! One method per vault route a user calls (`/api/v1/vault/…`): databases, folders, entries, history, TOTP,
//! attachments, search, path resolution and the password generator.
//!
//! `db` arguments accept a database id or name; `folder`, `entry` and `attachment` arguments are ids. Each travels
//! as one percent-encoded path segment.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, IF_MATCH};
use reqwest::{Method, Response};
use tresor_api::{
    AttachmentList, AttachmentView, CreateEntryRequest, CreateFolderRequest, EntryListQuery, EntryLockView, EntryPage,
    EntryTypeList, EntryView, FolderList, FolderView, GenerateQuery, GeneratedPassword, HistoryList, MoveEntryRequest,
    ResolvedPath, SearchQuery, TotpCode, UpdateEntryRequest, UpdateFolderRequest, VaultDatabaseList,
};

use crate::error::one_line;
use crate::routes::{text, with_query};
use crate::{Client, ClientError};

type Result<T> = std::result::Result<T, ClientError>;

/// Attachments may be large and links slow: a transfer gets this long instead of the usual request timeout.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// An attachment being downloaded: its body is read chunk by chunk, so a large file never sits in memory whole.
#[derive(Debug)]
pub struct Download {
    response: Response,
}

impl Download {
    /// The size announced by the server, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let chunk = self.response.chunk().await.map_err(|e| ClientError::Transport(one_line(&e)))?;
        Ok(chunk.map(|c| c.to_vec()))
    }

    /// The whole body at once, for small files and tests.
    pub async fn bytes(mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl Client {
    /// `GET /api/v1/vault/databases`: the databases the caller can open.
    pub async fn vault_databases(&self) -> Result<VaultDatabaseList> {
        let url = self.api_url(&["vault", "databases"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/vault/databases/{db}/folders`: every folder the caller can see, with its path.
    pub async fn folders(&self, db: &str) -> Result<FolderList> {
        let url = self.api_url(&["vault", "databases", db, "folders"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/vault/databases/{db}/folders`.
    pub async fn create_folder(&self, db: &str, request: &CreateFolderRequest) -> Result<FolderView> {
        let url = self.api_url(&["vault", "databases", db, "folders"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `PATCH /api/v1/vault/databases/{db}/folders/{folder}`: rename and/or move a folder.
    pub async fn update_folder(&self, db: &str, folder: &str, request: &UpdateFolderRequest) -> Result<FolderView> {
        let url = self.api_url(&["vault", "databases", db, "folders", folder])?;
        self.send_json(self.request(Method::PATCH, url).json(request)).await
    }

    /// `DELETE /api/v1/vault/databases/{db}/folders/{folder}?recursive=`: a non-empty folder needs `recursive`.
    pub async fn delete_folder(&self, db: &str, folder: &str, recursive: bool) -> Result<()> {
        let url = self.api_url(&["vault", "databases", db, "folders", folder])?;
        let url = with_query(url, &[("recursive", recursive.then(|| "true".to_owned()))]);
        self.send_empty(self.request(Method::DELETE, url)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries?folder=&recursive=&offset=&limit=`.
    pub async fn list_entries(&self, db: &str, query: &EntryListQuery) -> Result<EntryPage> {
        let url = self.api_url(&["vault", "databases", db, "entries"])?;
        let url = with_query(
            url,
            &[
                ("folder", query.folder.clone()),
                ("recursive", text(query.recursive)),
                ("offset", text(query.offset)),
                ("limit", text(query.limit)),
            ],
        );
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/vault/databases/{db}/entries`.
    pub async fn create_entry(&self, db: &str, request: &CreateEntryRequest) -> Result<EntryView> {
        let url = self.api_url(&["vault", "databases", db, "entries"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}?reveal=`: secrets only with `reveal`.
    pub async fn get_entry(&self, db: &str, entry: &str, reveal: bool) -> Result<EntryView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry])?;
        self.send_json(self.request(Method::GET, reveal_query(url, reveal))).await
    }

    /// `PATCH /api/v1/vault/databases/{db}/entries/{entry}`; with `version` set, a stale change is a `conflict`.
    pub async fn update_entry(&self, db: &str, entry: &str, request: &UpdateEntryRequest) -> Result<EntryView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry])?;
        self.send_json(self.request(Method::PATCH, url).json(request)).await
    }

    /// `PATCH /api/v1/vault/databases/{db}/entries/{entry}` with `If-Match`: refused with `precondition_failed`
    /// when the entry is no longer at `version`.
    pub async fn update_entry_at(
        &self,
        db: &str,
        entry: &str,
        version: u32,
        request: &UpdateEntryRequest,
    ) -> Result<EntryView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry])?;
        let builder = self.request(Method::PATCH, url).header(IF_MATCH, format!("\"{version}\""));
        self.send_json(builder.json(request)).await
    }

    /// `POST /api/v1/vault/databases/{db}/entries/{entry}/lock`: takes the entry's lock, or renews this session's.
    pub async fn lock_entry(&self, db: &str, entry: &str) -> Result<EntryLockView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "lock"])?;
        self.send_json(self.request(Method::POST, url)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/lock`: who holds the entry's lock.
    pub async fn entry_lock(&self, db: &str, entry: &str) -> Result<EntryLockView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "lock"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `DELETE /api/v1/vault/databases/{db}/entries/{entry}/lock`: releases this session's lock.
    pub async fn unlock_entry(&self, db: &str, entry: &str) -> Result<()> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "lock"])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }

    /// `DELETE /api/v1/vault/databases/{db}/entries/{entry}?reason=`.
    pub async fn delete_entry(&self, db: &str, entry: &str, reason: Option<&str>) -> Result<()> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry])?;
        let url = with_query(url, &[("reason", reason.map(str::to_owned))]);
        self.send_empty(self.request(Method::DELETE, url)).await
    }

    /// `POST /api/v1/vault/databases/{db}/entries/{entry}/move`.
    pub async fn move_entry(&self, db: &str, entry: &str, request: &MoveEntryRequest) -> Result<EntryView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "move"])?;
        self.send_json(self.request(Method::POST, url).json(request)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/history`.
    pub async fn entry_history(&self, db: &str, entry: &str) -> Result<HistoryList> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "history"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/history/{version}?reveal=`.
    pub async fn entry_version(&self, db: &str, entry: &str, version: u32, reveal: bool) -> Result<EntryView> {
        let version = version.to_string();
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "history", &version])?;
        self.send_json(self.request(Method::GET, reveal_query(url, reveal))).await
    }

    /// `POST /api/v1/vault/databases/{db}/entries/{entry}/history/{version}/restore`: a new version with the old
    /// content.
    pub async fn restore_entry_version(&self, db: &str, entry: &str, version: u32) -> Result<EntryView> {
        let version = version.to_string();
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "history", &version, "restore"])?;
        self.send_json(self.request(Method::POST, url)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/totp`: the current code.
    pub async fn entry_totp(&self, db: &str, entry: &str) -> Result<TotpCode> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "totp"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/attachments`.
    pub async fn list_attachments(&self, db: &str, entry: &str) -> Result<AttachmentList> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "attachments"])?;
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `POST /api/v1/vault/databases/{db}/entries/{entry}/attachments?name=` with the file as the raw body
    /// (`application/octet-stream`). The body is bytes: streaming a file from disk would need reqwest's `stream`
    /// feature and the crates it brings, and attachments are bounded by the server's limit anyway.
    pub async fn upload_attachment(
        &self,
        db: &str,
        entry: &str,
        name: &str,
        content: Vec<u8>,
    ) -> Result<AttachmentView> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "attachments"])?;
        let url = with_query(url, &[("name", Some(name.to_owned()))]);
        let request = self
            .request(Method::POST, url)
            .header(CONTENT_TYPE, "application/octet-stream")
            .timeout(TRANSFER_TIMEOUT)
            .body(content);
        self.send_json(request).await
    }

    /// `GET /api/v1/vault/databases/{db}/entries/{entry}/attachments/{attachment}`: the file, to be read chunk by
    /// chunk from the returned [`Download`].
    pub async fn download_attachment(&self, db: &str, entry: &str, attachment: &str) -> Result<Download> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "attachments", attachment])?;
        self.download(self.request(Method::GET, url)).await
    }

    /// Sends a request whose answer is a file, with the transfer timeout, and hands back its body to read.
    pub(crate) async fn download(&self, request: reqwest::RequestBuilder) -> Result<Download> {
        let response = self.send(request.timeout(TRANSFER_TIMEOUT)).await?;
        Ok(Download { response })
    }

    /// `DELETE /api/v1/vault/databases/{db}/entries/{entry}/attachments/{attachment}`.
    pub async fn delete_attachment(&self, db: &str, entry: &str, attachment: &str) -> Result<()> {
        let url = self.api_url(&["vault", "databases", db, "entries", entry, "attachments", attachment])?;
        self.send_empty(self.request(Method::DELETE, url)).await
    }

    /// `GET /api/v1/vault/search?q=&database=&offset=&limit=`.
    pub async fn search(&self, query: &SearchQuery) -> Result<EntryPage> {
        let url = self.api_url(&["vault", "search"])?;
        let url = with_query(
            url,
            &[
                ("q", Some(query.q.clone())),
                ("database", query.database.clone()),
                ("offset", text(query.offset)),
                ("limit", text(query.limit)),
            ],
        );
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/vault/resolve?path=DB/Folder/Title`: the database, folder or entry a path names.
    pub async fn resolve_path(&self, path: &str) -> Result<ResolvedPath> {
        let url = with_query(self.api_url(&["vault", "resolve"])?, &[("path", Some(path.to_owned()))]);
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/vault/generate?length=&lowercase=&uppercase=&digits=&symbols=`.
    pub async fn generate_password(&self, query: &GenerateQuery) -> Result<GeneratedPassword> {
        let url = self.api_url(&["vault", "generate"])?;
        let url = with_query(
            url,
            &[
                ("for_login", text(query.for_login)),
                ("length", text(query.length)),
                ("lowercase", text(query.lowercase)),
                ("uppercase", text(query.uppercase)),
                ("digits", text(query.digits)),
                ("symbols", text(query.symbols)),
            ],
        );
        self.send_json(self.request(Method::GET, url)).await
    }

    /// `GET /api/v1/vault/entry-types`: each type's own fields and whether the server policy allows it.
    pub async fn entry_types(&self) -> Result<EntryTypeList> {
        let url = self.api_url(&["vault", "entry-types"])?;
        self.send_json(self.request(Method::GET, url)).await
    }
}

fn reveal_query(url: reqwest::Url, reveal: bool) -> reqwest::Url {
    with_query(url, &[("reveal", reveal.then(|| "true".to_owned()))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Trust;

    #[test]
    fn vault_urls_encode_names_and_queries() {
        let c = Client::new("https://x", Trust::Pinned([0; 32])).expect("client");
        let url = c.api_url(&["vault", "databases", "Team DB/2", "entries"]).expect("url");
        assert_eq!(url.as_str(), "https://x/api/v1/vault/databases/Team%20DB%2F2/entries");
        let url = with_query(url, &[("folder", None), ("recursive", text(Some(true))), ("limit", text(Some(5)))]);
        assert_eq!(url.query(), Some("recursive=true&limit=5"));
        let url = with_query(c.api_url(&["vault", "resolve"]).expect("url"), &[("path", Some("a/b c&d".into()))]);
        assert_eq!(url.query(), Some("path=a%2Fb+c%26d"));
        assert_eq!(reveal_query(c.api_url(&["x"]).expect("url"), false).query(), None);
    }
}
