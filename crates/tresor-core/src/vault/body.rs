//! What a user typed into an entry: [`EntryBody`], its type-specific [`FieldValue`]s, custom fields and TOTP
//! secret, and the rules that check them against the entry's type.
//!
//! The whole body — the title included — is sealed as one ciphertext (see [`crypto`](super::crypto)); the store
//! never sees any of it in the clear. Secret values are [`SecretString`]s (redacted `Debug`, zeroized on drop);
//! the other strings are zeroized when the body drops, since they too are what a user typed.

use std::collections::BTreeMap;
use std::fmt;

use tresor_crypto::SecretString;
use zeroize::{Zeroize, Zeroizing};

use super::VaultError;
use super::entry_type::{EntryType, FieldFormat};
use crate::clock::Timestamp;

/// Longest title, user name, URL, tag, single-line field, and field name, in characters.
pub const MAX_TITLE: usize = 256;
pub const MAX_LINE: usize = 2048;
pub const MAX_NAME: usize = 64;
/// Longest notes, password and multi-line field, in bytes.
pub const MAX_TEXT: usize = 64 * 1024;
/// Most tags and custom fields on one entry.
pub const MAX_TAGS: usize = 64;
pub const MAX_CUSTOM: usize = 100;

/// A field's value: plain text, or a secret that is hidden unless revealed.
pub enum FieldValue {
    Text(String),
    Secret(SecretString),
}

impl FieldValue {
    /// The value, whichever kind it is. Named so that reading a secret stands out in review.
    pub fn expose(&self) -> &str {
        match self {
            FieldValue::Text(s) => s,
            FieldValue::Secret(s) => s.expose_secret(),
        }
    }
    pub fn is_secret(&self) -> bool {
        matches!(self, FieldValue::Secret(_))
    }
}

impl Drop for FieldValue {
    fn drop(&mut self) {
        if let FieldValue::Text(s) = self {
            s.zeroize();
        }
    }
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(s) => f.debug_tuple("Text").field(s).finish(),
            FieldValue::Secret(_) => f.write_str("Secret(<redacted>)"),
        }
    }
}

/// A field the user added by name ("custom fields (text or hidden)", issue 3).
#[derive(Debug)]
pub struct CustomField {
    pub name: String,
    pub value: FieldValue,
}

/// The hash a TOTP generator uses (RFC 6238 allows SHA-1, SHA-256 and SHA-512).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TotpAlgorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

/// A TOTP secret: the shared key (normalized base32: upper case, no spaces, no padding) and the generator's
/// parameters.
#[derive(Debug)]
pub struct TotpSecret {
    secret: SecretString,
    pub algorithm: TotpAlgorithm,
    pub digits: u8,
    pub period_secs: u32,
}

impl TotpSecret {
    /// Parses a base32 secret as authenticator apps show it (any case, spaces and `=` padding ignored) with the
    /// usual parameters (SHA-1, 6 digits, 30 s). Refuses anything that is not base32 or is shorter than 80 bits
    /// (RFC 4226 §4 asks for at least 128 bits and recommends 160; 80 is what many services still issue).
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let normalized: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !c.is_whitespace() && *c != '=').collect::<String>().to_uppercase());
        let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
        if normalized.len() < 16 || normalized.len() > 1024 || !normalized.chars().all(base32) {
            return Err(VaultError::InvalidTotp);
        }
        Ok(Self {
            secret: SecretString::new(normalized.to_string()),
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period_secs: 30,
        })
    }

    /// As decoded from a sealed body; [`TotpSecret::validate`] checks it.
    pub(crate) fn from_parts(secret: SecretString, algorithm: TotpAlgorithm, digits: u8, period_secs: u32) -> Self {
        Self { secret, algorithm, digits, period_secs }
    }

    /// The normalized base32 secret.
    pub fn expose_secret(&self) -> &str {
        self.secret.expose_secret()
    }

    pub(crate) fn validate(&self) -> Result<(), VaultError> {
        let again = Self::parse(self.expose_secret())?;
        if again.expose_secret() != self.expose_secret()
            || !(6..=8).contains(&self.digits)
            || !(1..=300).contains(&self.period_secs)
        {
            return Err(VaultError::InvalidTotp);
        }
        Ok(())
    }
}

/// Everything sealed for one version of one entry.
///
/// Fields are public so that services can build and edit bodies directly; [`EntryBody::validate`] is the check
/// every write runs before sealing. `fields` holds the type-specific fields by their [`FieldSpec`] names
/// (`EntryType::fields`); [`EntryBody::set_field`] stores a value with the secrecy its spec asks for.
///
/// [`FieldSpec`]: super::FieldSpec
#[derive(Debug)]
pub struct EntryBody {
    pub kind: EntryType,
    pub title: String,
    pub username: String,
    pub password: SecretString,
    pub url: String,
    pub notes: String,
    pub tags: Vec<String>,
    /// When the entry expires (the user's reminder, not the card's own expiry, which is a field).
    pub expires: Option<Timestamp>,
    pub fields: BTreeMap<String, FieldValue>,
    pub custom: Vec<CustomField>,
    pub totp: Option<TotpSecret>,
}

