//! `tresor admin grant`, `revoke` and `rights …`: permissions on a database, a folder or an entry, what a change
//! would do (`--dry-run`), and "View effective rights" with the level and the subject that decided.
//!
//! Folders and entries are named by id or by path; a path is resolved with the caller's own access (`/vault/
//! resolve`), since folder names and titles are sealed.

use anyhow::{Context as _, Result, bail};
use clap::builder::PossibleValuesParser;
use clap::{ArgGroup, Args, Subcommand};
use tresor_api::{
    GrantInput, GrantList, GrantOutcome, LevelView, ObjectRef, PermissionExplanation, PermissionName, PutGrantsRequest,
    RightsExplanation, RightsQuery, SettingName, SubjectRef, WirePassword,
};
use tresor_client::Client;

use super::admin_db::{DATABASE_PASSWORD_ENV, DatabasePasswordArg};
use super::args::permissions;
use super::connect::Context;
use super::output::{joined, list, wire_name};
use super::vault_address::{EntryAddress, is_id, resolve};

/// Permission names for clap, with `all`.
pub fn permission_names() -> PossibleValuesParser {
    PossibleValuesParser::new(PermissionName::ALL.iter().map(|p| p.as_str()).chain(["all"]))
}

/// Exactly one of `--user` and `--group`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("subject").required(true).args(["user", "group"])))]
pub struct SubjectArgs {
    /// The user (account name or id).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// The group (name or id).
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
}

impl SubjectArgs {
    pub(super) fn subject(&self) -> SubjectRef {
        match (&self.user, &self.group) {
            (Some(user), _) => SubjectRef::User(user.clone()),
            (None, group) => SubjectRef::Group(group.clone().unwrap_or_default()),
        }
    }
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The database (name or id).
    #[arg(value_name = "DB")]
    db: String,
    #[command(flatten)]
    subject: SubjectArgs,
    /// On this folder (its path inside the database, Folder/Sub, or its id) instead of the whole database.
    #[arg(long, value_name = "PATH", conflicts_with = "entry")]
    folder: Option<String>,
    /// On this entry (Folder/Title inside the database, or its id).
    #[arg(long, value_name = "PATH")]
    entry: Option<String>,
    /// The permissions, or `all`.
    #[arg(value_name = "PERM", required = true, value_parser = permission_names())]
    permissions: Vec<String>,
    /// Deny instead of allow.
    #[arg(long, conflicts_with = "undefined")]
    deny: bool,
    /// Set to Undefined: neither allow nor deny, so the level above decides.
    #[arg(long)]
    undefined: bool,
    /// Valid from this time on (RFC 3339).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Valid until this time, exclusive (RFC 3339).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Only show whose rights would change; change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    password: DatabasePasswordArg,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The database (name or id).
    #[arg(value_name = "DB")]
    db: String,
    #[command(flatten)]
    subject: SubjectArgs,
    #[command(flatten)]
    password: DatabasePasswordArg,
}

