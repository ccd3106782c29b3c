//! The user's vault commands (`tresor ls`, `add`, `show`, …): their grammar, and listing, folders, adding,
//! searching, the generator and the entry types. One entry's commands are in `vault_entry`, `vault_edit` and
//! `vault_attach`.

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use tresor_api::{
    CreateFolderRequest, EntryListQuery, EntryPage, EntrySummary, EntryTypeList, ErrorCode, FolderView, GenerateQuery,
    GeneratedPassword, ResolvedPath, SearchQuery, VaultDatabase, VaultDatabaseList,
};
use tresor_client::{Client, ClientError};

use super::args::{EntryKindArg, page_summary};
use super::connect::Context;
use super::output::{joined, list};
use super::prompt::confirm_deletion;
use super::vault_address::{LocatedFolder, locate_folder, split_last};
use super::vault_attach::{AttachArgs, DetachArgs, DownloadArgs};
use super::vault_edit::EditArgs;
use super::vault_entry::{
    EntryArg, GetArgs, HistoryArgs, MvArgs, RmArgs, ShowArgs, entry_fields, entry_table, join_path, masked,
};
use super::vault_seal::SealCommand;
use super::vault_share::{ShareArgs, UnshareArgs};
use super::vault_watch::WatchArgs;
use super::vault_write::EntryFieldArgs;
use super::{vault_attach, vault_edit, vault_entry, vault_seal, vault_share};

/// The most entries one listing request asks for (the API's maximum page).
const PAGE: u32 = 1000;

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// List the databases you can open, or the folders and entries in one (DB or DB/Folder).
    Ls(LsArgs),
    /// Create a folder (DB/Folder or DB/Folder/Sub).
    Mkdir(MkdirArgs),
    /// Delete a folder.
    Rmdir(RmdirArgs),
    /// Show an entry; secrets show as ******** unless --reveal.
    Show(ShowArgs),
    /// Print one field of an entry alone on standard output, for scripts.
    Get(GetArgs),
    /// Add an entry. Secrets from standard input come one per line in this order: the password
    /// (--password-stdin), the TOTP secret (--totp-stdin), each --secret-field, each --hidden.
    Add(AddArgs),
    /// Change an entry: with flags, what they name; without, the whole entry in $VISUAL or $EDITOR.
    Edit(EditArgs),
    /// Delete an entry.
    Rm(RmArgs),
    /// Move an entry to another folder of its database.
    Mv(MvArgs),
    /// List an entry's versions, or restore an older one.
    History(HistoryArgs),
    /// Search the entries you can read by title, user name, URL, tags and notes.
    Search(SearchArgs),
    /// Print an entry's current TOTP code and the seconds it stays valid.
    Totp(EntryArg),
    /// Generate a password with the server's generator and print it.
    Generate(GenerateArgs),
    /// List the entry types, whether the server policy allows them, and their fields.
    Types,
    /// Attach a file to an entry.
    Attach(AttachArgs),
    /// Delete an attachment of an entry.
    Detach(DetachArgs),
    /// List an entry's attachments.
    Attachments(EntryArg),
    /// Download an attachment of an entry.
    Download(DownloadArgs),
    /// Share an entry with a user or group (never more than you hold), optionally until a time; or list its grants.
    Share(ShareArgs),
    /// Take back what an entry allows a user or group.
    Unshare(UnshareArgs),
    /// Sealed entries: show a seal, ask for approval, or (as an authorised person) approve, deny or unseal.
    #[command(subcommand)]
    Seal(SealCommand),
    /// Print changes to what you can see as they happen (entries, folders, locks, permissions), in one database or
    /// all.
    Watch(WatchArgs),
    /// Set, change or remove an entry's second password: its secrets are then revealed only to whoever gives it.
    SecondPassword(super::vault_second::SecondPasswordArgs),
}

