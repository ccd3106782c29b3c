//! Grants (one row per object, subject and permission set to Allow or Deny) and the server policy (one row per
//! permission it sets): what the permission resolver is built from.

use sqlx::Row;
use tresor_core::permissions::{Grant, Object, Permission, ServerPolicy, Setting, Subject};
use tresor_core::{DatabaseId, StoreError};

use crate::SqlStore;
use crate::error::{GENERIC, Names, corrupt};
use crate::vault_rows::{self, object_key, policy_state, policy_state_name, subject_key};

const GRANT: Names = Names { duplicate: "the grant", missing: "the grant's object or subject" };

pub(crate) async fn grants(store: &SqlStore, database: DatabaseId) -> Result<Vec<Grant>, StoreError> {
    let rows = sqlx::query(
        "SELECT object_key, subject_key, permission, setting, valid_from, valid_to FROM grants \
         WHERE database_id = $1 ORDER BY object_key, subject_key, permission",
    )
    .bind(database.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter().map(|row| vault_rows::grant(row, database)).collect()
}

/// All grants in one transaction: an object outside the database or a subject that does not exist fails the
/// whole call (the composite foreign keys refuse a folder or entry of another database).
pub(crate) async fn put_grants(store: &SqlStore, database: DatabaseId, grants: &[Grant]) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    for g in grants {
        if let Object::Database(d) = g.object
            && d != database
        {
            return Err(StoreError::NotFound("the grant's object".to_owned()));
        }
        let (object, subject) = (object_key(g.object), subject_key(g.subject));
        let setting = match g.setting {
            Setting::Undefined => {
                sqlx::query(
                    "DELETE FROM grants WHERE database_id = $1 AND object_key = $2 AND subject_key = $3 \
                     AND permission = $4",
                )
                .bind(database.to_string())
                .bind(object)
                .bind(subject)
                .bind(g.permission.name())
                .execute(&mut *tx)
                .await
                .map_err(store.fail(GENERIC))?;
                continue;
            }
            Setting::Allow => "allow",
            Setting::Deny => "deny",
        };
        let (folder, entry) = match g.object {
            Object::Database(_) => (None, None),
            Object::Folder(f) => (Some(f.to_string()), None),
            Object::Entry(e) => (None, Some(e.to_string())),
        };
        let (user, group) = match g.subject {
            Subject::User(u) => (Some(u.to_string()), None),
            Subject::Group(g) => (None, Some(g.to_string())),
        };
        sqlx::query(
            "INSERT INTO grants (database_id, object_key, folder_id, entry_id, subject_key, user_id, group_id, \
             permission, setting, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (database_id, object_key, subject_key, permission) DO UPDATE SET \
             setting = excluded.setting, valid_from = excluded.valid_from, valid_to = excluded.valid_to",
        )
        .bind(database.to_string())
        .bind(object)
        .bind(folder)
        .bind(entry)
        .bind(subject)
        .bind(user)
        .bind(group)
        .bind(g.permission.name())
        .bind(setting)
        .bind(g.valid_from.map(|t| t.as_millis()))
        .bind(g.valid_to.map(|t| t.as_millis()))
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GRANT))?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))
}

pub(crate) async fn revoke_subject(
    store: &SqlStore,
    database: DatabaseId,
    subject: Subject,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query("DELETE FROM grants WHERE database_id = $1 AND subject_key = $2")
        .bind(database.to_string())
        .bind(subject_key(subject))
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected())
}

pub(crate) async fn server_policy(store: &SqlStore) -> Result<ServerPolicy, StoreError> {
    let rows = sqlx::query("SELECT permission, state FROM server_policy")
        .fetch_all(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    let mut policy = ServerPolicy::default();
    for row in &rows {
        let name: String = row.try_get("permission").map_err(|_| corrupt("server_policy", "permission", "?"))?;
        let bad = |column| corrupt("server_policy", column, &name);
        let permission = Permission::from_name(&name).ok_or_else(|| bad("permission"))?;
        let state: String = row.try_get("state").map_err(|_| bad("state"))?;
        let state = policy_state(&state).ok_or_else(|| bad("state"))?;
        policy.set(permission, state).map_err(|_| bad("permission"))?;
    }
    Ok(policy)
}

/// Writes one row for each of the fourteen permissions the policy sets, Undefined ones included, so that the
/// table always shows the whole policy.
pub(crate) async fn put_server_policy(store: &SqlStore, policy: &ServerPolicy) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query("DELETE FROM server_policy").execute(&mut *tx).await.map_err(store.fail(GENERIC))?;
    for p in Permission::ALL.into_iter().filter(|p| p.in_server_policy()) {
        sqlx::query("INSERT INTO server_policy (permission, state) VALUES ($1, $2)")
            .bind(p.name())
            .bind(policy_state_name(policy.get(p)))
            .execute(&mut *tx)
            .await
            .map_err(store.fail(GENERIC))?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))
}
