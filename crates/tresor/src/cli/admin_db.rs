//! `tresor admin db …`: the server's databases, their properties and advanced settings, their custom password,
//! who has them open, and deleting them.

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use tresor_api::{
    CreateDatabaseRequest, CustomPasswordChange, DatabaseList, DatabaseProperties, DatabaseView, ErrorCode, LockList,
    UpdateDatabaseRequest, WirePassword,
};
use tresor_client::{Client, ClientError};

use super::connect::Context;
use super::output::{fields, list, yes_no};
use super::prompt::{confirm_by_typing, password_from_stdin, prompt_new_password, prompt_password, secret_value};

/// The environment variable that may carry a database's custom password for scripts.
pub(super) const DATABASE_PASSWORD_ENV: &str = "TRESOR_DATABASE_PASSWORD";

/// For a database whose properties and permissions are protected by a custom password.
#[derive(Debug, Args)]
pub struct DatabasePasswordArg {
    /// The database has a custom password: ask for it without echo (TRESOR_DATABASE_PASSWORD, when set, is used
    /// instead, with or without this flag).
    #[arg(long)]
    database_password: bool,
}

impl DatabasePasswordArg {
    /// The password to send, if any.
    pub fn get(&self) -> Result<Option<WirePassword>> {
        if let Some(value) = std::env::var_os(DATABASE_PASSWORD_ENV).filter(|v| !v.is_empty()) {
            let value = value.into_string().map_err(|_| anyhow::anyhow!("{DATABASE_PASSWORD_ENV} is not UTF-8"))?;
            return Ok(Some(WirePassword::new(value)));
        }
        if self.database_password { prompt_password("Database password: ").map(Some) } else { Ok(None) }
    }

