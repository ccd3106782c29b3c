//! The password generator and the password policy it honours (seed manual: Client Security Policies → Password
//! Policy: length and character classes).

use tresor_crypto::SecretString;

use super::VaultError;
use crate::error::CoreError;

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
const SYMBOLS: &[u8] = b"!#$%&()*+,-./:;<=>?@[]^_{|}~";

/// Longest password the generator makes.
pub const MAX_LENGTH: u32 = 1024;

/// What generated passwords must satisfy; requests may ask for more, never for less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub default_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digits: bool,
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    /// Long random passwords of every class but symbols, which some systems refuse.
    fn default() -> Self {
        Self {
            min_length: 12,
            default_length: 20,
            require_lowercase: true,
            require_uppercase: true,
            require_digits: true,
            require_symbols: false,
        }
    }
}

impl PasswordPolicy {
    pub fn validate(&self) -> Result<(), VaultError> {
        if !(4..=MAX_LENGTH).contains(&self.min_length) {
            return Err(VaultError::Invalid(format!("the minimum length must be 4 to {MAX_LENGTH}")));
        }
        if self.default_length < self.min_length || self.default_length > MAX_LENGTH {
            return Err(VaultError::Invalid(format!(
                "the default length must be at least the minimum length and at most {MAX_LENGTH}"
            )));
        }
        Ok(())
    }

    /// The stored form: `v1:min:default:lower:upper:digits:symbols`.
    pub fn encode(&self) -> String {
        let b = crate::stored::bit;
        format!(
            "v1:{}:{}:{}:{}:{}:{}",
            self.min_length,
            self.default_length,
            b(self.require_lowercase),
            b(self.require_uppercase),
            b(self.require_digits),
            b(self.require_symbols)
        )
    }

    pub fn decode(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split(':').collect();
        let [version, min, default, l, u, d, sy] = parts.as_slice() else { return None };
        if *version != "v1" {
            return None;
        }
        let flag = crate::stored::flag;
        let policy = Self {
            min_length: min.parse().ok()?,
            default_length: default.parse().ok()?,
            require_lowercase: flag(l)?,
            require_uppercase: flag(u)?,
            require_digits: flag(d)?,
            require_symbols: flag(sy)?,
        };
        policy.validate().ok().map(|()| policy)
    }
}

/// What one request asks of the generator; `None` takes the policy's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateRequest {
    /// Generate a server (login) password: the sign-in password policy's length and classes apply instead of the
    /// vault's.
    pub for_login: bool,
    pub length: Option<u32>,
    pub lowercase: Option<bool>,
    pub uppercase: Option<bool>,
    pub digits: Option<bool>,
    pub symbols: Option<bool>,
}

/// A random password of the requested length and classes, within the policy: at least one character of every
/// class in use, each character uniformly drawn (rejection sampling), the classes' positions shuffled.
pub fn generate(policy: &PasswordPolicy, request: &GenerateRequest) -> Result<SecretString, CoreError> {
    let length = request.length.unwrap_or(policy.default_length);
    if length < policy.min_length || length > MAX_LENGTH {
        return Err(CoreError::Validation(format!(
            "the length must be {} to {MAX_LENGTH} (the server's password policy)",
            policy.min_length
        )));
    }
    let choose = |asked: Option<bool>, required: bool, default: bool| -> Result<bool, CoreError> {
        match asked {
            Some(false) if required => {
                Err(CoreError::Validation("the server's password policy requires that character class".to_owned()))
            }
            Some(v) => Ok(v),
            None => Ok(required || default),
        }
    };
    let classes: Vec<&[u8]> = [
        (choose(request.lowercase, policy.require_lowercase, true)?, LOWER),
        (choose(request.uppercase, policy.require_uppercase, true)?, UPPER),
        (choose(request.digits, policy.require_digits, true)?, DIGITS),
        (choose(request.symbols, policy.require_symbols, false)?, SYMBOLS),
    ]
    .into_iter()
    .filter_map(|(on, set)| on.then_some(set))
    .collect();
    if classes.is_empty() {
        return Err(CoreError::Validation("choose at least one character class".to_owned()));
    }
    if (length as usize) < classes.len() {
        return Err(CoreError::Validation("the length is shorter than the number of character classes".to_owned()));
    }
    let alphabet: Vec<u8> = classes.iter().flat_map(|c| c.iter().copied()).collect();
    let mut random = Uniform::default();
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(length as usize));
    for class in &classes {
        out.push(class[random.below(class.len())?]);
    }
    while out.len() < length as usize {
        out.push(alphabet[random.below(alphabet.len())?]);
    }
    // Fisher–Yates, so the guaranteed characters are not always in front.
    for i in (1..out.len()).rev() {
        let j = random.below(i + 1)?;
        out.swap(i, j);
    }
    let text =
        String::from_utf8(out.to_vec()).map_err(|_| CoreError::Internal("generator produced non-ASCII".into()))?;
    Ok(SecretString::new(text))
}

