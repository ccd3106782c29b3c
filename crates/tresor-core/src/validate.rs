//! The rules for names and free text that every account operation applies before touching the store.

use tresor_crypto::SecretString;

use crate::error::CoreError;

pub const MAX_NAME: usize = 64;
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 1024;

/// Whether a string could be an account name at all; a login with anything else is refused without a lookup
/// (after the same hashing work as any failed login).
pub fn plausible_account(s: &str) -> bool {
    !s.is_empty() && s.len() <= 4 * MAX_NAME
}

/// Account and group names: 1–64 characters, no control characters, no leading or trailing space, no `/`
/// (names appear in paths). Returns the trimmed name.
pub fn name(kind: &str, s: &str) -> Result<String, CoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CoreError::Validation(format!("the {kind} must not be empty")));
    }
    if t.chars().count() > MAX_NAME {
        return Err(CoreError::Validation(format!("the {kind} is longer than {MAX_NAME} characters")));
    }
    if t.chars().any(|c| c.is_control() || c == '/') {
        return Err(CoreError::Validation(format!("the {kind} must not contain control characters or '/'")));
    }
    if t == "." || t == ".." {
        // URL libraries resolve these path segments away: such a name would be unreachable.
        return Err(CoreError::Validation(format!("the {kind} must not be '.' or '..'")));
    }
    if uuid::Uuid::parse_str(t).is_ok() {
        // Names and ids share path segments: a name that parses as an id would be unreachable.
        return Err(CoreError::Validation(format!("the {kind} must not look like an id")));
    }
    Ok(t.to_owned())
}

/// Free text of a form field, at most `max` characters and without control characters other than newlines in
/// descriptions.
pub fn text(field: &str, s: &str, max: usize) -> Result<String, CoreError> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(CoreError::Validation(format!("{field} is longer than {max} characters")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(CoreError::Validation(format!("{field} must not contain control characters")));
    }
    Ok(t.to_owned())
}

/// An e-mail address, loosely: empty, or something with one `@` and a dot after it.
pub fn email(s: &str) -> Result<String, CoreError> {
    let t = text("email", s, 254)?;
    if t.is_empty() {
        return Ok(t);
    }
    let ok = match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.contains('@') && domain.contains('.') && !t.contains(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(CoreError::Validation("email is not an e-mail address".into()));
    }
    Ok(t)
}

/// A password a user chooses or an administrator sets. Length only: the password policy adds its own rules.
pub fn new_password(p: &SecretString) -> Result<(), CoreError> {
    let n = p.expose_secret().chars().count();
    if n < MIN_PASSWORD {
        return Err(CoreError::Validation(format!("the password must have at least {MIN_PASSWORD} characters")));
    }
    if n > MAX_PASSWORD {
        return Err(CoreError::Validation(format!("the password must have at most {MAX_PASSWORD} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(name("account name", "  alice ").ok().as_deref(), Some("alice"));
        assert!(name("account name", "").is_err());
        assert!(name("account name", "   ").is_err());
        assert!(name("account name", "a/b").is_err());
        assert!(name("account name", "a\u{0}b").is_err());
        assert!(name("account name", &"x".repeat(65)).is_err());
        assert!(name("account name", &"é".repeat(64)).is_ok(), "limit counts characters, not bytes");
        assert!(name("group name", ".").is_err());
        assert!(name("group name", "..").is_err());
        assert!(name("group name", "...").is_ok());
        assert!(name("group name", "6f1c1f9e-3c7e-4a55-9d0f-5a4bd1b0e2a1").is_err());
    }

    #[test]
    fn emails_are_loosely_checked() {
        assert!(email("").is_ok());
        assert!(email("a@b.example").is_ok());
        for bad in ["a", "a@b", "@b.example", "a@@b.example", "a b@c.example"] {
            assert!(email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_have_length_bounds() {
        assert!(new_password(&SecretString::from("short".to_owned())).is_err());
        assert!(new_password(&SecretString::from("long enough".to_owned())).is_ok());
        assert!(new_password(&SecretString::from("x".repeat(1025))).is_err());
    }
}
