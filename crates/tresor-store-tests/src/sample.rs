//! Sample records for the cases: plausible, distinct, and with every field set where it matters.

use std::net::IpAddr;

use tresor_core::accounts::{AccountOptions, Profile, UserKind};
use tresor_core::session::{ClientKind, SessionRecord};
use tresor_core::{Group, GroupId, RoleSet, SessionId, Timestamp, User, UserId};

/// A fixed point in time, so that failures are reproducible.
pub const T0: i64 = 1_700_000_000_123;

pub fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + offset_ms)
}

/// A password verifier as the services store it. Its text must never show up in an error.
pub const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdC1zYWx0LXNhbHQ$Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4";

/// An ordinary user, taking a seat, with empty optional fields.
pub fn user(account: &str) -> User {
    User {
        id: UserId::random(),
        account: account.to_owned(),
        kind: UserKind::User,
        profile: Profile::default(),
        options: AccountOptions::default(),
        roles: RoleSet::EMPTY,
        allowed_addresses: Vec::new(),
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn super_admin() -> User {
    User { kind: UserKind::SuperAdmin, ..user("admin") }
}

/// A user with a profile, for searches.
pub fn person(account: &str, full_name: &str, email: &str, department: &str) -> User {
    let mut u = user(account);
    u.profile.full_name = full_name.to_owned();
    u.profile.email = email.to_owned();
    u.profile.department = department.to_owned();
    u
}

pub fn group(name: &str) -> Group {
    Group {
        id: GroupId::random(),
        name: name.to_owned(),
        email: String::new(),
        description: String::new(),
        disabled: false,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// A live session created at `at(created)`, valid for an hour.
pub fn session(user: UserId, created: i64) -> SessionRecord {
    let id = SessionId::random();
    let mut token_hash = [0u8; 32];
    token_hash.copy_from_slice(&id.as_uuid().as_bytes().repeat(2));
    SessionRecord {
        id,
        token_hash,
        user_id: user,
        client: ClientKind::Web,
        address: IpAddr::from([192, 0, 2, 10]),
        created_at: at(created),
        last_seen_at: at(created),
        expires_at: at(created + 3_600_000),
        ended_at: None,
        end_reason: None,
    }
}
