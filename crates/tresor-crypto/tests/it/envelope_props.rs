//! Property tests of the envelope format: round trips, and rejection of every kind of tampering.

use proptest::prelude::*;
use tresor_crypto::{CIPHERTEXT_OVERHEAD, CryptoError, DataKey, Key256, MasterKey, open, seal};

fn key(bytes: [u8; 32]) -> Key256 {
    Key256::from_bytes(bytes)
}

/// Rejections an altered ciphertext may produce; anything else (above all `Ok`) is a bug.
fn is_tamper_rejection(err: &CryptoError) -> bool {
    matches!(
        err,
        CryptoError::Decrypt
            | CryptoError::Malformed
            | CryptoError::UnsupportedVersion(_)
            | CryptoError::UnsupportedAlgorithm(_)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_then_open_round_trips(
        key_bytes in any::<[u8; 32]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        plaintext in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let k = key(key_bytes);
        let ct = seal(&k, &aad, &plaintext)?;
        prop_assert_eq!(ct.len(), plaintext.len() + CIPHERTEXT_OVERHEAD);
        let opened = open(&k, &aad, &ct)?;
        prop_assert_eq!(&opened[..], &plaintext[..]);
    }

    /// Every bit, header included, so the key-version bytes are always covered.
    #[test]
    fn every_single_bit_flip_is_rejected(
        key_bytes in any::<[u8; 32]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..32),
        plaintext in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let k = key(key_bytes);
        let ct = seal(&k, &aad, &plaintext)?;
        for i in 0..ct.len() {
            for bit in 0..8 {
                let mut tampered = ct.clone();
                if let Some(byte) = tampered.get_mut(i) {
                    *byte ^= 1 << bit;
                }
                match open(&k, &aad, &tampered) {
                    Ok(_) => prop_assert!(false, "flip of bit {bit} in byte {i} was accepted"),
                    Err(e) => prop_assert!(is_tamper_rejection(&e), "unexpected error {e:?}"),
                }
            }
        }
    }

    #[test]
    fn a_bit_flip_in_a_long_ciphertext_is_rejected(
        key_bytes in any::<[u8; 32]>(),
        plaintext in proptest::collection::vec(any::<u8>(), 48..4096),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let k = key(key_bytes);
        let mut ct = seal(&k, b"aad", &plaintext)?;
        let i = position.index(ct.len());
        if let Some(byte) = ct.get_mut(i) {
            *byte ^= 1 << bit;
        }
        match open(&k, b"aad", &ct) {
            Ok(_) => prop_assert!(false, "flip of bit {bit} in byte {i} was accepted"),
            Err(e) => prop_assert!(is_tamper_rejection(&e), "unexpected error {e:?}"),
        }
    }

    #[test]
    fn a_different_aad_is_rejected(
        key_bytes in any::<[u8; 32]>(),
        aad in proptest::collection::vec(any::<u8>(), 0..32),
        other_aad in proptest::collection::vec(any::<u8>(), 0..32),
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        prop_assume!(aad != other_aad);
        let k = key(key_bytes);
        let ct = seal(&k, &aad, &plaintext)?;
        prop_assert!(matches!(open(&k, &other_aad, &ct), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn a_different_key_is_rejected(
        key_bytes in any::<[u8; 32]>(),
        other_key_bytes in any::<[u8; 32]>(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        prop_assume!(key_bytes != other_key_bytes);
        let ct = seal(&key(key_bytes), b"aad", &plaintext)?;
        prop_assert!(matches!(open(&key(other_key_bytes), b"aad", &ct), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn truncated_ciphertexts_are_rejected(
        key_bytes in any::<[u8; 32]>(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..128),
        cut in any::<prop::sample::Index>(),
    ) {
        let k = key(key_bytes);
        let ct = seal(&k, b"aad", &plaintext)?;
        let keep = cut.index(ct.len()); // strictly shorter than ct
        let truncated = ct.get(..keep).unwrap_or_default();
        match open(&k, b"aad", truncated) {
            Ok(_) => prop_assert!(false, "truncation to {keep} bytes was accepted"),
            Err(e) => prop_assert!(is_tamper_rejection(&e), "unexpected error {e:?}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_open_or_panic(
        key_bytes in any::<[u8; 32]>(),
        garbage in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        // Same header as a real ciphertext, so the AEAD itself gets exercised, not just the parser.
        let mut with_header = vec![1u8, 1, 0, 0, 0, 0];
        with_header.extend_from_slice(&garbage);
        let k = key(key_bytes);
        prop_assert!(open(&k, b"", &garbage).is_err());
        prop_assert!(open(&k, b"", &with_header).is_err());
    }

    #[test]
    fn data_key_wraps_and_unwraps_only_for_its_database(
        master_bytes in any::<[u8; 32]>(),
        db in proptest::collection::vec(any::<u8>(), 0..40),
        other_db in proptest::collection::vec(any::<u8>(), 0..40),
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        prop_assume!(db != other_db);
        let master = MasterKey::from_key(key(master_bytes));
        let dk = DataKey::generate()?;
        let wrapped = master.wrap_data_key(&dk, &db)?;

        let unwrapped = master.unwrap_data_key(&wrapped, &db)?;
        let ct = dk.seal(b"entry", &plaintext)?;
        prop_assert_eq!(&unwrapped.open(b"entry", &ct)?[..], &plaintext[..]);

        prop_assert!(matches!(master.unwrap_data_key(&wrapped, &other_db), Err(CryptoError::Decrypt)));
    }
}

#[test]
fn unknown_version_and_algorithm_are_reported() -> Result<(), CryptoError> {
    let k = key([3; 32]);
    let mut ct = seal(&k, b"", b"x")?;
    ct[0] = 2;
    assert!(matches!(open(&k, b"", &ct), Err(CryptoError::UnsupportedVersion(2))));
    ct[0] = 1;
    ct[1] = 9;
    assert!(matches!(open(&k, b"", &ct), Err(CryptoError::UnsupportedAlgorithm(9))));
    assert!(matches!(open(&k, b"", &[]), Err(CryptoError::Malformed)));
    Ok(())
}

#[test]
fn master_key_seal_is_separate_from_data_key_wrapping() -> Result<(), CryptoError> {
    let master = MasterKey::generate()?;
    let dk = DataKey::generate()?;
    let wrapped = master.wrap_data_key(&dk, b"db-1")?;
    // Opening a wrapped key as an ordinary sealed value with the wrong aad must fail.
    assert!(matches!(master.open(b"db-1", &wrapped), Err(CryptoError::Decrypt)));
    let ct = master.seal(b"ctx", b"server secret")?;
    assert_eq!(&master.open(b"ctx", &ct)?[..], b"server secret");
    Ok(())
}

#[test]
fn unwrap_with_another_master_key_fails() -> Result<(), CryptoError> {
    let dk = DataKey::generate()?;
    let wrapped = MasterKey::generate()?.wrap_data_key(&dk, b"db")?;
    assert!(matches!(MasterKey::generate()?.unwrap_data_key(&wrapped, b"db"), Err(CryptoError::Decrypt)));
    Ok(())
}
