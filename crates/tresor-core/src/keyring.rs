//! The master key in use and the proof that it belongs to this store.
//!
//! On first start the keyring seals a known marker with the master key and stores it; on every later start it
//! opens it again. A server started with the wrong key file therefore stops at once with a clear message instead
//! of failing, entry by entry, later.

use tresor_crypto::{DataKey, MasterKey};

use crate::error::CoreError;
use crate::store::Store;

const KEY_CHECK: &str = "master_key_check";
const KEY_CHECK_AAD: &[u8] = b"tresor:master-key-check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"tresor master key check v1";

#[derive(Debug)]
pub struct Keyring {
    master: MasterKey,
}

impl Keyring {
    /// Binds `master` to `store`: records the key check on first use, verifies it afterwards.
    pub async fn bind(master: MasterKey, store: &dyn Store) -> Result<Self, CoreError> {
        let sealed = hex::encode(master.seal(KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT)?);
        if !store.insert_setting_if_absent(KEY_CHECK, &sealed).await? {
            let stored = store.setting(KEY_CHECK).await?.unwrap_or_default();
            let ok = hex::decode(stored)
                .ok()
                .and_then(|ct| master.open(KEY_CHECK_AAD, &ct).ok())
                .is_some_and(|pt| pt.as_slice() == KEY_CHECK_PLAINTEXT);
            if !ok {
                return Err(CoreError::MasterKeyMismatch);
            }
        }
        Ok(Self { master })
    }

    /// A new data key for a database, and its wrapped form to store with it.
    pub fn new_data_key(&self, database_id: &[u8]) -> Result<(DataKey, Vec<u8>), CoreError> {
        let key = DataKey::generate()?;
        let wrapped = self.master.wrap_data_key(&key, database_id)?;
        Ok((key, wrapped))
    }

    /// Seals a small server secret (an authenticator secret, the mail server's password) for the store, bound by
    /// `aad` to what it belongs to.
    pub fn seal_secret(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CoreError> {
        Ok(self.master.seal(aad, plaintext)?)
    }

    /// Opens what [`Self::seal_secret`] sealed with the same `aad`; a moved or altered value fails.
    pub fn open_secret(&self, aad: &[u8], sealed: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, CoreError> {
        self.master
            .open(aad, sealed)
            .map_err(|_| CoreError::Undecryptable("a sealed server secret did not open".into()))
    }

    /// Unwraps a database's stored data key; fails if the wrapped key was moved to another database.
    pub fn data_key(&self, wrapped: &[u8], database_id: &[u8]) -> Result<DataKey, CoreError> {
        Ok(self.master.unwrap_data_key(wrapped, database_id)?)
    }
}