#[derive(Debug, Subcommand)]
pub enum RightsCommand {
    /// List the grants on a database, its folders and entries.
    List {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
    /// View effective rights: for each permission, whether a user has it and which level and subject decided.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("object").required(true).args(["entry", "folder", "database"])))]
pub struct ExplainArgs {
    /// The user (account name or id).
    #[arg(long, value_name = "USER")]
    user: String,
    /// An entry: DB/Folder/Title or DB/ENTRY-ID.
    #[arg(long, value_name = "PATH")]
    entry: Option<String>,
    /// A folder: DB/Folder or DB/FOLDER-ID.
    #[arg(long, value_name = "PATH")]
    folder: Option<String>,
    /// The database itself (name or id).
    #[arg(long, value_name = "DB")]
    database: Option<String>,
    /// Also show every level (server policy, database, folders, entry) of each permission.
    #[arg(long)]
    levels: bool,
    #[command(flatten)]
    password: DatabasePasswordArg,
}

pub async fn grant(ctx: &Context, args: GrantArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let object = match (&args.folder, &args.entry) {
        (Some(folder), _) => ObjectRef::Folder(object_id(&client, &args.db, folder, false).await?),
        (None, Some(entry)) => ObjectRef::Entry(object_id(&client, &args.db, entry, true).await?),
        (None, None) => ObjectRef::Database,
    };
    let setting = match (args.deny, args.undefined) {
        (true, _) => SettingName::Deny,
        (_, true) => SettingName::Undefined,
        _ => SettingName::Allow,
    };
    let grants = permissions(&args.permissions)?
        .into_iter()
        .map(|permission| GrantInput {
            object: object.clone(),
            subject: args.subject.subject(),
            permission,
            setting,
            valid_from: args.from.clone(),
            valid_to: args.to.clone(),
        })
        .collect();
    let request = PutGrantsRequest { grants, dry_run: args.dry_run };
    let (c, db, request) = (&client, &args.db, &request);
    let outcome = args.password.send(|pw| async move { c.put_grants(db, request, pw.as_ref()).await }).await?;
    ctx.out.show(&outcome, outcome_text)
}

/// The id of a folder or entry given by id or by its path inside `db`.
async fn object_id(client: &Client, db: &str, path: &str, entry: bool) -> Result<String> {
    let path = path.trim_matches('/');
    if is_id(path) {
        return Ok(path.to_owned());
    }
    let what = if entry { "entry" } else { "folder" };
    // Folders are named from the administrators' view of the tree, which needs no access to the entries; without
    // it (a protected database, no admin rights) the caller's own view is asked instead.
    if !entry
        && let Ok(tree) =
            client.admin_folders(db, std::env::var(DATABASE_PASSWORD_ENV).ok().map(WirePassword::new).as_ref()).await
    {
        let matches: Vec<_> = tree.folders.iter().filter(|f| f.path == path).collect();
        return match matches.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => bail!("{db} has no folder {path}"),
            _ => bail!("more than one folder of {db} is {path}; give its id"),
        };
    }
    let resolved = resolve(client, &format!("{db}/{path}"))
        .await
        .with_context(|| format!("give the {what}'s id if you cannot open {db} yourself"))?;
    let id = if entry { resolved.entry } else { resolved.folder.filter(|_| resolved.entry.is_none()) };
    id.with_context(|| format!("{db}/{path} is not a {what}"))
}

fn outcome_text(o: &GrantOutcome) -> String {
    if o.changes.is_empty() {
        return if o.dry_run { "Nobody's rights would change." } else { "Nobody's rights changed." }.to_owned();
    }
    let rows = o
        .changes
        .iter()
        .map(|c| {
            let perms = |ps: &[PermissionName]| joined(ps.iter().map(|p| p.as_str()));
            vec![c.account.clone(), object_text(&c.object, c.object_name.as_deref()), perms(&c.gained), perms(&c.lost)]
        })
        .collect();
    let heading = if o.dry_run { "Would change (nothing was stored):" } else { "Changed:" };
    format!("{heading}\n{}", list(&["Account", "Object", "Gains", "Loses"], rows))
}

fn object_text(object: &ObjectRef, name: Option<&str>) -> String {
    match (object, name) {
        (ObjectRef::Database, _) => "database".to_owned(),
        (ObjectRef::Folder(_), Some(name)) => format!("folder {name}"),
        (ObjectRef::Folder(id), None) => format!("folder {id}"),
        (ObjectRef::Entry(id), _) => format!("entry {id}"),
    }
}

pub(super) fn subject_text(subject: &SubjectRef) -> String {
    match subject {
        SubjectRef::User(name) => format!("user {name}"),
        SubjectRef::Group(name) => format!("group {name}"),
    }
}

pub async fn revoke(ctx: &Context, args: RevokeArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let subject = args.subject.subject();
    let (c, db, who) = (&client, &args.db, &subject);
    args.password.send(|pw| async move { c.revoke_grants(db, who, pw.as_ref()).await }).await?;
    ctx.out.done(&format!("Removed every grant of {} on {}.", subject_text(&subject), args.db));
    Ok(())
}

pub async fn rights(ctx: &Context, command: RightsCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    match command {
        RightsCommand::List { db, password } => {
            let (c, db) = (&client, &db);
            let grants = password.send(|pw| async move { c.list_grants(db, pw.as_ref()).await }).await?;
            ctx.out.show(&grants, grants_text)
        }
        RightsCommand::Explain(args) => {
            let (db, query) = explain_query(&client, &args).await?;
            let (c, db, query) = (&client, &db, &query);
            let explain = |pw: Option<WirePassword>| async move { c.explain_rights(db, query, pw.as_ref()).await };
            let explanation = args.password.send(explain).await?;
            ctx.out.show(&explanation, |e| explanation_text(e, args.levels))
        }
    }
}

/// The database and the query of `rights explain`.
async fn explain_query(client: &Client, args: &ExplainArgs) -> Result<(String, RightsQuery)> {
    let mut query = RightsQuery { user: args.user.clone(), entry: None, folder: None };
    if let Some(db) = &args.database {
        return Ok((db.clone(), query));
    }
    if let Some(entry) = &args.entry {
        let (db, id) = match EntryAddress::parse(entry)? {
            EntryAddress::InDatabase { database, entry } => (database, entry),
            EntryAddress::Path(path) => {
                let resolved = resolve(client, &path).await?;
                let id = resolved.entry.with_context(|| format!("{path} is not an entry"))?;
                (resolved.database, id)
            }
            EntryAddress::Id(_) => bail!("name the entry's database too: DB/{entry}"),
        };
        query.entry = Some(id);
        return Ok((db, query));
    }
    let folder = args.folder.as_deref().unwrap_or_default().trim_matches('/');
    let Some((db, path)) = folder.split_once('/') else { bail!("--folder needs DB/Folder or DB/FOLDER-ID") };
    query.folder = Some(object_id(client, db, path, false).await?);
    Ok((db.to_owned(), query))
}

fn grants_text(g: &GrantList) -> String {
    let rows = g
        .grants
        .iter()
        .map(|g| {
            vec![
                subject_text(&g.subject),
                object_text(&g.object, g.object_name.as_deref()),
                g.permission.as_str().to_owned(),
                wire_name(&g.setting),
                g.valid_from.clone().unwrap_or_else(|| "-".into()),
                g.valid_to.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let table = list(&["Subject", "Object", "Permission", "Setting", "From", "Until"], rows);
    format!("{table}\n{} grants", g.grants.len())
}

fn level_name(level: &LevelView) -> String {
    match &level.name {
        Some(name) => format!("{} {name}", level.level),
        None => level.level.clone(),
    }
}

/// The level that decided a permission, if any did.
fn deciding_level(p: &PermissionExplanation) -> Option<&LevelView> {
    p.decided_at.and_then(|i| p.levels.get(i))
}

fn explanation_text(e: &RightsExplanation, levels: bool) -> String {
    let decided = deciding_level;
    let rows = e
        .permissions
        .iter()
        .map(|p| {
            let by = decided(p).map(|l| joined(&l.subjects)).unwrap_or_else(|| "-".into());
            let at = decided(p).map(level_name).unwrap_or_else(|| "nothing (default: denied)".into());
            let granted = if p.granted { "yes" } else { "no" };
            vec![p.permission.as_str().to_owned(), granted.to_owned(), wire_name(&p.setting), at, by]
        })
        .collect();
    let visible = if e.visible { "visible" } else { "not visible" };
    let mut text = format!(
        "Effective rights of {} on {} ({visible}):\n{}",
        e.account,
        object_text(&e.object, None),
        list(&["Permission", "Granted", "Setting", "Decided at", "By"], rows)
    );
    if levels {
        for p in &e.permissions {
            let rows = p
                .levels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mark = if Some(i) == p.decided_at { "decided" } else { "" };
                    vec![level_name(l), wire_name(&l.setting), joined(&l.subjects), mark.to_owned()]
                })
                .collect();
            text.push_str(&format!("\n{}:\n{}", p.permission.as_str(), list(&["Level", "Setting", "By", ""], rows)));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{AdminCommand, Cli, Command};
    use super::*;

    fn parse(argv: &[&str]) -> std::result::Result<Cli, clap::Error> {
        Cli::try_parse_from(["tresor", "admin"].iter().chain(argv))
    }

    #[test]
    fn grant_needs_one_subject_and_known_permissions() {
        let cli = parse(&["grant", "Team", "--user", "alice", "read", "access", "--dry-run"]).expect("parse");
        let Command::Admin { command: AdminCommand::Grant(args) } = cli.command else { panic!("not grant") };
        assert_eq!(args.subject.subject(), SubjectRef::User("alice".into()));
        assert!(args.dry_run);
        assert!(parse(&["grant", "Team", "read"]).is_err(), "a subject is required");
        assert!(parse(&["grant", "Team", "--user", "a", "--group", "g", "read"]).is_err());
        assert!(parse(&["grant", "Team", "--user", "a", "fly"]).is_err());
        assert!(parse(&["grant", "Team", "--user", "a", "all", "--deny", "--undefined"]).is_err());
        assert!(parse(&["rights", "explain", "--user", "a"]).is_err(), "an object is required");
    }

    #[test]
    fn explanations_name_the_deciding_level_and_subject() {
        let level = |level: &str, name: Option<&str>, setting, subjects: &[&str]| LevelView {
            level: level.into(),
            id: None,
            name: name.map(str::to_owned),
            setting,
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
        };
        let e = RightsExplanation {
            user: "u1".into(),
            account: "alice".into(),
            object: ObjectRef::Folder("f1".into()),
            visible: true,
            permissions: vec![PermissionExplanation {
                permission: PermissionName::Read,
                granted: true,
                setting: SettingName::Allow,
                decided_at: Some(1),
                levels: vec![
                    level("server_policy", None, SettingName::Undefined, &[]),
                    level("folder", Some("Web"), SettingName::Allow, &["ops"]),
                ],
            }],
        };
        let text = explanation_text(&e, true);
        assert!(text.contains("folder Web") && text.contains("ops") && text.contains("decided"), "{text}");
    }
}
