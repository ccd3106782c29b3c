//! Argon2's working memory as a reusable buffer, wiped after every use and on drop.
//!
//! Why not let argon2 allocate: glibc serves a 19 MiB request with its own mapping, and when that mapping is freed
//! it raises its mmap threshold to 19 MiB; from then on such blocks come from per-thread arenas and are kept after
//! they are freed, so a server's memory grows with every thread that ever hashed a password. A [`HashMemory`]
//! reserves more than glibc's largest threshold (32 MiB), so it is always a mapping of its own that goes back to
//! the system when dropped and never moves the threshold; only the part Argon2 uses is ever touched.

use argon2::password_hash::phc;
use argon2::{Algorithm, Argon2, Block, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use zeroize::{Zeroize, Zeroizing};

use crate::password::{MAX_ITERATIONS, MAX_MEMORY_KIB, OUTPUT_LEN, SALT_LEN};
use crate::{Argon2Params, CryptoError, PasswordHash, SecretString, constant_time_eq, random_array};

/// Reserved blocks: more than glibc's largest dynamic mmap threshold (32 MiB), so the buffer is its own mapping.
const OWN_MAPPING_BLOCKS: usize = (33 * 1024 * 1024) / Block::SIZE;

/// Argon2 memory blocks, reused between hashes. Obtain one per concurrent hash from
/// [`crate::PasswordHasher::new_memory`].
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    /// An empty buffer; it grows to the size a hash needs on first use.
    #[must_use]
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The bytes currently held.
    #[must_use]
    pub fn capacity_bytes(&self) -> usize {
        self.0.len() * Block::SIZE
    }

    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            if self.0.capacity() < count {
                self.0.reserve_exact(count.max(OWN_MAPPING_BLOCKS) - self.0.len());
            }
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }

    fn wipe(&mut self) {
        for b in &mut self.0 {
            b.zeroize();
        }
    }
}

impl Default for HashMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for HashMemory {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl std::fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HashMemory({} KiB)", self.capacity_bytes() / 1024)
    }
}

/// Hashes `password` with a fresh salt into a PHC string, using `memory` for Argon2's blocks.
pub(crate) fn hash_with(
    params: &Argon2Params,
    password: &SecretString,
    memory: &mut HashMemory,
) -> Result<PasswordHash, CryptoError> {
    let salt: [u8; SALT_LEN] = random_array()?;
    let p = argon2::Params::new(params.memory_kib(), params.iterations(), params.parallelism(), Some(OUTPUT_LEN))
        .map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p.clone());
    let mut out = Zeroizing::new([0u8; OUTPUT_LEN]);
    let result = argon.hash_password_into_with_memory(
        password.expose_secret().as_bytes(),
        &salt,
        out.as_mut_slice(),
        memory.blocks(p.block_count()),
    );
    memory.wipe();
    result.map_err(|e| CryptoError::PasswordHash(e.to_string()))?;
    Ok(PasswordHash::from_phc(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_kib(),
        params.iterations(),
        params.parallelism(),
        B64.encode(salt),
        B64.encode(out.as_slice())
    )))
}

/// Verifies `password` against a PHC string with the costs recorded in it, using `memory` for Argon2's blocks.
/// False for anything unparseable or above the cost caps. The tag comparison is constant time.
pub(crate) fn verify_with(password: &SecretString, phc_string: &str, memory: &mut HashMemory) -> bool {
    let Ok(parsed) = phc::PasswordHash::new(phc_string) else { return false };
    let Ok(params) = argon2::Params::try_from(&parsed) else { return false };
    if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_ITERATIONS {
        return false;
    }
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let version = match parsed.version.map(Version::try_from) {
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
        None => Version::V0x10,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let Ok(params) = argon2::Params::new(params.m_cost(), params.t_cost(), params.p_cost(), Some(expected.len()))
    else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    let computed = argon.hash_password_into_with_memory(
        password.expose_secret().as_bytes(),
        salt.as_ref(),
        &mut out,
        memory.blocks(params.block_count()),
    );
    memory.wipe();
    computed.is_ok() && constant_time_eq(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PasswordHasher;

    fn pw(s: &str) -> SecretString {
        SecretString::new(s.to_owned())
    }

    #[test]
    fn reused_memory_agrees_with_the_allocating_hasher() -> Result<(), CryptoError> {
        let hasher = PasswordHasher::new(Argon2Params::owasp_minimum())?;
        let mut memory = hasher.new_memory();
        // Hashed with reused memory, verified by the reference implementation, and the other way round.
        let a = hasher.hash_with(&pw("correct horse"), &mut memory)?;
        assert!(a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", a.as_str());
        assert!(hasher.verify(&pw("correct horse"), &a));
        let b = hasher.hash(&pw("battery staple"))?;
        assert!(hasher.verify_with(&pw("battery staple"), &b, &mut memory));
        assert!(!hasher.verify_with(&pw("battery stapler"), &b, &mut memory));
        assert!(!hasher.verify_with(&pw("battery staple"), &PasswordHash::from_phc("$argon2id$x".into()), &mut memory));
        assert_eq!(memory.capacity_bytes(), 19_456 * 1024, "the buffer is sized once and kept");
        Ok(())
    }

    #[test]
    fn the_buffer_is_wiped_after_use() -> Result<(), CryptoError> {
        let hasher = PasswordHasher::new(Argon2Params::owasp_minimum())?;
        let mut memory = hasher.new_memory();
        hasher.hash_with(&pw("secret"), &mut memory)?;
        assert!(memory.0.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)));
        Ok(())
    }
}
