//! Databases named from outside the vault (a notification's scope): found by id or name for an administrator,
//! without opening them or recording an access.

use super::VaultService;
use super::admin::ManageDatabases;
use crate::error::CoreError;
use crate::ids::DatabaseId;

impl VaultService {
    /// The id and name of the database with this id or name.
    pub async fn find_database(&self, _cap: &ManageDatabases, key: &str) -> Result<(DatabaseId, String), CoreError> {
        let found = match key.parse::<DatabaseId>() {
            Ok(id) => self.vault.database(id).await?,
            Err(_) => self.vault.database_by_name(key).await?,
        };
        found.map(|d| (d.id, d.name)).ok_or_else(|| CoreError::not_found("database"))
    }
}
