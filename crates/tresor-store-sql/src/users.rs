//! Users: the seat-limited insert, lookups, listing, updates with their memberships, and password verifiers.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};
use tresor_core::accounts::{NamedRef, UserKind, name_key};
use tresor_core::store::{ListFilter, Page};
use tresor_core::{GroupId, StoreError, Timestamp, User, UserId};

use crate::error::{GENERIC, Names};
use crate::rows::{self, flag, join_addresses, user_columns};
use crate::{Serialise, SqlStore, search};

const USER: Names = Names { duplicate: "a user with this account name", missing: "group" };
const MEMBERSHIP: Names = Names { duplicate: "the membership", missing: "group" };

/// Binds a user's columns as `$1..$18` in the order of the insert statements below.
fn bind_user<'q>(
    query: Query<'q, Any, AnyArguments>,
    user: &User,
    password_hash: &str,
) -> Query<'q, Any, AnyArguments> {
    let (p, o) = (&user.profile, &user.options);
    query
        .bind(user.id.to_string())
        .bind(user.account.as_str())
        .bind(name_key(&user.account))
        .bind(user.kind.as_str())
        .bind(p.full_name.as_str())
        .bind(p.email.as_str())
        .bind(p.phone.as_str())
        .bind(p.department.as_str())
        .bind(p.description.as_str())
        .bind(search::user_text(user))
        .bind(flag(o.deactivated))
        .bind(flag(o.may_not_change_password))
        .bind(flag(o.must_change_password))
        .bind(flag(o.two_factor_disabled))
        .bind(user.roles.to_storage())
        .bind(join_addresses(&user.allowed_addresses))
        .bind(password_hash)
        .bind(user.created_at.as_millis())
        .bind(user.updated_at.as_millis())
}

macro_rules! insert_columns {
    () => {
        "INSERT INTO users (id, account, account_key, kind, full_name, email, phone, department, description, \
         search_text, deactivated, may_not_change_password, must_change_password, two_factor_disabled, roles, \
         allowed_addresses, password_hash, created_at, updated_at) "
    };
}

/// Takes a seat only while fewer than `$20` users hold one: the count and the insert are one statement, and the
/// transaction holds the write lock (SQLite) or the `users` table lock (PostgreSQL), so that concurrent
/// creations cannot both see the last free seat.
const INSERT_SEATED: &str = concat!(
    insert_columns!(),
    "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19 \
     WHERE (SELECT COUNT(*) FROM users WHERE kind = 'user') < $20"
);

const INSERT_UNSEATED: &str = concat!(
    insert_columns!(),
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
);

pub(crate) async fn insert_user(
    store: &SqlStore,
    user: &User,
    password_hash: &str,
    member_of: &[GroupId],
    seat_limit: u64,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    let inserted = match user.kind {
        UserKind::User => {
            store.serialise(&mut tx, Serialise::Users).await?;
            let limit = i64::try_from(seat_limit).unwrap_or(i64::MAX);
            bind_user(sqlx::query(INSERT_SEATED), user, password_hash).bind(limit).execute(&mut *tx).await
        }
        // The super administrator takes no seat (seed manual, Roles → note).
        UserKind::SuperAdmin => bind_user(sqlx::query(INSERT_UNSEATED), user, password_hash).execute(&mut *tx).await,
    }
    .map_err(store.fail(USER))?;
    if inserted.rows_affected() == 0 {
        if account_taken(store, &mut tx, &user.account).await? {
            return Err(StoreError::Duplicate(USER.duplicate.to_owned()));
        }
        return Err(StoreError::SeatLimit { licensed: seat_limit });
    }
    insert_memberships(store, &mut tx, user.id, member_of).await?;
    tx.commit().await.map_err(store.fail(GENERIC))
}

/// Whether an account name is in use; lets a full server still say "exists already" rather than "no seat".
async fn account_taken(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    account: &str,
) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE account_key = $1")
        .bind(name_key(account))
        .fetch_optional(&mut **tx)
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(found.is_some())
}

async fn insert_memberships(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    user: UserId,
    groups: &[GroupId],
) -> Result<(), StoreError> {
    for group in groups {
        sqlx::query("INSERT INTO group_users (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(group.to_string())
            .bind(user.to_string())
            .execute(&mut **tx)
            .await
            .map_err(store.fail(MEMBERSHIP))?;
    }
    Ok(())
}

pub(crate) async fn user(store: &SqlStore, id: UserId) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(rows::user).transpose()
}

