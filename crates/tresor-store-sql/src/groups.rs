//! Groups and memberships: group records, users in groups, groups in groups under the caller's cycle check, and
//! the whole membership graph for the permission model.

use sqlx::{Any, Row, Transaction};
use tresor_core::accounts::{Members, NamedRef, name_key};
use tresor_core::store::{CycleCheck, ListFilter, Page};
use tresor_core::{Group, GroupGraph, GroupId, StoreError, UserId};

use crate::error::{GENERIC, Names, corrupt};
use crate::rows::{self, flag, group_columns};
use crate::{Serialise, SqlStore, search};

const GROUP: Names = Names { duplicate: "a group with this name", missing: "group" };
const USER_MEMBERSHIP: Names = Names { duplicate: "the membership", missing: "group or user" };
const GROUP_MEMBERSHIP: Names = Names { duplicate: "the membership", missing: "group" };

pub(crate) async fn insert_group(store: &SqlStore, group: &Group) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO groups (id, name, name_key, email, description, search_text, disabled, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(group.id.to_string())
    .bind(group.name.as_str())
    .bind(name_key(&group.name))
    .bind(group.email.as_str())
    .bind(group.description.as_str())
    .bind(search::group_text(group))
    .bind(flag(group.disabled))
    .bind(group.created_at.as_millis())
    .bind(group.updated_at.as_millis())
    .execute(store.pool())
    .await
    .map_err(store.fail(GROUP))?;
    Ok(())
}

pub(crate) async fn group(store: &SqlStore, id: GroupId) -> Result<Option<Group>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", group_columns!(), " FROM groups WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(rows::group).transpose()
}

pub(crate) async fn group_by_name(store: &SqlStore, name: &str) -> Result<Option<Group>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", group_columns!(), " FROM groups WHERE name_key = $1"))
        .bind(name_key(name))
        .fetch_optional(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    row.as_ref().map(rows::group).transpose()
}

pub(crate) async fn list_groups(store: &SqlStore, filter: &ListFilter) -> Result<Page<Group>, StoreError> {
    let pattern = search::like_pattern(filter.q.as_deref());
    let (offset, limit) = search::paging(filter);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM groups WHERE search_text LIKE $1 ESCAPE '\\'")
        .bind(pattern.as_str())
        .fetch_one(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        group_columns!(),
        " FROM groups WHERE search_text LIKE $1 ESCAPE '\\' ORDER BY name_key LIMIT $2 OFFSET $3"
    ))
    .bind(pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    let items = rows.iter().map(rows::group).collect::<Result<_, _>>()?;
    Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
}

/// Replaces the group's fields except its creation time.
pub(crate) async fn update_group(store: &SqlStore, group: &Group) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE groups SET name = $2, name_key = $3, email = $4, description = $5, search_text = $6, \
         disabled = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(group.id.to_string())
    .bind(group.name.as_str())
    .bind(name_key(&group.name))
    .bind(group.email.as_str())
    .bind(group.description.as_str())
    .bind(search::group_text(group))
    .bind(flag(group.disabled))
    .bind(group.updated_at.as_millis())
    .execute(store.pool())
    .await
    .map_err(store.fail(GROUP))?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("group".to_owned()));
    }
    Ok(())
}

