//! Translation between the vault's wire types (`tresor-api`) and its domain types (`tresor-core`).

use tresor_api as api;
use tresor_core::permissions::{Explanation, Level, Object, Permission, PermissionSet, PolicyState, Setting};
use tresor_core::vault::generator::PasswordPolicy;
use tresor_core::vault::service::{
    AttachmentInfo, DatabaseProperties, EntrySummary, FolderView, GrantRecord, OpenedEntry, RightsDiff, RightsReport,
    VaultSettings,
};
use tresor_core::vault::{CustomField, Database, DatabaseListing, EntryBody, EntryType, FieldValue, TotpSecret};
use tresor_core::{CoreError, Timestamp};

use crate::wire::secret;

pub fn permission_in(p: api::PermissionName) -> Permission {
    use api::PermissionName as W;
    match p {
        W::Access => Permission::Access,
        W::Read => Permission::Read,
        W::Modify => Permission::Modify,
        W::Add => Permission::Add,
        W::Delete => Permission::Delete,
        W::AutoComplete => Permission::AutoComplete,
        W::AutofillBrowser => Permission::AutofillBrowser,
        W::AcceptBrowserEntries => Permission::AcceptBrowserEntries,
        W::Print => Permission::Print,
        W::Export => Permission::Export,
        W::SaveLocalCopy => Permission::SaveLocalCopy,
        W::Synchronize => Permission::Synchronize,
        W::Share => Permission::Share,
        W::Seal => Permission::Seal,
        W::SetSecondPassword => Permission::SetSecondPassword,
        W::GrantAdmin => Permission::GrantAdmin,
    }
}

pub fn permission_out(p: Permission) -> api::PermissionName {
    use api::PermissionName as W;
    match p {
        Permission::Access => W::Access,
        Permission::Read => W::Read,
        Permission::Modify => W::Modify,
        Permission::Add => W::Add,
        Permission::Delete => W::Delete,
        Permission::AutoComplete => W::AutoComplete,
        Permission::AutofillBrowser => W::AutofillBrowser,
        Permission::AcceptBrowserEntries => W::AcceptBrowserEntries,
        Permission::Print => W::Print,
        Permission::Export => W::Export,
        Permission::SaveLocalCopy => W::SaveLocalCopy,
        Permission::Synchronize => W::Synchronize,
        Permission::Share => W::Share,
        Permission::Seal => W::Seal,
        Permission::SetSecondPassword => W::SetSecondPassword,
        Permission::GrantAdmin => W::GrantAdmin,
    }
}

pub fn rights(set: PermissionSet) -> Vec<api::PermissionName> {
    set.iter().map(permission_out).collect()
}

pub fn kind_in(name: &str) -> Result<EntryType, CoreError> {
    EntryType::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = EntryType::ALL.iter().map(|t| t.name()).collect();
        CoreError::InvalidInput(format!("unknown entry type; the types are {}", names.join(", ")))
    })
}

pub fn kind_out(kind: EntryType) -> api::EntryKind {
    use api::EntryKind as W;
    match kind {
        EntryType::Password => W::Password,
        EntryType::CreditCard => W::CreditCard,
        EntryType::SoftwareLicense => W::SoftwareLicense,
        EntryType::Identity => W::Identity,
        EntryType::Information => W::Information,
        EntryType::Banking => W::Banking,
        EntryType::EncryptedFile => W::EncryptedFile,
        EntryType::Document => W::Document,
        EntryType::RemoteDesktop => W::RemoteDesktop,
        EntryType::Putty => W::Putty,
        EntryType::TeamViewer => W::TeamViewer,
        EntryType::Certificate => W::Certificate,
    }
}

