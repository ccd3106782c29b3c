//! The secrets of the second factor: authenticator secrets and their codes, recovery codes, e-mail codes, and the
//! tokens that name a pending challenge or a trusted device. Only hashes of codes and tokens are stored.

use tresor_crypto::totp::{OtpHash, base32_encode, hotp};
use tresor_crypto::{SecretString, constant_time_eq, random_array, sha256};
use zeroize::Zeroizing;

use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::vault::generator::random_chars;

/// RFC 6238 parameters every authenticator app understands.
pub const TOTP_PERIOD_SECS: i64 = 30;
pub const TOTP_DIGITS: u32 = 6;
/// The secret's size: 160 bits, as RFC 4226 recommends for HMAC-SHA1.
pub const TOTP_SECRET_BYTES: usize = 20;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes one challenge accepts before it is dropped.
pub const MAX_CHALLENGE_ATTEMPTS: u32 = 5;

const CHALLENGE_PREFIX: &str = "tresor_ch_";
const DEVICE_PREFIX: &str = "tresor_dt_";
/// Recovery codes avoid letters and digits that read alike.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// What a user typed as the second factor. Its `Debug` shows the form, not the code.
#[derive(PartialEq, Eq)]
pub enum CodeInput {
    /// Six digits: an authenticator's or an e-mailed code.
    Digits(Zeroizing<String>),
    /// A recovery code, normalised.
    Recovery(Zeroizing<String>),
}

impl std::fmt::Debug for CodeInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CodeInput::Digits(_) => "Digits(<redacted>)",
            CodeInput::Recovery(_) => "Recovery(<redacted>)",
        })
    }
}

/// Reads a code; spaces and dashes a user may type are ignored. `None` when it is neither form.
pub fn parse_code(raw: &str) -> Option<CodeInput> {
    let cleaned: Zeroizing<String> =
        Zeroizing::new(raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase());
    if cleaned.len() == TOTP_DIGITS as usize && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Some(CodeInput::Digits(cleaned));
    }
    if cleaned.len() == 10 && cleaned.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return Some(CodeInput::Recovery(cleaned));
    }
    None
}

/// A new authenticator secret.
pub fn new_totp_secret() -> Result<Zeroizing<Vec<u8>>, CoreError> {
    Ok(Zeroizing::new(random_array::<TOTP_SECRET_BYTES>()?.to_vec()))
}

/// The time step `now` falls in.
pub fn totp_step(now: Timestamp) -> i64 {
    now.as_millis().div_euclid(1000).div_euclid(TOTP_PERIOD_SECS)
}

/// The step whose code `code` is, looking one step either side of `now` for clock drift; `None` if none matches.
pub fn match_totp(secret: &[u8], code: &str, now: Timestamp) -> Result<Option<i64>, CoreError> {
    let current = totp_step(now);
    let mut found = None;
    // Every candidate is computed and compared, so the time taken does not say which step matched.
    for step in [current - 1, current, current + 1] {
        let Ok(counter) = u64::try_from(step) else { continue };
        let expected = hotp(secret, counter, TOTP_DIGITS, OtpHash::Sha1)?;
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    Ok(found)
}

/// The `otpauth://` URI an authenticator app reads (from a QR code or pasted), and the secret in base32 for typing.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> (SecretString, SecretString) {
    let b32 = base32_encode(secret);
    let label = format!("{}:{}", percent(issuer), percent(account));
    let uri = format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_PERIOD_SECS}",
        b32.as_str(),
        percent(issuer)
    );
    (SecretString::new(uri), SecretString::new(b32.as_str().to_owned()))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// New recovery codes, shown once as `xxxxx-xxxxx`, and their stored hashes.
pub fn new_recovery_codes() -> Result<(Vec<SecretString>, Vec<[u8; 32]>), CoreError> {
    let mut shown = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw = random_chars(RECOVERY_ALPHABET, 10)?;
        let code = Zeroizing::new(String::from_utf8_lossy(&raw).into_owned());
        hashes.push(recovery_hash(&code));
        shown.push(SecretString::new(format!("{}-{}", &code[..5], &code[5..])));
    }
    Ok((shown, hashes))
}

/// The stored form of a normalised recovery code.
pub fn recovery_hash(normalised: &str) -> [u8; 32] {
    sha256(format!("tresor-recovery:{normalised}").as_bytes())
}

