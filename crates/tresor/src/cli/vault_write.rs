//! The flags that write an entry (`add`, `edit` without an editor) and the request bodies made from them.
//!
//! Secrets are never argument values, which other users see in the process list and shells keep in their history:
//! the password, the TOTP secret, secret type fields and hidden custom fields are asked for without echo, read
//! from standard input, or (for multi-line keys) read from a file.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use tresor_api::{
    CreateEntryRequest, CustomFieldInput, EntryKind, EntryTypeList, EntryView, GenerateQuery, UpdateEntryRequest,
    WirePassword,
};
use tresor_client::Client;

use super::prompt::{password_from_stdin, prompt_new_password, secret_value, stdin_is_terminal};
use super::vault_address::assignment;

/// What `add` and `edit` share.
#[derive(Debug, Args)]
pub struct EntryFieldArgs {
    /// The user name.
    #[arg(long, short = 'u', value_name = "NAME")]
    pub username: Option<String>,
    /// The web address.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Free-text notes.
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
    /// A tag (repeat for several; `edit` replaces the tags with those given).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// When the entry expires (RFC 3339, e.g. 2026-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub expires: Option<String>,
    /// A non-secret field of the entry's type, e.g. `--field host=db1` (repeat; `tresor types` lists them).
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = assignment)]
    pub fields: Vec<(String, String)>,
    /// A secret field of the entry's type (e.g. pin): its value is asked for without echo, or read from standard
    /// input when that is not a terminal (repeat).
    #[arg(long = "secret-field", value_name = "NAME", value_parser = secret_name)]
    pub secret_fields: Vec<String>,
    /// A field of the entry's type read from a file, for multi-line secrets such as private_key (repeat).
    #[arg(long = "field-file", value_name = "NAME=FILE", value_parser = assignment)]
    pub field_files: Vec<(String, String)>,
    /// A visible custom field (repeat).
    #[arg(long = "custom", value_name = "NAME=VALUE", value_parser = assignment)]
    pub custom: Vec<(String, String)>,
    /// A hidden custom field: its value is asked for without echo, or read from standard input when that is not
    /// a terminal (repeat).
    #[arg(long = "hidden", value_name = "NAME", value_parser = secret_name)]
    pub hidden: Vec<String>,
    #[command(flatten)]
    pub password: PasswordSource,
    /// Read the TOTP secret (base32, as authenticator apps show it) from standard input.
    #[arg(long, conflicts_with = "totp_prompt")]
    pub totp_stdin: bool,
    /// Ask for the TOTP secret (base32) without echo.
    #[arg(long)]
    pub totp_prompt: bool,
}

/// Where the password comes from; none of them is an argument value.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Ask for the password twice without echo.
    #[arg(long)]
    pub password_prompt: bool,
    /// Let the server generate the password (its policy's length and character classes).
    #[arg(long)]
    pub generate: bool,
}

/// A field name whose value must not be on the command line. `NAME=VALUE` is let through here and refused by
/// [`EntryFieldArgs::check`], so that the refusal does not echo the value as clap's message would.
fn secret_name(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err("expected a field name".to_owned());
    }
    Ok(text.trim().to_owned())
}

/// The secrets a command was asked to set, read in the documented order: the password, the TOTP secret, each
/// `--secret-field`, each `--hidden`.
#[derive(Debug, Default)]
pub struct Secrets {
    pub password: Option<WirePassword>,
    pub totp: Option<WirePassword>,
    pub fields: Vec<(String, WirePassword)>,
    pub hidden: Vec<(String, WirePassword)>,
}

impl EntryFieldArgs {
    /// Whether any flag was given.
    pub fn any(&self) -> bool {
        let p = &self.password;
        self.username.is_some()
            || self.url.is_some()
            || self.notes.is_some()
            || !self.tags.is_empty()
            || self.expires.is_some()
            || !self.fields.is_empty()
            || !self.secret_fields.is_empty()
            || !self.field_files.is_empty()
            || !self.custom.is_empty()
            || !self.hidden.is_empty()
            || p.password_stdin
            || p.password_prompt
            || p.generate
            || self.totp_stdin
            || self.totp_prompt
    }

