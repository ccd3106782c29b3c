//! One-time passwords (RFC 4226 HOTP, RFC 6238 TOTP) from a base32 shared secret, with HMAC from aws-lc-rs.
//!
//! Only code generation lives here; which secret and which instant are the caller's business.

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::CryptoError;

/// The HMAC a generator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpHash {
    Sha1,
    Sha256,
    Sha512,
}

/// Decodes RFC 4648 base32 (upper case, no padding, no spaces: normalize first). `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let (mut buffer, mut bits) = (0u64, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u64::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Encodes RFC 4648 base32, upper case without padding: the form authenticator apps take a secret in.
pub fn base32_encode(bytes: &[u8]) -> Zeroizing<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(5) * 8));
    let (mut buffer, mut bits) = (0u64, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u64::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 0x1f) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    out
}

/// The HOTP value of `counter` (RFC 4226 §5.3), as a zero-padded string of `digits` (6 to 9) digits.
pub fn hotp(key: &[u8], counter: u64, digits: u32, hash: OtpHash) -> Result<Zeroizing<String>, CryptoError> {
    if !(6..=9).contains(&digits) {
        return Err(CryptoError::InvalidInput("a one-time password has 6 to 9 digits"));
    }
    let algorithm = match hash {
        OtpHash::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        OtpHash::Sha256 => hmac::HMAC_SHA256,
        OtpHash::Sha512 => hmac::HMAC_SHA512,
    };
    let tag = hmac::sign(&hmac::Key::new(algorithm, key), &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    let code = u64::from(truncated) % 10u64.pow(digits);
    Ok(Zeroizing::new(format!("{code:0width$}", width = digits as usize)))
}

/// The TOTP value at `unix_secs` for a time step of `period` seconds (RFC 6238 §4), with the seconds left
/// until the next step.
pub fn totp(
    key: &[u8],
    unix_secs: u64,
    period: u32,
    digits: u32,
    hash: OtpHash,
) -> Result<(Zeroizing<String>, u32), CryptoError> {
    if period == 0 {
        return Err(CryptoError::InvalidInput("a time step of zero seconds"));
    }
    let step = u64::from(period);
    let remaining = (step - unix_secs % step) as u32;
    Ok((hotp(key, unix_secs / step, digits, hash)?, remaining))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests: a failed expectation is a panic.
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips_and_matches_rfc4648() {
        // RFC 4648 §10, without padding.
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()).as_str(), encoded);
            assert_eq!(base32_decode(encoded).unwrap().as_slice(), plain.as_bytes());
        }
    }

    // RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the hash's length.
    const SHA1_SEED: &[u8] = b"12345678901234567890";
    const SHA256_SEED: &[u8] = b"12345678901234567890123456789012";
    const SHA512_SEED: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    #[test]
    fn rfc6238_test_vectors() {
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (t, sha1, sha256, sha512) in cases {
            assert_eq!(totp(SHA1_SEED, t, 30, 8, OtpHash::Sha1).unwrap().0.as_str(), sha1, "t={t}");
            assert_eq!(totp(SHA256_SEED, t, 30, 8, OtpHash::Sha256).unwrap().0.as_str(), sha256, "t={t}");
            assert_eq!(totp(SHA512_SEED, t, 30, 8, OtpHash::Sha512).unwrap().0.as_str(), sha512, "t={t}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(SHA1_SEED, counter as u64, 6, OtpHash::Sha1).unwrap().as_str(), *code);
        }
    }

    #[test]
    fn base32_round_trips_the_rfc4648_vectors() {
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap().as_slice(), b"foobar");
        assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap().as_slice(), SHA1_SEED);
        assert!(base32_decode("MZXW6YTBO1").is_none());
        assert!(base32_decode("mzxw").is_none());
    }

    #[test]
    fn remaining_seconds_count_down_within_a_step() {
        assert_eq!(totp(SHA1_SEED, 60, 30, 6, OtpHash::Sha1).unwrap().1, 30);
        assert_eq!(totp(SHA1_SEED, 89, 30, 6, OtpHash::Sha1).unwrap().1, 1);
        assert!(totp(SHA1_SEED, 89, 0, 6, OtpHash::Sha1).is_err());
        assert!(hotp(SHA1_SEED, 0, 5, OtpHash::Sha1).is_err());
    }
}
