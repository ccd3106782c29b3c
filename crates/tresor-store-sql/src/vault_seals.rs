//! Sealed entries: `entry_seals`, one row per (entry, recipient), and `entry_seal_authorized`, its authorised
//! persons in the order they were named. A change is a compare-and-set on the row's revision, so that of two
//! changes based on the same reading (two first openings of an approved entry, an approval racing a re-seal) one
//! applies and the other learns that the seal moved on.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tresor_core::vault::{EntrySeal, GuardedEntries, SealChange, SealState};
use tresor_core::{DatabaseId, EntryId, StoreError, Timestamp, UserId};

use crate::SqlStore;
use crate::error::{GENERIC, Names};
use crate::vault_rows::Cols;

/// A seal's row, without its authorised persons.
fn seal_row(row: &AnyRow) -> Result<EntrySeal, StoreError> {
    let r = Cols::new(row, "entry_seals", "entry_id");
    let state = SealState::from_name(&r.text("state")?).ok_or_else(|| r.bad("state"))?;
    let reason = row.try_get::<Option<String>, _>("reason").map_err(|_| r.bad("reason"))?;
    let until = row.try_get::<Option<i64>, _>("approved_until").map_err(|_| r.bad("approved_until"))?;
    Ok(EntrySeal {
        database: r.parsed("database_id")?,
        entry: r.parsed("entry_id")?,
        recipient: r.parsed("recipient_id")?,
        state,
        reason,
        approved_until: until.map(Timestamp::from_millis),
        sealed_by: r.parsed("sealed_by")?,
        created_at: Timestamp::from_millis(r.int("created_at")?),
        changed_by: r.parsed("changed_by")?,
        changed_at: Timestamp::from_millis(r.int("changed_at")?),
        revision: r.u32("revision")?,
        authorized: Vec::new(),
    })
}

/// Appends authorised persons after those the seal has (`from` is the next position).
async fn add_authorized(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    entry: EntryId,
    recipient: UserId,
    users: &[UserId],
    from: usize,
) -> Result<(), StoreError> {
    for (i, user) in users.iter().enumerate() {
        sqlx::query(
            "INSERT INTO entry_seal_authorized (entry_id, recipient_id, user_id, position) VALUES ($1, $2, $3, $4)",
        )
        .bind(entry.to_string())
        .bind(recipient.to_string())
        .bind(user.to_string())
        .bind(i64::try_from(from + i).unwrap_or(i64::MAX))
        .execute(&mut **tx)
        .await
        .map_err(store.fail(Names { duplicate: "this authorised person", missing: "user" }))?;
    }
    Ok(())
}

