//! Files attached to entries: `attach`, `detach`, `attachments` and `download` (written to disk chunk by chunk,
//! mode 0600, never over an existing file unless asked).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::Args;
use tokio::io::AsyncWriteExt;
use tresor_api::{AttachmentList, AttachmentView};
use tresor_client::Client;

use super::connect::Context;
use super::output::list;
use super::prompt::confirm_deletion;
use super::vault_address::LocatedEntry;
use super::vault_entry::{EntryArg, entry_client};

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The file to attach.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The attachment's name (default: the file's name).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

#[derive(Debug, Args)]
pub struct DetachArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The attachment's name or id.
    #[arg(value_name = "NAME|ID")]
    attachment: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The entry: DB/Folder/Title, DB/ENTRY-ID or an entry id.
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// The attachment's name or id.
    #[arg(value_name = "NAME|ID")]
    attachment: String,
    /// Where to write it (`-` for standard output; default: its name in the current directory).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

pub async fn attach(ctx: &Context, args: AttachArgs) -> Result<()> {
    let name = match args.name {
        Some(name) => name,
        None => match args.file.file_name() {
            Some(name) => name.to_string_lossy().into_owned(),
            None => bail!("{} has no file name; pass --name", args.file.display()),
        },
    };
    let content = tokio::fs::read(&args.file).await.with_context(|| format!("cannot read {}", args.file.display()))?;
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let added = client
        .upload_attachment(&at.database, &at.entry, &name, content)
        .await
        .with_context(|| format!("cannot attach {}", args.file.display()))?;
    ctx.out.show(&added, |a: &AttachmentView| format!("Attached {} ({} bytes) to {}.", a.name, a.size, args.entry))
}

pub async fn attachments(ctx: &Context, args: EntryArg) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let found = client.list_attachments(&at.database, &at.entry).await?;
    ctx.out.show(&found, |l: &AttachmentList| {
        let rows = l
            .attachments
            .iter()
            .map(|a| vec![a.name.clone(), a.size.to_string(), a.author.clone(), a.created_at.clone(), a.id.clone()])
            .collect();
        format!("{}\n{} attachments", list(&["Name", "Bytes", "Added by", "Added", "Id"], rows), l.attachments.len())
    })
}

pub async fn detach(ctx: &Context, args: DetachArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let attachment = find_attachment(&client, &at, &args.attachment).await?;
    confirm_deletion(&format!("attachment {} of {}", attachment.name, args.entry), args.yes)?;
    client.delete_attachment(&at.database, &at.entry, &attachment.id).await?;
    ctx.out.done(&format!("Deleted attachment {}.", attachment.name));
    Ok(())
}

pub async fn download(ctx: &Context, args: DownloadArgs) -> Result<()> {
    let (client, at) = entry_client(ctx, &args.entry).await?;
    let attachment = find_attachment(&client, &at, &args.attachment).await?;
    let mut body = client.download_attachment(&at.database, &at.entry, &attachment.id).await?;
    let target = match args.output {
        Some(path) if path == Path::new("-") => None,
        Some(path) => Some(path),
        None => Some(PathBuf::from(safe_file_name(&attachment.name))),
    };
    let Some(path) = target else {
        // Blocking writes: the runtime has nothing else to do meanwhile.
        let mut stdout = std::io::stdout().lock();
        while let Some(chunk) = body.chunk().await? {
            std::io::Write::write_all(&mut stdout, &chunk).context("cannot write to standard output")?;
        }
        return std::io::Write::flush(&mut stdout).context("cannot write to standard output");
    };
    let mut file = create_private(&path, args.force).await?;
    let written: Result<u64> = async {
        let mut written = 0u64;
        while let Some(chunk) = body.chunk().await? {
            file.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        file.sync_all().await?;
        Ok(written)
    }
    .await;
    match written {
        Ok(bytes) => {
            ctx.out.done(&format!("Saved {} ({bytes} bytes) to {}.", attachment.name, path.display()));
            Ok(())
        }
        Err(err) => {
            // A half-written file must not pass for the attachment.
            drop(file);
            let _ = tokio::fs::remove_file(&path).await;
            Err(err.context(format!("cannot download {} to {}", attachment.name, path.display())))
        }
    }
}

/// A new file readable by its owner only; an existing one is replaced only with `force`.
async fn create_private(path: &Path, force: bool) -> Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await.with_context(|| {
        if path.exists() && !force {
            format!("{} exists; pass --force to replace it or -o to write elsewhere", path.display())
        } else {
            format!("cannot create {}", path.display())
        }
    })
}

/// The attachment's name as a file name in the current directory: a name from the server never picks the
/// directory (`../x` is `x`).
fn safe_file_name(name: &str) -> String {
    let base = Path::new(name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if base.is_empty() || base.starts_with('.') { format!("attachment-{}", base.trim_start_matches('.')) } else { base }
}

/// The attachment named `key` (its id, or its name when that is unique).
async fn find_attachment(client: &Client, at: &LocatedEntry, key: &str) -> Result<AttachmentView> {
    let all = client.list_attachments(&at.database, &at.entry).await?.attachments;
    if let Some(found) = all.iter().find(|a| a.id == key) {
        return Ok(found.clone());
    }
    let mut named: Vec<AttachmentView> = all.into_iter().filter(|a| a.name == key).collect();
    match named.len() {
        0 => bail!("the entry has no attachment {key}"),
        1 => Ok(named.remove(0)),
        n => {
            let ids: Vec<&str> = named.iter().map(|a| a.id.as_str()).collect();
            bail!("{n} attachments are called {key}; name one by id: {}", ids.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_never_choose_the_directory() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("/abs/key.pem"), "key.pem");
        assert_eq!(safe_file_name(".."), "attachment-");
        assert_eq!(safe_file_name(".bashrc"), "attachment-bashrc");
    }
}
