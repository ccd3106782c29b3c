//! `FIELD=VALUE` changes to a settings document, shared by `tresor admin settings set` and `tresor admin log
//! settings set`: the current value of a field gives the type its new value is read as.

use anyhow::{Result, anyhow, bail};
use serde_json::Value;

/// `KEY=VALUE` split at the first `=`.
pub fn split(change: &str, form: &str) -> Result<(String, String)> {
    let (key, value) = change.split_once('=').ok_or_else(|| anyhow!("expected {form}, got {change}"))?;
    Ok((key.trim().to_owned(), value.to_owned()))
}

/// Sets `slot` from `value`, read as the type `slot` holds now: true/false (also yes/no, on/off), a whole number,
/// a comma list, or text.
pub fn assign(slot: &mut Value, key: &str, value: &str) -> Result<()> {
    *slot = match slot {
        Value::Bool(_) => Value::Bool(match value {
            "true" | "yes" | "on" => true,
            "false" | "no" | "off" => false,
            _ => bail!("{key} is true or false"),
        }),
        Value::Number(_) => {
            Value::from(value.parse::<u64>().map_err(|_| anyhow!("{key} is a whole number, got {value}"))?)
        }
        Value::Array(_) => {
            Value::Array(value.split(',').filter(|v| !v.is_empty()).map(|v| Value::from(v.trim())).collect())
        }
        _ => Value::from(value),
    };
    Ok(())
}
