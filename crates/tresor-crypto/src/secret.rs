//! `SecretString`: a user-supplied secret (password, passphrase) that is redacted and zeroized.

use std::fmt;

use zeroize::Zeroizing;

/// A string that must not leak: `Debug` is redacted, there is no `Display`, `Clone` or
/// `Serialize`, and the buffer is wiped on drop.
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `s`; the only copy is wiped when this value drops.
    #[must_use]
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret itself. Named so that every use stands out in review.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is the empty string.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}