    /// Refuses, before any secret is asked for, a secret value given on the command line, type fields that `kind`
    /// does not have, and secret ones given as `--field NAME=VALUE`. Asks the server for the types only when a
    /// type field is given.
    pub async fn check(&self, client: &Client, kind: EntryKind, removed: &[String]) -> Result<()> {
        for (flag, names) in [("--secret-field", &self.secret_fields), ("--hidden", &self.hidden)] {
            if let Some((name, _)) = names.iter().find_map(|n| n.split_once('=')) {
                bail!(
                    "{flag} takes a NAME only: secret values are never taken from the command line; pass {flag} \
                     {name} and type the value when asked, or give it on standard input"
                );
            }
        }
        let file_names = self.field_files.iter().map(|(name, _)| name);
        let named: Vec<&String> = self
            .fields
            .iter()
            .map(|(name, _)| name)
            .chain(&self.secret_fields)
            .chain(file_names)
            .chain(removed)
            .collect();
        if named.is_empty() {
            return Ok(());
        }
        let types = client.entry_types().await.context("cannot read the entry types")?;
        check_fields_against(&types, kind, &named, &self.fields)
    }

    /// Reads every secret the flags ask for (see [`Secrets`] for the order).
    pub async fn read_secrets(&self, client: &Client, what: &str) -> Result<Secrets> {
        let p = &self.password;
        let password = if p.password_stdin {
            Some(password_from_stdin("the password")?)
        } else if p.password_prompt {
            Some(prompt_new_password(&format!("Password for {what}: "))?)
        } else if p.generate {
            let generated = client.generate_password(&GenerateQuery::default()).await;
            Some(generated.context("cannot generate a password")?.password)
        } else {
            None
        };
        let totp = if self.totp_stdin {
            Some(password_from_stdin("the TOTP secret")?)
        } else if self.totp_prompt {
            Some(secret_value("TOTP secret (base32)", false)?)
        } else {
            None
        };
        let from_stdin = !stdin_is_terminal();
        let read = |names: &[String], kind: &str| -> Result<Vec<(String, WirePassword)>> {
            names.iter().map(|n| Ok((n.clone(), secret_value(&format!("{kind} {n}"), from_stdin)?))).collect()
        };
        let mut fields = read(&self.secret_fields, "value of field")?;
        for (name, file) in &self.field_files {
            let value =
                std::fs::read_to_string(file).with_context(|| format!("cannot read {file} for field {name}"))?;
            fields.push((name.clone(), WirePassword::new(value)));
        }
        let hidden = read(&self.hidden, "value of hidden field")?;
        Ok(Secrets { password, totp, fields, hidden })
    }

    /// The type fields given, secrets included.
    fn type_fields(&self, secrets: &mut Secrets) -> BTreeMap<String, WirePassword> {
        let plain = self.fields.iter().map(|(n, v)| (n.clone(), WirePassword::new(v.clone())));
        plain.chain(secrets.fields.drain(..)).collect()
    }

    /// The body of `add`.
    pub fn create_request(
        &self,
        kind: EntryKind,
        folder: Option<String>,
        title: &str,
        mut secrets: Secrets,
    ) -> CreateEntryRequest {
        let visible = self.custom.iter().map(|(n, v)| custom(n, WirePassword::new(v.clone()), false));
        let hidden = secrets.hidden.drain(..).map(|(n, v)| custom(&n, v, true));
        let custom = visible.chain(hidden).collect();
        CreateEntryRequest {
            kind: kind.as_str().to_owned(),
            folder,
            title: title.to_owned(),
            username: self.username.clone().unwrap_or_default(),
            password: secrets.password.take(),
            url: self.url.clone().unwrap_or_default(),
            notes: self.notes.clone().unwrap_or_default(),
            tags: self.tags.clone(),
            expires: self.expires.clone(),
            fields: self.type_fields(&mut secrets),
            custom,
            totp: secrets.totp.take(),
        }
    }
}