pub async fn run(ctx: &Context, command: VaultCommand) -> Result<()> {
    match command {
        VaultCommand::Ls(args) => ls(ctx, args).await,
        VaultCommand::Mkdir(args) => mkdir(ctx, args).await,
        VaultCommand::Rmdir(args) => rmdir(ctx, args).await,
        VaultCommand::Show(args) => vault_entry::show(ctx, args).await,
        VaultCommand::Get(args) => vault_entry::get(ctx, args).await,
        VaultCommand::Add(args) => add(ctx, args).await,
        VaultCommand::Edit(args) => vault_edit::edit(ctx, args).await,
        VaultCommand::Watch(args) => super::vault_watch::watch(ctx, args).await,
        VaultCommand::SecondPassword(args) => super::vault_second::second_password(ctx, args).await,
        VaultCommand::Rm(args) => vault_entry::rm(ctx, args).await,
        VaultCommand::Mv(args) => vault_entry::mv(ctx, args).await,
        VaultCommand::History(args) => vault_entry::history(ctx, args).await,
        VaultCommand::Search(args) => search(ctx, args).await,
        VaultCommand::Totp(args) => vault_entry::totp(ctx, args).await,
        VaultCommand::Generate(args) => generate(ctx, args).await,
        VaultCommand::Types => types(ctx).await,
        VaultCommand::Attach(args) => vault_attach::attach(ctx, args).await,
        VaultCommand::Detach(args) => vault_attach::detach(ctx, args).await,
        VaultCommand::Attachments(args) => vault_attach::attachments(ctx, args).await,
        VaultCommand::Download(args) => vault_attach::download(ctx, args).await,
        VaultCommand::Share(args) => vault_share::share(ctx, args).await,
        VaultCommand::Unshare(args) => vault_share::unshare(ctx, args).await,
        VaultCommand::Seal(command) => vault_seal::run(ctx, command).await,
    }
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// A database or a folder in it; without it, the databases you can open.
    #[arg(value_name = "DB[/FOLDER]")]
    path: Option<String>,
    /// Everything below, not only the first level.
    #[arg(long, short = 'r')]
    recursive: bool,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// The new folder: DB/Folder or DB/Folder/Sub.
    #[arg(value_name = "DB/FOLDER")]
    path: String,
    /// Create missing parent folders too, and accept a folder that exists already.
    #[arg(long, short = 'p')]
    parents: bool,
}

#[derive(Debug, Args)]
pub struct RmdirArgs {
    /// The folder: DB/Folder.
    #[arg(value_name = "DB/FOLDER")]
    path: String,
    /// Delete a non-empty folder with everything in it.
    #[arg(long, short = 'r')]
    recursive: bool,
    /// Do not ask for confirmation of a recursive delete.
    #[arg(long, short = 'y')]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Where and under which title: DB/Title or DB/Folder/Title.
    #[arg(value_name = "DB/FOLDER/TITLE")]
    path: String,
    /// The entry type; `tresor types` lists each type's fields.
    #[arg(long = "type", value_name = "TYPE", default_value = "password")]
    kind: EntryKindArg,
    #[command(flatten)]
    fields: EntryFieldArgs,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The text to look for (case-insensitive).
    #[arg(value_name = "TEXT")]
    text: String,
    /// Only in this database (name or id).
    #[arg(long, short = 'd', value_name = "DB")]
    database: Option<String>,
    /// Skip this many matches.
    #[arg(long, value_name = "N")]
    offset: Option<u32>,
    /// Show at most this many matches (server default 100, at most 1000).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A new server (login) password, within the sign-in password policy, for `tresor passwd`.
    #[arg(long)]
    for_login: bool,
    /// The length (default: the password policy's).
    #[arg(long, short = 'l', value_name = "N")]
    length: Option<u32>,
    /// Without lower-case letters.
    #[arg(long)]
    no_lowercase: bool,
    /// Without upper-case letters.
    #[arg(long)]
    no_uppercase: bool,
    /// Without digits.
    #[arg(long)]
    no_digits: bool,
    /// Without symbols.
    #[arg(long)]
    no_symbols: bool,
}

