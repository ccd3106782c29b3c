//! tresor-crypto: every cryptographic primitive Tresor uses, behind a small, misuse-resistant API.
//!
//! - [`envelope`]: the versioned AES-256-GCM ciphertext format.
//! - [`keys`]: [`Key256`], the file-held [`MasterKey`] and the per-database [`DataKey`] it wraps.
//! - [`password`]: Argon2id hashing with an enforced OWASP floor.
//! - [`secret`]: [`SecretString`] for passwords in transit through the program.
//! - [`random`], [`hashing`]: CSPRNG, SHA-256, constant-time comparison.
//! - [`totp`]: HOTP/TOTP codes (RFC 4226, RFC 6238) and base32.
//!
//! All functions are synchronous. Password hashing takes tens of milliseconds and ~19 MiB of
//! memory per call; async callers run it (and bulk encryption) in
//! `tokio::task::spawn_blocking`.
//!
//! Architecture invariant: no other Tresor crate names `aws_lc_rs` or `argon2`; swapping a
//! primitive is a change to this crate alone.

pub mod envelope;
pub mod error;
pub mod hash_memory;
pub mod hashing;
pub mod keys;
pub mod password;
pub mod random;
pub mod secret;
pub mod totp;

pub use envelope::{ALGORITHM_AES_256_GCM, CIPHERTEXT_OVERHEAD, CIPHERTEXT_VERSION, open, seal};
pub use error::CryptoError;
pub use hash_memory::HashMemory;
pub use hashing::{constant_time_eq, sha256};
pub use keys::{DataKey, Key256, MasterKey};
pub use password::{Argon2Params, PasswordHash, PasswordHasher};
pub use random::{fill_random, random_array};
pub use secret::SecretString;
