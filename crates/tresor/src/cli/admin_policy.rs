//! `tresor admin policy …` (Server policies: default permissions and allowed entry types), `admin assign`
//! ("Assign database") and `admin vault-settings …`.

use anyhow::{Result, bail};
use clap::builder::BoolishValueParser;
use clap::{ArgGroup, Args, Subcommand};
use tresor_api::{
    AssignOutcome, AssignRequest, AssignTarget, PermissionName, PolicyStateName, ServerPolicyView,
    UpdateServerPolicyRequest, UpdateVaultSettingsRequest, VaultSettingsView,
};

use super::admin_db::database_table;
use super::admin_rights::permission_names;
use super::args::{EntryKindArg, permissions};
use super::connect::Context;
use super::output::{fields, joined, list, wire_name, yes_no};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the default permissions and the allowed entry types.
    Show,
    /// Set default permissions: PERM=enabled|disabled|undefined (repeat).
    Set {
        /// e.g. print=disabled export=undefined
        #[arg(value_name = "PERM=STATE", required = true, value_parser = policy_assignment)]
        states: Vec<(PermissionName, PolicyStateName)>,
    },
    /// Replace the list of entry types users may create.
    Types {
        /// The allowed types.
        #[arg(value_name = "TYPE", required = true)]
        types: Vec<EntryKindArg>,
    },
    /// Restore the default server policy.
    Restore,
}

fn policy_assignment(text: &str) -> Result<(PermissionName, PolicyStateName), String> {
    let (name, state) = text.split_once('=').ok_or("expected PERM=enabled|disabled|undefined")?;
    let permission = PermissionName::parse(name.trim()).ok_or_else(|| format!("unknown permission {name:?}"))?;
    let state = match state.trim() {
        "enabled" => PolicyStateName::Enabled,
        "disabled" => PolicyStateName::Disabled,
        "undefined" => PolicyStateName::Undefined,
        other => return Err(format!("unknown state {other:?}; use enabled, disabled or undefined")),
    };
    Ok((permission, state))
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).multiple(true).args(["users", "groups"])))]
#[command(group(ArgGroup::new("target").required(true).args(["database", "new_database", "private"])))]
pub struct AssignArgs {
    /// A user to give the permissions to (repeat).
    #[arg(long = "user", value_name = "USER")]
    users: Vec<String>,
    /// A group to give the permissions to (repeat).
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<String>,
    /// An existing database (name or id).
    #[arg(long, value_name = "DB")]
    database: Option<String>,
    /// A new database with this name.
    #[arg(long, value_name = "NAME")]
    new_database: Option<String>,
    /// A private database for each selected user or group, named after it.
    #[arg(long)]
    private: bool,
    /// The permissions allowed at the database level, or `all`.
    #[arg(value_name = "PERM", required = true, value_parser = permission_names())]
    permissions: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum VaultSettingsCommand {
    /// Show the vault settings.
    Show,
    /// Change vault settings; only the options given change.
    Set(VaultSettingsArgs),
}

#[derive(Debug, Args)]
pub struct VaultSettingsArgs {
    /// Give every new user a private database.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    private_databases: Option<bool>,
    /// Delete a user's private database with the user.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    delete_private_with_user: Option<bool>,
    /// The largest attachment, in bytes (a K, M or G suffix multiplies by 1024, 1024², 1024³).
    #[arg(long, value_name = "BYTES", value_parser = byte_size)]
    attachment_limit: Option<u64>,
    /// "Edit entries": how long an entry's lock lasts, in seconds (10 to 86400).
    #[arg(long, value_name = "SECONDS")]
    edit_lock_secs: Option<u32>,
    /// Passwords must be at least this long.
    #[arg(long, value_name = "N")]
    min_length: Option<u32>,
    /// The generator's default length.
    #[arg(long, value_name = "N")]
    default_length: Option<u32>,
    /// Passwords need a lower-case letter.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    require_lowercase: Option<bool>,
    /// Passwords need an upper-case letter.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    require_uppercase: Option<bool>,
    /// Passwords need a digit.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    require_digits: Option<bool>,
    /// Passwords need a symbol.
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    require_symbols: Option<bool>,
}

fn byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, factor) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&text[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    let n: u64 = digits.trim().parse().map_err(|_| format!("expected a number of bytes, got {text:?}"))?;
    n.checked_mul(factor).ok_or_else(|| "too large".to_owned())
}

