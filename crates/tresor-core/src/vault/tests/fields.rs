//! The per-type field rules, the limits, TOTP secrets, names, and the folder-move cycle rule.

use std::collections::HashSet;

use super::card;
use crate::ids::FolderId;
use crate::vault::{EntryBody, EntryType, FieldValue, TotpSecret, VaultError, database_name, move_would_cycle};

#[test]
fn a_complete_card_is_valid() {
    card().validate().unwrap();
}

#[test]
fn an_unknown_field_for_the_type_is_refused() {
    let mut b = EntryBody::new(EntryType::Banking, "Bank");
    let e = b.set_field("flux_capacitor", "1.21 GW".into()).unwrap_err();
    assert!(matches!(e, VaultError::UnknownField { kind: EntryType::Banking, .. }), "{e:?}");
    assert!(e.to_string().contains("flux_capacitor"));
}

#[test]
fn a_card_number_on_a_password_entry_is_refused() {
    let mut b = EntryBody::new(EntryType::Password, "Mail");
    assert!(matches!(b.set_field("card_number", "4111".into()), Err(VaultError::UnknownField { .. })));
    // Also when the map is filled directly, as a service might.
    b.fields.insert("card_number".into(), FieldValue::Secret("4111".to_owned().into()));
    let e = b.validate().unwrap_err();
    assert!(matches!(e, VaultError::UnknownField { kind: EntryType::Password, .. }), "{e:?}");
    assert!(!e.to_string().contains("4111"), "a value leaked into {e}");
}

#[test]
fn required_fields_must_be_present_and_non_empty() {
    let b = EntryBody::new(EntryType::RemoteDesktop, "Jump host");
    assert!(matches!(b.validate(), Err(VaultError::MissingField { field: "host", .. })));
    let mut b = EntryBody::new(EntryType::CreditCard, "Card");
    b.set_field("card_number", String::new()).unwrap();
    assert!(matches!(b.validate(), Err(VaultError::MissingField { field: "card_number", .. })));
}

#[test]
fn secret_fields_must_be_secret_and_plain_fields_plain() {
    let mut b = card();
    b.fields.insert("cvv".into(), FieldValue::Text("123".into()));
    let e = b.validate().unwrap_err().to_string();
    assert!(e.contains("cvv") && !e.contains("123"), "{e}");
    let mut b = card();
    b.fields.insert("card_holder".into(), FieldValue::Secret("Ada".to_owned().into()));
    assert!(b.validate().is_err());
}

#[test]
fn set_field_applies_the_specs_secrecy() {
    let b = card();
    assert!(b.field("card_number").unwrap().is_secret());
    assert!(!b.field("card_holder").unwrap().is_secret());
}

#[test]
fn ports_are_checked() {
    let mut b = EntryBody::new(EntryType::Putty, "Router");
    b.set_field("host", "192.0.2.1".into()).unwrap();
    for good in ["", "22", "65535"] {
        b.set_field("port", good.into()).unwrap();
        b.validate().unwrap();
    }
    for bad in ["0", "65536", "ssh", "-1"] {
        b.set_field("port", bad.into()).unwrap();
        assert!(b.validate().is_err(), "{bad} accepted");
    }
}

#[test]
fn limits_and_control_characters() {
    let mut b = card();
    b.title = "  ".into();
    assert!(b.validate().is_err(), "blank title");
    let mut b = card();
    b.title = "a\u{7}b".into();
    assert!(b.validate().is_err(), "control character in a title");
    let mut b = card();
    b.notes = "x".repeat(crate::vault::body::MAX_TEXT + 1);
    assert!(b.validate().is_err(), "notes too long");
    let mut b = card();
    b.tags = (0..=crate::vault::body::MAX_TAGS).map(|i| format!("t{i}")).collect();
    assert!(b.validate().is_err(), "too many tags");
    let mut b = card();
    b.set_field("card_holder", "two\nlines".into()).unwrap();
    assert!(b.validate().is_err(), "newline in a single-line field");
    let mut b = EntryBody::new(EntryType::Certificate, "TLS");
    b.set_field("certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into()).unwrap();
    b.validate().unwrap();
}

#[test]
fn totp_secrets_are_base32_of_at_least_80_bits() {
    let t = TotpSecret::parse("jbsw y3dp ehpk 3pxp====").unwrap();
    assert_eq!(t.expose_secret(), "JBSWY3DPEHPK3PXP");
    assert_eq!((t.digits, t.period_secs), (6, 30));
    for bad in ["", "JBSWY3DP", "JBSWY3DPEHPK3PX1", "JBSWY3DPEHPK3PX!", "ÄBSWY3DPEHPK3PXP"] {
        assert!(matches!(TotpSecret::parse(bad), Err(VaultError::InvalidTotp)), "{bad:?} accepted");
    }
    let mut b = card();
    b.totp.as_mut().unwrap().digits = 9;
    assert!(matches!(b.validate(), Err(VaultError::InvalidTotp)));
}

#[test]
fn debug_output_redacts_secrets() {
    let shown = format!("{:?}", card());
    for secret in ["s3cret!", "4111 1111", "123\"", "word word", "JBSWY3DP"] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    assert!(shown.contains("Ada Lovelace"), "plain fields stay readable");
}

#[test]
fn types_have_stable_names_codes_and_distinct_fields() {
    let mut codes = HashSet::new();
    for t in EntryType::ALL {
        assert_eq!(EntryType::from_name(t.name()), Some(t));
        assert_eq!(EntryType::from_code(t.code()), Some(t));
        assert!(codes.insert(t.code()));
        let names: HashSet<_> = t.fields().iter().map(|f| f.name).collect();
        assert_eq!(names.len(), t.fields().len(), "{t} repeats a field");
    }
    assert_eq!(EntryType::from_name("Password"), None, "names are exact");
}

#[test]
fn database_names_follow_the_account_name_rules() {
    assert_eq!(database_name("  Company ").unwrap(), "Company");
    for bad in ["", "a/b", "..", "a\u{1}", &"x".repeat(65), "0b8c6a4e-7d7f-4a8e-9b7a-2f0f2b6e8d11"] {
        assert!(database_name(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn moving_a_folder_into_itself_or_below_is_a_cycle() {
    let [a, b, c, d] = [FolderId::random(), FolderId::random(), FolderId::random(), FolderId::random()];
    // a ⊃ b ⊃ c; d at the root.
    let parents = [(a, None), (b, Some(a)), (c, Some(b)), (d, None)];
    assert!(move_would_cycle(&parents, a, Some(a)));
    assert!(move_would_cycle(&parents, a, Some(c)));
    assert!(move_would_cycle(&parents, b, Some(c)));
    assert!(!move_would_cycle(&parents, c, Some(a)));
    assert!(!move_would_cycle(&parents, a, Some(d)));
    assert!(!move_would_cycle(&parents, a, None));
    // A cycle already in the data does not hang the check.
    let broken = [(a, Some(b)), (b, Some(a)), (d, None)];
    assert!(move_would_cycle(&broken, d, Some(a)));
}
