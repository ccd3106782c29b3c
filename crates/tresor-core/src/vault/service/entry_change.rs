//! What creating and changing an entry asks for: the new entry, and a change whose `Debug` names what changes and
//! never a value.

use tresor_crypto::SecretString;

use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::ids::FolderId;
use crate::vault::{CustomField, EntryBody, TotpSecret};

/// A new entry: where it goes and what it says.
#[derive(Debug)]
pub struct EntryInput {
    pub folder: Option<FolderId>,
    pub body: EntryBody,
}

/// A change to an entry; `None` keeps the current value. Its `Debug` names what changes, never a value.
#[derive(Default)]
pub struct EntryChange {
    /// Refuse the change if the entry has moved on from this version ([`CoreError::Stale`]).
    pub expected_version: Option<u32>,
    /// The version an `If-Match` precondition names: refuse the change with [`CoreError::PreconditionFailed`]
    /// if the entry has moved on from it.
    pub if_match: Option<u32>,
    pub title: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub url: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub expires: Option<Option<Timestamp>>,
    /// Type-specific fields to set; an empty value removes the field.
    pub fields: Vec<(String, String)>,
    pub custom: Option<Vec<CustomField>>,
    pub totp: Option<Option<TotpSecret>>,
}

impl std::fmt::Debug for EntryChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |present: bool| if present { "<set>" } else { "-" };
        f.debug_struct("EntryChange")
            .field("expected_version", &self.expected_version)
            .field("if_match", &self.if_match)
            .field("title", &set(self.title.is_some()))
            .field("username", &set(self.username.is_some()))
            .field("password", &set(self.password.is_some()))
            .field("url", &set(self.url.is_some()))
            .field("notes", &set(self.notes.is_some()))
            .field("tags", &set(self.tags.is_some()))
            .field("expires", &set(self.expires.is_some()))
            .field("fields", &self.fields.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>())
            .field("custom", &self.custom.as_ref().map(Vec::len))
            .field("totp", &set(self.totp.is_some()))
            .finish()
    }
}

impl EntryChange {
    pub(super) fn apply(self, body: &mut EntryBody) -> Result<(), CoreError> {
        wipe_and_put(&mut body.title, self.title);
        wipe_and_put(&mut body.username, self.username);
        wipe_and_put(&mut body.url, self.url);
        wipe_and_put(&mut body.notes, self.notes);
        wipe_and_put(&mut body.tags, self.tags);
        // These wipe themselves when the old value drops.
        if let Some(v) = self.password {
            body.password = v;
        }
        if let Some(v) = self.custom {
            body.custom = v;
        }
        if let Some(v) = self.totp {
            body.totp = v;
        }
        if let Some(v) = self.expires {
            body.expires = v;
        }
        for (name, value) in self.fields {
            if value.is_empty() {
                if body.kind.field(&name).is_none() {
                    return Err(crate::vault::VaultError::unknown_field(body.kind, &name).into());
                }
                body.fields.remove(&name);
            } else {
                body.set_field(&name, value)?;
            }
        }
        Ok(())
    }
}

/// Puts `value`, if there is one, in `slot` and wipes what was there: it too is what a user typed.
fn wipe_and_put<T: zeroize::Zeroize>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        std::mem::replace(slot, value).zeroize();
    }
}