pub fn kind_from_wire(kind: api::EntryKind) -> EntryType {
    use api::EntryKind as W;
    match kind {
        W::Password => EntryType::Password,
        W::CreditCard => EntryType::CreditCard,
        W::SoftwareLicense => EntryType::SoftwareLicense,
        W::Identity => EntryType::Identity,
        W::Information => EntryType::Information,
        W::Banking => EntryType::Banking,
        W::EncryptedFile => EntryType::EncryptedFile,
        W::Document => EntryType::Document,
        W::RemoteDesktop => EntryType::RemoteDesktop,
        W::Putty => EntryType::Putty,
        W::TeamViewer => EntryType::TeamViewer,
        W::Certificate => EntryType::Certificate,
    }
}

pub fn time(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// An RFC 3339 time from the wire; `what` names the field in the message.
pub fn time_in(s: &str, what: &str) -> Result<Timestamp, CoreError> {
    Timestamp::parse_rfc3339(s.trim())
        .ok_or_else(|| CoreError::InvalidInput(format!("{what} must be an RFC 3339 time such as 2027-01-31T00:00:00Z")))
}

/// An optional time where the empty string means "none".
fn optional_time_in(s: &str, what: &str) -> Result<Option<Timestamp>, CoreError> {
    if s.trim().is_empty() { Ok(None) } else { time_in(s, what).map(Some) }
}

fn totp_in(p: api::WirePassword) -> Result<TotpSecret, CoreError> {
    Ok(TotpSecret::parse(p.expose_secret())?)
}

fn custom_in(fields: Vec<api::CustomFieldInput>) -> Vec<CustomField> {
    fields
        .into_iter()
        .map(|f| CustomField {
            name: f.name,
            value: if f.secret {
                FieldValue::Secret(secret(f.value))
            } else {
                FieldValue::Text(secret(f.value).expose_secret().to_owned())
            },
        })
        .collect()
}

/// A new entry's body, checked against its type's fields (unknown type or field → `invalid_value`).
pub fn new_entry(req: api::CreateEntryRequest) -> Result<(Option<String>, EntryBody), CoreError> {
    let kind = kind_in(&req.kind)?;
    let mut body = EntryBody::new(kind, req.title);
    body.username = req.username;
    if let Some(p) = req.password {
        body.password = secret(p);
    }
    body.url = req.url;
    body.notes = req.notes;
    body.tags = req.tags;
    body.expires = match req.expires.as_deref() {
        Some(s) => optional_time_in(s, "expires")?,
        None => None,
    };
    for (name, value) in req.fields {
        body.set_field(&name, secret(value).expose_secret().to_owned())?;
    }
    body.custom = custom_in(req.custom);
    body.totp = req.totp.map(totp_in).transpose()?;
    Ok((req.folder, body))
}

/// A change as the request asks for it, based on the version `If-Match` names (if any).
pub fn entry_change(
    req: api::UpdateEntryRequest,
    if_match: Option<u32>,
) -> Result<tresor_core::vault::service::EntryChange, CoreError> {
    let expires = match req.expires.as_deref() {
        Some(s) => Some(optional_time_in(s, "expires")?),
        None => None,
    };
    let totp = match req.totp {
        Some(p) if p.expose_secret().trim().is_empty() => Some(None),
        Some(p) => Some(Some(totp_in(p)?)),
        None => None,
    };
    Ok(tresor_core::vault::service::EntryChange {
        expected_version: req.version,
        if_match,
        title: req.title,
        username: req.username,
        password: req.password.map(secret),
        url: req.url,
        notes: req.notes,
        tags: req.tags,
        expires,
        fields: req
            .fields
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, secret(v).expose_secret().to_owned()))
            .collect(),
        custom: req.custom.map(custom_in),
        totp,
    })
}

fn secret_view(value: &str, reveal: bool) -> api::SecretView {
    api::SecretView {
        value: (reveal && !value.is_empty()).then(|| api::WirePassword::new(value)),
        has_value: !value.is_empty(),
    }
}

