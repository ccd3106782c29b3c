//! The twelve entry types and the fields each one carries besides the common ones.
//!
//! The list is the seed manual's (Server Policies → Entries: "Password, Credit Card, Software License, Identity,
//! Information, Banking, Encrypted File, Document, Remote Desktop Connection, PuTTY, TeamViewer, Certificate").
//! The manual names the types, not their fields; the fields here are what a user of each type expects (issue 3:
//! card holder/number/expiry/CVV/PIN; IBAN/BIC/account; host/port/protocol/user/key). Title, user name, password,
//! URL, notes, tags, expiry date, custom fields and a TOTP secret are common to every type and live on
//! [`EntryBody`](super::EntryBody) itself.

use std::fmt;

/// What kind of entry this is. Stored in the clear beside the ciphertext (listings show it without decrypting,
/// and the server policy "allowed entry types" is checked on it) and again inside the sealed body, where opening
/// checks that the two agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryType {
    Password,
    CreditCard,
    SoftwareLicense,
    Identity,
    Information,
    Banking,
    EncryptedFile,
    Document,
    RemoteDesktop,
    Putty,
    TeamViewer,
    Certificate,
}

/// How a type-specific field's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFormat {
    /// Any single line of text.
    Line,
    /// Text that may span lines (keys, certificates).
    Multiline,
    /// A TCP port, 1–65535.
    Port,
}

/// One field a type allows: its stable name, whether it is a secret (hidden unless revealed, zeroized), whether
/// an entry of the type must have it, and its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub secret: bool,
    pub required: bool,
    pub format: FieldFormat,
}

const fn line(name: &'static str) -> FieldSpec {
    FieldSpec { name, secret: false, required: false, format: FieldFormat::Line }
}
const fn secret(name: &'static str) -> FieldSpec {
    FieldSpec { name, secret: true, required: false, format: FieldFormat::Line }
}
const fn required(spec: FieldSpec) -> FieldSpec {
    FieldSpec { required: true, ..spec }
}
const fn multiline(spec: FieldSpec) -> FieldSpec {
    FieldSpec { format: FieldFormat::Multiline, ..spec }
}
const PORT: FieldSpec = FieldSpec { name: "port", secret: false, required: false, format: FieldFormat::Port };

const CREDIT_CARD: &[FieldSpec] = &[
    line("card_holder"),
    line("card_type"),
    required(secret("card_number")),
    line("card_valid_from"),
    line("card_expiry"),
    secret("cvv"),
    secret("pin"),
    line("issuer"),
];
const SOFTWARE_LICENSE: &[FieldSpec] = &[
    line("product"),
    line("product_version"),
    line("publisher"),
    required(multiline(secret("license_key"))),
    line("licensed_to"),
    line("company"),
    line("email"),
    line("purchase_date"),
    line("order_number"),
];
const IDENTITY: &[FieldSpec] = &[
    line("first_name"),
    line("last_name"),
    line("birth_date"),
    line("company"),
    line("email"),
    line("phone"),
    line("mobile"),
    line("street"),
    line("postal_code"),
    line("city"),
    line("state"),
    line("country"),
    secret("id_number"),
];
const BANKING: &[FieldSpec] = &[
    line("bank_name"),
    line("account_holder"),
    secret("account_number"),
    secret("iban"),
    line("bic"),
    line("bank_code"),
    secret("pin"),
];
const FILE: &[FieldSpec] = &[line("file_name")];
const REMOTE_DESKTOP: &[FieldSpec] = &[required(line("host")), PORT, line("domain"), line("gateway")];
const PUTTY: &[FieldSpec] =
    &[required(line("host")), PORT, line("protocol"), line("session"), multiline(secret("private_key"))];
const TEAMVIEWER: &[FieldSpec] = &[required(line("partner_id"))];
const CERTIFICATE: &[FieldSpec] = &[
    line("subject"),
    line("issuer"),
    line("serial_number"),
    line("valid_until"),
    multiline(line("certificate")),
    multiline(secret("private_key")),
];

impl EntryType {
    /// Every type, in the manual's order.
    pub const ALL: [EntryType; 12] = [
        Self::Password,
        Self::CreditCard,
        Self::SoftwareLicense,
        Self::Identity,
        Self::Information,
        Self::Banking,
        Self::EncryptedFile,
        Self::Document,
        Self::RemoteDesktop,
        Self::Putty,
        Self::TeamViewer,
        Self::Certificate,
    ];

    /// The stable snake_case name used by the store, the CLI and the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::CreditCard => "credit_card",
            Self::SoftwareLicense => "software_license",
            Self::Identity => "identity",
            Self::Information => "information",
            Self::Banking => "banking",
            Self::EncryptedFile => "encrypted_file",
            Self::Document => "document",
            Self::RemoteDesktop => "remote_desktop",
            Self::Putty => "putty",
            Self::TeamViewer => "teamviewer",
            Self::Certificate => "certificate",
        }
    }

    /// The type with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The byte that stands for the type inside a sealed body; never reused.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Password => 1,
            Self::CreditCard => 2,
            Self::SoftwareLicense => 3,
            Self::Identity => 4,
            Self::Information => 5,
            Self::Banking => 6,
            Self::EncryptedFile => 7,
            Self::Document => 8,
            Self::RemoteDesktop => 9,
            Self::Putty => 10,
            Self::TeamViewer => 11,
            Self::Certificate => 12,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The fields this type allows besides the common ones. Password and Information entries have none: the
    /// common fields (and, for Information, the notes) are the whole entry.
    pub const fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Password | Self::Information => &[],
            Self::CreditCard => CREDIT_CARD,
            Self::SoftwareLicense => SOFTWARE_LICENSE,
            Self::Identity => IDENTITY,
            Self::Banking => BANKING,
            Self::EncryptedFile | Self::Document => FILE,
            Self::RemoteDesktop => REMOTE_DESKTOP,
            Self::Putty => PUTTY,
            Self::TeamViewer => TEAMVIEWER,
            Self::Certificate => CERTIFICATE,
        }
    }

    /// The spec of one of this type's fields.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl fmt::Display for EntryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
