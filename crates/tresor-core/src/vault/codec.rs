//! The plaintext format of a sealed entry body: a small, versioned, length-prefixed binary encoding.
//!
//! Format 1 (all integers big-endian; `str` is a `u32` byte length and UTF-8; `n` is a `u16` count):
//!
//! ```text
//! 0x01 kind:u8
//! title:str username:str password:str url:str notes:str
//! n × tag:str
//! 0x00 | 0x01 expires:i64
//! n × (name:str secret:u8 value:str)          type-specific fields, sorted by name
//! n × (name:str hidden:u8 value:str)          custom fields, in the user's order
//! 0x00 | 0x01 (secret:str algorithm:u8 digits:u8 period:u32)
//! ```
//!
//! Decoding checks structure only (lengths, UTF-8, flags, known codes, no trailing bytes); whether the fields
//! suit the type is [`EntryBody::validate`]'s business, so that a later change of the field lists never makes a
//! stored entry unreadable. The encoder writes into one buffer sized in advance, so no partial copy of the
//! plaintext is left behind by a reallocation; the buffer is zeroized on drop.

use std::collections::BTreeMap;

use tresor_crypto::SecretString;
use zeroize::Zeroizing;

use super::VaultError;
use super::body::{CustomField, EntryBody, FieldValue, TotpAlgorithm, TotpSecret};
use super::entry_type::EntryType;
use crate::clock::Timestamp;

/// The first byte of every encoded body.
pub const FORMAT_VERSION: u8 = 1;

/// Encodes a body. Fails only when a count or length does not fit its prefix, which [`EntryBody::validate`]
/// rules out long before.
pub fn encode(body: &EntryBody) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut w = Writer { out: Zeroizing::new(Vec::with_capacity(encoded_len(body))) };
    w.u8(FORMAT_VERSION);
    w.u8(body.kind.code());
    for s in [body.title.as_str(), body.username.as_str(), body.password.expose_secret(), &body.url, &body.notes] {
        w.str(s)?;
    }
    w.count(body.tags.len())?;
    for tag in &body.tags {
        w.str(tag)?;
    }
    match body.expires {
        None => w.u8(0),
        Some(t) => {
            w.u8(1);
            w.out.extend_from_slice(&t.as_millis().to_be_bytes());
        }
    }
    w.count(body.fields.len())?;
    for (name, value) in &body.fields {
        w.field(name, value)?;
    }
    w.count(body.custom.len())?;
    for field in &body.custom {
        w.field(&field.name, &field.value)?;
    }
    match &body.totp {
        None => w.u8(0),
        Some(totp) => {
            w.u8(1);
            w.str(totp.expose_secret())?;
            w.u8(algorithm_code(totp.algorithm));
            w.u8(totp.digits);
            w.out.extend_from_slice(&totp.period_secs.to_be_bytes());
        }
    }
    Ok(w.out)
}

/// Decodes what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<EntryBody, VaultError> {
    let mut r = Reader { rest: bytes };
    if r.u8()? != FORMAT_VERSION {
        return Err(VaultError::Malformed("unknown body format version"));
    }
    let kind = EntryType::from_code(r.u8()?).ok_or(VaultError::Malformed("unknown entry type"))?;
    let mut body = EntryBody::new(kind, r.string()?);
    body.username = r.string()?;
    body.password = SecretString::new(r.string()?);
    body.url = r.string()?;
    body.notes = r.string()?;
    for _ in 0..r.count()? {
        body.tags.push(r.string()?);
    }
    body.expires = match r.u8()? {
        0 => None,
        1 => Some(Timestamp::from_millis(i64::from_be_bytes(r.array()?))),
        _ => return Err(VaultError::Malformed("bad flag")),
    };
    let mut fields = BTreeMap::new();
    for _ in 0..r.count()? {
        let (name, value) = r.field()?;
        if fields.insert(name, value).is_some() {
            return Err(VaultError::Malformed("a field appears twice"));
        }
    }
    body.fields = fields;
    for _ in 0..r.count()? {
        let (name, value) = r.field()?;
        body.custom.push(CustomField { name, value });
    }
    body.totp = match r.u8()? {
        0 => None,
        1 => {
            let secret = SecretString::new(r.string()?);
            let algorithm = match r.u8()? {
                1 => TotpAlgorithm::Sha1,
                2 => TotpAlgorithm::Sha256,
                3 => TotpAlgorithm::Sha512,
                _ => return Err(VaultError::Malformed("unknown TOTP algorithm")),
            };
            let digits = r.u8()?;
            let period_secs = u32::from_be_bytes(r.array()?);
            Some(TotpSecret::from_parts(secret, algorithm, digits, period_secs))
        }
        _ => return Err(VaultError::Malformed("bad flag")),
    };
    if !r.rest.is_empty() {
        return Err(VaultError::Malformed("trailing bytes"));
    }
    Ok(body)
}