fn custom(name: &str, value: WirePassword, secret: bool) -> CustomFieldInput {
    CustomFieldInput { name: name.to_owned(), value, secret }
}

fn check_fields_against(
    types: &EntryTypeList,
    kind: EntryKind,
    named: &[&String],
    plain: &[(String, String)],
) -> Result<()> {
    let Some(spec) = types.types.iter().find(|t| t.kind == kind) else {
        bail!("the server does not know the entry type {}", kind.as_str());
    };
    for name in named {
        if !spec.fields.iter().any(|f| f.name == **name) {
            let known: Vec<&str> = spec.fields.iter().map(|f| f.name.as_str()).collect();
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            bail!("type {} has no field {name} (its fields: {known}); use --custom for your own", kind.as_str());
        }
    }
    for (name, _) in plain {
        if spec.fields.iter().any(|f| f.name == *name && f.secret) {
            bail!("{name} is a secret field: pass --secret-field {name} and type the value, or use --field-file");
        }
    }
    Ok(())
}

/// `edit`'s flags beyond those `add` has.
#[derive(Debug, Args)]
pub struct EditFlags {
    /// A new title.
    #[arg(long, value_name = "TITLE")]
    pub title: Option<String>,
    /// Remove every tag.
    #[arg(long, conflicts_with = "tags")]
    pub no_tags: bool,
    /// Remove the expiry date.
    #[arg(long, conflicts_with = "expires")]
    pub no_expires: bool,
    /// Remove the TOTP secret.
    #[arg(long, conflicts_with_all = ["totp_stdin", "totp_prompt"])]
    pub no_totp: bool,
    /// Remove a field of the entry's type (repeat).
    #[arg(long = "remove-field", value_name = "NAME")]
    pub remove_fields: Vec<String>,
    /// Remove a custom field (repeat).
    #[arg(long = "remove-custom", value_name = "NAME")]
    pub remove_custom: Vec<String>,
}

impl EditFlags {
    pub fn any(&self) -> bool {
        self.title.is_some()
            || self.no_tags
            || self.no_expires
            || self.no_totp
            || !self.remove_fields.is_empty()
            || !self.remove_custom.is_empty()
    }
}

/// Whether an edit touches the custom fields, which the API replaces as a whole list: the entry must then be read
/// with its hidden values so that the others survive.
pub fn edits_custom(args: &EntryFieldArgs, flags: &EditFlags) -> bool {
    !args.custom.is_empty() || !args.hidden.is_empty() || !flags.remove_custom.is_empty()
}

/// The body of `edit` with flags, against `current` (read just before; revealed when [`edits_custom`]).
pub fn update_request(
    args: &EntryFieldArgs,
    flags: &EditFlags,
    current: &EntryView,
    mut secrets: Secrets,
) -> Result<UpdateEntryRequest> {
    let mut fields = args.type_fields(&mut secrets);
    for name in &flags.remove_fields {
        fields.insert(name.clone(), WirePassword::default());
    }
    let custom = if edits_custom(args, flags) { Some(merge_custom(args, flags, current, &mut secrets)?) } else { None };
    Ok(UpdateEntryRequest {
        version: Some(current.version),
        title: flags.title.clone(),
        username: args.username.clone(),
        password: secrets.password.take(),
        url: args.url.clone(),
        notes: args.notes.clone(),
        tags: if flags.no_tags { Some(Vec::new()) } else { Some(args.tags.clone()).filter(|t| !t.is_empty()) },
        expires: if flags.no_expires { Some(String::new()) } else { args.expires.clone() },
        fields: Some(fields).filter(|f| !f.is_empty()),
        custom,
        totp: if flags.no_totp { Some(WirePassword::default()) } else { secrets.totp.take() },
    })
}

