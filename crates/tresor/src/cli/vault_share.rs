//! `tresor share` and `tresor unshare`: give a user or group rights on one entry (never more than you hold there),
//! optionally for a period, list what the entry's grants are, and take a share back.

use anyhow::{Context as _, Result, bail};
use clap::builder::PossibleValuesParser;
use clap::{ArgGroup, Args};
use tresor_api::{PermissionName, SealRequest, ShareList, ShareRequest, SubjectRef};

use super::admin_rights::{SubjectArgs, subject_text};
use super::args::permissions;
use super::connect::Context;
use super::output::{joined, list, wire_name};
use super::vault_entry::entry_client;

/// The permissions an entry takes, which are the only ones a share can give.
const ENTRY_PERMISSIONS: [PermissionName; 6] = [
    PermissionName::Access,
    PermissionName::Read,
    PermissionName::Modify,
    PermissionName::Delete,
    PermissionName::Share,
    PermissionName::Seal,
];

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("subject").args(["user", "group"])))]
pub struct ShareArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Share with this user (account name or id).
    #[arg(long, value_name = "USER", required_unless_present_any = ["group", "list"])]
    user: Option<String>,
    /// Share with this group (name or id).
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
    /// The permissions to give, each one you hold on the entry; the other needs access and read to see it.
    #[arg(value_name = "PERM", required_unless_present = "list", value_parser = entry_permission_names())]
    permissions: Vec<String>,
    /// The share starts at this time (RFC 3339); without it, at once.
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// The share ends by itself at this time (RFC 3339, exclusive); without it, when taken back.
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Seal the entry for the user: its secrets wait until this authorised person (a user with admin rights on the
    /// database) approves; repeat for several. Needs the seal permission on the entry.
    #[arg(long = "seal-by", value_name = "ADMIN", requires = "user")]
    seal_by: Vec<String>,
    /// List the entry's grants (who has what, until when) instead of sharing.
    #[arg(long, conflicts_with_all = ["user", "group", "permissions", "from", "to", "seal_by"])]
    list: bool,
}

#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    #[command(flatten)]
    subject: SubjectArgs,
}

fn entry_permission_names() -> PossibleValuesParser {
    PossibleValuesParser::new(ENTRY_PERMISSIONS.map(PermissionName::as_str))
}

impl ShareArgs {
    fn subject(&self) -> Option<SubjectRef> {
        self.user.clone().map(SubjectRef::User).or_else(|| self.group.clone().map(SubjectRef::Group))
    }
}

pub async fn share(ctx: &Context, args: ShareArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    if args.list {
        let shares = client.entry_shares(&at.database, &at.entry).await?;
        return ctx.out.show(&shares, |l| shares_text(l, &args.entry));
    }
    let Some(subject) = args.subject() else { bail!("name who to share with: --user USER or --group GROUP") };
    let request = ShareRequest {
        subject: subject.clone(),
        permissions: permissions(&args.permissions)?,
        valid_from: args.from.clone(),
        valid_to: args.to.clone(),
        seal: (!args.seal_by.is_empty()).then(|| SealRequest { authorized: args.seal_by.clone() }),
    };
    let shares = client
        .share_entry(&at.database, &at.entry, &request)
        .await
        .with_context(|| format!("cannot share {} with {}", args.entry, subject_text(&subject)))?;
    ctx.out.show(&shares, |l| {
        format!("Shared {} with {}.\n{}", args.entry, subject_text(&subject), shares_text(l, &args.entry))
    })
}

pub async fn unshare(ctx: &Context, args: UnshareArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let subject = args.subject.subject();
    client
        .unshare_entry(&at.database, &at.entry, &subject)
        .await
        .with_context(|| format!("cannot take {} back from {}", args.entry, subject_text(&subject)))?;
    ctx.out.done(&format!("{} is no longer shared with {}.", args.entry, subject_text(&subject)));
    Ok(())
}

/// One row per subject, setting and window, with its permissions together: how people think of a share.
fn shares_text(l: &ShareList, entry: &str) -> String {
    let mut rows: Vec<(Vec<String>, Vec<&str>)> = Vec::new();
    for g in &l.shares {
        let key = vec![
            subject_text(&g.subject),
            wire_name(&g.setting),
            g.valid_from.clone().unwrap_or_else(|| "-".into()),
            g.valid_to.clone().unwrap_or_else(|| "-".into()),
        ];
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, perms)) => perms.push(g.permission.as_str()),
            None => rows.push((key, vec![g.permission.as_str()])),
        }
    }
    if rows.is_empty() {
        return format!("No user or group has rights set on {entry} itself.");
    }
    let rows = rows
        .into_iter()
        .map(|(mut key, perms)| {
            key.insert(2, joined(perms));
            key
        })
        .collect();
    list(&["Subject", "Setting", "Permissions", "From", "Until"], rows)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use tresor_api::{GrantView, ObjectRef, SettingName};

    use super::super::vault::VaultCommand;
    use super::super::{Cli, Command};
    use super::*;

    fn parse(argv: &[&str]) -> std::result::Result<Cli, clap::Error> {
        Cli::try_parse_from(["tresor"].iter().chain(argv))
    }

    #[test]
    fn share_needs_one_subject_and_an_entrys_permissions_unless_listing() {
        let cli =
            parse(&["share", "Team/Web/GitHub", "--group", "ops", "read", "access", "--to", "2030-01-01T00:00:00Z"]);
        let Command::Vault(VaultCommand::Share(args)) = cli.expect("parse").command else { panic!("not share") };
        assert_eq!(args.subject(), Some(SubjectRef::Group("ops".into())));
        assert_eq!(args.to.as_deref(), Some("2030-01-01T00:00:00Z"));
        assert!(parse(&["share", "Team/X", "--list"]).is_ok());
        assert!(parse(&["share", "Team/X", "read"]).is_err(), "a subject is required");
        assert!(parse(&["share", "Team/X", "--user", "bob"]).is_err(), "a permission is required");
        assert!(parse(&["share", "Team/X", "--user", "bob", "--group", "g", "read"]).is_err());
        assert!(parse(&["share", "Team/X", "--user", "bob", "export"]).is_err(), "not an entry's permission");
        assert!(parse(&["share", "Team/X", "--list", "--user", "bob"]).is_err());
        assert!(parse(&["unshare", "Team/X"]).is_err(), "a subject is required");
        assert!(parse(&["unshare", "Team/X", "--user", "bob"]).is_ok());
    }

    #[test]
    fn a_subjects_permissions_share_one_row_per_window() {
        let grant = |name: &str, permission, to: Option<&str>| GrantView {
            object: ObjectRef::Entry("e1".into()),
            object_name: None,
            subject: SubjectRef::User(name.into()),
            subject_id: "u1".into(),
            permission,
            setting: SettingName::Allow,
            valid_from: None,
            valid_to: to.map(str::to_owned),
        };
        let l = ShareList {
            database: "d1".into(),
            entry: "e1".into(),
            shares: vec![
                grant("bob", PermissionName::Access, Some("2030-01-01T00:00:00Z")),
                grant("bob", PermissionName::Read, Some("2030-01-01T00:00:00Z")),
                grant("carol", PermissionName::Read, None),
            ],
        };
        let text = shares_text(&l, "Team/X");
        assert!(text.contains("access, read") && text.contains("2030-01-01T00:00:00Z"), "{text}");
        assert_eq!(text.matches("user bob").count(), 1, "{text}");
        let empty = ShareList { shares: Vec::new(), ..l };
        assert!(shares_text(&empty, "Team/X").contains("No user or group"));
    }
}
