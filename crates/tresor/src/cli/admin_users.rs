//! `tresor admin user …`: listing, showing, creating, changing and deleting user accounts.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use tresor_api::{AccountOptionsPatch, CreateUserRequest, SetPasswordRequest, UpdateUserRequest, UserList, UserView};

use super::args::{ListArgs, RoleArg};
use super::connect::Context;
use super::output::{fields, joined, list, wire_name, yes_no};
use super::prompt::{confirm_deletion, password_from_stdin, prompt_new_password};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// List users.
    List(ListArgs),
    /// Show one user.
    Show {
        /// Account name or id.
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Create a user (asks for the initial password twice unless --password-stdin).
    Add(AddUserArgs),
    /// Change a user; only the options given change, and list options replace the old list.
    Edit(EditUserArgs),
    /// Delete a user.
    Rm {
        /// Account name or id.
        #[arg(value_name = "USER")]
        user: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Set a user's password.
    Passwd {
        /// Account name or id.
        #[arg(value_name = "USER")]
        user: String,
        /// Read the new password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Do not make the user choose a new password at the next logon.
        #[arg(long)]
        no_must_change_password: bool,
    },
    /// Show a user's second factor: enrolled authenticator, recovery codes left, failed logins.
    TwoFactor {
        /// Account name or id.
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Reset a user's second factor: the user enrols again at the next login (seed manual: Reset 2FA).
    Reset2fa {
        /// Account name or id.
        #[arg(value_name = "USER")]
        user: String,
    },
}

/// Profile fields of a user.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The person's full name.
    #[arg(long, value_name = "NAME")]
    full_name: Option<String>,
    /// E-mail address (for notifications).
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// Phone number.
    #[arg(long, value_name = "NUMBER")]
    phone: Option<String>,
    /// Department.
    #[arg(long, value_name = "NAME")]
    department: Option<String>,
    /// Free-text description.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddUserArgs {
    /// Account name of the new user.
    #[arg(value_name = "ACCOUNT")]
    account: String,
    #[command(flatten)]
    profile: ProfileArgs,
    /// Give a server role (repeat for several).
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<RoleArg>,
    /// Join a group, by name or id (repeat for several).
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<String>,
    /// Allow logons only from this address or network (CIDR); repeat for several. Default: anywhere.
    #[arg(long = "allow-address", value_name = "ADDRESS")]
    allowed_addresses: Vec<String>,
    /// Read the initial password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Do not make the user choose a new password at the first logon.
    #[arg(long)]
    no_must_change_password: bool,
    /// The user may not change the password.
    #[arg(long)]
    may_not_change_password: bool,
    /// Create the account deactivated.
    #[arg(long)]
    deactivated: bool,
    /// Exempt the user from two-factor authentication.
    #[arg(long)]
    two_factor_disabled: bool,
}

#[derive(Debug, Args)]
pub struct EditUserArgs {
    /// Account name or id of the user to change.
    #[arg(value_name = "USER")]
    user: String,
    /// Rename the account.
    #[arg(long, value_name = "NEW")]
    account: Option<String>,
    #[command(flatten)]
    profile: ProfileArgs,
    /// Replace the server roles with these (repeat for several).
    #[arg(long = "role", value_name = "ROLE", conflicts_with = "no_roles")]
    roles: Vec<RoleArg>,
    /// Remove every server role.
    #[arg(long)]
    no_roles: bool,
    /// Replace the group memberships with these groups (repeat for several).
    #[arg(long = "group", value_name = "GROUP", conflicts_with = "no_groups")]
    groups: Vec<String>,
    /// Remove the user from every group.
    #[arg(long)]
    no_groups: bool,
    /// Replace the allowed addresses with these (repeat for several).
    #[arg(long = "allow-address", value_name = "ADDRESS", conflicts_with = "any_address")]
    allowed_addresses: Vec<String>,
    /// Allow logons from any address.
    #[arg(long)]
    any_address: bool,
    /// Deactivate the account.
    #[arg(long, conflicts_with = "activate")]
    deactivate: bool,
    /// Activate the account.
    #[arg(long)]
    activate: bool,
    /// Whether the user must choose a new password at the next logon.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    must_change_password: Option<bool>,
    /// Whether the user is forbidden to change the password.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    may_not_change_password: Option<bool>,
    /// Whether the user is exempt from two-factor authentication.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    two_factor_disabled: Option<bool>,
}

pub async fn run(ctx: &Context, command: UserCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match command {
        UserCommand::List(args) => {
            let users = client.list_users(&args.query()).await?;
            ctx.out.show(&users, |u: &UserList| {
                format!("{}\n{}", user_table(&u.users), args.summary(u.users.len(), u.total, "users"))
            })
        }
        UserCommand::Show { user } => ctx.out.show(&client.get_user(&user).await?, user_fields),
        UserCommand::TwoFactor { user } => ctx.out.show(&client.user_two_factor(&user).await?, |s| {
            fields(vec![
                ("Authenticator enrolled", yes_no(s.totp_enrolled)),
                ("Recovery codes left", s.recovery_codes_left.to_string()),
                ("Failed logins", s.failed_logins.to_string()),
            ])
        }),
        UserCommand::Reset2fa { user } => {
            client.reset_user_two_factor(&user).await?;
            ctx.out.done(&format!("The second factor of {user} is reset; the user enrols again at the next login."));
            Ok(())
        }
        UserCommand::Add(args) => {
            let password = if args.password_stdin {
                password_from_stdin("the password")?
            } else {
                prompt_new_password(&format!("Password for {}: ", args.account))?
            };
            let request = CreateUserRequest {
                account: args.account,
                password,
                full_name: args.profile.full_name.unwrap_or_default(),
                email: args.profile.email.unwrap_or_default(),
                phone: args.profile.phone.unwrap_or_default(),
                department: args.profile.department.unwrap_or_default(),
                description: args.profile.description.unwrap_or_default(),
                options: AccountOptionsPatch {
                    deactivated: Some(args.deactivated),
                    may_not_change_password: Some(args.may_not_change_password),
                    must_change_password: Some(!args.no_must_change_password),
                    two_factor_disabled: Some(args.two_factor_disabled),
                },
                roles: args.roles.into_iter().map(|r| r.0).collect(),
                member_of: args.groups,
                allowed_addresses: args.allowed_addresses,
            };
            ctx.out.show(&client.create_user(&request).await?, user_fields)
        }
        UserCommand::Edit(args) => {
            let user = args.user.clone();
            let request = edit_request(args)?;
            ctx.out.show(&client.update_user(&user, &request).await?, user_fields)
        }
        UserCommand::Rm { user, yes } => {
            confirm_deletion(&format!("user {user}"), yes)?;
            client.delete_user(&user).await?;
            ctx.out.done(&format!("Deleted user {user}."));
            Ok(())
        }
        UserCommand::Passwd { user, password_stdin, no_must_change_password } => {
            let password = if password_stdin {
                password_from_stdin("the new password")?
            } else {
                prompt_new_password(&format!("New password for {user}: "))?
            };
            let request = SetPasswordRequest { password, must_change_password: Some(!no_must_change_password) };
            client.set_user_password(&user, &request).await?;
            ctx.out.done(&format!("Password of {user} set."));
            Ok(())
        }
    }
}

/// The PATCH body for `edit`: only what was given; an empty change is refused rather than sent.
fn edit_request(args: EditUserArgs) -> Result<UpdateUserRequest> {
    let replace = |list: Vec<String>, clear: bool| (clear || !list.is_empty()).then_some(list);
    let options = AccountOptionsPatch {
        deactivated: match (args.deactivate, args.activate) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        may_not_change_password: args.may_not_change_password,
        must_change_password: args.must_change_password,
        two_factor_disabled: args.two_factor_disabled,
    };
    let request = UpdateUserRequest {
        account: args.account,
        full_name: args.profile.full_name,
        email: args.profile.email,
        phone: args.profile.phone,
        department: args.profile.department,
        description: args.profile.description,
        options: (options != AccountOptionsPatch::default()).then_some(options),
        roles: (args.no_roles || !args.roles.is_empty()).then(|| args.roles.into_iter().map(|r| r.0).collect()),
        member_of: replace(args.groups, args.no_groups),
        allowed_addresses: replace(args.allowed_addresses, args.any_address),
    };
    let empty = serde_json::to_value(&request).ok().and_then(|v| v.as_object().map(serde_json::Map::is_empty));
    if empty != Some(false) {
        bail!("nothing to change; pass at least one option (see `tresor admin user edit --help`)");
    }
    Ok(request)
}

fn user_table(users: &[UserView]) -> String {
    let rows = users
        .iter()
        .map(|u| {
            vec![
                u.account.clone(),
                u.full_name.clone(),
                u.email.clone(),
                u.department.clone(),
                joined(u.roles.iter().map(|r| r.as_str())),
                if u.options.deactivated { "deactivated" } else { "active" }.to_owned(),
                u.id.clone(),
            ]
        })
        .collect();
    list(&["Account", "Full name", "Email", "Department", "Roles", "Status", "Id"], rows)
}

fn user_fields(u: &UserView) -> String {
    fields(vec![
        ("Id", u.id.clone()),
        ("Account", u.account.clone()),
        ("Kind", wire_name(&u.kind)),
        ("Full name", u.full_name.clone()),
        ("Email", u.email.clone()),
        ("Phone", u.phone.clone()),
        ("Department", u.department.clone()),
        ("Description", u.description.clone()),
        ("Authentication", wire_name(&u.authentication)),
        ("Roles", joined(u.roles.iter().map(|r| r.as_str()))),
        ("Member of", joined(u.member_of.iter().map(|g| g.name.as_str()))),
        ("Allowed addresses", if u.allowed_addresses.is_empty() { "any".into() } else { joined(&u.allowed_addresses) }),
        ("Deactivated", yes_no(u.options.deactivated)),
        ("Must change password", yes_no(u.options.must_change_password)),
        ("May not change password", yes_no(u.options.may_not_change_password)),
        ("Two-factor disabled", yes_no(u.options.two_factor_disabled)),
        ("Created", u.created_at.clone()),
        ("Updated", u.updated_at.clone()),
    ])
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{AdminCommand, Cli, Command};
    use super::*;

    fn edit(args: &[&str]) -> Result<UpdateUserRequest> {
        let mut argv = vec!["tresor", "admin", "user", "edit", "alice"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("parse");
        let Command::Admin { command: AdminCommand::User { command: UserCommand::Edit(args) } } = cli.command else {
            panic!("not user edit")
        };
        edit_request(args)
    }

    #[test]
    fn edit_sends_only_what_was_given() {
        let req = edit(&["--email", "a@example.com", "--role", "event_log_reader", "--deactivate"]).expect("req");
        let json = serde_json::to_value(&req).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "email": "a@example.com",
                "roles": ["event_log_reader"],
                "options": {"deactivated": true}
            })
        );
    }

    #[test]
    fn edit_can_clear_lists_and_parses_booleans() {
        let req = edit(&["--no-roles", "--no-groups", "--any-address", "--must-change-password", "no"]).expect("req");
        let json = serde_json::to_value(&req).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "roles": [], "member_of": [], "allowed_addresses": [],
                "options": {"must_change_password": false}
            })
        );
    }

    #[test]
    fn an_empty_edit_is_refused() {
        assert!(edit(&[]).is_err());
    }

    #[test]
    fn conflicting_flags_are_usage_errors() {
        for args in [&["--deactivate", "--activate"][..], &["--role", "event_log_reader", "--no-roles"]] {
            let mut argv = vec!["tresor", "admin", "user", "edit", "alice"];
            argv.extend_from_slice(args);
            assert!(Cli::try_parse_from(argv).is_err(), "{args:?}");
        }
    }
}
