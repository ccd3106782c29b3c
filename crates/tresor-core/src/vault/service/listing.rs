//! Entries as listings and searches show them: summaries that find an entry and never hold a secret, opened a
//! batch at a time.

use std::collections::VecDeque;

use super::entries::open_body;
use super::{EntryReader, Loaded};
use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::EntryId;
use crate::vault::{EntryBody, EntryMeta};

/// An entry in a listing: what finds it, never a secret.
#[derive(Debug)]
pub struct EntrySummary {
    pub database: (crate::ids::DatabaseId, String),
    pub meta: EntryMeta,
    pub folder_path: String,
    pub title: String,
    pub username: String,
    pub url: String,
    pub tags: Vec<String>,
    pub expires: Option<Timestamp>,
    /// The stored entry did not decrypt: it is listed (so that one damaged entry does not hide a database) with
    /// nothing of its contents; opening it fails with `undecryptable`.
    pub damaged: bool,
}

impl EntrySummary {
    pub(super) fn new(loaded: &Loaded, meta: EntryMeta, body: Option<&EntryBody>) -> Self {
        Self {
            database: (loaded.snapshot.database.id, loaded.snapshot.database.name.clone()),
            meta,
            folder_path: loaded.folder_path(meta.folder),
            title: body.map(|b| b.title.clone()).unwrap_or_default(),
            username: body.map(|b| b.username.clone()).unwrap_or_default(),
            url: body.map(|b| b.url.clone()).unwrap_or_default(),
            tags: body.map(|b| b.tags.clone()).unwrap_or_default(),
            expires: body.and_then(|b| b.expires),
            damaged: body.is_none(),
        }
    }
}

/// Entries read a batch at a time ([`VaultService::list_entries`]).
#[derive(Debug)]
pub struct EntryCursor {
    pub(super) reader: EntryReader,
    pub(super) loaded: Loaded,
    pub(super) pending: VecDeque<EntryId>,
    /// Visible entries in scope over all pages.
    pub total: u64,
}

/// Entries opened per batch of a listing.
const BATCH: usize = 250;

impl EntryCursor {
    /// The next entries, opened; `None` when the listing is done.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<EntrySummary>>, CoreError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let take = self.pending.len().min(BATCH);
        let ids: Vec<EntryId> = self.pending.drain(..take).collect();
        let bodies = open_entries(&self.reader, &self.loaded, &ids).await?;
        Ok(Some(bodies.into_iter().map(|(meta, body)| EntrySummary::new(&self.loaded, meta, body.as_ref())).collect()))
    }
}

/// Opens the current versions of `ids` (in that order; entries gone meanwhile are left out), reading them in
/// batches. An entry that does not decrypt comes back as `None` and is logged: a listing shows it as damaged and
/// goes on.
pub(super) async fn open_entries(
    reader: &EntryReader,
    loaded: &Loaded,
    ids: &[EntryId],
) -> Result<Vec<(EntryMeta, Option<EntryBody>)>, CoreError> {
    let rows = reader.many(loaded.snapshot.database.id, ids).await?;
    rows.into_iter()
        .map(|(meta, version)| match open_body(loaded, &meta, version.version, &version.ciphertext) {
            Ok(body) => Ok((meta, Some(body))),
            Err(CoreError::Undecryptable(reason)) => {
                tracing::error!(database = %meta.database, entry = %meta.id, %reason, "a stored entry did not decrypt");
                Ok((meta, None))
            }
            Err(other) => Err(other),
        })
        .collect()
}
