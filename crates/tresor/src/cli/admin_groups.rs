//! `tresor admin group …`: listing, showing, creating, changing and deleting groups, and their members.

use anyhow::{Result, bail};
use clap::{ArgGroup, Args, Subcommand};
use tresor_api::{CreateGroupRequest, GroupList, GroupView, UpdateGroupRequest};

use super::args::ListArgs;
use super::connect::Context;
use super::output::{fields, joined, list, wire_name, yes_no};
use super::prompt::confirm_deletion;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List groups.
    List(ListArgs),
    /// Show one group with its members.
    Show {
        /// Group name or id.
        #[arg(value_name = "GROUP")]
        group: String,
    },
    /// Create a group.
    Add {
        /// Name of the new group.
        #[arg(value_name = "NAME")]
        name: String,
        /// E-mail address of the group.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Free-text description.
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// Create the group disabled (its members get nothing through it).
        #[arg(long)]
        disabled: bool,
    },
    /// Change a group; only the options given change.
    Edit(EditGroupArgs),
    /// Delete a group.
    Rm {
        /// Group name or id.
        #[arg(value_name = "GROUP")]
        group: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Add a user or a group to a group.
    AddMember(MemberArgs),
    /// Remove a user or a group from a group.
    RemoveMember(MemberArgs),
}

#[derive(Debug, Args)]
pub struct EditGroupArgs {
    /// Group name or id of the group to change.
    #[arg(value_name = "GROUP")]
    group: String,
    /// Rename the group.
    #[arg(long, value_name = "NEW")]
    name: Option<String>,
    /// E-mail address of the group.
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// Free-text description.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    /// Disable the group.
    #[arg(long, conflicts_with = "enable")]
    disable: bool,
    /// Enable the group.
    #[arg(long)]
    enable: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("member").required(true).args(["user", "member_group"])))]
pub struct MemberArgs {
    /// Group name or id.
    #[arg(value_name = "GROUP")]
    group: String,
    /// The user (account name or id).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// The member group (name or id).
    #[arg(long = "group", id = "member_group", value_name = "GROUP")]
    member_group: Option<String>,
}

pub async fn run(ctx: &Context, command: GroupCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match command {
        GroupCommand::List(args) => {
            let groups = client.list_groups(&args.query()).await?;
            ctx.out.show(&groups, |g: &GroupList| {
                format!("{}\n{}", group_table(&g.groups), args.summary(g.groups.len(), g.total, "groups"))
            })
        }
        GroupCommand::Show { group } => ctx.out.show(&client.get_group(&group).await?, group_fields),
        GroupCommand::Add { name, email, description, disabled } => {
            let request = CreateGroupRequest {
                name,
                email: email.unwrap_or_default(),
                description: description.unwrap_or_default(),
                disabled,
            };
            ctx.out.show(&client.create_group(&request).await?, group_fields)
        }
        GroupCommand::Edit(args) => {
            let request = UpdateGroupRequest {
                name: args.name,
                email: args.email,
                description: args.description,
                disabled: match (args.disable, args.enable) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            if request.name.is_none()
                && request.email.is_none()
                && request.description.is_none()
                && request.disabled.is_none()
            {
                bail!("nothing to change; pass at least one option (see `tresor admin group edit --help`)");
            }
            ctx.out.show(&client.update_group(&args.group, &request).await?, group_fields)
        }
        GroupCommand::Rm { group, yes } => {
            confirm_deletion(&format!("group {group}"), yes)?;
            client.delete_group(&group).await?;
            ctx.out.done(&format!("Deleted group {group}."));
            Ok(())
        }
        GroupCommand::AddMember(args) => {
            let view = match (&args.user, &args.member_group) {
                (Some(user), _) => client.add_group_user(&args.group, user).await?,
                (None, Some(member)) => client.add_group_group(&args.group, member).await?,
                (None, None) => bail!("pass --user or --group"),
            };
            ctx.out.show(&view, |g| format!("Added {} to group {}.", member_label(&args), g.name))
        }
        GroupCommand::RemoveMember(args) => {
            let view = match (&args.user, &args.member_group) {
                (Some(user), _) => client.remove_group_user(&args.group, user).await?,
                (None, Some(member)) => client.remove_group_group(&args.group, member).await?,
                (None, None) => bail!("pass --user or --group"),
            };
            ctx.out.show(&view, |g| format!("Removed {} from group {}.", member_label(&args), g.name))
        }
    }
}

fn member_label(args: &MemberArgs) -> String {
    match (&args.user, &args.member_group) {
        (Some(user), _) => format!("user {user}"),
        (None, Some(group)) => format!("group {group}"),
        (None, None) => String::new(),
    }
}

fn group_table(groups: &[GroupView]) -> String {
    let rows = groups
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.email.clone(),
                g.description.clone(),
                if g.disabled { "disabled" } else { "enabled" }.to_owned(),
                (g.members.users.len() + g.members.groups.len()).to_string(),
                g.id.clone(),
            ]
        })
        .collect();
    list(&["Name", "Email", "Description", "Status", "Members", "Id"], rows)
}

fn group_fields(g: &GroupView) -> String {
    fields(vec![
        ("Id", g.id.clone()),
        ("Name", g.name.clone()),
        ("Kind", wire_name(&g.kind)),
        ("Email", g.email.clone()),
        ("Description", g.description.clone()),
        ("Disabled", yes_no(g.disabled)),
        ("Member users", joined(g.members.users.iter().map(|u| u.account.as_str()))),
        ("Member groups", joined(g.members.groups.iter().map(|m| m.name.as_str()))),
        ("Member of", joined(g.member_of.iter().map(|m| m.name.as_str()))),
        ("Created", g.created_at.clone()),
        ("Updated", g.updated_at.clone()),
    ])
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::Cli;

    #[test]
    fn a_member_is_exactly_one_user_or_group() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["tresor", "admin", "group", "add-member", "staff"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv)
        };
        assert!(parse(&["--user", "alice"]).is_ok());
        assert!(parse(&["--group", "ops"]).is_ok());
        assert!(parse(&[]).is_err());
        assert!(parse(&["--user", "alice", "--group", "ops"]).is_err());
    }
}