pub(crate) async fn insert_seal(store: &SqlStore, seal: &EntrySeal) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    // An unsealed seal is no seal any more: a new one takes its place (its authorised persons go with it).
    sqlx::query("DELETE FROM entry_seals WHERE entry_id = $1 AND recipient_id = $2 AND state = 'unsealed'")
        .bind(seal.entry.to_string())
        .bind(seal.recipient.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    sqlx::query(
        "INSERT INTO entry_seals (entry_id, recipient_id, database_id, state, reason, approved_until, sealed_by, \
         created_at, changed_by, changed_at, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(seal.entry.to_string())
    .bind(seal.recipient.to_string())
    .bind(seal.database.to_string())
    .bind(seal.state.name())
    .bind(seal.reason.clone())
    .bind(seal.approved_until.map(Timestamp::as_millis))
    .bind(seal.sealed_by.to_string())
    .bind(seal.created_at.as_millis())
    .bind(seal.changed_by.to_string())
    .bind(seal.changed_at.as_millis())
    .bind(i64::from(seal.revision))
    .execute(&mut *tx)
    .await
    .map_err(store.fail(Names { duplicate: "a seal of this user on this entry", missing: "entry or user" }))?;
    add_authorized(store, &mut tx, seal.entry, seal.recipient, &seal.authorized, 0).await?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(())
}

/// Seals with their authorised persons, read in one statement (so one snapshot): a seal's row comes once per
/// authorised person, in the order they were named.
macro_rules! seals_with_authorized {
    () => {
        "SELECT s.entry_id, s.recipient_id, s.database_id, s.state, s.reason, \
     s.approved_until, s.sealed_by, s.created_at, s.changed_by, s.changed_at, s.revision, a.user_id AS authorized_id \
     FROM entry_seals s LEFT JOIN entry_seal_authorized a \
     ON a.entry_id = s.entry_id AND a.recipient_id = s.recipient_id \
     WHERE s.entry_id = $1 AND s.database_id = $2"
    };
}

/// Folds the joined rows into seals, in the order their first rows came.
fn seals_from(rows: &[AnyRow]) -> Result<Vec<EntrySeal>, StoreError> {
    let mut seals: Vec<EntrySeal> = Vec::new();
    for row in rows {
        let seal = seal_row(row)?;
        let authorized = row
            .try_get::<Option<String>, _>("authorized_id")
            .ok()
            .flatten()
            .map(|id| id.parse::<UserId>().map_err(|_| crate::error::corrupt("entry_seal_authorized", "user_id", &id)))
            .transpose()?;
        let at = match seals.iter().position(|s| s.recipient == seal.recipient) {
            Some(at) => at,
            None => {
                seals.push(seal);
                seals.len() - 1
            }
        };
        seals[at].authorized.extend(authorized);
    }
    Ok(seals)
}

pub(crate) async fn seal(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
    recipient: UserId,
) -> Result<Option<EntrySeal>, StoreError> {
    let rows = sqlx::query(concat!(seals_with_authorized!(), " AND s.recipient_id = $3 ORDER BY a.position"))
        .bind(entry.to_string())
        .bind(database.to_string())
        .bind(recipient.to_string())
        .fetch_all(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(seals_from(&rows)?.pop())
}

/// The entries of `database` with a second password, and the (entry, recipient) pairs with a seal.
pub(crate) async fn guarded_entries(store: &SqlStore, database: DatabaseId) -> Result<GuardedEntries, StoreError> {
    let read = |sql: &'static str| sqlx::query(sql).bind(database.to_string()).fetch_all(store.pool());
    let passwords = read("SELECT entry_id FROM entry_second_passwords WHERE database_id = $1")
        .await
        .map_err(store.fail(GENERIC))?;
    let seals = read("SELECT entry_id, recipient_id FROM entry_seals WHERE database_id = $1")
        .await
        .map_err(store.fail(GENERIC))?;
    let mut guarded = GuardedEntries::default();
    for row in &passwords {
        guarded.second_passwords.insert(Cols::new(row, "entry_second_passwords", "entry_id").parsed("entry_id")?);
    }
    for row in &seals {
        let r = Cols::new(row, "entry_seals", "entry_id");
        guarded.seals.insert((r.parsed("entry_id")?, r.parsed("recipient_id")?));
    }
    Ok(guarded)
}

pub(crate) async fn entry_seals(
    store: &SqlStore,
    database: DatabaseId,
    entry: EntryId,
) -> Result<Vec<EntrySeal>, StoreError> {
    let rows = sqlx::query(concat!(seals_with_authorized!(), " ORDER BY s.created_at, s.recipient_id, a.position"))
        .bind(entry.to_string())
        .bind(database.to_string())
        .fetch_all(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    seals_from(&rows)
}

pub(crate) async fn change_seal(store: &SqlStore, change: &SealChange) -> Result<Option<EntrySeal>, StoreError> {
    let mut tx = store.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE entry_seals SET state = $1, reason = $2, approved_until = $3, changed_by = $4, changed_at = $5, \
         revision = revision + 1 \
         WHERE entry_id = $6 AND recipient_id = $7 AND database_id = $8 AND revision = $9",
    )
    .bind(change.state.name())
    .bind(change.reason.clone())
    .bind(change.approved_until.map(Timestamp::as_millis))
    .bind(change.changed_by.to_string())
    .bind(change.at.as_millis())
    .bind(change.entry.to_string())
    .bind(change.recipient.to_string())
    .bind(change.database.to_string())
    .bind(i64::from(change.expected_revision))
    .execute(&mut *tx)
    .await
    .map_err(store.fail(GENERIC))?
    .rows_affected();
    if updated == 0 {
        return Ok(None);
    }
    let rows = sqlx::query(concat!(seals_with_authorized!(), " AND s.recipient_id = $3 ORDER BY a.position"))
        .bind(change.entry.to_string())
        .bind(change.database.to_string())
        .bind(change.recipient.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    let mut seal = seals_from(&rows)?.pop().ok_or_else(|| StoreError::NotFound("seal".to_owned()))?;
    let new: Vec<UserId> = change.add_authorized.iter().filter(|u| !seal.authorized.contains(u)).copied().fold(
        Vec::new(),
        |mut out, u| {
            if !out.contains(&u) {
                out.push(u);
            }
            out
        },
    );
    add_authorized(store, &mut tx, change.entry, change.recipient, &new, seal.authorized.len()).await?;
    seal.authorized.extend(new);
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(Some(seal))
}