pub(crate) async fn user_by_account(store: &SqlStore, account: &str) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE account_key = $1"))
        .bind(name_key(account))
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(rows::user).transpose()
}

pub(crate) async fn list_users(store: &SqlStore, filter: &ListFilter) -> Result<Page<User>, StoreError> {
    let pattern = search::like_pattern(filter.q.as_deref());
    let (offset, limit) = search::paging(filter);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE search_text LIKE $1 ESCAPE '\\'")
        .bind(pattern.as_str())
        .fetch_one(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE search_text LIKE $1 ESCAPE '\\' ORDER BY account_key LIMIT $2 OFFSET $3"
    ))
    .bind(pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    let items = rows.iter().map(rows::user).collect::<Result<_, _>>()?;
    Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
}

/// Replaces the user's fields except its kind and creation time, which never change.
pub(crate) async fn update_user(
    store: &SqlStore,
    user: &User,
    member_of: Option<&[GroupId]>,
) -> Result<(), StoreError> {
    let (p, o) = (&user.profile, &user.options);
    let mut tx = store.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE users SET account = $2, account_key = $3, full_name = $4, email = $5, phone = $6, \
         department = $7, description = $8, search_text = $9, deactivated = $10, \
         may_not_change_password = $11, must_change_password = $12, two_factor_disabled = $13, roles = $14, \
         allowed_addresses = $15, updated_at = $16 WHERE id = $1",
    )
    .bind(user.id.to_string())
    .bind(user.account.as_str())
    .bind(name_key(&user.account))
    .bind(p.full_name.as_str())
    .bind(p.email.as_str())
    .bind(p.phone.as_str())
    .bind(p.department.as_str())
    .bind(p.description.as_str())
    .bind(search::user_text(user))
    .bind(flag(o.deactivated))
    .bind(flag(o.may_not_change_password))
    .bind(flag(o.must_change_password))
    .bind(flag(o.two_factor_disabled))
    .bind(user.roles.to_storage())
    .bind(join_addresses(&user.allowed_addresses))
    .bind(user.updated_at.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(store.fail(USER))?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("user".to_owned()));
    }
    if let Some(groups) = member_of {
        sqlx::query("DELETE FROM group_users WHERE user_id = $1")
            .bind(user.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(store.fail(GENERIC))?;
        insert_memberships(store, &mut tx, user.id, groups).await?;
    }
    tx.commit().await.map_err(store.fail(GENERIC))
}

/// Memberships and sessions go with the user (ON DELETE CASCADE).
pub(crate) async fn delete_user(store: &SqlStore, id: UserId) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

pub(crate) async fn password_hash(store: &SqlStore, id: UserId) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))
}

/// Previous passwords kept per user: the most the password policy's history may ask for.
const HISTORY_KEPT: i64 = 24;

pub(crate) async fn set_password_hash(
    store: &SqlStore,
    id: UserId,
    password_hash: &str,
    must_change: bool,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    // The replaced verifier goes into the history: the password policy's "enforce password history" and "maximum
    // password age" read it. The history keeps the newest HISTORY_KEPT.
    let kept = sqlx::query(
        "INSERT INTO password_history (user_id, password_hash, replaced_at) \
         SELECT id, password_hash, $2 FROM users WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(at.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(store.fail(GENERIC))?;
    if kept.rows_affected() == 0 {
        return Err(StoreError::NotFound("user".to_owned()));
    }
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = $1 AND replaced_at < (SELECT MIN(replaced_at) FROM \
         (SELECT replaced_at FROM password_history WHERE user_id = $1 ORDER BY replaced_at DESC LIMIT $2) AS newest)",
    )
    .bind(id.to_string())
    .bind(HISTORY_KEPT)
    .execute(&mut *tx)
    .await
    .map_err(store.fail(GENERIC))?;
    sqlx::query("UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1")
        .bind(id.to_string())
        .bind(password_hash)
        .bind(flag(must_change))
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    tx.commit().await.map_err(store.fail(GENERIC))
}

pub(crate) async fn count_seat_users(store: &SqlStore) -> Result<u64, StoreError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE kind = 'user'")
        .fetch_one(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(crate) async fn user_groups(store: &SqlStore, id: UserId) -> Result<Vec<NamedRef<GroupId>>, StoreError> {
    let rows = sqlx::query(
        "SELECT g.id, g.name FROM group_users m JOIN groups g ON g.id = m.group_id \
         WHERE m.user_id = $1 ORDER BY g.name_key",
    )
    .bind(id.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter().map(|r| rows::named_ref(r, "groups")).collect()
}
