//! The data directory and the master key file in it: created on first start with owner-only permissions,
//! refused on later starts if anyone else could read them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::Context;
use tresor_crypto::MasterKey;

use crate::config::read_secret_file;

/// Creates the data directory (mode 0700) if it does not exist.
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    Ok(())
}

/// Takes the data directory's lock file for as long as the returned file stays open: an embedded SQLite store has
/// one server, whose caches rely on being its only writer. A second server on the same directory is refused.
pub fn lock_data_dir(dir: &Path) -> anyhow::Result<fs::File> {
    let path = dir.join("tresor.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(|_| {
        anyhow::anyhow!(
            "another Tresor server is using the data directory {}; stop it first (or give this one another \
             --data-dir)",
            dir.display()
        )
    })?;
    Ok(file)
}

/// Writes a new file only the owner can read; fails if it exists. The mode is set when the file is created, so
/// there is no moment when others could read it.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        ensure_data_dir(parent)?;
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(contents).and_then(|()| f.sync_all()).with_context(|| format!("cannot write {}", path.display()))
}

/// Loads the master key, generating it on first start. Returns whether it was generated.
pub fn load_or_create_master_key(path: &Path) -> anyhow::Result<(MasterKey, bool)> {
    if path.exists() {
        // Refuses a key file that group or others could read.
        let text = zeroize::Zeroizing::new(read_secret_file(path)?);
        let key = MasterKey::from_file_contents(&text)
            .map_err(|_| anyhow::anyhow!("{} is not a Tresor master key file", path.display()))?;
        return Ok((key, false));
    }
    let key = MasterKey::generate()?;
    write_private(path, key.to_file_contents().as_bytes())?;
    Ok((key, true))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_master_key_is_created_private_and_reused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sub/master.key");
        let (k1, created) = load_or_create_master_key(&path)?;
        assert!(created);
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        let (k2, created) = load_or_create_master_key(&path)?;
        assert!(!created);
        let sealed = k1.seal(b"ctx", b"data")?;
        assert_eq!(k2.open(b"ctx", &sealed)?.as_slice(), b"data");
        Ok(())
    }

    #[test]
    fn a_readable_master_key_stops_the_start() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("master.key");
        load_or_create_master_key(&path)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640))?;
        let err = load_or_create_master_key(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("master.key") && err.contains("chmod 600"), "{err}");
        Ok(())
    }
}
