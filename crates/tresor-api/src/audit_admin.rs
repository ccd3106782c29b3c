//! Where the server log goes (seed manual, Server Settings → Logging) and the notifications that e-mail chosen
//! events (seed manual, Notifications; New notification; Notification properties).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::Schema;
use utoipa::openapi::schema::AdditionalProperties;

/// "Create new log file".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewLogFile {
    Daily,
    Weekly,
}

/// How records reach the remote receiver: syslog over UDP (RFC 5426), TCP (RFC 6587) or TLS (RFC 5425).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogTransport {
    Udp,
    Tcp,
    Tls,
}

/// Remote log: "Send log messages to a remote server".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteLogSettings {
    /// Host name or IP address of the syslog receiver.
    #[schema(min_length = 1, max_length = 253)]
    pub host: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: u16,
    pub transport: LogTransport,
    /// Absolute path of a PEM file of the CA that signed the receiver's certificate (tls only), besides the
    /// system's.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// The most the spool holds while the receiver is away, in MiB; beyond it the oldest records are dropped (and
    /// the drop is logged). Default 64.
    #[serde(default = "default_spool_mb")]
    #[schema(minimum = 1, maximum = 10240, default = 64)]
    pub spool_mb: u32,
}

fn default_spool_mb() -> u32 {
    64
}

/// The log's settings (seed manual, Server Settings → Logging). `PUT` replaces them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// Write the log to local files.
    pub files: bool,
    /// Logs folder: an absolute path; `null` for `logs` in the data directory.
    #[serde(default)]
    pub folder: Option<String>,
    /// "Max. file size (KB)".
    #[schema(minimum = 16, maximum = 1048576)]
    pub max_file_kb: u32,
    pub new_file: NewLogFile,
    /// "Delete logs" older than this many days; 0 keeps them.
    #[schema(maximum = 36500)]
    pub keep_days: u32,
    /// The remote receiver, or `null` for none.
    #[serde(default, deserialize_with = "crate::object_only")]
    pub remote: Option<RemoteLogSettings>,
}

/// Who triggers a notification: `"all"` (all users and groups) or the selected users and groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NotificationTrigger {
    #[default]
    All,
    /// Users and groups by name or id; the server answers with ids and names.
    Selected { users: Vec<String>, groups: Vec<String> },
}

/// What a notification is about: `"all"` (all databases), or selected databases or entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NotificationScope {
    #[default]
    All,
    /// Databases by name or id.
    Databases(Vec<String>),
    /// Entries by id.
    Entries(Vec<String>),
}

/// A notification's settings (seed manual, Notification properties). `PUT` replaces them all.
///
/// `trigger` is `"all"` or `{"users": [...], "groups": [...]}` (names or ids); `scope` is `"all"`,
/// `{"databases": [...]}` (names or ids) or `{"entries": [...]}` (ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationRequest {
    /// The event number (seed manual, Event IDs).
    #[schema(minimum = 100, maximum = 999)]
    pub event: u16,
    /// Included in the e-mail.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: String,
    /// E-mail addresses.
    #[schema(min_items = 1, max_items = 50)]
    pub recipients: Vec<String>,
    /// "Send email notification to recipients"; off keeps the notification but sends nothing. Default on.
    #[serde(default = "yes")]
    pub send_email: bool,
    #[serde(default)]
    #[schema(schema_with = trigger_schema)]
    pub trigger: NotificationTrigger,
    #[serde(default)]
    #[schema(schema_with = scope_schema)]
    pub scope: NotificationScope,
}

fn yes() -> bool {
    true
}

/// A user, group, database or entry a notification names: its id, and its name where the server knows one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationSubject {
    pub id: String,
    /// `null` for entries (their titles are sealed) and for what no longer exists.
    pub name: Option<String>,
}

/// The word `"all"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Everything {
    All,
}

/// Who triggers a notification, as the server shows it: `"all"` or the selected users and groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TriggerView {
    /// All users and groups.
    All(Everything),
    Selected {
        users: Vec<NotificationSubject>,
        groups: Vec<NotificationSubject>,
    },
}

/// What a notification is about, as the server shows it: `"all"` databases, or selected databases or entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ScopeView {
    All(Everything),
    Databases { databases: Vec<NotificationSubject> },
    Entries { entries: Vec<NotificationSubject> },
}

/// A notification (seed manual, Notifications: ID, Type, Notes, Recipients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    /// Numbered in the order they were added.
    pub id: u64,
    pub event: u16,
    /// What the event is ("An entry was deleted").
    pub description: String,
    pub notes: String,
    pub recipients: Vec<String>,
    pub send_email: bool,
    pub trigger: TriggerView,
    pub scope: ScopeView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
}

// --- the two forms of `trigger` and `scope` ---------------------------------------------------------------------

fn names(v: &Value, key: &str) -> Result<Vec<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(|| format!("`{key}` holds names or ids (strings)")))
            .collect(),
        Some(_) => Err(format!("`{key}` is a list of names or ids")),
    }
}

fn only_keys(map: &serde_json::Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown field `{k}`, expected {}", allowed.join(" or "))),
        None => Ok(()),
    }
}