pub async fn policy(ctx: &Context, command: PolicyCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let policy = match command {
        PolicyCommand::Show => client.server_policy().await?,
        PolicyCommand::Set { states } => {
            let request =
                UpdateServerPolicyRequest { permissions: states.into_iter().collect(), allowed_entry_types: None };
            client.update_server_policy(&request).await?
        }
        PolicyCommand::Types { types } => {
            let types = types.into_iter().map(|t| t.0).collect();
            let request = UpdateServerPolicyRequest { allowed_entry_types: Some(types), ..Default::default() };
            client.update_server_policy(&request).await?
        }
        PolicyCommand::Restore => client.restore_server_policy().await?,
    };
    ctx.out.show(&policy, policy_text)
}

fn policy_text(p: &ServerPolicyView) -> String {
    let rows = p.permissions.iter().map(|(name, state)| vec![name.clone(), wire_name(state)]).collect();
    let types = joined(p.allowed_entry_types.iter().map(|t| t.as_str()));
    format!("{}\nAllowed entry types: {types}", list(&["Permission", "Default"], rows))
}

pub async fn assign(ctx: &Context, args: AssignArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let database = match (args.database, args.new_database) {
        (Some(db), _) => AssignTarget::Existing(db),
        (None, Some(name)) => AssignTarget::New(name),
        (None, None) => AssignTarget::Private,
    };
    let request = AssignRequest {
        users: args.users,
        groups: args.groups,
        database,
        permissions: permissions(&args.permissions)?,
    };
    let outcome = client.assign_database(&request).await?;
    ctx.out.show(&outcome, |o: &AssignOutcome| format!("Assigned:\n{}", database_table(&o.databases)))
}

pub async fn vault_settings(ctx: &Context, command: VaultSettingsCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let settings = match command {
        VaultSettingsCommand::Show => client.vault_settings().await?,
        VaultSettingsCommand::Set(args) => {
            let policy_change =
                [args.require_lowercase, args.require_uppercase, args.require_digits, args.require_symbols]
                    .iter()
                    .any(Option::is_some)
                    || args.min_length.is_some()
                    || args.default_length.is_some();
            // The policy travels whole, so the current one is the base of a partial change.
            let password_policy = if policy_change {
                let mut p = client.vault_settings().await?.password_policy;
                p.min_length = args.min_length.unwrap_or(p.min_length);
                p.default_length = args.default_length.unwrap_or(p.default_length);
                p.require_lowercase = args.require_lowercase.unwrap_or(p.require_lowercase);
                p.require_uppercase = args.require_uppercase.unwrap_or(p.require_uppercase);
                p.require_digits = args.require_digits.unwrap_or(p.require_digits);
                p.require_symbols = args.require_symbols.unwrap_or(p.require_symbols);
                Some(p)
            } else {
                None
            };
            let request = UpdateVaultSettingsRequest {
                private_database_for_new_users: args.private_databases,
                delete_private_database_with_user: args.delete_private_with_user,
                attachment_limit_bytes: args.attachment_limit,
                password_policy,
                edit_lock_secs: args.edit_lock_secs,
            };
            let empty = request.private_database_for_new_users.is_none()
                && request.delete_private_database_with_user.is_none()
                && request.attachment_limit_bytes.is_none()
                && request.password_policy.is_none()
                && request.edit_lock_secs.is_none();
            if empty {
                bail!("nothing to change; pass at least one option (see `tresor admin vault-settings set --help`)");
            }
            client.update_vault_settings(&request).await?
        }
    };
    ctx.out.show(&settings, settings_text)
}

fn settings_text(s: &VaultSettingsView) -> String {
    let p = &s.password_policy;
    fields(vec![
        ("Private database for new users", yes_no(s.private_database_for_new_users)),
        ("Delete private database with user", yes_no(s.delete_private_database_with_user)),
        ("Attachment limit (bytes)", s.attachment_limit_bytes.to_string()),
        ("Edit entries: lock time limit (s)", s.edit_lock_secs.to_string()),
        ("Password minimum length", p.min_length.to_string()),
        ("Password default length", p.default_length.to_string()),
        ("Require lower-case", yes_no(p.require_lowercase)),
        ("Require upper-case", yes_no(p.require_uppercase)),
        ("Require digits", yes_no(p.require_digits)),
        ("Require symbols", yes_no(p.require_symbols)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_states_parse() {
        assert_eq!(policy_assignment("print=disabled"), Ok((PermissionName::Print, PolicyStateName::Disabled)));
        assert!(policy_assignment("print").is_err());
        assert!(policy_assignment("fly=enabled").is_err());
        assert!(policy_assignment("print=maybe").is_err());
    }

    #[test]
    fn byte_sizes_take_binary_suffixes() {
        assert_eq!(byte_size("1024"), Ok(1024));
        assert_eq!(byte_size("10M"), Ok(10 << 20));
        assert_eq!(byte_size("2k"), Ok(2048));
        assert!(byte_size("lots").is_err());
        assert!(byte_size("99999999999G").is_err());
    }
}
