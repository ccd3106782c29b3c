//! The policy for users' server (login) passwords: length, character classes, resistance to guessing, history and
//! age (seed manual: Client Security Policies → Password Policy; Server Policies → Security).
//!
//! Following NIST SP 800-63B rather than the seed's defaults: long passphrases are welcome (up to
//! [`MAX_PASSWORD`](crate::validate::MAX_PASSWORD) characters), character classes are required only when an administrator asks for them, and every
//! new password is checked against common and guessable ones (the seed's "resistance against dictionary attacks").
//! History and age are rules too, but the stored hashes and change times they need live elsewhere; this module only
//! holds their settings and the age arithmetic.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::error::CoreError;
use crate::validate::MIN_PASSWORD;

mod check;

/// Allowed range of [`LoginPasswordPolicy::min_length`]. The floor is the server's own minimum.
const MIN_LENGTH_RANGE: std::ops::RangeInclusive<u32> = MIN_PASSWORD as u32..=128;
const MAX_STRENGTH: u8 = 4;
const MAX_HISTORY: u32 = 24;
const MAX_MAX_AGE_DAYS: u32 = 3650;
const MAX_MIN_AGE_DAYS: u32 = 365;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The policy for users' server passwords (seed: Client Security Policies → Password Policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPasswordPolicy {
    /// Fewest characters; 8 to 128. The most is fixed at [`MAX_PASSWORD`].
    pub min_length: u32,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digits: bool,
    pub require_symbols: bool,
    /// The zxcvbn score (0 to 4) a new password must reach.
    pub min_strength: u8,
    /// How many previous passwords may not be reused; at most 24.
    pub history: u32,
    /// Days after which the password must be changed; 0 = never; at most 3650.
    pub max_age_days: u32,
    /// Days before which the password may not be changed again; 0 = any time; at most 365, below `max_age_days`.
    pub min_age_days: u32,
}

impl Default for LoginPasswordPolicy {
    /// NIST SP 800-63B: no composition rules and no forced expiry, but refuse what is too guessable (score 0:
    /// common passwords, keyboard rows, the account's own name).
    fn default() -> Self {
        Self {
            min_length: MIN_PASSWORD as u32,
            require_lowercase: false,
            require_uppercase: false,
            require_digits: false,
            require_symbols: false,
            min_strength: 1,
            history: 0,
            max_age_days: 0,
            min_age_days: 0,
        }
    }
}

impl LoginPasswordPolicy {
    /// What the password generator follows when it makes a server password: at least this policy's length (and
    /// 20 characters, which random characters make strong whatever the classes), with its required classes.
    pub fn for_generator(&self) -> crate::vault::generator::PasswordPolicy {
        crate::vault::generator::PasswordPolicy {
            min_length: self.min_length,
            default_length: self.min_length.max(20),
            require_lowercase: self.require_lowercase,
            require_uppercase: self.require_uppercase,
            require_digits: self.require_digits,
            require_symbols: self.require_symbols,
        }
    }

    /// Refuses settings out of range, naming every field that is.
    pub fn validate(&self) -> Result<(), CoreError> {
        let mut wrong = Vec::new();
        if !MIN_LENGTH_RANGE.contains(&self.min_length) {
            wrong.push(format!(
                "the minimum length (min_length) must be {} to {}",
                MIN_LENGTH_RANGE.start(),
                MIN_LENGTH_RANGE.end()
            ));
        }
        if self.min_strength > MAX_STRENGTH {
            wrong.push(format!("the minimum strength (min_strength) must be 0 to {MAX_STRENGTH}"));
        }
        if self.history > MAX_HISTORY {
            wrong.push(format!("the password history (history) must be 0 to {MAX_HISTORY}"));
        }
        if self.max_age_days > MAX_MAX_AGE_DAYS {
            wrong.push(format!("the maximum age (max_age_days) must be 0 to {MAX_MAX_AGE_DAYS} days"));
        }
        if self.min_age_days > MAX_MIN_AGE_DAYS {
            wrong.push(format!("the minimum age (min_age_days) must be 0 to {MAX_MIN_AGE_DAYS} days"));
        } else if self.min_age_days > 0 && self.max_age_days > 0 && self.min_age_days >= self.max_age_days {
            // Otherwise an expired password could not be changed: the user would be locked out.
            wrong.push("the minimum age (min_age_days) must be shorter than the maximum age (max_age_days)".to_owned());
        }
        if wrong.is_empty() { Ok(()) } else { Err(CoreError::Validation(wrong.join("; "))) }
    }

    /// The stored form:
    /// `v1:min_length:lowercase:uppercase:digits:symbols:min_strength:history:max_age_days:min_age_days`.
    pub fn encode(&self) -> String {
        let b = crate::stored::bit;
        format!(
            "v1:{}:{}:{}:{}:{}:{}:{}:{}:{}",
            self.min_length,
            b(self.require_lowercase),
            b(self.require_uppercase),
            b(self.require_digits),
            b(self.require_symbols),
            self.min_strength,
            self.history,
            self.max_age_days,
            self.min_age_days
        )
    }

    /// Reads [`encode`](Self::encode)'s form; `None` for anything else, including settings out of range.
    pub fn decode(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split(':').collect();
        let [version, min, l, u, d, sy, strength, history, max_age, min_age] = parts.as_slice() else {
            return None;
        };
        if *version != "v1" {
            return None;
        }
        let flag = crate::stored::flag;
        // `parse` accepts a leading '+'; the stored form never has one, so refusing it keeps one text per policy.
        fn number<T: std::str::FromStr>(v: &str) -> Option<T> {
            if v.starts_with('+') { None } else { v.parse().ok() }
        }
        let policy = Self {
            min_length: number(min)?,
            require_lowercase: flag(l)?,
            require_uppercase: flag(u)?,
            require_digits: flag(d)?,
            require_symbols: flag(sy)?,
            min_strength: number(strength)?,
            history: number(history)?,
            max_age_days: number(max_age)?,
            min_age_days: number(min_age)?,
        };
        policy.validate().ok().map(|()| policy)
    }

    /// Whether a password last changed at `changed_at` has reached the maximum age at `now`: it may be used for
    /// `max_age_days` days and not longer. Never when `max_age_days` is 0.
    pub fn expired(&self, changed_at: Timestamp, now: Timestamp) -> bool {
        self.max_age_days > 0 && now.since(changed_at) >= days(self.max_age_days)
    }

    /// Whether the minimum age forbids a change at `now`: the password must have been in use for `min_age_days`
    /// days. Never when `min_age_days` is 0. A change time in the future (a clock set back) counts as just now.
    pub fn too_young(&self, changed_at: Timestamp, now: Timestamp) -> bool {
        self.min_age_days > 0 && now.since(changed_at) < days(self.min_age_days)
    }
}

fn days(n: u32) -> Duration {
    DAY * n
}
