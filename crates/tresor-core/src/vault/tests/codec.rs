//! The body codec: round trips (property-tested against a plain model), and refusal of damaged input.

use proptest::prelude::*;
use tresor_crypto::SecretString;

use super::card;
use crate::clock::Timestamp;
use crate::vault::codec::{FORMAT_VERSION, decode, encode};
use crate::vault::{CustomField, EntryBody, EntryType, FieldValue, TotpAlgorithm, TotpSecret};

/// Everything a body holds, as plain values to compare with.
#[derive(Debug, Clone)]
struct Model {
    kind: EntryType,
    text: [String; 5],
    tags: Vec<String>,
    expires: Option<i64>,
    fields: std::collections::BTreeMap<String, (bool, String)>,
    custom: Vec<(String, bool, String)>,
    totp: Option<(String, u8, u8, u32)>,
}

fn value(secret: bool, v: &str) -> FieldValue {
    if secret { FieldValue::Secret(SecretString::new(v.to_owned())) } else { FieldValue::Text(v.to_owned()) }
}

fn algorithm(code: u8) -> TotpAlgorithm {
    [TotpAlgorithm::Sha1, TotpAlgorithm::Sha256, TotpAlgorithm::Sha512][usize::from(code % 3)]
}

impl Model {
    fn body(&self) -> EntryBody {
        let [title, username, password, url, notes] = self.text.clone();
        let mut b = EntryBody::new(self.kind, title);
        b.username = username;
        b.password = SecretString::new(password);
        b.url = url;
        b.notes = notes;
        b.tags = self.tags.clone();
        b.expires = self.expires.map(Timestamp::from_millis);
        b.fields = self.fields.iter().map(|(n, (s, v))| (n.clone(), value(*s, v))).collect();
        b.custom = self.custom.iter().map(|(n, s, v)| CustomField { name: n.clone(), value: value(*s, v) }).collect();
        b.totp = self.totp.as_ref().map(|(secret, a, digits, period)| {
            TotpSecret::from_parts(SecretString::new(secret.clone()), algorithm(*a), *digits, *period)
        });
        b
    }

    fn assert_matches(&self, b: &EntryBody) {
        assert_eq!(b.kind, self.kind);
        let got = [&b.title, &b.username, b.password.expose_secret(), &b.url, &b.notes];
        assert_eq!(got.map(|s| s.to_owned()), self.text);
        assert_eq!(b.tags, self.tags);
        assert_eq!(b.expires.map(Timestamp::as_millis), self.expires);
        let fields: Vec<_> =
            b.fields.iter().map(|(n, v)| (n.clone(), (v.is_secret(), v.expose().to_owned()))).collect();
        assert_eq!(fields, self.fields.clone().into_iter().collect::<Vec<_>>());
        let custom: Vec<_> =
            b.custom.iter().map(|c| (c.name.clone(), c.value.is_secret(), c.value.expose().to_owned())).collect();
        assert_eq!(custom, self.custom);
        let totp = b.totp.as_ref().map(|t| (t.expose_secret().to_owned(), t.algorithm, t.digits, t.period_secs));
        assert_eq!(totp, self.totp.as_ref().map(|(s, a, d, p)| (s.clone(), algorithm(*a), *d, *p)));
    }
}

fn model() -> impl Strategy<Value = Model> {
    let s = || any::<String>();
    (
        prop::sample::select(EntryType::ALL.to_vec()),
        [s(), s(), s(), s(), s()],
        prop::collection::vec(s(), 0..4),
        any::<Option<i64>>(),
        prop::collection::btree_map(s(), (any::<bool>(), s()), 0..4),
        prop::collection::vec((s(), any::<bool>(), s()), 0..4),
        prop::option::of((s(), any::<u8>(), any::<u8>(), any::<u32>())),
    )
        .prop_map(|(kind, text, tags, expires, fields, custom, totp)| Model {
            kind,
            text,
            tags,
            expires,
            fields,
            custom,
            totp,
        })
}

proptest! {
    #[test]
    fn encode_then_decode_gives_back_every_value(m in model()) {
        let encoded = encode(&m.body()).unwrap();
        let decoded = decode(&encoded).unwrap();
        m.assert_matches(&decoded);
        prop_assert_eq!(&*encode(&decoded).unwrap(), &*encoded);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decoding_a_damaged_encoding_never_panics(m in model(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut bytes = encode(&m.body()).unwrap().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let _ = decode(&bytes);
    }
}

#[test]
fn the_encoder_sizes_its_buffer_exactly() {
    let encoded = encode(&card()).unwrap();
    assert_eq!(encoded.len(), encoded.capacity());
}

#[test]
fn every_truncation_and_any_trailing_byte_is_refused() {
    let encoded = encode(&card()).unwrap();
    for n in 0..encoded.len() {
        assert!(decode(&encoded[..n]).is_err(), "a prefix of {n} bytes decoded");
    }
    let mut longer = encoded.to_vec();
    longer.push(0);
    assert!(decode(&longer).is_err());
}

#[test]
fn an_unknown_format_version_or_type_is_refused() {
    let encoded = encode(&card()).unwrap();
    assert_eq!(encoded[0], FORMAT_VERSION);
    let mut v = encoded.to_vec();
    v[0] = FORMAT_VERSION + 1;
    assert!(decode(&v).is_err());
    let mut v = encoded.to_vec();
    v[1] = 0;
    assert!(decode(&v).is_err());
}
