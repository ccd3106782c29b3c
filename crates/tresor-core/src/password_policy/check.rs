//! Checking a proposed password against the policy: length, character classes and a zxcvbn strength estimate with
//! the account's own names as context, reported in one sentence that never quotes the password.

use zeroize::Zeroizing;

use super::LoginPasswordPolicy;
use crate::error::CoreError;
use crate::validate::MAX_PASSWORD;

/// How many leading characters the strength estimate looks at. zxcvbn's matching grows worse than linearly with the
/// input, so a long input would cost a request a lot of CPU; a passphrase longer than this is strong by its length
/// alone, whatever its first 100 characters score.
const STRENGTH_PREFIX: usize = 100;

/// Pieces of a context word (an e-mail's local part, a surname) shorter than this are not worth guessing from: they
/// would only lower the score of unrelated passwords that happen to contain two common letters.
const MIN_CONTEXT_PIECE: usize = 3;

impl LoginPasswordPolicy {
    /// Checks a proposed password against length, character classes and strength. `context` holds words the
    /// password must not simply be (the account name, the full name, the e-mail address).
    ///
    /// The error lists every rule broken in one sentence and never quotes the password or any part of it: it is
    /// shown to the user and may reach logs.
    pub fn check(&self, password: &str, context: &[&str]) -> Result<(), CoreError> {
        let length = password.chars().count();
        let mut musts = Vec::new();
        if length < self.min_length as usize {
            musts.push(format!("be at least {} characters long", self.min_length));
        } else if length > MAX_PASSWORD {
            musts.push(format!("be at most {MAX_PASSWORD} characters long"));
        }

        let mut missing = Vec::new();
        let classes = CharClasses::of(password);
        if self.require_lowercase && !classes.lowercase {
            missing.push("a lowercase letter");
        }
        if self.require_uppercase && !classes.uppercase {
            missing.push("an uppercase letter");
        }
        if self.require_digits && !classes.digit {
            missing.push("a digit");
        }
        if self.require_symbols && !classes.symbol {
            missing.push("a symbol");
        }
        if !missing.is_empty() {
            musts.push(format!("contain {}", join_and(&missing)));
        }

        let mut sentence = Vec::new();
        if !musts.is_empty() {
            sentence.push(format!("the password must {}", join_and(&musts)));
        }
        if let Some(weakness) = self.weakness(password, context) {
            let it = if sentence.is_empty() { "the password" } else { "it" };
            sentence.push(format!("{it} is too easy to guess{weakness}"));
        }
        if sentence.is_empty() { Ok(()) } else { Err(CoreError::Validation(sentence.join("; "))) }
    }

    /// `None` when the password reaches the policy's strength, else zxcvbn's advice (from its fixed phrases, so
    /// never an excerpt of the password) as ": advice", or an empty string when it has none.
    fn weakness(&self, password: &str, context: &[&str]) -> Option<String> {
        if self.min_strength == 0 {
            return None;
        }
        // A slice, not a copy, so no second plaintext is left in freed memory (zxcvbn makes its own, which we
        // cannot wipe).
        let end = password.char_indices().nth(STRENGTH_PREFIX).map_or(password.len(), |(i, _)| i);
        let inputs = context_words(context);
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let scored = &password[..end];
        let estimate = zxcvbn::zxcvbn(scored, &inputs);
        if u8::from(estimate.score()) >= self.min_strength {
            return None;
        }
        // zxcvbn gives no warning when it matched a user input (and does not export the type that would tell), so
        // that case is named here, in general words.
        let lowered = Zeroizing::new(scored.to_lowercase());
        let advice = if inputs.iter().any(|w| w.chars().count() >= MIN_CONTEXT_PIECE && lowered.contains(w)) {
            Some("it is made from the account's name, the person's name or e-mail address".to_owned())
        } else {
            estimate.feedback().and_then(|f| {
                f.warning().map(|w| w.to_string()).or_else(|| f.suggestions().first().map(ToString::to_string))
            })
        };
        Some(advice.map(|a| format!(": {}", sentence_part(&a))).unwrap_or_default())
    }
}

/// Which character classes a password uses. Letters without case (most CJK scripts) count as neither lowercase nor
/// uppercase; whitespace is not a symbol.
#[derive(Debug, Default)]
struct CharClasses {
    lowercase: bool,
    uppercase: bool,
    digit: bool,
    symbol: bool,
}

impl CharClasses {
    fn of(password: &str) -> Self {
        let mut classes = Self::default();
        for c in password.chars() {
            classes.lowercase |= c.is_lowercase();
            classes.uppercase |= c.is_uppercase();
            classes.digit |= c.is_numeric();
            classes.symbol |= !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control();
        }
        classes
    }
}

