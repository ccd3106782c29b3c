//! Tests of the vault's domain: field rules, the body codec, and sealing.

// Test code: a failed expectation is a panic with a message.
#![allow(clippy::unwrap_used)]

mod codec;
mod fields;
mod sealing;

use super::{EntryBody, EntryType, TotpSecret};
use crate::clock::Timestamp;

/// A credit card with every kind of value set: plain and secret fields, tags, custom fields, expiry, TOTP.
pub(super) fn card() -> EntryBody {
    let mut b = EntryBody::new(EntryType::CreditCard, "Company Visa");
    b.username = "finance".into();
    b.password = "s3cret!".to_owned().into();
    b.url = "https://bank.example".into();
    b.notes = "line one\nline two".into();
    b.tags = vec!["finance".into(), "cards".into()];
    b.expires = Some(Timestamp::from_millis(1_900_000_000_000));
    b.set_field("card_holder", "Ada Lovelace".into()).unwrap();
    b.set_field("card_number", "4111 1111 1111 1111".into()).unwrap();
    b.set_field("cvv", "123".into()).unwrap();
    b.custom.push(super::CustomField { name: "branch".into(), value: super::FieldValue::Text("Zürich".into()) });
    b.custom.push(super::CustomField {
        name: "recovery".into(),
        value: super::FieldValue::Secret("word word word".to_owned().into()),
    });
    b.totp = Some(TotpSecret::parse("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp").unwrap());
    b
}
