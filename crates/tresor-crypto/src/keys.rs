//! Symmetric key types: `Key256` material, the server's `MasterKey`, and per-database `DataKey`s.
//!
//! Envelope encryption: the master key (held in a file outside the database) only wraps data
//! keys; data keys encrypt vault contents. Rotating or moving the master key then means
//! re-wrapping one small blob per database rather than re-encrypting every entry.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{CryptoError, envelope, random_array};

/// First line of a master key file; the version lets the format change without guessing.
const MASTER_KEY_FILE_HEADER: &str = "tresor-master-key v1";
/// AAD prefix for wrapped data keys, so a wrapped key only unwraps for its own database.
const DATA_KEY_AAD_PREFIX: &[u8] = b"tresor:data-key:";

/// 256 bits of secret key material, wiped on drop.
///
/// Deliberately not `Clone`, `Display` or `Serialize`: copies of key material should be rare
/// and visible.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Key256([u8; 32]);

impl Key256 {
    /// A fresh key from the system CSPRNG.
    ///
    /// # Errors
    /// [`CryptoError::Random`] if the generator fails.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(random_array()?))
    }

    /// Wraps existing key bytes. The caller should wipe its own copy of `b`.
    #[must_use]
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// The raw key bytes.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// Standard base64 with padding (44 characters), in a buffer wiped on drop.
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.0))
    }

    /// Parses the output of [`Key256::to_base64`].
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] if `s` is not base64 of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let decoded = Zeroizing::new(BASE64.decode(s.as_bytes()).map_err(|_| CryptoError::InvalidKey)?);
        let mut bytes = [0u8; 32];
        if decoded.len() != bytes.len() {
            return Err(CryptoError::InvalidKey);
        }
        bytes.copy_from_slice(&decoded);
        let key = Self(bytes);
        bytes.zeroize();
        Ok(key)
    }
}

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key256(<redacted>)")
    }
}

/// The server's key-encryption key. Loaded from a file; wraps [`DataKey`]s.
pub struct MasterKey(Key256);

impl MasterKey {
    /// A fresh master key from the system CSPRNG.
    ///
    /// # Errors
    /// [`CryptoError::Random`] if the generator fails.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Key256::generate()?))
    }

    /// Uses `k` as the master key.
    #[must_use]
    pub fn from_key(k: Key256) -> Self {
        Self(k)
    }

    /// The key file format: `"tresor-master-key v1\n<base64>\n"`.
    #[must_use]
    pub fn to_file_contents(&self) -> Zeroizing<String> {
        let encoded = self.0.to_base64();
        let mut out = String::with_capacity(MASTER_KEY_FILE_HEADER.len() + encoded.len() + 2);
        out.push_str(MASTER_KEY_FILE_HEADER);
        out.push('\n');
        out.push_str(&encoded);
        out.push('\n');
        Zeroizing::new(out)
    }

    /// Parses [`MasterKey::to_file_contents`] output, tolerating surrounding whitespace and
    /// CRLF line endings (files edited on Windows or by hand).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKey`] for anything else; the error never contains the input.
    pub fn from_file_contents(s: &str) -> Result<Self, CryptoError> {
        let mut lines = s.trim().lines().map(str::trim);
        if lines.next() != Some(MASTER_KEY_FILE_HEADER) {
            return Err(CryptoError::InvalidKey);
        }
        let encoded = lines.next().ok_or(CryptoError::InvalidKey)?;
        if lines.next().is_some() {
            return Err(CryptoError::InvalidKey);
        }
        Ok(Self(Key256::from_base64(encoded)?))
    }

    /// Encrypts a data key for storage next to the database it belongs to.
    ///
    /// # Errors
    /// As [`envelope::seal`].
    pub fn wrap_data_key(&self, dk: &DataKey, database_id: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let aad = data_key_aad(database_id);
        envelope::seal(&self.0, &aad, dk.0.expose_secret())
    }

    /// Recovers a data key wrapped by [`MasterKey::wrap_data_key`] for the same `database_id`.
    ///
    /// # Errors
    /// As [`envelope::open`]; [`CryptoError::InvalidKey`] if the plaintext is not 32 bytes.
    pub fn unwrap_data_key(&self, wrapped: &[u8], database_id: &[u8]) -> Result<DataKey, CryptoError> {
        let aad = data_key_aad(database_id);
        let plaintext = envelope::open(&self.0, &aad, wrapped)?;
        let mut bytes = [0u8; 32];
        if plaintext.len() != bytes.len() {
            return Err(CryptoError::InvalidKey);
        }
        bytes.copy_from_slice(&plaintext);
        let key = Key256::from_bytes(bytes);
        bytes.zeroize();
        Ok(DataKey(key))
    }

    /// Encrypts small server secrets directly under the master key (see [`envelope::seal`]).
    ///
    /// # Errors
    /// As [`envelope::seal`].
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        envelope::seal(&self.0, aad, plaintext)
    }

    /// Decrypts what [`MasterKey::seal`] produced with the same `aad`.
    ///
    /// # Errors
    /// As [`envelope::open`].
    pub fn open(&self, aad: &[u8], ct: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        envelope::open(&self.0, aad, ct)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// A data-encryption key: encrypts one database's contents; stored only wrapped by the
/// [`MasterKey`].
pub struct DataKey(Key256);

impl DataKey {
    /// A fresh data key from the system CSPRNG.
    ///
    /// # Errors
    /// [`CryptoError::Random`] if the generator fails.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Key256::generate()?))
    }

    /// Uses `k` as a data key (tests, and importing a key recovered elsewhere).
    #[must_use]
    pub fn from_key(k: Key256) -> Self {
        Self(k)
    }

    /// Encrypts `plaintext` bound to `aad` (see [`envelope::seal`]).
    ///
    /// # Errors
    /// As [`envelope::seal`].
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        envelope::seal(&self.0, aad, plaintext)
    }

    /// Decrypts what [`DataKey::seal`] produced with the same `aad`.
    ///
    /// # Errors
    /// As [`envelope::open`].
    pub fn open(&self, aad: &[u8], ct: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        envelope::open(&self.0, aad, ct)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

fn data_key_aad(database_id: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(DATA_KEY_AAD_PREFIX.len() + database_id.len());
    aad.extend_from_slice(DATA_KEY_AAD_PREFIX);
    aad.extend_from_slice(database_id);
    aad
}