/// Reads a value through `read`, which takes the JSON value and says in words what is wrong.
fn read_json<'de, D: Deserializer<'de>, T>(d: D, read: fn(Value) -> Result<T, String>) -> Result<T, D::Error> {
    read(Value::deserialize(d)?).map_err(D::Error::custom)
}

fn trigger_from(v: Value) -> Result<NotificationTrigger, String> {
    match v {
        Value::String(s) if s == "all" => Ok(NotificationTrigger::All),
        Value::Object(map) => {
            only_keys(&map, &["users", "groups"])?;
            let v = Value::Object(map);
            Ok(NotificationTrigger::Selected { users: names(&v, "users")?, groups: names(&v, "groups")? })
        }
        _ => Err("trigger is \"all\" or {\"users\": [...], \"groups\": [...]}".to_owned()),
    }
}

fn scope_from(v: Value) -> Result<NotificationScope, String> {
    let one = |map: &serde_json::Map<String, Value>, key: &str| map.len() == 1 && map.contains_key(key);
    match v {
        Value::String(s) if s == "all" => Ok(NotificationScope::All),
        Value::Object(map) if one(&map, "databases") => {
            Ok(NotificationScope::Databases(names(&Value::Object(map), "databases")?))
        }
        Value::Object(map) if one(&map, "entries") => {
            Ok(NotificationScope::Entries(names(&Value::Object(map), "entries")?))
        }
        _ => Err("scope is \"all\", {\"databases\": [...]} or {\"entries\": [...]}".to_owned()),
    }
}

impl<'de> Deserialize<'de> for NotificationTrigger {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_json(d, trigger_from)
    }
}

impl<'de> Deserialize<'de> for NotificationScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_json(d, scope_from)
    }
}

impl Serialize for NotificationTrigger {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NotificationTrigger::All => s.serialize_str("all"),
            NotificationTrigger::Selected { users, groups } => {
                serde_json::json!({ "users": users, "groups": groups }).serialize(s)
            }
        }
    }
}

impl Serialize for NotificationScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NotificationScope::All => s.serialize_str("all"),
            NotificationScope::Databases(ids) => serde_json::json!({ "databases": ids }).serialize(s),
            NotificationScope::Entries(ids) => serde_json::json!({ "entries": ids }).serialize(s),
        }
    }
}

fn string_list() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String))
        .build()
}

fn all_literal() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["all"]))
        .build()
}

fn trigger_schema() -> Schema {
    let selected = utoipa::openapi::ObjectBuilder::new()
        .property("users", string_list())
        .property("groups", string_list())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some("Selected users and groups (names or ids)"));
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(all_literal())
        .item(selected)
        .description(Some("\"all\" users and groups, or the selected ones"))
        .build()
        .into()
}

fn scope_schema() -> Schema {
    let list = |key: &str, what: &str| {
        utoipa::openapi::ObjectBuilder::new()
            .property(key, string_list())
            .required(key)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(what))
    };
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(all_literal())
        .item(list("databases", "Selected databases (names or ids)"))
        .item(list("entries", "Selected entries (ids)"))
        .description(Some("\"all\" databases, or selected databases or entries"))
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_and_scope_read_both_forms() {
        let r: NotificationRequest = serde_json::from_str(
            r#"{"event":306,"recipients":["a@example.com"],"trigger":{"users":["alice"]},"scope":{"databases":["Team"]}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.trigger, NotificationTrigger::Selected { users: vec!["alice".into()], groups: vec![] });
        assert_eq!(r.scope, NotificationScope::Databases(vec!["Team".into()]));
        assert!(r.send_email);
        let r: NotificationRequest =
            serde_json::from_str(r#"{"event":306,"recipients":[],"trigger":"all","scope":"all"}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.trigger, r.scope), (NotificationTrigger::All, NotificationScope::All));
        for bad in [
            r#"{"event":306,"recipients":[],"trigger":"some"}"#,
            r#"{"event":306,"recipients":[],"trigger":[["alice"]]}"#,
            r#"{"event":306,"recipients":[],"trigger":{"users":"alice"}}"#,
            r#"{"event":306,"recipients":[],"trigger":{"people":[]}}"#,
            r#"{"event":306,"recipients":[],"scope":{"databases":[],"entries":[]}}"#,
            r#"{"event":306,"recipients":[],"scope":{"databases":[1]}}"#,
        ] {
            assert!(serde_json::from_str::<NotificationRequest>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trigger_and_scope_write_what_they_read() {
        for text in [r#""all""#, r#"{"groups":["g"],"users":["u"]}"#] {
            let t: NotificationTrigger = serde_json::from_str(text).unwrap_or_default();
            assert_eq!(serde_json::to_string(&t).unwrap_or_default(), text);
        }
        for text in [r#""all""#, r#"{"databases":["d"]}"#, r#"{"entries":["e"]}"#] {
            let s: NotificationScope = serde_json::from_str(text).unwrap_or_default();
            assert_eq!(serde_json::to_string(&s).unwrap_or_default(), text);
        }
    }
}
