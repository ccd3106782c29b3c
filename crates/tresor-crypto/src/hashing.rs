//! Digests and constant-time comparison: the two primitives for tokens and integrity checks.

/// SHA-256 of `data`.
#[must_use]
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Compares two byte strings in time that depends only on their lengths, not their contents.
///
/// Use for tokens, MACs and anything else an attacker could probe byte by byte.
/// Lengths are not treated as secret: unequal lengths return `false` at once.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}
