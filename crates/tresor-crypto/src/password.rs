//! Password hashing with Argon2id: parameters with an enforced floor, hashing, verification,
//! timing equalisation for unknown users, and rehash detection.
//!
//! Everything here is synchronous and deliberately slow (tens of milliseconds, ~19 MiB of
//! memory per call at the minimum). Async callers must run it in `tokio::task::spawn_blocking`.

use std::fmt;

use argon2::password_hash::phc;
use argon2::{Algorithm, Argon2, Version};

use crate::{CryptoError, SecretString, random_array};

/// Salt length in bytes (RFC 9106 §3.1 recommends 16).
pub(crate) const SALT_LEN: usize = 16;
/// Tag length in bytes (RFC 9106 §4 recommends 32 for password storage).
pub(crate) const OUTPUT_LEN: usize = 32;
/// Upper bounds on costs, enforced when configuring and when verifying. A stored hash is
/// input too: `m=4294967295` in a tampered or imported PHC string would otherwise make
/// Argon2 try to allocate 4 TiB and abort the process on the next login attempt.
pub(crate) const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
pub(crate) const MAX_ITERATIONS: u32 = 1024;

/// Argon2id cost parameters, never weaker than the OWASP Password Storage Cheat Sheet's
/// minimum (m = 19 MiB, t = 2, p = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl Argon2Params {
    /// OWASP minimum memory cost, KiB.
    pub const MIN_MEMORY_KIB: u32 = 19_456;
    /// OWASP minimum number of passes.
    pub const MIN_ITERATIONS: u32 = 2;
    const MIN_PARALLELISM: u32 = 1;

    /// Validated parameters. Also refuses absurd values (over 4 GiB or 1024 passes), which
    /// would make the server unusable rather than safer.
    ///
    /// # Errors
    /// [`CryptoError::PasswordHash`] if any value is below the OWASP minimum or outside what
    /// Argon2 accepts.
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self, CryptoError> {
        if m_kib < Self::MIN_MEMORY_KIB || t < Self::MIN_ITERATIONS || p < Self::MIN_PARALLELISM {
            return Err(CryptoError::PasswordHash(format!(
                "Argon2id parameters m={m_kib} KiB, t={t}, p={p} are below the minimum \
                 m={} KiB, t={}, p={}",
                Self::MIN_MEMORY_KIB,
                Self::MIN_ITERATIONS,
                Self::MIN_PARALLELISM
            )));
        }
        if m_kib > MAX_MEMORY_KIB || t > MAX_ITERATIONS {
            return Err(CryptoError::PasswordHash(format!(
                "Argon2id parameters m={m_kib} KiB, t={t} exceed the maximum \
                 m={MAX_MEMORY_KIB} KiB, t={MAX_ITERATIONS}"
            )));
        }
        let params = Self { m_kib, t, p };
        // Let argon2 reject what it cannot run (e.g. p above 2^24 - 1, m < 8 * p).
        params.to_argon2()?;
        Ok(params)
    }

    /// m = 19456 KiB, t = 2, p = 1.
    #[must_use]
    pub fn owasp_minimum() -> Self {
        Self { m_kib: Self::MIN_MEMORY_KIB, t: Self::MIN_ITERATIONS, p: Self::MIN_PARALLELISM }
    }

    /// Memory cost in KiB.
    #[must_use]
    pub fn memory_kib(&self) -> u32 {
        self.m_kib
    }

    /// Number of passes over memory.
    #[must_use]
    pub fn iterations(&self) -> u32 {
        self.t
    }

    /// Number of lanes.
    #[must_use]
    pub fn parallelism(&self) -> u32 {
        self.p
    }

    fn to_argon2(self) -> Result<Argon2<'static>, CryptoError> {
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(OUTPUT_LEN))
            .map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::owasp_minimum()
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
///
/// `Debug` shows only the algorithm: the salt and tag are what an offline attacker needs.
#[derive(Clone)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The PHC string, for storage.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a stored PHC string. Not validated here: [`PasswordHasher::verify`] returns
    /// `false` for anything unparseable and [`PasswordHasher::needs_rehash`] returns `true`.
    #[must_use]
    pub fn from_phc(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only a well-formed algorithm identifier is shown, so a garbage value never leaks.
        let algorithm = self
            .0
            .strip_prefix('$')
            .and_then(|rest| rest.split('$').next())
            .filter(|id| {
                !id.is_empty()
                    && id.len() <= 32
                    && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .unwrap_or("<unrecognised>");
        write!(f, "PasswordHash({algorithm}…)")
    }
}

/// Hashes and verifies passwords with fixed Argon2id parameters.
///
/// Cheap to clone; build one at startup and share it.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Argon2Params,
    /// Hash of a random, discarded password, with `params`. Verifying against it costs the same
    /// as a real verification, so "no such user" and "wrong password" take equal time.
    dummy_hash: String,
}

