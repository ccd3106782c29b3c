//! `Debug` output of every secret-carrying type must not contain the secret.

use tresor_crypto::{Argon2Params, CryptoError, DataKey, Key256, MasterKey, PasswordHasher, SecretString};

/// 0x5A repeated: its hex, decimal-array and base64 forms are all easy to search for.
const KNOWN: [u8; 32] = [0x5A; 32];

/// Whether `shown` contains `KNOWN` as hex, as a decimal array, or as base64.
fn leaks_known_key(shown: &str) -> bool {
    let lower = shown.to_lowercase();
    ["5a5a5a5a", "90, 90, 90", "wlpawlpa"].iter().any(|needle| lower.contains(needle))
}

#[test]
fn keys_are_redacted() {
    let k = format!("{:?}", Key256::from_bytes(KNOWN));
    assert_eq!(k, "Key256(<redacted>)");
    let m = format!("{:?}", MasterKey::from_key(Key256::from_bytes(KNOWN)));
    assert_eq!(m, "MasterKey(<redacted>)");
    let d = format!("{:?}", DataKey::from_key(Key256::from_bytes(KNOWN)));
    assert_eq!(d, "DataKey(<redacted>)");
    for s in [k, m, d] {
        assert!(!leaks_known_key(&s), "{s}");
    }
    // The detector itself must notice each encoding of the key.
    assert!(leaks_known_key(&format!("{KNOWN:?}")));
    assert!(leaks_known_key(&hex::encode(KNOWN)));
    assert!(leaks_known_key(&Key256::from_bytes(KNOWN).to_base64()));
}

#[test]
fn secret_string_is_redacted() {
    let s = SecretString::new("hunter2-known-value".to_owned());
    let shown = format!("{s:?} {:?}", Some(&s));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("SecretString(<redacted>)"));
    assert_eq!(s.len(), 19);
    assert!(!s.is_empty());
    assert_eq!(s.expose_secret(), "hunter2-known-value");
    assert!(SecretString::from(String::new()).is_empty());
}

#[test]
fn password_hash_and_hasher_are_redacted() -> Result<(), CryptoError> {
    let hasher = PasswordHasher::new(Argon2Params::owasp_minimum())?;
    let hash = hasher.hash(&SecretString::new("pw".to_owned()))?;
    let shown = format!("{hash:?}");
    assert_eq!(shown, "PasswordHash(argon2id…)");
    // The salt and tag (last two `$` fields) must not appear.
    for part in hash.as_str().rsplit('$').take(2) {
        assert!(!shown.contains(part), "{shown}");
    }
    let hasher_shown = format!("{hasher:?}");
    assert!(!hasher_shown.contains("$argon2id$"), "{hasher_shown}");

    let garbage = tresor_crypto::PasswordHash::from_phc("$SeCrEt$x".to_owned());
    assert!(!format!("{garbage:?}").contains("SeCrEt"));
    Ok(())
}
