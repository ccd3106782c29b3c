//! Decoding rows into domain records, and the column lists the queries select.
//!
//! Values are checked as they are read: a value the domain cannot accept is [`StoreError::Corrupt`], never
//! silently dropped (dropping an unreadable address rule would widen where an account may log on from).

use std::net::IpAddr;
use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;
use tresor_core::accounts::{AccountOptions, NamedRef, Profile, RoleSet, UserKind};
use tresor_core::net::AddressRule;
use tresor_core::session::{ClientKind, EndReason, SessionRecord};
use tresor_core::{Group, GroupId, StoreError, Timestamp, User, UserId};

use crate::error::corrupt;

/// The columns of `users` that [`user`] reads, in a form `concat!` accepts.
macro_rules! user_columns {
    () => {
        "id, account, kind, full_name, email, phone, department, description, deactivated, \
         may_not_change_password, must_change_password, two_factor_disabled, roles, allowed_addresses, \
         created_at, updated_at"
    };
}
pub(crate) use user_columns;

/// The columns of `groups` that [`group`] reads.
macro_rules! group_columns {
    () => {
        "id, name, email, description, disabled, created_at, updated_at"
    };
}
pub(crate) use group_columns;

/// The columns of `sessions` that [`session`] reads.
macro_rules! session_columns {
    () => {
        "id, token_hash, user_id, client, address, created_at, last_seen_at, expires_at, ended_at, end_reason"
    };
}
pub(crate) use session_columns;

/// Reads one row's columns; `table` and the row's id name what is wrong in errors.
struct Reader<'r> {
    row: &'r AnyRow,
    table: &'static str,
    id: String,
}

impl<'r> Reader<'r> {
    fn new(row: &'r AnyRow, table: &'static str) -> Result<Self, StoreError> {
        let id = row.try_get::<String, _>("id").map_err(|_| corrupt(table, "id", "?"))?;
        Ok(Self { row, table, id })
    }

    fn bad(&self, column: &str) -> StoreError {
        corrupt(self.table, column, &self.id)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.row.try_get::<String, _>(column).map_err(|_| self.bad(column))
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.row.try_get::<i64, _>(column).map_err(|_| self.bad(column))
    }

    /// Flags are stored as BIGINT 0/1: the `Any` driver decodes booleans differently per engine.
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        match self.int(column)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.bad(column)),
        }
    }

    fn time(&self, column: &str) -> Result<Timestamp, StoreError> {
        self.int(column).map(Timestamp::from_millis)
    }

    fn optional_time(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        let value = self.row.try_get::<Option<i64>, _>(column).map_err(|_| self.bad(column))?;
        Ok(value.map(Timestamp::from_millis))
    }

    fn parsed<T: FromStr>(&self, column: &str) -> Result<T, StoreError> {
        self.text(column)?.parse().map_err(|_| self.bad(column))
    }

    fn optional_parsed<T: FromStr>(&self, column: &str) -> Result<Option<T>, StoreError> {
        let value = self.row.try_get::<Option<String>, _>(column).map_err(|_| self.bad(column))?;
        value.map(|v| v.parse().map_err(|_| self.bad(column))).transpose()
    }

    fn id<T: FromStr>(&self) -> Result<T, StoreError> {
        self.id.parse().map_err(|_| self.bad("id"))
    }
}

pub(crate) fn user(row: &AnyRow) -> Result<User, StoreError> {
    let r = Reader::new(row, "users")?;
    let kind = UserKind::parse(&r.text("kind")?).ok_or_else(|| r.bad("kind"))?;
    let allowed_addresses = split_list(&r.text("allowed_addresses")?)
        .map(AddressRule::from_str)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| r.bad("allowed_addresses"))?;
    Ok(User {
        id: r.id()?,
        account: r.text("account")?,
        kind,
        profile: Profile {
            full_name: r.text("full_name")?,
            email: r.text("email")?,
            phone: r.text("phone")?,
            department: r.text("department")?,
            description: r.text("description")?,
        },
        options: AccountOptions {
            deactivated: r.flag("deactivated")?,
            may_not_change_password: r.flag("may_not_change_password")?,
            must_change_password: r.flag("must_change_password")?,
            two_factor_disabled: r.flag("two_factor_disabled")?,
        },
        roles: RoleSet::from_storage(&r.text("roles")?),
        allowed_addresses,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) fn group(row: &AnyRow) -> Result<Group, StoreError> {
    let r = Reader::new(row, "groups")?;
    Ok(Group {
        id: r.id()?,
        name: r.text("name")?,
        email: r.text("email")?,
        description: r.text("description")?,
        disabled: r.flag("disabled")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) fn session(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let r = Reader::new(row, "sessions")?;
    let token_hash = hex::decode(r.text("token_hash")?)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| r.bad("token_hash"))?;
    let end_reason = match r.row.try_get::<Option<String>, _>("end_reason").map_err(|_| r.bad("end_reason"))? {
        Some(reason) => Some(EndReason::parse(&reason).ok_or_else(|| r.bad("end_reason"))?),
        None => None,
    };
    Ok(SessionRecord {
        id: r.id()?,
        token_hash,
        user_id: r.parsed("user_id")?,
        client: ClientKind::parse(&r.text("client")?).ok_or_else(|| r.bad("client"))?,
        address: r.parsed::<IpAddr>("address")?,
        created_at: r.time("created_at")?,
        last_seen_at: r.time("last_seen_at")?,
        expires_at: r.time("expires_at")?,
        ended_at: r.optional_time("ended_at")?,
        end_reason,
    })
}

/// An `(id, name, disabled)` row of `groups`, a node of the group graph.
pub(crate) fn group_node(row: &AnyRow) -> Result<(GroupId, String, bool), StoreError> {
    let r = Reader::new(row, "groups")?;
    Ok((r.id()?, r.text("name")?, r.flag("disabled")?))
}

/// An `(id, account, group_id)` row of a user and one of its groups, `group_id` NULL for a user in none.
pub(crate) fn user_membership(row: &AnyRow) -> Result<(UserId, String, Option<GroupId>), StoreError> {
    let r = Reader::new(row, "users")?;
    Ok((r.id()?, r.text("account")?, r.optional_parsed("group_id")?))
}

/// An `(id, name)` row, for member and membership listings.
pub(crate) fn named_ref<Id: FromStr>(row: &AnyRow, table: &'static str) -> Result<NamedRef<Id>, StoreError> {
    let r = Reader::new(row, table)?;
    Ok(NamedRef { id: r.id()?, name: r.text("name")? })
}

/// The storage form of the allowed addresses: the rules' canonical text joined by commas.
pub(crate) fn join_addresses(rules: &[AddressRule]) -> String {
    rules.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|part| !part.is_empty())
}

/// The storage form of a flag.
pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_round_trip() {
        let rules: Vec<AddressRule> =
            ["10.0.0.0/8", "fd00::/8", "192.168.1.7"].iter().filter_map(|s| s.parse().ok()).collect();
        let joined = join_addresses(&rules);
        let back: Vec<AddressRule> = split_list(&joined).filter_map(|s| s.parse().ok()).collect();
        assert_eq!(back, rules);
        assert_eq!(split_list("").count(), 0);
    }
}