/// The context words as given and their pieces ("Jane Doe" → "jane", "doe"; "j.doe@example.com" → "doe",
/// "example", "com"), so a password built on the user's surname scores as guessable too.
fn context_words(context: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut add = |w: &str| {
        let w = w.to_lowercase();
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    };
    for c in context {
        let c = c.trim();
        add(c);
        for piece in c.split(|ch: char| !ch.is_alphanumeric()) {
            if piece.chars().count() >= MIN_CONTEXT_PIECE {
                add(piece);
            }
        }
    }
    words
}

/// "a, b and c".
fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// zxcvbn's "This is a top-10 common password." as the tail of our sentence: "this is a top-10 common password".
fn sentence_part(s: &str) -> String {
    let s = s.trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly on purpose

    use proptest::prelude::*;

    use super::*;
    use crate::password_policy::*;

    fn refused(policy: &LoginPasswordPolicy, password: &str, context: &[&str]) -> String {
        match policy.check(password, context) {
            Err(CoreError::Validation(m)) => m,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn score(password: &str, context: &[&str]) -> u8 {
        let inputs = context_words(context);
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        u8::from(zxcvbn::zxcvbn(password, &inputs).score())
    }

    const PASSPHRASE: &str = "correct horse battery staple on a quiet winter morning by the old harbour wall";

    #[test]
    fn defaults_allow_long_passphrases_up_to_the_maximum() {
        let policy = LoginPasswordPolicy::default();
        assert!(PASSPHRASE.chars().count() >= 64);
        policy.check(PASSPHRASE, &["alice"]).unwrap();
        let longest: String = PASSPHRASE.chars().cycle().take(MAX_PASSWORD).collect();
        policy.check(&longest, &[]).unwrap();
        // Counted in characters, not bytes.
        policy.check(&"é".repeat(MAX_PASSWORD), &[]).unwrap();
    }

    #[test]
    fn one_character_past_the_maximum_is_refused() {
        let policy = LoginPasswordPolicy::default();
        let too_long: String = PASSPHRASE.chars().cycle().take(MAX_PASSWORD + 1).collect();
        let m = refused(&policy, &too_long, &[]);
        assert!(m.contains("at most 1024 characters"), "{m}");
    }

    #[test]
    fn defaults_refuse_guessable_passwords() {
        let policy = LoginPasswordPolicy::default();
        for weak in ["password", "12345678", "qwertyuiop"] {
            let m = refused(&policy, weak, &[]);
            assert!(m.contains("too easy to guess"), "{weak}: {m}");
        }
    }

    #[test]
    fn defaults_refuse_the_account_name_and_other_context() {
        let policy = LoginPasswordPolicy::default();
        // Strong enough on their own, guessable from the user's own details.
        let account = "zbigniew.kowalczyk";
        let context = [account, "Zbigniew Kowalczyk", "zk@example.com"];
        assert!(score(account, &[]) >= 1);
        let m = refused(&policy, account, &context);
        assert_eq!(
            m,
            "the password is too easy to guess: it is made from the account's name, the person's name or e-mail address"
        );
        // A piece of the full name.
        assert!(score("Kowalczyk", &[]) >= 1);
        refused(&policy, "Kowalczyk", &context);
        // The same passwords are fine for somebody else.
        policy.check(account, &["alice", "Alice Smith"]).unwrap();
        policy.check("Kowalczyk", &["alice", "Alice Smith"]).unwrap();
    }

    #[test]
    fn the_minimum_length_is_enforced() {
        let policy = LoginPasswordPolicy { min_length: 12, min_strength: 0, ..Default::default() };
        let m = refused(&policy, "x8#kQ2mz!pv", &[]);
        assert_eq!(m, "the password must be at least 12 characters long");
        policy.check("x8#kQ2mz!pvT", &[]).unwrap();
        refused(&LoginPasswordPolicy::default(), "Qx7#mvr", &[]);
    }

    #[test]
    fn each_class_is_enforced_on_its_own() {
        let base = LoginPasswordPolicy::default();
        let cases = [
            (LoginPasswordPolicy { require_lowercase: true, ..base }, "BRISK-OTTER-91-LAMP", "a lowercase letter"),
            (LoginPasswordPolicy { require_uppercase: true, ..base }, "brisk-otter-91-lamp", "an uppercase letter"),
            (LoginPasswordPolicy { require_digits: true, ..base }, "brisk-Otter-lamp-jig", "a digit"),
            (LoginPasswordPolicy { require_symbols: true, ..base }, "brisk Otter 91 lamp", "a symbol"),
        ];
        let all = "brisk-Otter-91-lamp";
        for (policy, without, class) in cases {
            let m = refused(&policy, without, &[]);
            assert_eq!(m, format!("the password must contain {class}"));
            policy.check(all, &[]).unwrap();
            // No other class is asked for: each other password lacks only a class this policy does not require.
            for (_, other_without, other_class) in cases {
                if other_class != class {
                    policy.check(other_without, &[]).unwrap_or_else(|e| panic!("{class} policy, {other_class}: {e}"));
                }
            }
        }
    }

    #[test]
    fn every_broken_rule_is_named_in_one_sentence() {
        let strict = LoginPasswordPolicy {
            min_length: 12,
            require_lowercase: true,
            require_uppercase: true,
            require_digits: true,
            require_symbols: true,
            min_strength: 3,
            ..Default::default()
        };
        let m = refused(&strict, "password", &[]);
        assert_eq!(
            m,
            "the password must be at least 12 characters long and contain an uppercase letter, a digit and a \
             symbol; it is too easy to guess: this is a top-10 common password"
        );
    }

    #[test]
    fn strength_zero_skips_the_estimate() {
        let policy = LoginPasswordPolicy { min_strength: 0, ..Default::default() };
        policy.check("password", &[]).unwrap();
        let policy = LoginPasswordPolicy { min_strength: 4, ..Default::default() };
        let m = refused(&policy, "Tr0ub4dour&3", &[]);
        assert!(m.starts_with("the password is too easy to guess"), "{m}");
        policy.check(PASSPHRASE, &[]).unwrap();
    }

    #[test]
    fn only_the_first_hundred_characters_are_scored() {
        // Weak start, strong tail: the tail is not looked at. A real passphrase that long passes by length.
        // (zxcvbn 3 also cuts its input at 100 characters, so this guards the behaviour, not our slice alone.)
        let policy = LoginPasswordPolicy { min_strength: 4, ..Default::default() };
        let weak = format!("{}{}", "a".repeat(STRENGTH_PREFIX), "Xq7#zP!m2vRt9&wLk");
        refused(&policy, &weak, &[]);
        let strong = format!("{}{}", "a".repeat(STRENGTH_PREFIX - 17), "Xq7#zP!m2vRt9&wLk");
        policy.check(&strong, &[]).unwrap();
    }

    #[test]
    fn validate_refuses_each_field_out_of_range() {
        let ok = LoginPasswordPolicy {
            min_length: 128,
            min_strength: 4,
            history: 24,
            max_age_days: 3650,
            min_age_days: 365,
            ..Default::default()
        };
        ok.validate().unwrap();
        LoginPasswordPolicy::default().validate().unwrap();
        LoginPasswordPolicy { min_age_days: 365, max_age_days: 0, ..Default::default() }.validate().unwrap();
        let bad = [
            (LoginPasswordPolicy { min_length: 7, ..ok }, "min_length"),
            (LoginPasswordPolicy { min_length: 129, ..ok }, "min_length"),
            (LoginPasswordPolicy { min_strength: 5, ..ok }, "min_strength"),
            (LoginPasswordPolicy { history: 25, ..ok }, "history"),
            (LoginPasswordPolicy { max_age_days: 3651, ..ok }, "max_age_days"),
            (LoginPasswordPolicy { min_age_days: 366, max_age_days: 0, ..ok }, "min_age_days"),
            (LoginPasswordPolicy { min_age_days: 30, max_age_days: 30, ..ok }, "min_age_days"),
        ];
        for (policy, field) in bad {
            match policy.validate() {
                Err(CoreError::Validation(m)) => assert!(m.contains(field), "{field}: {m}"),
                other => panic!("{field}: {other:?}"),
            }
        }
        LoginPasswordPolicy { min_age_days: 29, max_age_days: 30, ..ok }.validate().unwrap();
    }

    #[test]
    fn garbage_does_not_decode() {
        let good = LoginPasswordPolicy::default().encode();
        assert_eq!(good, "v1:8:0:0:0:0:1:0:0:0");
        assert_eq!(LoginPasswordPolicy::decode(&good), Some(LoginPasswordPolicy::default()));
        for garbage in [
            "",
            "nonsense",
            "v2:8:0:0:0:0:1:0:0:0",
            "v1:8:0:0:0:0:1:0:0",
            "v1:8:0:0:0:0:1:0:0:0:0",
            "v1:8:0:0:0:2:1:0:0:0",
            "v1:+8:0:0:0:0:1:0:0:0",
            "v1:-8:0:0:0:0:1:0:0:0",
            "v1:7:0:0:0:0:1:0:0:0",
            "v1:8:0:0:0:0:9:0:0:0",
            "v1:8:0:0:0:0:1:0:30:30",
            "v1:8:0:0:0:0:1:0:0:99999999999999999999",
            "v1: 8:0:0:0:0:1:0:0:0",
        ] {
            assert_eq!(LoginPasswordPolicy::decode(garbage), None, "{garbage:?}");
        }
    }

    const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    fn at(d: Duration) -> Timestamp {
        T0.saturating_add(d)
    }

    #[test]
    fn a_password_expires_when_it_reaches_the_maximum_age() {
        let policy = LoginPasswordPolicy { max_age_days: 90, ..Default::default() };
        assert!(!policy.expired(T0, at(days(90) - Duration::from_millis(1))));
        assert!(policy.expired(T0, at(days(90))));
        assert!(policy.expired(T0, at(days(400))));
        assert!(!policy.expired(at(days(1)), T0), "a change time in the future is not an expiry");
        let never = LoginPasswordPolicy::default();
        assert!(!never.expired(Timestamp::from_millis(0), at(days(100_000))));
    }

    #[test]
    fn a_password_is_too_young_until_the_minimum_age() {
        let policy = LoginPasswordPolicy { min_age_days: 2, ..Default::default() };
        assert!(policy.too_young(T0, T0));
        assert!(policy.too_young(T0, at(days(2) - Duration::from_millis(1))));
        assert!(!policy.too_young(T0, at(days(2))));
        assert!(policy.too_young(at(days(1)), T0), "a change time in the future counts as just now");
        assert!(!LoginPasswordPolicy::default().too_young(T0, T0));
    }

    #[test]
    fn context_words_include_their_pieces() {
        assert_eq!(
            context_words(&["J.Doe@Example.com", " Jane Doe ", "", "jd"]),
            ["j.doe@example.com", "doe", "example", "com", "jane doe", "jane", "jd"]
        );
    }

    fn any_policy() -> impl Strategy<Value = LoginPasswordPolicy> {
        (
            MIN_LENGTH_RANGE,
            any::<[bool; 4]>(),
            0..=MAX_STRENGTH,
            0..=MAX_HISTORY,
            0..=MAX_MAX_AGE_DAYS,
            0..=MAX_MIN_AGE_DAYS,
        )
            .prop_map(|(min_length, [l, u, d, s], min_strength, history, max_age_days, min_age_days)| {
                LoginPasswordPolicy {
                    min_length,
                    require_lowercase: l,
                    require_uppercase: u,
                    require_digits: d,
                    require_symbols: s,
                    min_strength,
                    history,
                    max_age_days,
                    // Keep the pair valid.
                    min_age_days: if max_age_days == 0 { min_age_days } else { min_age_days % max_age_days },
                }
            })
    }

    /// Weak and strong, ASCII and not: common words with digits, keyboard rows, random text.
    fn any_password() -> impl Strategy<Value = String> {
        prop_oneof![
            ("(dragon|monkey|letmein|sunshine|qwerty|iloveyou|shadow|Summer)", "[0-9!]{0,6}")
                .prop_map(|(w, tail)| format!("{w}{tail}")),
            "[ -~]{1,40}",
            "\\PC{1,150}",
        ]
    }

    /// Stretches of the password that cannot turn up in a message by chance.
    /// (Shorter passwords are checked whole only from 4 characters: "a" is in any sentence.)
    fn parts(password: &str) -> Vec<String> {
        let chars: Vec<char> = password.chars().collect();
        match chars.len() {
            0..4 => Vec::new(),
            4..6 => vec![password.to_owned()],
            _ => chars.windows(6).map(|w| w.iter().collect()).collect(),
        }
    }

    proptest! {
        #[test]
        fn the_message_never_quotes_the_password(
            policy in any_policy(),
            password in any_password(),
            with_context in any::<bool>(),
        ) {
            let context: &[&str] = if with_context { &[password.as_str(), "someone else"] } else { &[] };
            if let Err(e) = policy.check(&password, context) {
                let m = e.to_string();
                for part in parts(&password) {
                    prop_assert!(!m.contains(&part), "{m:?} quotes {part:?}");
                }
            }
        }

        #[test]
        fn the_stored_form_round_trips(policy in any_policy()) {
            prop_assert!(policy.validate().is_ok());
            prop_assert_eq!(LoginPasswordPolicy::decode(&policy.encode()), Some(policy));
        }

        #[test]
        fn decoding_anything_never_panics(s in "\\PC{0,60}", fields in proptest::collection::vec("[0-9+-]{0,4}", 0..12)) {
            let _ = LoginPasswordPolicy::decode(&s);
            let _ = LoginPasswordPolicy::decode(&format!("v1:{}", fields.join(":")));
        }
    }
}