/// A six-digit code for e-mail.
pub fn new_email_code() -> Result<Zeroizing<String>, CoreError> {
    let raw = random_chars(b"0123456789", TOTP_DIGITS as usize)?;
    Ok(Zeroizing::new(String::from_utf8_lossy(&raw).into_owned()))
}

/// The stored form of an e-mailed code, keyed by its challenge so that equal codes of two challenges differ.
pub fn email_code_hash(challenge_hash: &[u8; 32], code: &str) -> [u8; 32] {
    let mut input = Zeroizing::new(Vec::with_capacity(32 + code.len()));
    input.extend_from_slice(challenge_hash);
    input.extend_from_slice(code.as_bytes());
    sha256(&input)
}

/// A random token with a recognisable prefix, and its stored hash.
fn token(prefix: &str) -> Result<(SecretString, [u8; 32]), CoreError> {
    let bytes = Zeroizing::new(random_array::<32>()?);
    let text = format!("{prefix}{}", hex::encode(*bytes));
    let hash = sha256(text.as_bytes());
    Ok((SecretString::new(text), hash))
}

/// A challenge token: names a login that awaits its second factor.
pub fn new_challenge_token() -> Result<(SecretString, [u8; 32]), CoreError> {
    token(CHALLENGE_PREFIX)
}

/// A device token: lets a trusted device skip the second factor until it expires.
pub fn new_device_token() -> Result<(SecretString, [u8; 32]), CoreError> {
    token(DEVICE_PREFIX)
}

/// The stored hash of a presented token.
pub fn token_hash(text: &str) -> [u8; 32] {
    sha256(text.as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_in_the_forms_users_type() {
        assert!(matches!(parse_code("123456"), Some(CodeInput::Digits(c)) if c.as_str() == "123456"));
        assert!(matches!(parse_code(" 123 456 "), Some(CodeInput::Digits(c)) if c.as_str() == "123456"));
        assert!(matches!(parse_code("ABCDE-FGHJK"), Some(CodeInput::Recovery(c)) if c.as_str() == "abcdefghjk"));
        for bad in ["", "12345", "1234567", "12345a", "abcde-fghj1", "abcde-fghjkl", "ílmno-pqrst"] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = b"12345678901234567890";
        // RFC 6238 Appendix B: at 59 s the SHA-1 code is 94287082 (8 digits); its last 6 are the 6-digit code.
        let at = Timestamp::from_millis(59_000);
        assert_eq!(match_totp(secret, "287082", at).unwrap(), Some(1));
        assert_eq!(match_totp(secret, "287082", Timestamp::from_millis(89_000)).unwrap(), Some(1), "one step late");
        assert_eq!(match_totp(secret, "287082", Timestamp::from_millis(0)).unwrap(), Some(1), "one step early");
        assert_eq!(match_totp(secret, "287082", Timestamp::from_millis(120_000)).unwrap(), None, "two steps late");
        assert_eq!(match_totp(secret, "000000", at).unwrap(), None);
    }

    #[test]
    fn the_uri_carries_the_secret_issuer_and_label() {
        let (uri, b32) = otpauth_uri("Tresor", "jo doe@example.com", b"12345678901234567890");
        assert_eq!(b32.expose_secret(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            uri.expose_secret(),
            "otpauth://totp/Tresor:jo%20doe%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tresor\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_as_typed() {
        let (shown, hashes) = new_recovery_codes().unwrap();
        assert_eq!(shown.len(), RECOVERY_CODES);
        let mut unique: Vec<_> = hashes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for (code, hash) in shown.iter().zip(&hashes) {
            let Some(CodeInput::Recovery(normalised)) = parse_code(code.expose_secret()) else { panic!("unparsable") };
            assert_eq!(recovery_hash(&normalised), *hash);
        }
    }

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let (a, ha) = new_challenge_token().unwrap();
        let (b, _) = new_challenge_token().unwrap();
        assert!(a.expose_secret().starts_with("tresor_ch_"));
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(token_hash(a.expose_secret()), ha);
        assert!(new_device_token().unwrap().0.expose_secret().starts_with("tresor_dt_"));
        let code = new_email_code().unwrap();
        assert_eq!(code.len(), 6);
        assert_ne!(email_code_hash(&ha, &code), email_code_hash(&token_hash(b.expose_secret()), &code));
    }
}