impl Drop for EntryBody {
    fn drop(&mut self) {
        self.title.zeroize();
        self.username.zeroize();
        self.url.zeroize();
        self.notes.zeroize();
        self.tags.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl EntryBody {
    /// An entry of `kind` with only a title.
    pub fn new(kind: EntryType, title: impl Into<String>) -> Self {
        Self {
            kind,
            title: title.into(),
            username: String::new(),
            password: SecretString::new(String::new()),
            url: String::new(),
            notes: String::new(),
            tags: Vec::new(),
            expires: None,
            fields: BTreeMap::new(),
            custom: Vec::new(),
            totp: None,
        }
    }

    /// Sets a type-specific field, secret or not as its spec says; refuses a field the type does not have.
    pub fn set_field(&mut self, name: &str, value: String) -> Result<(), VaultError> {
        let spec = self.kind.field(name).ok_or_else(|| VaultError::unknown_field(self.kind, name))?;
        let value = if spec.secret { FieldValue::Secret(SecretString::new(value)) } else { FieldValue::Text(value) };
        self.fields.insert(spec.name.to_owned(), value);
        Ok(())
    }

    /// A type-specific field's value.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields.get(name)
    }

    /// Checks the body against its type and the limits: a title; only the type's fields, each with its secrecy
    /// and format, and every required one present; bounded sizes; no control characters in single-line text.
    /// Messages name fields, never values.
    pub fn validate(&self) -> Result<(), VaultError> {
        if self.title.trim().is_empty() {
            return Err(VaultError::Invalid("the title must not be empty".to_owned()));
        }
        line("title", &self.title, MAX_TITLE)?;
        line("user name", &self.username, MAX_LINE)?;
        line("URL", &self.url, MAX_LINE)?;
        bytes("password", self.password.expose_secret(), MAX_TEXT)?;
        text("notes", &self.notes, MAX_TEXT)?;
        if self.tags.len() > MAX_TAGS {
            return Err(VaultError::Invalid(format!("an entry has at most {MAX_TAGS} tags")));
        }
        for tag in &self.tags {
            if tag.trim().is_empty() {
                return Err(VaultError::Invalid("a tag must not be empty".to_owned()));
            }
            line("a tag", tag, MAX_NAME)?;
        }
        for (name, value) in &self.fields {
            let spec = self.kind.field(name).ok_or_else(|| VaultError::unknown_field(self.kind, name))?;
            if spec.secret != value.is_secret() {
                let want = if spec.secret { "secret" } else { "plain text" };
                return Err(VaultError::Invalid(format!("the field '{}' must be {want}", spec.name)));
            }
            let v = value.expose();
            match spec.format {
                FieldFormat::Line => line(spec.name, v, MAX_LINE)?,
                FieldFormat::Multiline => text(spec.name, v, MAX_TEXT)?,
                FieldFormat::Port => {
                    if !v.is_empty() && v.parse::<u16>().map_or(true, |p| p == 0) {
                        return Err(VaultError::Invalid(format!("the field '{}' must be a port, 1–65535", spec.name)));
                    }
                }
            }
        }
        if let Some(missing) = self
            .kind
            .fields()
            .iter()
            .find(|s| s.required && self.fields.get(s.name).is_none_or(|v| v.expose().is_empty()))
        {
            return Err(VaultError::MissingField { kind: self.kind, field: missing.name });
        }
        if self.custom.len() > MAX_CUSTOM {
            return Err(VaultError::Invalid(format!("an entry has at most {MAX_CUSTOM} custom fields")));
        }
        for field in &self.custom {
            if field.name.trim().is_empty() {
                return Err(VaultError::Invalid("a custom field needs a name".to_owned()));
            }
            line("a custom field's name", &field.name, MAX_NAME)?;
            text("a custom field", field.value.expose(), MAX_TEXT)?;
        }
        if let Some(totp) = &self.totp {
            totp.validate()?;
        }
        Ok(())
    }
}

/// Single-line text: at most `max` characters, no control characters.
fn line(what: &str, s: &str, max: usize) -> Result<(), VaultError> {
    if s.chars().count() > max {
        return Err(VaultError::Invalid(format!("{what} is longer than {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(VaultError::Invalid(format!("{what} must be one line without control characters")));
    }
    Ok(())
}

/// Multi-line text: at most `max` bytes; tabs and line breaks are the only control characters.
fn text(what: &str, s: &str, max: usize) -> Result<(), VaultError> {
    bytes(what, s, max)?;
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(VaultError::Invalid(format!("{what} must not contain control characters")));
    }
    Ok(())
}

fn bytes(what: &str, s: &str, max: usize) -> Result<(), VaultError> {
    if s.len() > max {
        return Err(VaultError::Invalid(format!("{what} is longer than {max} bytes")));
    }
    Ok(())
}