fn algorithm_code(a: TotpAlgorithm) -> u8 {
    match a {
        TotpAlgorithm::Sha1 => 1,
        TotpAlgorithm::Sha256 => 2,
        TotpAlgorithm::Sha512 => 3,
    }
}

/// The exact length [`encode`] produces.
fn encoded_len(body: &EntryBody) -> usize {
    let s = |x: &str| 4 + x.len();
    let f = |name: &str, value: &FieldValue| s(name) + 1 + s(value.expose());
    2 + s(&body.title)
        + s(&body.username)
        + s(body.password.expose_secret())
        + s(&body.url)
        + s(&body.notes)
        + 2
        + body.tags.iter().map(|t| s(t)).sum::<usize>()
        + 1
        + body.expires.map_or(0, |_| 8)
        + 2
        + body.fields.iter().map(|(n, v)| f(n, v)).sum::<usize>()
        + 2
        + body.custom.iter().map(|c| f(&c.name, &c.value)).sum::<usize>()
        + 1
        + body.totp.as_ref().map_or(0, |t| s(t.expose_secret()) + 1 + 1 + 4)
}

struct Writer {
    out: Zeroizing<Vec<u8>>,
}

impl Writer {
    fn u8(&mut self, b: u8) {
        self.out.push(b);
    }
    fn count(&mut self, n: usize) -> Result<(), VaultError> {
        let n = u16::try_from(n).map_err(|_| VaultError::Invalid("too many items in an entry".to_owned()))?;
        self.out.extend_from_slice(&n.to_be_bytes());
        Ok(())
    }
    fn str(&mut self, s: &str) -> Result<(), VaultError> {
        let n = u32::try_from(s.len()).map_err(|_| VaultError::Invalid("a value is too long".to_owned()))?;
        self.out.extend_from_slice(&n.to_be_bytes());
        self.out.extend_from_slice(s.as_bytes());
        Ok(())
    }
    fn field(&mut self, name: &str, value: &FieldValue) -> Result<(), VaultError> {
        self.str(name)?;
        self.u8(u8::from(value.is_secret()));
        self.str(value.expose())
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], VaultError> {
        if n > self.rest.len() {
            return Err(VaultError::Malformed("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], VaultError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, VaultError> {
        Ok(self.array::<1>()?[0])
    }
    fn count(&mut self) -> Result<u16, VaultError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn string(&mut self) -> Result<String, VaultError> {
        let n = usize::try_from(u32::from_be_bytes(self.array()?)).map_err(|_| VaultError::Malformed("truncated"))?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| VaultError::Malformed("text is not UTF-8"))
    }
    fn field(&mut self) -> Result<(String, FieldValue), VaultError> {
        let name = self.string()?;
        let secret = match self.u8()? {
            0 => false,
            1 => true,
            _ => return Err(VaultError::Malformed("bad flag")),
        };
        let value = self.string()?;
        Ok((name, if secret { FieldValue::Secret(SecretString::new(value)) } else { FieldValue::Text(value) }))
    }
}