/// `n` characters drawn uniformly from `alphabet` (at most 65,536 characters long).
pub(crate) fn random_chars(alphabet: &[u8], n: usize) -> Result<zeroize::Zeroizing<Vec<u8>>, CoreError> {
    let mut random = Uniform::default();
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(n));
    for _ in 0..n {
        out.push(alphabet[random.below(alphabet.len())?]);
    }
    Ok(out)
}

/// Uniform draws below a bound from the system generator, 64 random bytes at a time.
#[derive(Default)]
struct Uniform {
    pool: zeroize::Zeroizing<Vec<u8>>,
}

impl Uniform {
    fn byte(&mut self) -> Result<u8, CoreError> {
        if self.pool.is_empty() {
            self.pool = zeroize::Zeroizing::new(tresor_crypto::random_array::<64>()?.to_vec());
        }
        Ok(self.pool.pop().unwrap_or(0))
    }

    /// A number in `0..bound` (bound ≤ 65,536), without modulo bias.
    fn below(&mut self, bound: usize) -> Result<usize, CoreError> {
        let bound = bound.clamp(1, 1 << 16) as u32;
        let limit = (1u32 << 16) - (1u32 << 16) % bound;
        loop {
            let v = (u32::from(self.byte()?) << 8) | u32::from(self.byte()?);
            if v < limit {
                return Ok((v % bound) as usize);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests: a failed expectation is a panic.
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_have_the_length_and_every_required_class() {
        let policy = PasswordPolicy { require_symbols: true, ..PasswordPolicy::default() };
        for length in [4u32, 12, 64] {
            let req = GenerateRequest { length: Some(length.max(policy.min_length)), ..Default::default() };
            let pw = generate(&policy, &req).unwrap();
            let s = pw.expose_secret();
            assert_eq!(s.len() as u32, length.max(policy.min_length));
            assert!(s.bytes().any(|b| LOWER.contains(&b)));
            assert!(s.bytes().any(|b| UPPER.contains(&b)));
            assert!(s.bytes().any(|b| DIGITS.contains(&b)));
            assert!(s.bytes().any(|b| SYMBOLS.contains(&b)));
        }
    }

    #[test]
    fn the_policy_is_a_floor() {
        let policy = PasswordPolicy::default();
        assert!(generate(&policy, &GenerateRequest { length: Some(8), ..Default::default() }).is_err());
        let no_digits = GenerateRequest { digits: Some(false), ..Default::default() };
        assert!(generate(&policy, &no_digits).is_err());
        let relaxed = PasswordPolicy { require_digits: false, ..policy };
        let pw = generate(&relaxed, &no_digits).unwrap();
        assert!(!pw.expose_secret().bytes().any(|b| b.is_ascii_digit()));
    }

    #[test]
    fn two_passwords_differ() {
        let policy = PasswordPolicy::default();
        let a = generate(&policy, &GenerateRequest::default()).unwrap();
        let b = generate(&policy, &GenerateRequest::default()).unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_garbage() {
        let p = PasswordPolicy { min_length: 16, default_length: 32, require_symbols: true, ..Default::default() };
        assert_eq!(PasswordPolicy::decode(&p.encode()), Some(p));
        assert_eq!(PasswordPolicy::decode("v1:2:20:1:1:1:0"), None);
        assert_eq!(PasswordPolicy::decode("v2:12:20:1:1:1:0"), None);
        assert_eq!(PasswordPolicy::decode("nonsense"), None);
    }
}