impl PasswordHasher {
    /// Builds a hasher and precomputes the dummy hash (one full Argon2 run).
    ///
    /// # Errors
    /// [`CryptoError::Random`] or [`CryptoError::PasswordHash`] if the dummy hash fails.
    pub fn new(params: Argon2Params) -> Result<Self, CryptoError> {
        let mut hasher = Self { params, dummy_hash: String::new() };
        let random_password: [u8; 32] = random_array()?;
        let dummy = SecretString::new(hex::encode(random_password));
        hasher.dummy_hash = hasher.hash(&dummy)?.0;
        Ok(hasher)
    }

    /// Hashes `password` with a fresh 16-byte salt, Argon2id v19 and the configured params.
    ///
    /// # Errors
    /// [`CryptoError::Random`] if no salt could be drawn, [`CryptoError::PasswordHash`] if
    /// Argon2 fails.
    pub fn hash(&self, password: &SecretString) -> Result<PasswordHash, CryptoError> {
        self.hash_with(password, &mut crate::HashMemory::new())
    }

    /// Whether `password` matches `hash`, using the algorithm and costs recorded in the hash
    /// (so hashes made under older settings still verify). The tag comparison is constant
    /// time. Any parse or Argon2 error, or costs above the configurable maximum, yield `false`.
    #[must_use]
    pub fn verify(&self, password: &SecretString, hash: &PasswordHash) -> bool {
        self.verify_with(password, hash, &mut crate::HashMemory::new())
    }

    /// Does the work of [`PasswordHasher::verify`] against the dummy hash and discards the
    /// result. Call it when the user name is unknown, so response time does not reveal which
    /// user names exist.
    pub fn verify_dummy(&self, password: &SecretString) {
        self.verify_dummy_with(password, &mut crate::HashMemory::new());
    }

    /// Whether `hash` should be replaced by a fresh [`PasswordHasher::hash`] after a
    /// successful login: unparseable, not Argon2id v19, or cheaper in memory or passes than
    /// configured, or with a short salt or tag. Parallelism is not compared: it spreads the
    /// same memory and passes over lanes and barely changes an attacker's cost per guess.
    #[must_use]
    pub fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        let Ok(parsed) = phc::PasswordHash::new(&hash.0) else {
            return true;
        };
        let Ok(params) = argon2::Params::try_from(&parsed) else {
            return true;
        };
        let is_argon2id = parsed.algorithm.as_str() == Algorithm::Argon2id.ident().as_str();
        let is_v19 = parsed.version == Some(Version::V0x13.into());
        let salt_ok = parsed.salt.is_some_and(|s| s.len() >= SALT_LEN);
        let tag_ok = parsed.hash.is_some_and(|h| h.len() >= OUTPUT_LEN);
        !(is_argon2id
            && is_v19
            && salt_ok
            && tag_ok
            && params.m_cost() >= self.params.m_kib
            && params.t_cost() >= self.params.t)
    }

    /// A buffer for Argon2's working memory, sized on first use. Keep one per concurrent hash and pass it to
    /// [`PasswordHasher::hash_with`] and [`PasswordHasher::verify_with`], so memory stays bounded by the number of
    /// buffers however many hashes run.
    #[must_use]
    pub fn new_memory(&self) -> crate::HashMemory {
        crate::HashMemory::new()
    }

    /// [`PasswordHasher::hash`] with reused memory.
    ///
    /// # Errors
    /// As [`PasswordHasher::hash`].
    pub fn hash_with(
        &self,
        password: &SecretString,
        memory: &mut crate::HashMemory,
    ) -> Result<PasswordHash, CryptoError> {
        crate::hash_memory::hash_with(&self.params, password, memory)
    }

    /// [`PasswordHasher::verify`] with reused memory.
    #[must_use]
    pub fn verify_with(&self, password: &SecretString, hash: &PasswordHash, memory: &mut crate::HashMemory) -> bool {
        crate::hash_memory::verify_with(password, &hash.0, memory)
    }

    /// [`PasswordHasher::verify_dummy`] with reused memory.
    pub fn verify_dummy_with(&self, password: &SecretString, memory: &mut crate::HashMemory) {
        let _ = std::hint::black_box(crate::hash_memory::verify_with(password, &self.dummy_hash, memory));
    }

    /// The configured parameters.
    #[must_use]
    pub fn params(&self) -> &Argon2Params {
        &self.params
    }
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher").field("params", &self.params).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    /// A correct hash whose pass count is over the cap must not verify: the cap, not a parse
    /// failure, is what rejects it. (Tiny memory keeps the uncapped computation fast.)
    #[test]
    fn verify_refuses_costs_above_the_cap() -> Result<(), CryptoError> {
        let params = argon2::Params::new(8, MAX_ITERATIONS + 1, 1, Some(OUTPUT_LEN))
            .map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let over_cap = argon
            .hash_password_with_salt(b"pw", &[9; SALT_LEN])
            .map_err(|e| CryptoError::PasswordHash(e.to_string()))?
            .to_string();
        let pw = SecretString::new("pw".to_owned());
        assert!(argon.verify_password(b"pw", over_cap.as_str()).is_ok());
        assert!(!crate::hash_memory::verify_with(&pw, &over_cap, &mut crate::HashMemory::new()));
        Ok(())
    }
}