/// The whole new custom list: the current one with the named fields replaced, added or removed.
fn merge_custom(
    args: &EntryFieldArgs,
    flags: &EditFlags,
    current: &EntryView,
    secrets: &mut Secrets,
) -> Result<Vec<CustomFieldInput>> {
    if !current.revealed && current.custom.iter().any(|c| c.secret && c.has_value) {
        bail!("the server did not reveal the hidden custom fields, so changing the list would lose them");
    }
    let mut list: Vec<CustomFieldInput> =
        current.custom.iter().map(|c| custom(&c.name, c.value.clone().unwrap_or_default(), c.secret)).collect();
    for name in &flags.remove_custom {
        let before = list.len();
        list.retain(|c| c.name != *name);
        if list.len() == before {
            bail!("the entry has no custom field {name}");
        }
    }
    let visible = args.custom.iter().map(|(n, v)| custom(n, WirePassword::new(v.clone()), false));
    let hidden = secrets.hidden.drain(..).map(|(n, v)| custom(&n, v, true));
    for field in visible.chain(hidden).collect::<Vec<_>>() {
        match list.iter_mut().find(|c| c.name == field.name) {
            Some(existing) => *existing = field,
            None => list.push(field),
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use tresor_api::{EntryFieldSpec, EntryTypeView};

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        args: EntryFieldArgs,
        #[command(flatten)]
        flags: EditFlags,
    }

    fn parse(argv: &[&str]) -> std::result::Result<Probe, clap::Error> {
        Probe::try_parse_from(std::iter::once("probe").chain(argv.iter().copied()))
    }

    #[test]
    fn one_password_source_at_most() {
        assert!(parse(&["--password-stdin", "--generate"]).is_err());
        let ok = parse(&["--hidden", "pin", "--field", "host=db1", "--custom", "env=prod"]).expect("parse");
        assert_eq!(ok.args.hidden, ["pin"]);
        assert_eq!(ok.args.fields, [("host".to_owned(), "db1".to_owned())]);
    }

    fn types() -> EntryTypeList {
        let spec = |name: &str, secret| EntryFieldSpec { name: name.into(), secret, required: false, multiline: false };
        EntryTypeList {
            types: vec![EntryTypeView {
                kind: EntryKind::CreditCard,
                allowed: true,
                fields: vec![spec("card_holder", false), spec("cvv", true)],
            }],
        }
    }

    #[test]
    fn type_fields_are_checked_against_the_type() {
        let holder = "card_holder".to_owned();
        let cvv = "cvv".to_owned();
        let plain = [(holder.clone(), "A".to_owned())];
        assert!(check_fields_against(&types(), EntryKind::CreditCard, &[&holder, &cvv], &plain).is_ok());
        let secret_plain = [(cvv.clone(), "123".to_owned())];
        let err = check_fields_against(&types(), EntryKind::CreditCard, &[&cvv], &secret_plain).expect_err("secret");
        assert!(err.to_string().contains("--secret-field cvv"), "{err}");
        let host = "host".to_owned();
        let err = check_fields_against(&types(), EntryKind::CreditCard, &[&host], &[]).expect_err("unknown");
        assert!(err.to_string().contains("card_holder, cvv"), "{err}");
    }

    #[test]
    fn a_create_request_carries_what_was_given() {
        let probe = parse(&["-u", "alice", "--tag", "a", "--tag", "b", "--field", "host=h", "--custom", "env=prod"])
            .expect("parse");
        let secrets = Secrets {
            password: Some(WirePassword::new("pw-123456")),
            hidden: vec![("pin".into(), WirePassword::new("0000"))],
            ..Secrets::default()
        };
        let request = probe.args.create_request(EntryKind::Password, Some("f1".into()), "Web", secrets);
        let json = serde_json::to_value(&request).expect("json");
        assert_eq!(json["username"], "alice");
        assert_eq!(json["password"], "pw-123456");
        assert_eq!(json["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(json["fields"], serde_json::json!({"host": "h"}));
        assert_eq!(
            json["custom"],
            serde_json::json!([{"name": "env", "value": "prod", "secret": false}, {"name": "pin", "value": "0000", "secret": true}])
        );
        assert_eq!(json["folder"], "f1");
    }
}
