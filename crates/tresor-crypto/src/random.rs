//! Cryptographically secure randomness from the operating system, via aws-lc-rs.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::CryptoError;

/// Fills `buf` with bytes from the system CSPRNG.
///
/// # Errors
/// [`CryptoError::Random`] if the operating system's generator fails.
pub fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new().fill(buf).map_err(|_| CryptoError::Random)
}

/// Returns `N` bytes from the system CSPRNG.
///
/// # Errors
/// [`CryptoError::Random`] if the operating system's generator fails.
pub fn random_array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}
