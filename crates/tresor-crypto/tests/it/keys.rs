//! Key encoding: base64 and the master key file format, including rejection of bad input.

use tresor_crypto::{CryptoError, Key256, MasterKey};

const KNOWN: [u8; 32] = [0xAB; 32];

#[test]
fn key_base64_round_trips() -> Result<(), CryptoError> {
    let k = Key256::generate()?;
    let encoded = k.to_base64();
    assert_eq!(encoded.len(), 44);
    assert_eq!(Key256::from_base64(&encoded)?.expose_secret(), k.expose_secret());
    Ok(())
}

#[test]
fn key_base64_rejects_wrong_length_and_garbage() {
    for bad in ["", "AAAA", "not base64!!", &"A".repeat(88)] {
        assert!(matches!(Key256::from_base64(bad), Err(CryptoError::InvalidKey)), "{bad:?} accepted");
    }
}

#[test]
fn master_key_file_round_trips() -> Result<(), CryptoError> {
    let master = MasterKey::from_key(Key256::from_bytes(KNOWN));
    let contents = master.to_file_contents();
    assert!(contents.starts_with("tresor-master-key v1\n"));
    assert!(contents.ends_with('\n'));
    assert_eq!(contents.lines().count(), 2);

    let reloaded = MasterKey::from_file_contents(&contents)?;
    let ct = master.seal(b"aad", b"payload")?;
    assert_eq!(&reloaded.open(b"aad", &ct)?[..], b"payload");
    Ok(())
}

#[test]
fn master_key_file_tolerates_whitespace_and_crlf() -> Result<(), CryptoError> {
    let master = MasterKey::generate()?;
    let contents = master.to_file_contents();
    let padded = format!("\n  {}  \n\n", contents.replace('\n', "\r\n"));
    let reloaded = MasterKey::from_file_contents(&padded)?;
    let ct = master.seal(b"", b"x")?;
    assert_eq!(&reloaded.open(b"", &ct)?[..], b"x");
    Ok(())
}

#[test]
fn master_key_file_rejects_garbage_without_echoing_it() -> Result<(), CryptoError> {
    let good = MasterKey::generate()?.to_file_contents();
    let good_b64 = good.lines().nth(1).unwrap_or_default().to_owned();
    let cases = [
        String::new(),
        "SECRET-GARBAGE-1234".to_owned(),
        good_b64.clone(), // base64 without the header
        format!("tresor-master-key v2\n{good_b64}\n"),
        "tresor-master-key v1\n".to_owned(),
        "tresor-master-key v1\nSECRET-GARBAGE-1234\n".to_owned(),
        format!("tresor-master-key v1\n{good_b64}\nextra line\n"),
        format!("tresor-master-key v1\n{}\n", &good_b64[..40]),
    ];
    for case in &cases {
        match MasterKey::from_file_contents(case) {
            Ok(_) => panic!("accepted bad key file {case:?}"),
            Err(e) => {
                assert!(matches!(e, CryptoError::InvalidKey), "{e:?}");
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains("SECRET-GARBAGE"), "{shown}");
                assert!(good_b64.is_empty() || !shown.contains(&good_b64[..20]), "{shown}");
            }
        }
    }
    Ok(())
}