/// What `ls DB[/FOLDER] --json` prints.
#[derive(Debug, Serialize)]
struct Listing {
    database: VaultDatabase,
    folders: Vec<FolderView>,
    entries: Vec<EntrySummary>,
}

async fn ls(ctx: &Context, args: LsArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let Some(path) = args.path else {
        let databases = client.vault_databases().await?;
        return ctx.out.show(&databases, |l: &VaultDatabaseList| {
            let rows = l
                .databases
                .iter()
                .map(|d| {
                    vec![d.name.clone(), d.comments.clone(), joined(d.rights.iter().map(|r| r.as_str())), d.id.clone()]
                })
                .collect();
            list(&["Database", "Comments", "Your rights", "Id"], rows)
        });
    };
    let at = locate_folder(&client, &path).await?;
    let tree = client.folders(at.database()).await?;
    let here = at.folder().and_then(|id| tree.folders.iter().find(|f| f.id == id)).map(|f| f.path.clone());
    let folders: Vec<FolderView> = tree
        .folders
        .into_iter()
        .filter(|f| match (&here, args.recursive) {
            (None, true) => true,
            (None, false) => f.parent.is_none(),
            (Some(_), false) => f.parent.as_deref() == at.folder(),
            (Some(path), true) => f.path.starts_with(&format!("{path}/")),
        })
        .collect();
    let query = EntryListQuery {
        folder: at.folder().map(str::to_owned),
        recursive: Some(args.recursive),
        ..Default::default()
    };
    let entries = all_entries(&client, at.database(), query).await?;
    let mut listing = Listing { database: tree.database, folders, entries };
    // Folder names and titles are sealed, so the server cannot order them; people want them sorted.
    listing.folders.sort_by(|a, b| a.path.cmp(&b.path));
    listing.entries.sort_by(|a, b| (&a.folder_path, &a.title).cmp(&(&b.folder_path, &b.title)));
    ctx.out.show(&listing, |l| {
        let db = &l.database.name;
        let folder_rows = l.folders.iter().map(|f| {
            vec![
                format!("{}/", join_path(db, &f.path, "")),
                "folder".into(),
                String::new(),
                String::new(),
                f.id.clone(),
            ]
        });
        let entry_rows = l.entries.iter().map(|e| {
            let path = join_path(db, &e.folder_path, &e.title);
            vec![path, e.kind.as_str().into(), e.username.clone(), e.url.clone(), e.id.clone()]
        });
        let table = list(&["Path", "Type", "Username", "URL", "Id"], folder_rows.chain(entry_rows).collect());
        format!("{table}\n{} folders, {} entries", l.folders.len(), l.entries.len())
    })
}

/// Every page of a listing.
async fn all_entries(client: &Client, db: &str, query: EntryListQuery) -> Result<Vec<EntrySummary>> {
    let mut entries = Vec::new();
    loop {
        let offset = u32::try_from(entries.len()).context("too many entries")?;
        let page = client
            .list_entries(db, &EntryListQuery { offset: Some(offset), limit: Some(PAGE), ..query.clone() })
            .await?;
        let done = page.entries.is_empty() || entries.len() + page.entries.len() >= usize::try_from(page.total)?;
        entries.extend(page.entries);
        if done {
            return Ok(entries);
        }
    }
}

