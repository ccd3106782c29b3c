//! Translation between `tresor-api` wire types and `tresor-core` domain types, in both directions.

use tresor_api as api;
use tresor_core::accounts::{
    AccountOptions, AccountOptionsPatch, GroupDetails, LiveSession, NamedRef, Profile, UserDetails, UserKind,
};
use tresor_core::session::{ClientKind, SessionRecord};
use tresor_core::{GroupId, GroupPatch, NewGroup, NewUser, Role, User, UserId, UserPatch};
use tresor_crypto::SecretString;

pub fn secret(p: api::WirePassword) -> SecretString {
    // The Zeroizing<String> moves into SecretString without a copy of the plaintext left behind.
    SecretString::new(std::mem::take(&mut *p.into_secret()))
}

pub fn role_in(r: api::Role) -> Role {
    match r {
        api::Role::ServerAdministrator => Role::ServerAdministrator,
        api::Role::DatabaseAdministrator => Role::DatabaseAdministrator,
        api::Role::AccountAdministrator => Role::AccountAdministrator,
        api::Role::DirectoryOperator => Role::DirectoryOperator,
        api::Role::EventLogReader => Role::EventLogReader,
    }
}

fn role_out(r: Role) -> api::Role {
    match r {
        Role::ServerAdministrator => api::Role::ServerAdministrator,
        Role::DatabaseAdministrator => api::Role::DatabaseAdministrator,
        Role::AccountAdministrator => api::Role::AccountAdministrator,
        Role::DirectoryOperator => api::Role::DirectoryOperator,
        Role::EventLogReader => api::Role::EventLogReader,
    }
}

pub fn client_in(c: Option<api::ClientKind>) -> ClientKind {
    match c {
        Some(api::ClientKind::Cli) => ClientKind::Cli,
        Some(api::ClientKind::Web) => ClientKind::Web,
        Some(api::ClientKind::Api) | None => ClientKind::Api,
    }
}

pub fn client_out(c: ClientKind) -> api::ClientKind {
    match c {
        ClientKind::Cli => api::ClientKind::Cli,
        ClientKind::Web => api::ClientKind::Web,
        ClientKind::Api => api::ClientKind::Api,
    }
}

fn options_patch_in(p: api::AccountOptionsPatch) -> AccountOptionsPatch {
    AccountOptionsPatch {
        deactivated: p.deactivated,
        may_not_change_password: p.may_not_change_password,
        must_change_password: p.must_change_password,
        two_factor_disabled: p.two_factor_disabled,
    }
}

fn options_out(o: AccountOptions) -> api::AccountOptions {
    api::AccountOptions {
        deactivated: o.deactivated,
        may_not_change_password: o.may_not_change_password,
        must_change_password: o.must_change_password,
        two_factor_disabled: o.two_factor_disabled,
    }
}

pub fn new_user(r: api::CreateUserRequest) -> (NewUser, SecretString) {
    let new = NewUser {
        account: r.account,
        profile: Profile {
            full_name: r.full_name,
            email: r.email,
            phone: r.phone,
            department: r.department,
            description: r.description,
        },
        options: options_patch_in(r.options),
        roles: r.roles.into_iter().map(role_in).collect(),
        member_of: r.member_of,
        allowed_addresses: r.allowed_addresses,
    };
    (new, secret(r.password))
}

pub fn user_patch(r: api::UpdateUserRequest) -> UserPatch {
    UserPatch {
        account: r.account,
        full_name: r.full_name,
        email: r.email,
        phone: r.phone,
        department: r.department,
        description: r.description,
        options: r.options.map(options_patch_in),
        roles: r.roles.map(|v| v.into_iter().map(role_in).collect()),
        member_of: r.member_of,
        allowed_addresses: r.allowed_addresses,
    }
}

pub fn new_group(r: api::CreateGroupRequest) -> NewGroup {
    NewGroup { name: r.name, email: r.email, description: r.description, disabled: r.disabled }
}

pub fn group_patch(r: api::UpdateGroupRequest) -> GroupPatch {
    GroupPatch { name: r.name, email: r.email, description: r.description, disabled: r.disabled }
}

fn group_ref(g: &NamedRef<GroupId>) -> api::GroupRef {
    api::GroupRef { id: g.id.to_string(), name: g.name.clone() }
}

fn user_ref(u: &NamedRef<UserId>) -> api::UserRef {
    api::UserRef { id: u.id.to_string(), account: u.name.clone() }
}

pub fn user(u: &User, member_of: &[NamedRef<GroupId>]) -> api::UserView {
    api::UserView {
        id: u.id.to_string(),
        account: u.account.clone(),
        kind: match u.kind {
            UserKind::User => api::UserKind::User,
            UserKind::SuperAdmin => api::UserKind::SuperAdmin,
        },
        full_name: u.profile.full_name.clone(),
        email: u.profile.email.clone(),
        phone: u.profile.phone.clone(),
        department: u.profile.department.clone(),
        description: u.profile.description.clone(),
        authentication: api::AuthenticationType::Local,
        options: options_out(u.options),
        roles: u.roles.iter().map(role_out).collect(),
        member_of: member_of.iter().map(group_ref).collect(),
        allowed_addresses: u.allowed_addresses.iter().map(ToString::to_string).collect(),
        created_at: u.created_at.to_rfc3339(),
        updated_at: u.updated_at.to_rfc3339(),
    }
}

pub fn user_details(d: &UserDetails) -> api::UserView {
    user(&d.user, &d.member_of)
}

pub fn group(d: &GroupDetails) -> api::GroupView {
    let g = &d.group;
    api::GroupView {
        id: g.id.to_string(),
        name: g.name.clone(),
        email: g.email.clone(),
        description: g.description.clone(),
        kind: api::GroupKind::Standard,
        disabled: g.disabled,
        members: api::GroupMembers {
            users: d.members.users.iter().map(user_ref).collect(),
            groups: d.members.groups.iter().map(group_ref).collect(),
        },
        member_of: d.member_of.iter().map(group_ref).collect(),
        created_at: g.created_at.to_rfc3339(),
        updated_at: g.updated_at.to_rfc3339(),
    }
}

pub fn session_info(s: &SessionRecord, idle: std::time::Duration) -> api::SessionInfo {
    api::SessionInfo {
        id: s.id.to_string(),
        created_at: s.created_at.to_rfc3339(),
        expires_at: s.expires_at.to_rfc3339(),
        idle_timeout_minutes: u32::try_from(idle.as_secs() / 60).unwrap_or(u32::MAX),
    }
}

pub fn live_session(l: &LiveSession) -> api::SessionView {
    let s = &l.session;
    api::SessionView {
        id: s.id.to_string(),
        user_id: s.user_id.to_string(),
        account: l.account.clone(),
        address: s.address.to_string(),
        client: client_out(s.client),
        since: s.created_at.to_rfc3339(),
        last_seen: s.last_seen_at.to_rfc3339(),
        expires_at: s.expires_at.to_rfc3339(),
    }
}
