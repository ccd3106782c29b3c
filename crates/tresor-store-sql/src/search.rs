//! Listing searches: the lowercased `search_text` the store keeps per row, the LIKE pattern for a query, and
//! paging.
//!
//! Lowercasing happens here, in Rust, rather than with SQL `lower()`/`ILIKE`: SQLite folds ASCII only, so the
//! engines would disagree on "Ä". With both sides folded by the same function they cannot.

use tresor_core::store::ListFilter;
use tresor_core::{Group, User};

/// Separates fields in `search_text`; removed from queries so that a match cannot span two fields.
const FIELD_SEPARATOR: char = '\u{1f}';

/// The listing size when the caller gave none.
pub(crate) const DEFAULT_LIMIT: u32 = 100;

/// Escapes LIKE's wildcards and its escape character itself; the queries say `ESCAPE '\'`.
const ESCAPE: char = '\\';

fn fold(fields: &[&str]) -> String {
    let sep = FIELD_SEPARATOR.to_string();
    fields.iter().map(|f| f.replace(FIELD_SEPARATOR, " ").to_lowercase()).collect::<Vec<_>>().join(&sep)
}

/// What a user search matches: account, full name, email and department.
pub(crate) fn user_text(user: &User) -> String {
    fold(&[&user.account, &user.profile.full_name, &user.profile.email, &user.profile.department])
}

/// What a group search matches: name and description.
pub(crate) fn group_text(group: &Group) -> String {
    fold(&[&group.name, &group.description])
}

/// The LIKE pattern for a case-insensitive substring; no query matches everything.
pub(crate) fn like_pattern(q: Option<&str>) -> String {
    let q = q.unwrap_or_default().to_lowercase();
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.chars().filter(|c| *c != FIELD_SEPARATOR) {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `(offset, limit)` as bound values; a limit of 0 means the caller's default was not applied.
pub(crate) fn paging(filter: &ListFilter) -> (i64, i64) {
    let limit = if filter.limit == 0 { DEFAULT_LIMIT } else { filter.limit };
    (i64::from(filter.offset), i64::from(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(like_pattern(Some("50%_a\\b")), "%50\\%\\_a\\\\b%");
        assert_eq!(like_pattern(None), "%%");
        assert_eq!(like_pattern(Some("ÄB")), "%äb%");
    }

    #[test]
    fn fields_cannot_be_matched_across() {
        assert_eq!(fold(&["Ann", "B\u{1f}C"]), "ann\u{1f}b c");
        assert_eq!(like_pattern(Some("n\u{1f}b")), "%nb%");
    }

    #[test]
    fn zero_limit_means_default() {
        let filter = ListFilter { q: None, offset: 5, limit: 0 };
        assert_eq!(paging(&filter), (5, 100));
        assert_eq!(paging(&ListFilter { limit: 7, ..filter }), (5, 7));
    }
}