fn field_view(name: &str, value: &FieldValue, reveal: bool) -> api::FieldView {
    let shown = !value.is_secret() || reveal;
    api::FieldView {
        name: name.to_owned(),
        value: shown.then(|| api::WirePassword::new(value.expose())),
        secret: value.is_secret(),
        has_value: !value.expose().is_empty(),
    }
}

/// An opened entry; secrets only when the core released them ([`OpenedEntry::revealed`]: asked for, and past the
/// seal gate). This layer cannot reveal on its own.
pub fn entry(e: &OpenedEntry) -> api::EntryView {
    let reveal = e.revealed();
    let body = &e.body;
    api::EntryView {
        id: e.meta.id.to_string(),
        database: e.database.id.to_string(),
        database_name: e.database.name.clone(),
        folder: e.meta.folder.map(|f| f.to_string()),
        folder_path: e.folder_path.clone(),
        kind: kind_out(e.meta.kind),
        version: e.version.version,
        current: e.is_current(),
        title: body.title.clone(),
        username: body.username.clone(),
        password: secret_view(body.password.expose_secret(), reveal),
        url: body.url.clone(),
        notes: body.notes.clone(),
        tags: body.tags.clone(),
        expires: body.expires.map(time),
        fields: body.fields.iter().map(|(n, v)| field_view(n, v, reveal)).collect(),
        custom: body.custom.iter().map(|f| field_view(&f.name, &f.value, reveal)).collect(),
        totp: secret_view(body.totp.as_ref().map_or("", |t| t.expose_secret()), reveal),
        revealed: reveal,
        rights: rights(e.rights),
        author: e.author_name.clone(),
        created_at: time(e.meta.created_at),
        updated_at: time(e.version.created_at),
    }
}

pub fn summary(s: &EntrySummary) -> api::EntrySummary {
    api::EntrySummary {
        id: s.meta.id.to_string(),
        database: s.database.0.to_string(),
        database_name: s.database.1.clone(),
        folder: s.meta.folder.map(|f| f.to_string()),
        folder_path: s.folder_path.clone(),
        kind: kind_out(s.meta.kind),
        title: s.title.clone(),
        username: s.username.clone(),
        url: s.url.clone(),
        tags: s.tags.clone(),
        expires: s.expires.map(time),
        version: s.meta.version,
        updated_at: time(s.meta.updated_at),
        damaged: s.damaged,
    }
}

pub fn vault_database(d: &Database, set: PermissionSet) -> api::VaultDatabase {
    api::VaultDatabase { id: d.id.to_string(), name: d.name.clone(), comments: d.comments.clone(), rights: rights(set) }
}

pub fn folder(f: &FolderView) -> api::FolderView {
    api::FolderView {
        id: f.id.to_string(),
        parent: f.parent.map(|p| p.to_string()),
        name: f.name.clone(),
        path: f.path.clone(),
        rights: rights(f.rights),
    }
}

pub fn attachment(a: &AttachmentInfo) -> api::AttachmentView {
    api::AttachmentView {
        id: a.id.to_string(),
        entry: a.entry.to_string(),
        name: a.name.clone(),
        size: a.size,
        author: a.author_name.clone(),
        created_at: time(a.created_at),
    }
}

pub fn database_view(l: &DatabaseListing, connected: usize) -> api::DatabaseView {
    let d = &l.database;
    api::DatabaseView {
        id: d.id.to_string(),
        name: d.name.clone(),
        comments: d.comments.clone(),
        size_bytes: l.size_bytes,
        entries: l.entries,
        last_modified: time(l.last_modified),
        last_accessed: l.last_accessed.map(time),
        connected_users: connected as u64,
        settings: api::DatabaseSettingsView {
            monitor_accesses: d.settings.monitor_accesses,
            reason_required_on_delete: d.settings.reason_required_on_delete,
            custom_password: d.settings.custom_password_hash.is_some(),
        },
        created_at: time(d.created_at),
    }
}

