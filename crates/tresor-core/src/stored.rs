//! The small text forms that settings take in the store's key-value table: a flag is `0` or `1`, nothing else.

/// A stored flag; `None` for anything but `0` and `1` (a damaged value is never read as a default).
pub(crate) fn flag(v: &str) -> Option<bool> {
    match v {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// The stored form of a flag: `0` or `1`.
pub(crate) fn bit(v: bool) -> &'static str {
    if v { "1" } else { "0" }
}
