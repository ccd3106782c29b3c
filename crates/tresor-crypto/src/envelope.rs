//! The versioned AEAD ciphertext format: the only shape in which Tresor stores encrypted bytes.
//!
//! # Format (version 1)
//!
//! ```text
//! offset  size  field
//! 0       1     version      = 1 (CIPHERTEXT_VERSION)
//! 1       1     algorithm    = 1 (AES-256-GCM)
//! 2       4     key_version  u32 big-endian, 0 until key rotation exists
//! 6       12    nonce        fresh from the system CSPRNG for every seal
//! 18      n+16  ciphertext || 16-byte GCM tag
//! ```
//!
//! The AEAD associated data is the 6 header bytes followed by the caller's `aad`. Binding the
//! header means a flipped version, algorithm or key-version byte fails authentication rather
//! than steering the decoder; the header has a fixed length, so header-plus-aad is unambiguous.
//!
//! Random 96-bit nonces are safe for up to about 2^32 messages per key (NIST SP 800-38D §8.3);
//! Tresor's data keys stay far below that.
//!
//! Callers choose `aad` to bind a ciphertext to its place (table, row id, field), so a
//! ciphertext copied to another row fails to open. The prefix `tresor:data-key:` is reserved
//! for [`MasterKey::wrap_data_key`](crate::MasterKey::wrap_data_key).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, Key256, random_array};

/// Format version written by [`seal`] and the only one [`open`] accepts.
pub const CIPHERTEXT_VERSION: u8 = 1;
/// Algorithm byte for AES-256-GCM.
pub const ALGORITHM_AES_256_GCM: u8 = 1;
/// Key version written into new ciphertexts; reserved for key rotation.
const CURRENT_KEY_VERSION: u32 = 0;

const HEADER_LEN: usize = 6;
const TAG_LEN: usize = 16;

/// Bytes a ciphertext adds to its plaintext: header, nonce and tag.
pub const CIPHERTEXT_OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

/// Encrypts `plaintext` under `key`, binding it to `aad`.
///
/// # Errors
/// [`CryptoError::Random`] if no nonce could be drawn, [`CryptoError::Encrypt`] if the AEAD fails.
pub fn seal(key: &Key256, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let aead = aead_key(key)?;
    let nonce: [u8; NONCE_LEN] = random_array()?;
    let header = header(CURRENT_KEY_VERSION);

    // Exact capacity: a reallocation would leave a plaintext copy behind in freed memory.
    let mut out = Vec::with_capacity(CIPHERTEXT_OVERHEAD + plaintext.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);

    let body_start = HEADER_LEN + NONCE_LEN;
    let sealed = match out.get_mut(body_start..) {
        Some(body) => aead.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(associated_data(&header, aad)),
            body,
        ),
        None => {
            out.zeroize();
            return Err(CryptoError::Encrypt);
        }
    };
    match sealed {
        Ok(tag) => {
            out.extend_from_slice(tag.as_ref());
            Ok(out)
        }
        Err(_) => {
            // On failure the buffer may still hold plaintext.
            out.zeroize();
            Err(CryptoError::Encrypt)
        }
    }
}

/// Decrypts a ciphertext produced by [`seal`] with the same `key` and `aad`.
///
/// # Errors
/// [`CryptoError::UnsupportedVersion`] / [`CryptoError::UnsupportedAlgorithm`] for headers this
/// build does not know, [`CryptoError::Malformed`] for truncated input, and
/// [`CryptoError::Decrypt`] for a wrong key, wrong `aad` or any tampering.
pub fn open(key: &Key256, aad: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    // Version first: a future format may have a different length or layout.
    let version = *ciphertext.first().ok_or(CryptoError::Malformed)?;
    if version != CIPHERTEXT_VERSION {
        return Err(CryptoError::UnsupportedVersion(version));
    }
    let algorithm = *ciphertext.get(1).ok_or(CryptoError::Malformed)?;
    if algorithm != ALGORITHM_AES_256_GCM {
        return Err(CryptoError::UnsupportedAlgorithm(algorithm));
    }
    if ciphertext.len() < CIPHERTEXT_OVERHEAD {
        return Err(CryptoError::Malformed);
    }

    let (header, rest) = ciphertext.split_at_checked(HEADER_LEN).ok_or(CryptoError::Malformed)?;
    let (nonce, sealed) = rest.split_at_checked(NONCE_LEN).ok_or(CryptoError::Malformed)?;
    let (body, tag) = sealed.split_at_checked(sealed.len() - TAG_LEN).ok_or(CryptoError::Malformed)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Malformed)?;

    let aead = aead_key(key)?;
    let mut plaintext = Zeroizing::new(vec![0u8; body.len()]);
    aead.open_separate_gather(nonce, Aad::from(associated_data(header, aad)), body, tag, &mut plaintext)
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(plaintext)
}

fn header(key_version: u32) -> [u8; HEADER_LEN] {
    let kv = key_version.to_be_bytes();
    [CIPHERTEXT_VERSION, ALGORITHM_AES_256_GCM, kv[0], kv[1], kv[2], kv[3]]
}

fn associated_data(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + aad.len());
    out.extend_from_slice(header);
    out.extend_from_slice(aad);
    out
}

fn aead_key(key: &Key256) -> Result<LessSafeKey, CryptoError> {
    let unbound = UnboundKey::new(&AES_256_GCM, key.expose_secret()).map_err(|_| CryptoError::InvalidKey)?;
    Ok(LessSafeKey::new(unbound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_documented_format() -> Result<(), CryptoError> {
        let key = Key256::from_bytes([7; 32]);
        let ct = seal(&key, b"ctx", b"hello")?;
        assert_eq!(ct.len(), CIPHERTEXT_OVERHEAD + 5);
        assert_eq!(ct.get(..HEADER_LEN), Some(&[1u8, 1, 0, 0, 0, 0][..]));
        Ok(())
    }

    #[test]
    fn nonces_differ_between_seals() -> Result<(), CryptoError> {
        let key = Key256::from_bytes([7; 32]);
        let a = seal(&key, b"", b"same")?;
        let b = seal(&key, b"", b"same")?;
        assert_ne!(a, b);
        Ok(())
    }
}