pub fn properties(p: &DatabaseProperties) -> api::DatabaseProperties {
    api::DatabaseProperties {
        database: database_view(&p.listing, p.connections.len()),
        connections: p
            .connections
            .iter()
            .map(|c| api::DatabaseConnection {
                session: c.session.to_string(),
                user: c.user.to_string(),
                account: c.account.clone(),
                address: c.address.to_string(),
                since: time(c.since),
            })
            .collect(),
    }
}

pub fn setting_in(s: api::SettingName) -> Setting {
    match s {
        api::SettingName::Undefined => Setting::Undefined,
        api::SettingName::Allow => Setting::Allow,
        api::SettingName::Deny => Setting::Deny,
    }
}

pub fn setting_out(s: Setting) -> api::SettingName {
    match s {
        Setting::Undefined => api::SettingName::Undefined,
        Setting::Allow => api::SettingName::Allow,
        Setting::Deny => api::SettingName::Deny,
    }
}

pub fn object_out(o: Object) -> api::ObjectRef {
    match o {
        Object::Database(_) => api::ObjectRef::Database,
        Object::Folder(f) => api::ObjectRef::Folder(f.to_string()),
        Object::Entry(e) => api::ObjectRef::Entry(e.to_string()),
    }
}

pub fn grant(g: &GrantRecord) -> api::GrantView {
    use tresor_core::permissions::Subject;
    let (subject, subject_id) = match g.grant.subject {
        Subject::User(u) => (api::SubjectRef::User(g.subject_name.clone()), u.to_string()),
        Subject::Group(x) => (api::SubjectRef::Group(g.subject_name.clone()), x.to_string()),
    };
    api::GrantView {
        object: object_out(g.grant.object),
        object_name: g.object_name.clone(),
        subject,
        subject_id,
        permission: permission_out(g.grant.permission),
        setting: setting_out(g.grant.setting),
        valid_from: g.grant.valid_from.map(time),
        valid_to: g.grant.valid_to.map(time),
    }
}

pub fn rights_change(d: &RightsDiff) -> api::RightsChange {
    api::RightsChange {
        user: d.user.to_string(),
        account: d.account.clone(),
        object: object_out(d.object),
        object_name: d.object_name.clone(),
        gained: rights(d.gained),
        lost: rights(d.lost),
    }
}

fn explanation(e: &Explanation) -> api::PermissionExplanation {
    api::PermissionExplanation {
        permission: permission_out(e.permission),
        granted: e.granted,
        setting: setting_out(e.setting),
        decided_at: e.decided_at,
        levels: e
            .levels
            .iter()
            .map(|l| {
                let (level, id) = match l.level {
                    Level::ServerPolicy => ("server_policy", None),
                    Level::Database(d) => ("database", Some(d.to_string())),
                    Level::Folder(f) => ("folder", Some(f.to_string())),
                    Level::Entry(x) => ("entry", Some(x.to_string())),
                };
                api::LevelView {
                    level: level.to_owned(),
                    id,
                    name: l.name.clone(),
                    setting: setting_out(l.setting),
                    subjects: l
                        .subjects
                        .iter()
                        .map(|s| s.name.clone().unwrap_or_else(|| s.subject.to_string()))
                        .collect(),
                }
            })
            .collect(),
    }
}

pub fn rights_report(r: &RightsReport) -> api::RightsExplanation {
    api::RightsExplanation {
        user: r.user.to_string(),
        account: r.account.clone(),
        object: object_out(r.object),
        visible: r.visible,
        permissions: r.explanations.iter().map(explanation).collect(),
    }
}

pub fn policy_state_out(s: PolicyState) -> api::PolicyStateName {
    match s {
        PolicyState::Undefined => api::PolicyStateName::Undefined,
        PolicyState::Enabled => api::PolicyStateName::Enabled,
        PolicyState::Disabled => api::PolicyStateName::Disabled,
    }
}

