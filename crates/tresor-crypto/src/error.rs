//! The crate's one error type, `CryptoError`; no variant ever carries secret material.

/// Everything that can go wrong in `tresor-crypto`.
///
/// Messages are safe to log: they never contain keys, plaintexts, passwords or the
/// input that failed to parse.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The ciphertext is too short or otherwise not in the envelope format.
    #[error("ciphertext is malformed")]
    Malformed,
    /// The ciphertext header names a format version this build does not know.
    #[error("unsupported ciphertext version {0}")]
    UnsupportedVersion(u8),
    /// The ciphertext header names an algorithm this build does not know.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(u8),
    /// Authentication failed. Deliberately does not say which of the causes it was.
    #[error("decryption failed: wrong key, wrong context, or tampered data")]
    Decrypt,
    /// The AEAD refused to encrypt (should not happen with a valid key).
    #[error("encryption failed")]
    Encrypt,
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// Argon2 failed or was given unacceptable parameters. Never includes the password.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    /// Key bytes, key encoding or key file are not acceptable. Never echoes the input.
    #[error("invalid key material")]
    InvalidKey,
    /// A parameter is out of range (never a secret value).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
}