async fn mkdir(ctx: &Context, args: MkdirArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let path = args.path.trim_end_matches('/');
    split_last(path)?;
    let names: Vec<&str> = path.split('/').collect();
    let mut parent = locate_folder(&client, names[0]).await?;
    let mut created = None;
    for depth in 1..names.len() {
        let here = names[..=depth].join("/");
        let last = depth + 1 == names.len();
        let existing = match locate_folder(&client, &here).await {
            Ok(at) => Some(at),
            Err(err) if is_not_found(&err) => None,
            Err(err) => return Err(err),
        };
        match existing {
            // Sibling folders may share a name, so creating one that exists would make its path ambiguous.
            Some(_) if last && !args.parents => bail!("{here} exists already"),
            Some(at) => {
                parent = at;
                continue;
            }
            None if !last && !args.parents => bail!("{here} does not exist; pass -p to create it too"),
            None => {}
        }
        let request = CreateFolderRequest { name: names[depth].to_owned(), parent: parent.folder().map(str::to_owned) };
        let folder =
            client.create_folder(parent.database(), &request).await.with_context(|| format!("cannot create {here}"))?;
        parent = LocatedFolder {
            resolved: ResolvedPath { folder: Some(folder.id.clone()), entry: None, ..parent.resolved },
        };
        created = Some(folder);
    }
    match created {
        Some(folder) => ctx.out.show(&folder, |_| format!("Created folder {path}.")),
        None => {
            ctx.out.done(&format!("{path} exists already."));
            Ok(())
        }
    }
}

/// Whether `err` says that a path does not exist.
fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<ClientError>().and_then(ClientError::code) == Some(ErrorCode::NotFound))
}

async fn rmdir(ctx: &Context, args: RmdirArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let at = locate_folder(&client, &args.path).await?;
    let Some(folder) = at.folder() else {
        bail!("{} is a database; `tresor rmdir` deletes folders (administrators delete databases)", args.path);
    };
    if args.recursive {
        confirm_deletion(&format!("folder {} with everything in it", args.path), args.yes)?;
    }
    client
        .delete_folder(at.database(), folder, args.recursive)
        .await
        .with_context(|| format!("cannot delete {}", args.path))?;
    ctx.out.done(&format!("Deleted folder {}.", args.path));
    Ok(())
}

async fn add(ctx: &Context, args: AddArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let (parent, title) = split_last(&args.path)?;
    let at = locate_folder(&client, parent).await?;
    let kind = args.kind.0;
    args.fields.check(&client, kind, &[]).await?;
    let secrets = args.fields.read_secrets(&client, &args.path).await?;
    let request = args.fields.create_request(kind, at.folder().map(str::to_owned), title, secrets);
    let entry =
        client.create_entry(at.database(), &request).await.with_context(|| format!("cannot add {}", args.path))?;
    ctx.out.show(&masked(entry), entry_fields)
}

async fn search(ctx: &Context, args: SearchArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let query = SearchQuery { q: args.text, database: args.database, offset: args.offset, limit: args.limit };
    let page = client.search(&query).await?;
    ctx.out.show(&page, |p: &EntryPage| {
        format!("{}\n{}", entry_table(&p.entries), page_summary(args.offset, p.entries.len(), p.total, "entries"))
    })
}

async fn generate(ctx: &Context, args: GenerateArgs) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let off = |flag: bool| flag.then_some(false);
    let query = GenerateQuery {
        for_login: args.for_login.then_some(true),
        length: args.length,
        lowercase: off(args.no_lowercase),
        uppercase: off(args.no_uppercase),
        digits: off(args.no_digits),
        symbols: off(args.no_symbols),
    };
    let generated = client.generate_password(&query).await?;
    ctx.out.show(&generated, |g: &GeneratedPassword| g.password.expose_secret().to_owned())
}

async fn types(ctx: &Context) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let types = client.entry_types().await?;
    ctx.out.show(&types, |t: &EntryTypeList| {
        let rows = t
            .types
            .iter()
            .map(|t| {
                let fields = t.fields.iter().map(|f| {
                    let marks: Vec<&str> =
                        [(f.secret, "secret"), (f.required, "required"), (f.multiline, "multi-line")]
                            .iter()
                            .filter(|(on, _)| *on)
                            .map(|(_, mark)| *mark)
                            .collect();
                    if marks.is_empty() { f.name.clone() } else { format!("{} ({})", f.name, marks.join(", ")) }
                });
                vec![t.kind.as_str().to_owned(), if t.allowed { "yes" } else { "no" }.to_owned(), joined(fields)]
            })
            .collect();
        list(&["Type", "Allowed", "Fields"], rows)
    })
}
