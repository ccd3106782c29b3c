//! How results reach standard output: tables for people, the API's JSON with `--json`.

use anyhow::{Context, Result};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

/// The output mode chosen by `--json`.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as pretty JSON with `--json`, else what `human` renders.
    pub fn show<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) -> Result<()> {
        if self.json {
            let text = serde_json::to_string_pretty(value).context("cannot encode the answer as JSON")?;
            println!("{text}");
        } else {
            println!("{}", human(value));
        }
        Ok(())
    }

    /// A confirmation for people after a command with no answer body; with `--json` nothing is printed (the exit
    /// status says it all).
    pub fn done(&self, message: &str) {
        if !self.json {
            println!("{message}");
        }
    }
}

/// A two-column table of one object's fields.
pub fn fields(rows: Vec<(&str, String)>) -> String {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    for (key, value) in rows {
        table.add_row(vec![key.to_owned(), value]);
    }
    table.to_string()
}

/// A table with a header row, one row per object.
pub fn list(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// A list of names for a table cell; `-` when empty.
pub fn joined<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    let parts: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    if parts.is_empty() { "-".to_owned() } else { parts.join(", ") }
}

/// The wire name of a unit enum value (`super_admin`, `running`, …), as `--json` would show it.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hold_their_cells() {
        let text = fields(vec![("Account", "alice".into()), ("Roles", joined(Vec::<String>::new()))]);
        assert!(text.contains("Account") && text.contains("alice") && text.contains('-'));
        let text = list(&["Name", "Id"], vec![vec!["staff".into(), "g1".into()]]);
        assert!(text.contains("Name") && text.contains("staff"));
        assert_eq!(joined(["a", "b"]), "a, b");
        assert_eq!(wire_name(&tresor_api::UserKind::SuperAdmin), "super_admin");
    }
}
