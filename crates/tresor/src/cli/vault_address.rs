//! Addressing the vault from the command line: entries as `DB/Folder/Title`, `DB/<entry-id>` or a bare entry id,
//! folders as `DB` or `DB/Folder/Sub`, and the `NAME=VALUE` arguments of entry fields.
//!
//! Paths are resolved by the server (`GET /vault/resolve`): folder names and titles are sealed, so only the server
//! can compare them, and it answers `conflict` when a path is ambiguous.

use anyhow::{Context as _, Result, bail};
use tresor_api::{ErrorCode, ResolvedPath};
use tresor_client::{Client, ClientError};

/// An entry as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryAddress {
    /// `DB/Folder/Title` (or `DB/Title`).
    Path(String),
    /// `DB/<entry-id>`.
    InDatabase { database: String, entry: String },
    /// `<entry-id>`, looked for in every database the caller can open.
    Id(String),
}

impl EntryAddress {
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim_end_matches('/');
        match text.split_once('/') {
            None if is_id(text) => Ok(Self::Id(text.to_owned())),
            None => bail!("{text:?} is not an entry: write DB/Folder/Title, DB/ENTRY-ID or an entry id"),
            Some((database, rest)) if database.is_empty() || rest.is_empty() => {
                bail!("{text:?} is not an entry: write DB/Folder/Title, DB/ENTRY-ID or an entry id")
            }
            Some((database, rest)) if is_id(rest) => {
                Ok(Self::InDatabase { database: database.to_owned(), entry: rest.to_owned() })
            }
            Some(_) => Ok(Self::Path(text.to_owned())),
        }
    }
}

/// Whether `text` has the form of an id (a hyphenated UUID); database and folder names never do.
pub fn is_id(text: &str) -> bool {
    text.len() == 36
        && text
            .char_indices()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// Splits `DB/Folder/Name` into the parent path and the last name: `("DB/Folder", "Name")`.
pub fn split_last(path: &str) -> Result<(&str, &str)> {
    let path = path.trim_end_matches('/');
    match path.rsplit_once('/') {
        Some((parent, name)) if !parent.is_empty() && !name.is_empty() => Ok((parent, name)),
        _ => bail!("{path:?} needs a database and a name: DB/NAME or DB/Folder/NAME"),
    }
}

/// An entry found on the server.
#[derive(Debug, Clone)]
pub struct LocatedEntry {
    /// The database as the routes accept it (an id, or the name the user wrote).
    pub database: String,
    pub entry: String,
}

/// A database or a folder in it, found on the server.
#[derive(Debug, Clone)]
pub struct LocatedFolder {
    pub resolved: ResolvedPath,
}

impl LocatedFolder {
    pub fn database(&self) -> &str {
        &self.resolved.database
    }

    pub fn folder(&self) -> Option<&str> {
        self.resolved.folder.as_deref()
    }
}

/// Finds the entry `text` names.
pub async fn locate_entry(client: &Client, text: &str) -> Result<LocatedEntry> {
    match EntryAddress::parse(text)? {
        EntryAddress::Path(path) => {
            let resolved = resolve(client, &path).await?;
            match resolved.entry {
                Some(entry) => Ok(LocatedEntry { database: resolved.database, entry }),
                None => {
                    bail!("{path} is a {}, not an entry", if resolved.folder.is_some() { "folder" } else { "database" })
                }
            }
        }
        EntryAddress::InDatabase { database, entry } => Ok(LocatedEntry { database, entry }),
        EntryAddress::Id(id) => find_in_every_database(client, &id).await,
    }
}

/// Finds the database or folder `text` names (`DB` or `DB/Folder/Sub`).
pub async fn locate_folder(client: &Client, text: &str) -> Result<LocatedFolder> {
    let path = text.trim_end_matches('/');
    if path.is_empty() {
        bail!("name a database: DB or DB/Folder");
    }
    let resolved = resolve(client, path).await?;
    if resolved.entry.is_some() {
        bail!("{path} is an entry, not a folder");
    }
    Ok(LocatedFolder { resolved })
}

/// `GET /vault/resolve`, with the path in the error.
pub async fn resolve(client: &Client, path: &str) -> Result<ResolvedPath> {
    client.resolve_path(path).await.with_context(|| format!("cannot find {path}"))
}

/// A bare entry id: the routes need its database, so each database the caller can open is asked in turn.
async fn find_in_every_database(client: &Client, id: &str) -> Result<LocatedEntry> {
    let databases = client.vault_databases().await.context("cannot list your databases")?;
    for database in databases.databases {
        match client.get_entry(&database.id, id, false).await {
            Ok(_) => return Ok(LocatedEntry { database: database.id, entry: id.to_owned() }),
            Err(ClientError::Api { code: ErrorCode::NotFound | ErrorCode::Forbidden, .. }) => {}
            Err(err) => return Err(err).with_context(|| format!("cannot look for entry {id} in {}", database.name)),
        }
    }
    bail!("no entry {id} in any database you can open")
}

/// Parses `NAME=VALUE` (the value may be empty and may contain `=`).
pub fn assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.to_owned())),
        _ => Err("expected NAME=VALUE".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b0c5a52-8f5e-4c43-9a57-2f4d1d0e3b7a";

    #[test]
    fn entries_are_paths_or_ids() {
        assert_eq!(
            EntryAddress::parse("Team/Web/GitHub").expect("valid"),
            EntryAddress::Path("Team/Web/GitHub".into())
        );
        assert_eq!(EntryAddress::parse("Team/GitHub/").expect("valid"), EntryAddress::Path("Team/GitHub".into()));
        assert_eq!(
            EntryAddress::parse(&format!("Team/{ID}")).expect("valid"),
            EntryAddress::InDatabase { database: "Team".into(), entry: ID.into() }
        );
        assert_eq!(EntryAddress::parse(ID).expect("valid"), EntryAddress::Id(ID.into()));
        // An id deeper in a path is a title like any other.
        assert_eq!(
            EntryAddress::parse(&format!("Team/F/{ID}")).expect("valid"),
            EntryAddress::Path(format!("Team/F/{ID}"))
        );
        for bad in ["Team", "/x", "Team/", ""] {
            assert!(EntryAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_are_hyphenated_uuids() {
        assert!(is_id(ID));
        assert!(is_id(&ID.to_uppercase()));
        assert!(!is_id(&ID.replace('-', "")));
        assert!(!is_id(&ID.replacen('0', "g", 1)));
        assert!(!is_id("Team"));
    }

    #[test]
    fn the_last_name_is_split_off() {
        assert_eq!(split_last("DB/Folder/Sub").expect("valid"), ("DB/Folder", "Sub"));
        assert_eq!(split_last("DB/Title/").expect("valid"), ("DB", "Title"));
        assert!(split_last("DB").is_err());
        assert!(split_last("/Title").is_err());
    }

    #[test]
    fn assignments_split_at_the_first_equals_sign() {
        assert_eq!(assignment("host=db.example=1").expect("valid"), ("host".into(), "db.example=1".into()));
        assert_eq!(assignment("port=").expect("valid"), ("port".into(), String::new()));
        assert_eq!(assignment(" name =v").expect("valid"), ("name".into(), "v".into()));
        assert!(assignment("=v").is_err());
        assert!(assignment("novalue").is_err());
    }
}