    /// Runs `call` with the password given, if any. When none was given and the server says the database needs
    /// one, asks on the terminal and tries once more; without a terminal the server's answer stands.
    pub async fn send<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(Option<WirePassword>) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let given = self.get()?;
        let had_one = given.is_some();
        match call(given).await {
            Err(err) if !had_one && err.code() == Some(ErrorCode::DatabasePasswordRequired) => {
                match prompt_password("The database has a custom password: ") {
                    Ok(password) => Ok(call(Some(password)).await?),
                    Err(_) => Err(err.into()),
                }
            }
            answer => Ok(answer?),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// List the databases with their size, entries and activity.
    List,
    /// Create a database.
    Add {
        /// The new database's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// Free-text comments.
        #[arg(long, value_name = "TEXT")]
        comments: Option<String>,
    },
    /// Show a database's properties and who has it open.
    Show {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
    /// Rename a database.
    Rename {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        /// Its new name.
        #[arg(value_name = "NEW")]
        new: String,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
    /// Change a database's comments and advanced settings; only the options given change.
    Set(SetArgs),
    /// Set, change or remove the custom password that protects a database's properties and permissions.
    Password {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        /// Remove the custom password.
        #[arg(long)]
        remove: bool,
        /// Read the passwords from standard input: the current one first (when one is set), then the new one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a database with all its folders, entries and attachments.
    Delete {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        /// Do not ask to type the name to confirm.
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
    /// Close a database for one connected session (`admin db show` lists them).
    Disconnect {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        /// The session id.
        #[arg(value_name = "SESSION")]
        session: String,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
    /// List the database's entry locks: who is editing what, since when, until when.
    Locks {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
    /// Break the lock on an entry (its holder's edit is no longer protected; recorded as 644).
    Unlock {
        /// The database (name or id).
        #[arg(value_name = "DB")]
        db: String,
        /// The entry id.
        #[arg(value_name = "ENTRY-ID")]
        entry: String,
        #[command(flatten)]
        password: DatabasePasswordArg,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The database (name or id).
    #[arg(value_name = "DB")]
    db: String,
    /// Free-text comments.
    #[arg(long, value_name = "TEXT")]
    comments: Option<String>,
    /// Record every access to the database's entries.
    #[arg(long, value_name = "on|off", value_parser = clap::builder::BoolishValueParser::new())]
    monitor_accesses: Option<bool>,
    /// Make users give a reason when they delete an entry.
    #[arg(long, value_name = "on|off", value_parser = clap::builder::BoolishValueParser::new())]
    reason_required: Option<bool>,
    #[command(flatten)]
    password: DatabasePasswordArg,
}

pub async fn run(ctx: &Context, command: DbCommand) -> Result<()> {
    let (client, _) = ctx.authed_client()?;
    let c = &client;
    match command {
        DbCommand::List => {
            let databases = client.list_databases().await?;
            ctx.out.show(&databases, |l: &DatabaseList| {
                format!("{}\n{} databases", database_table(&l.databases), l.databases.len())
            })
        }
        DbCommand::Add { name, comments } => {
            let request = CreateDatabaseRequest { name, comments: comments.unwrap_or_default() };
            ctx.out.show(&client.create_database(&request).await?, database_fields)
        }
        DbCommand::Show { db, password } => {
            let db = &db;
            let properties = password.send(|pw| async move { c.get_database(db, pw.as_ref()).await }).await?;
            ctx.out.show(&properties, properties_text)
        }
        DbCommand::Rename { db, new, password } => {
            let request = UpdateDatabaseRequest { name: Some(new), ..Default::default() };
            update(ctx, c, &db, &request, &password).await
        }
        DbCommand::Set(args) => {
            let request = UpdateDatabaseRequest {
                comments: args.comments,
                monitor_accesses: args.monitor_accesses,
                reason_required_on_delete: args.reason_required,
                ..Default::default()
            };
            if request.comments.is_none()
                && request.monitor_accesses.is_none()
                && request.reason_required_on_delete.is_none()
            {
                bail!("nothing to change; pass at least one option (see `tresor admin db set --help`)");
            }
            update(ctx, c, &args.db, &request, &args.password).await
        }
        DbCommand::Password { db, remove, password_stdin } => {
            change_password(ctx, &client, &db, remove, password_stdin).await
        }
        DbCommand::Delete { db, yes, password } => {
            let database = find(&client, &db).await?;
            confirm_by_typing("database", &database.name, yes)?;
            let id = &database.id;
            password.send(|pw| async move { c.delete_database(id, pw.as_ref()).await }).await?;
            ctx.out.done(&format!("Deleted database {}.", database.name));
            Ok(())
        }
        DbCommand::Disconnect { db, session, password } => {
            let (d, s) = (&db, &session);
            password.send(|pw| async move { c.disconnect_database(d, s, pw.as_ref()).await }).await?;
            ctx.out.done(&format!("Closed {db} for session {session}."));
            Ok(())
        }
        DbCommand::Locks { db, password } => {
            let db = &db;
            let locks = password.send(|pw| async move { c.database_locks(db, pw.as_ref()).await }).await?;
            ctx.out.show(&locks, |l: &LockList| {
                let rows = l
                    .locks
                    .iter()
                    .map(|e| {
                        let lock = &e.lock;
                        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
                        vec![
                            lock.entry.clone(),
                            or_dash(&lock.holder),
                            or_dash(&lock.since),
                            or_dash(&lock.expires),
                            e.folder_path.clone(),
                        ]
                    })
                    .collect();
                format!(
                    "{}\n{} locks",
                    list(&["ENTRY-ID", "HOLDER", "SINCE", "EXPIRES", "FOLDER"], rows),
                    l.locks.len()
                )
            })
        }
        DbCommand::Unlock { db, entry, password } => {
            let (d, e) = (&db, &entry);
            let broken = password.send(|pw| async move { c.break_lock(d, e, pw.as_ref()).await }).await?;
            let holder = broken.holder.unwrap_or_default();
            ctx.out.done(&format!("Broke the lock {holder} held on entry {entry}."));
            Ok(())
        }
    }
}

async fn update(
    ctx: &Context,
    client: &Client,
    db: &str,
    request: &UpdateDatabaseRequest,
    password: &DatabasePasswordArg,
) -> Result<()> {
    let updated = password.send(|pw| async move { client.update_database(db, request, pw.as_ref()).await }).await?;
    ctx.out.show(&updated, database_fields)
}

/// The database `db` names (id or name), from the list, which needs no custom password.
async fn find(client: &Client, db: &str) -> Result<DatabaseView> {
    let all = client.list_databases().await.context("cannot list the databases")?;
    all.databases.into_iter().find(|d| d.id == db || d.name == db).with_context(|| format!("no database {db}"))
}

async fn change_password(ctx: &Context, client: &Client, db: &str, remove: bool, from_stdin: bool) -> Result<()> {
    let database = find(client, db).await?;
    let current = if database.settings.custom_password {
        Some(secret_value("Current database password", from_stdin)?)
    } else if remove {
        bail!("{} has no custom password", database.name);
    } else {
        None
    };
    let new = match (remove, from_stdin) {
        (true, _) => None,
        (false, true) => Some(password_from_stdin("the new database password")?),
        (false, false) => Some(prompt_new_password("New database password: ")?),
    };
    let change = CustomPasswordChange { current: current.clone(), new };
    let request = UpdateDatabaseRequest { custom_password: Some(change), ..Default::default() };
    client.update_database(&database.id, &request, current.as_ref()).await?;
    let what = if remove {
        "removed"
    } else if current.is_some() {
        "changed"
    } else {
        "set"
    };
    ctx.out.done(&format!("Custom password of {} {what}.", database.name));
    Ok(())
}

pub fn database_table(databases: &[DatabaseView]) -> String {
    let rows = databases
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.comments.clone(),
                d.entries.to_string(),
                d.size_bytes.to_string(),
                d.last_modified.clone(),
                d.last_accessed.clone().unwrap_or_else(|| "never".into()),
                d.connected_users.to_string(),
                d.id.clone(),
            ]
        })
        .collect();
    list(&["Name", "Comments", "Entries", "Bytes", "Last modified", "Last accessed", "Connected", "Id"], rows)
}

fn database_fields(d: &DatabaseView) -> String {
    fields(vec![
        ("Name", d.name.clone()),
        ("Id", d.id.clone()),
        ("Comments", d.comments.clone()),
        ("Entries", d.entries.to_string()),
        ("Size (bytes)", d.size_bytes.to_string()),
        ("Last modified", d.last_modified.clone()),
        ("Last accessed", d.last_accessed.clone().unwrap_or_else(|| "never".into())),
        ("Connected users", d.connected_users.to_string()),
        ("Monitor accesses", yes_no(d.settings.monitor_accesses)),
        ("Reason required on delete", yes_no(d.settings.reason_required_on_delete)),
        ("Custom password", yes_no(d.settings.custom_password)),
        ("Created", d.created_at.clone()),
    ])
}

fn properties_text(p: &DatabaseProperties) -> String {
    let rows = p
        .connections
        .iter()
        .map(|c| vec![c.session.clone(), c.account.clone(), c.address.clone(), c.since.clone()])
        .collect();
    let connections = list(&["Session", "Account", "Address", "Since"], rows);
    format!("{}\n{connections}\n{} connected", database_fields(&p.database), p.connections.len())
}