pub fn policy_state_in(s: api::PolicyStateName) -> PolicyState {
    match s {
        api::PolicyStateName::Undefined => PolicyState::Undefined,
        api::PolicyStateName::Enabled => PolicyState::Enabled,
        api::PolicyStateName::Disabled => PolicyState::Disabled,
    }
}

pub fn server_policy(policy: &tresor_core::permissions::ServerPolicy, types: &[EntryType]) -> api::ServerPolicyView {
    api::ServerPolicyView {
        permissions: Permission::ALL
            .into_iter()
            .filter(|p| p.in_server_policy())
            .map(|p| (p.name().to_owned(), policy_state_out(policy.get(p))))
            .collect(),
        allowed_entry_types: types.iter().map(|t| kind_out(*t)).collect(),
    }
}

pub fn password_policy_out(p: &PasswordPolicy) -> api::PasswordPolicyView {
    api::PasswordPolicyView {
        min_length: p.min_length,
        default_length: p.default_length,
        require_lowercase: p.require_lowercase,
        require_uppercase: p.require_uppercase,
        require_digits: p.require_digits,
        require_symbols: p.require_symbols,
    }
}

pub fn password_policy_in(p: api::PasswordPolicyView) -> PasswordPolicy {
    PasswordPolicy {
        min_length: p.min_length,
        default_length: p.default_length,
        require_lowercase: p.require_lowercase,
        require_uppercase: p.require_uppercase,
        require_digits: p.require_digits,
        require_symbols: p.require_symbols,
    }
}

pub fn vault_settings(s: &VaultSettings) -> api::VaultSettingsView {
    api::VaultSettingsView {
        private_database_for_new_users: s.private_database_for_new_users,
        delete_private_database_with_user: s.delete_private_database_with_user,
        attachment_limit_bytes: s.attachment_limit_bytes,
        password_policy: password_policy_out(&s.password_policy),
        edit_lock_secs: s.edit_lock_secs,
    }
}

/// An entry version as an entity tag: `"3"`. Strong: a version's contents never change.
pub fn etag(version: u32) -> http::HeaderValue {
    // Digits between quotes are always a valid header value.
    http::HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(http::HeaderValue::from_static("\"0\""))
}

/// An entry's lock as the wire shows it; `mine` when `session` holds it.
pub fn lock_view(
    entry: tresor_core::EntryId,
    held: Option<&tresor_core::vault::service::LockHolder>,
    session: Option<tresor_core::SessionId>,
) -> tresor_api::EntryLockView {
    tresor_api::EntryLockView {
        entry: entry.to_string(),
        locked: held.is_some(),
        holder: held.map(|h| h.holder.clone()),
        since: held.map(|h| time(h.lock.taken_at)),
        expires: held.map(|h| time(h.lock.expires_at)),
        mine: held.is_some_and(|h| Some(h.lock.session) == session),
    }
}

/// A live notice as the stream sends it.
pub fn live_event(n: &tresor_core::vault::service::LiveNotice) -> api::LiveEventView {
    api::LiveEventView {
        kind: n.kind.as_str().to_owned(),
        database: n.database.as_ref().map(|(id, _)| id.to_string()),
        database_name: n.database.as_ref().map(|(_, name)| name.clone()),
        entry: n.entry.map(|e| e.to_string()),
        folder: n.folder.map(|f| f.to_string()),
        version: n.version,
        actor: n.actor.clone(),
        missed: None,
        at: time(n.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire names and the domain's are the same words: a drift would be a silent change of the API.
    #[test]
    fn names_agree_both_ways() {
        for p in Permission::ALL {
            assert_eq!(permission_out(p).as_str(), p.name());
            assert_eq!(permission_in(permission_out(p)), p);
        }
        for k in EntryType::ALL {
            assert_eq!(kind_out(k).as_str(), k.name());
            assert_eq!(kind_from_wire(kind_out(k)), k);
        }
    }
}