/// Memberships in both directions go with the group (ON DELETE CASCADE).
pub(crate) async fn delete_group(store: &SqlStore, id: GroupId) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(id.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

pub(crate) async fn group_members(store: &SqlStore, id: GroupId) -> Result<Members, StoreError> {
    let users = sqlx::query(
        "SELECT u.id, u.account AS name FROM group_users m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 ORDER BY u.account_key",
    )
    .bind(id.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    let groups = sqlx::query(
        "SELECT g.id, g.name FROM group_groups m JOIN groups g ON g.id = m.child_id \
         WHERE m.parent_id = $1 ORDER BY g.name_key",
    )
    .bind(id.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    Ok(Members {
        users: users.iter().map(|r| rows::named_ref(r, "users")).collect::<Result<_, _>>()?,
        groups: groups.iter().map(|r| rows::named_ref(r, "groups")).collect::<Result<_, _>>()?,
    })
}

pub(crate) async fn group_parents(store: &SqlStore, id: GroupId) -> Result<Vec<NamedRef<GroupId>>, StoreError> {
    let rows = sqlx::query(
        "SELECT g.id, g.name FROM group_groups m JOIN groups g ON g.id = m.parent_id \
         WHERE m.child_id = $1 ORDER BY g.name_key",
    )
    .bind(id.to_string())
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter().map(|r| rows::named_ref(r, "groups")).collect()
}

pub(crate) async fn add_user_to_group(store: &SqlStore, group: GroupId, user: UserId) -> Result<bool, StoreError> {
    let inserted = sqlx::query("INSERT INTO group_users (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(group.to_string())
        .bind(user.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(USER_MEMBERSHIP))?;
    Ok(inserted.rows_affected() > 0)
}

pub(crate) async fn remove_user_from_group(store: &SqlStore, group: GroupId, user: UserId) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM group_users WHERE group_id = $1 AND user_id = $2")
        .bind(group.to_string())
        .bind(user.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

/// Reads every group-in-group membership and asks `refuse` inside the transaction that inserts, with writers
/// of `group_groups` taking turns, so that two concurrent additions cannot close a cycle together.
pub(crate) async fn add_group_to_group(
    store: &SqlStore,
    parent: GroupId,
    child: GroupId,
    refuse: CycleCheck<'_>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    store.serialise(&mut tx, Serialise::GroupGroups).await?;
    let edges = group_edges(store, &mut tx).await?;
    if edges.contains(&(parent, child)) {
        return Ok(false);
    }
    if refuse(&edges) {
        return Err(StoreError::WouldCycle);
    }
    sqlx::query("INSERT INTO group_groups (parent_id, child_id) VALUES ($1, $2)")
        .bind(parent.to_string())
        .bind(child.to_string())
        .execute(&mut *tx)
        .await
        .map_err(store.fail(GROUP_MEMBERSHIP))?;
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(true)
}

pub(crate) async fn remove_group_from_group(
    store: &SqlStore,
    parent: GroupId,
    child: GroupId,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM group_groups WHERE parent_id = $1 AND child_id = $2")
        .bind(parent.to_string())
        .bind(child.to_string())
        .execute(store.pool())
        .await
        .map_err(store.fail(GENERIC))?;
    Ok(deleted.rows_affected() > 0)
}

/// Every group-in-group membership as `(parent, child)`.
async fn group_edges(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
) -> Result<Vec<(GroupId, GroupId)>, StoreError> {
    let rows = sqlx::query("SELECT parent_id, child_id FROM group_groups")
        .fetch_all(&mut **tx)
        .await
        .map_err(store.fail(GENERIC))?;
    let mut edges = Vec::with_capacity(rows.len());
    for row in &rows {
        let end = |column: &'static str| -> Result<GroupId, StoreError> {
            let text: String = row.try_get(column).map_err(|_| corrupt("group_groups", column, "?"))?;
            text.parse().map_err(|_| corrupt("group_groups", column, &text))
        };
        edges.push((end("parent_id")?, end("child_id")?));
    }
    Ok(edges)
}

/// Groups and edges are read from one snapshot, so that no edge names a group the list lacks.
pub(crate) async fn group_graph(store: &SqlStore) -> Result<GroupGraph, StoreError> {
    let mut tx = store.begin_snapshot().await?;
    let rows = sqlx::query("SELECT id, name, disabled FROM groups ORDER BY name_key")
        .fetch_all(&mut *tx)
        .await
        .map_err(store.fail(GENERIC))?;
    let groups = rows.iter().map(rows::group_node).collect::<Result<_, _>>()?;
    let edges = group_edges(store, &mut tx).await?.into_iter().map(|(parent, child)| (child, parent)).collect();
    tx.commit().await.map_err(store.fail(GENERIC))?;
    Ok(GroupGraph { groups, edges })
}

/// Users of kind `user` only, as [`users::count_seat_users`](crate::users::count_seat_users) counts them: the
/// super administrator is no group member. A user in no group has one row, with no group.
pub(crate) async fn user_memberships(store: &SqlStore) -> Result<Vec<(UserId, String, Option<GroupId>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.account, m.group_id FROM users u LEFT JOIN group_users m ON m.user_id = u.id \
         WHERE u.kind = 'user' ORDER BY u.account_key, m.group_id",
    )
    .fetch_all(store.pool())
    .await
    .map_err(store.fail(GENERIC))?;
    rows.iter().map(rows::user_membership).collect()
}
