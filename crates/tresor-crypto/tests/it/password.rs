//! Argon2id hashing: parameter floor, hash/verify, PHC format, dummy verification, rehash.

use std::sync::OnceLock;

use tresor_crypto::{Argon2Params, CryptoError, PasswordHash, PasswordHasher, SecretString};

/// One hasher for the whole file: building it costs a full Argon2 run (the dummy hash).
fn hasher() -> &'static PasswordHasher {
    static HASHER: OnceLock<PasswordHasher> = OnceLock::new();
    HASHER.get_or_init(|| {
        // A failing CSPRNG or Argon2 here means no test in this file can run.
        #[allow(clippy::expect_used)]
        PasswordHasher::new(Argon2Params::owasp_minimum()).expect("hasher builds")
    })
}

fn secret(s: &str) -> SecretString {
    SecretString::new(s.to_owned())
}

#[test]
fn params_below_the_minimum_are_refused() {
    for (m, t, p) in [(19_455, 2, 1), (19_456, 1, 1), (19_456, 2, 0), (1024, 1, 1)] {
        match Argon2Params::new(m, t, p) {
            Ok(_) => panic!("accepted m={m} t={t} p={p}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("19456") && msg.contains("t=2"), "{msg}");
            }
        }
    }
}

#[test]
fn params_at_or_above_the_minimum_are_accepted() -> Result<(), CryptoError> {
    let p = Argon2Params::new(65_536, 3, 4)?;
    assert_eq!((p.memory_kib(), p.iterations(), p.parallelism()), (65_536, 3, 4));
    assert_eq!(Argon2Params::default(), Argon2Params::owasp_minimum());
    assert_eq!(Argon2Params::new(19_456, 2, 1)?, Argon2Params::owasp_minimum());
    assert!(Argon2Params::new(u32::MAX, 2, 1).is_err());
    Ok(())
}

#[test]
fn hash_verifies_and_rejects_a_wrong_password() -> Result<(), CryptoError> {
    let h = hasher();
    let hash = h.hash(&secret("correct horse battery staple"))?;
    assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash.as_str());
    assert!(h.verify(&secret("correct horse battery staple"), &hash));
    assert!(!h.verify(&secret("correct horse battery stapler"), &hash));
    assert!(!h.verify(&secret(""), &hash));

    // Stored and reloaded, it still verifies; salts make two hashes of one password differ.
    let reloaded = PasswordHash::from_phc(hash.as_str().to_owned());
    assert!(h.verify(&secret("correct horse battery staple"), &reloaded));
    assert_ne!(h.hash(&secret("correct horse battery staple"))?.as_str(), hash.as_str());
    Ok(())
}

#[test]
fn malformed_phc_strings_never_verify() {
    let h = hasher();
    let pw = secret("pw");
    let huge_memory = "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
                       AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for bad in [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=19456,t=2,p=1$!!!!$!!!!",
        "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA",
        huge_memory,
    ] {
        assert!(!h.verify(&pw, &PasswordHash::from_phc(bad.to_owned())), "{bad}");
    }
}

#[test]
fn verify_dummy_runs() {
    hasher().verify_dummy(&secret("whatever the attacker typed"));
}

#[test]
fn needs_rehash_flags_weaker_or_foreign_hashes() -> Result<(), CryptoError> {
    let h = hasher();
    let current = h.hash(&secret("pw"))?;
    assert!(!h.needs_rehash(&current));
    assert!(h.needs_rehash(&PasswordHash::from_phc("garbage".to_owned())));

    let stronger = PasswordHasher::new(Argon2Params::new(19_456, 3, 1)?)?;
    assert!(stronger.needs_rehash(&current));
    // A hash made with stronger params still verifies under the weaker configuration.
    let strong_hash = stronger.hash(&secret("pw"))?;
    assert!(!h.needs_rehash(&strong_hash));
    assert!(h.verify(&secret("pw"), &strong_hash));
    Ok(())
}
