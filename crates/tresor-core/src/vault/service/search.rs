//! Finding entries: full-text search over what the caller may see, and paths (`DB/Folder/Title`) to ids.
//!
//! Titles, user names, URLs, tags, notes and folder names are ciphertext in the store, so both open the
//! caller's visible entries and match in memory; nothing invisible is ever opened.

use super::listing::{EntrySummary, open_entries};
use super::{Focus, Loaded, VaultService};
use crate::accounts::service::shorten;
use crate::caller::Caller;
use crate::error::CoreError;
use crate::ids::{DatabaseId, EntryId, FolderId};
use crate::permissions::Object;
use crate::vault::Database;

/// Longest search text, in characters.
pub const MAX_QUERY: usize = 256;

/// What a path names.
#[derive(Debug, Clone)]
pub struct ResolvedPath {
    pub database: Database,
    /// The folder named, or the folder holding the entry named.
    pub folder: Option<FolderId>,
    pub entry: Option<EntryId>,
}

impl VaultService {
    /// Entries whose title, user name, URL, tags or notes contain `text` (case-insensitive), over every
    /// database the caller can open or only `database`; a page of them and the number of matches.
    pub async fn search(
        &self,
        caller: &Caller,
        text: &str,
        database: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<EntrySummary>, u64), CoreError> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() || needle.chars().count() > MAX_QUERY {
            return Err(CoreError::InvalidInput(format!("the search text must have 1 to {MAX_QUERY} characters")));
        }
        let databases: Vec<DatabaseId> = match database {
            Some(key) => vec![self.load(caller, key, Focus::Folders).await?.snapshot.database.id],
            None => self.openable_databases(caller).await?.into_iter().map(|(d, _)| d.id).collect(),
        };
        let mut matches = Vec::new();
        for id in databases {
            let loaded = self.load(caller, &id.to_string(), Focus::Whole).await?;
            let visible = loaded.resolver().visible_entries();
            for (meta, body) in open_entries(&self.reader, &loaded, &visible).await? {
                // A damaged entry has no text to match.
                let Some(body) = body else { continue };
                let hit = [&body.title, &body.username, &body.url, &body.notes]
                    .into_iter()
                    .chain(body.tags.iter())
                    .any(|s| s.to_lowercase().contains(&needle));
                if hit {
                    matches.push(EntrySummary::new(&loaded, meta, Some(&body)));
                }
            }
        }
        let total = matches.len() as u64;
        let page = matches.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok((page, total))
    }

    /// Resolves `DB`, `DB/Folder/Sub` or `DB/Folder/Title` (a last segment may also be an entry id) among what
    /// the caller may see. Two folders or entries of the same name at one place make the path ambiguous.
    pub async fn resolve_path(&self, caller: &Caller, path: &str) -> Result<ResolvedPath, CoreError> {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let db = segments.next().ok_or_else(|| CoreError::InvalidInput("the path is empty".to_owned()))?;
        let rest: Vec<&str> = segments.collect();
        let loaded = self.load(caller, db, Focus::Whole).await?;
        let resolver = loaded.resolver();
        let mut folder: Option<FolderId> = None;
        for (i, segment) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let children: Vec<FolderId> = loaded
                .snapshot
                .folders
                .iter()
                .filter(|(id, (parent, name))| {
                    *parent == folder && name == segment && resolver.is_listed(Object::Folder(**id))
                })
                .map(|(id, _)| *id)
                .collect();
            match children.as_slice() {
                [one] => {
                    folder = Some(*one);
                    continue;
                }
                [] if last => {
                    let entry = self.entry_in(&loaded, folder, segment).await?;
                    return Ok(ResolvedPath {
                        database: Database::clone(&loaded.snapshot.database),
                        folder,
                        entry: Some(entry),
                    });
                }
                [] => return Err(CoreError::not_found(format!("folder '{}'", shorten(segment)))),
                _ => {
                    return Err(CoreError::Conflict(format!(
                        "more than one folder is named '{}' there; use its id",
                        shorten(segment)
                    )));
                }
            }
        }
        Ok(ResolvedPath { database: Database::clone(&loaded.snapshot.database), folder, entry: None })
    }

    /// The visible entry in `folder` whose title (or id) is `name`.
    async fn entry_in(&self, loaded: &Loaded, folder: Option<FolderId>, name: &str) -> Result<EntryId, CoreError> {
        let visible = loaded.resolver().visible_entries();
        if let Ok(id) = name.parse::<EntryId>()
            && visible.contains(&id)
        {
            return Ok(id);
        }
        let here: Vec<EntryId> =
            visible.into_iter().filter(|id| loaded.entry(*id).is_some_and(|m| m.folder == folder)).collect();
        let found: Vec<EntryId> = open_entries(&self.reader, loaded, &here)
            .await?
            .into_iter()
            .filter(|(_, body)| body.as_ref().is_some_and(|b| b.title == name))
            .map(|(meta, _)| meta.id)
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(CoreError::not_found(format!("entry or folder '{}'", shorten(name)))),
            _ => {
                Err(CoreError::Conflict(format!("more than one entry is titled '{}' there; use its id", shorten(name))))
            }
        }
    }
}
