//! Cases for what the permission resolver is built from: grants per database and the server policy.

use tresor_core::permissions::{
    DatabaseTree, Grant, Memberships, Object, Permission, PolicyState, Resolver, ServerPolicy, Setting, Subject,
};
use tresor_core::{GroupId, StoreError, UserId};

use super::assert_err;
use super::vault::{new_entry, stored_database, stored_folder, vault};
use crate::TestDb;
use crate::sample::{self, HASH, at};

fn sorted(mut grants: Vec<Grant>) -> Vec<Grant> {
    grants.sort_by_key(|g| (g.object, g.subject, g.permission));
    grants
}

pub async fn vault_grants_round_trip(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let (other, oc) = stored_database(store.as_ref(), "Other").await;
    let ida = sample::user("ida");
    accounts.insert_user(&ida, HASH, &[], 10).await.unwrap();
    let staff = sample::group("staff");
    accounts.insert_group(&staff).await.unwrap();
    let folder = stored_folder(store.as_ref(), &c, None, "HR").await;
    let entry = new_entry(&c, Some(folder.id), "Payroll");
    store.insert_entry(&entry).await.unwrap();

    let (user, group): (Subject, Subject) = (ida.id.into(), staff.id.into());
    let mut grants = vec![
        Grant::new(Object::Database(d.id), group, Permission::Access, Setting::Allow),
        Grant::new(Object::Database(d.id), user, Permission::GrantAdmin, Setting::Deny)
            .within(Some(at(1)), Some(at(9))),
        Grant::new(Object::Folder(folder.id), group, Permission::Read, Setting::Allow).within(None, Some(at(100))),
        Grant::new(Object::Entry(entry.id), user, Permission::Read, Setting::Deny).within(Some(at(5)), None),
    ];
    store.put_grants(d.id, &grants).await.unwrap();
    assert_eq!(sorted(store.grants(d.id).await.unwrap()), sorted(grants.clone()));
    assert!(store.grants(other.id).await.unwrap().is_empty());

    // Setting again replaces; Undefined removes.
    grants[0].setting = Setting::Deny;
    grants[0].valid_to = Some(at(50));
    let removed = Grant::new(Object::Entry(entry.id), user, Permission::Read, Setting::Undefined);
    store.put_grants(d.id, &[grants[0].clone(), removed]).await.unwrap();
    grants.pop();
    assert_eq!(sorted(store.grants(d.id).await.unwrap()), sorted(grants.clone()));

    // All or nothing: an object of another database, or a subject that does not exist, fails the whole call.
    let foreign = stored_folder(store.as_ref(), &oc, None, "F").await;
    let good = Grant::new(Object::Database(d.id), user, Permission::Print, Setting::Allow);
    for bad in [
        Grant::new(Object::Folder(foreign.id), user, Permission::Read, Setting::Allow),
        Grant::new(Object::Database(other.id), user, Permission::Read, Setting::Allow),
        Grant::new(Object::Database(d.id), UserId::random().into(), Permission::Read, Setting::Allow),
        Grant::new(Object::Database(d.id), GroupId::random().into(), Permission::Read, Setting::Allow),
    ] {
        assert_err(store.put_grants(d.id, &[good.clone(), bad]).await, |e| matches!(e, StoreError::NotFound(_)));
    }
    assert_eq!(sorted(store.grants(d.id).await.unwrap()), sorted(grants.clone()));

    // Removing a subject from the database; deleting a group takes its grants everywhere.
    assert_eq!(store.revoke_subject(d.id, user).await.unwrap(), 1);
    assert_eq!(store.revoke_subject(d.id, user).await.unwrap(), 0);
    assert!(accounts.delete_group(staff.id).await.unwrap());
    assert!(store.grants(d.id).await.unwrap().is_empty());
}

pub async fn vault_server_policy_round_trip(db: TestDb) {
    let store = vault(&db);
    assert_eq!(store.server_policy().await.unwrap(), ServerPolicy::default());
    let mut policy = ServerPolicy::default();
    policy.set(Permission::Read, PolicyState::Enabled).unwrap();
    policy.set(Permission::Export, PolicyState::Disabled).unwrap();
    policy.set(Permission::SetSecondPassword, PolicyState::Enabled).unwrap();
    store.put_server_policy(&policy).await.unwrap();
    assert_eq!(store.server_policy().await.unwrap(), policy);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM server_policy").fetch_one(db.sql().pool()).await.unwrap();
    assert_eq!(rows, 14, "one row per permission the policy sets");
    policy.restore_defaults();
    store.put_server_policy(&policy).await.unwrap();
    assert_eq!(store.server_policy().await.unwrap(), ServerPolicy::default());
}

/// The manual's example, fed from the store: a company database where a user sees only the folder granted to
/// them (General tab left Undefined, the folder granted in "Entries and folders").
pub async fn vault_resolver_is_fed_from_the_store(db: TestDb) {
    let (accounts, store) = (db.store(), vault(&db));
    let (d, c) = stored_database(store.as_ref(), "Company").await;
    let ida = sample::user("ida");
    accounts.insert_user(&ida, HASH, &[], 10).await.unwrap();
    let (hr, it) =
        (stored_folder(store.as_ref(), &c, None, "HR").await, stored_folder(store.as_ref(), &c, None, "IT").await);
    let (payroll, router) = (new_entry(&c, Some(hr.id), "Payroll"), new_entry(&c, Some(it.id), "Router"));
    store.insert_entry(&payroll).await.unwrap();
    store.insert_entry(&router).await.unwrap();
    let subject: Subject = ida.id.into();
    let grants: Vec<Grant> = [Permission::Access, Permission::Read]
        .into_iter()
        .map(|p| Grant::new(Object::Folder(it.id), subject, p, Setting::Allow))
        .collect();
    store.put_grants(d.id, &grants).await.unwrap();

    let folders = store.list_folders(d.id).await.unwrap();
    let nodes = folders.iter().map(|f| f.node(c.open_folder_name(f.id, &f.sealed_name).unwrap())).collect();
    let entries = store.list_entries(d.id).await.unwrap().iter().map(|e| e.node()).collect();
    let tree = DatabaseTree::build(d.id, d.name.clone(), nodes, entries).unwrap();
    let stored_grants = store.grants(d.id).await.unwrap();
    let mut memberships = Memberships::new();
    memberships.add_user(ida.id, "ida");
    let policy = store.server_policy().await.unwrap();
    let resolver = Resolver::new(&tree, &stored_grants, &policy, &memberships, ida.id, at(10));
    assert_eq!(resolver.visible_entries(), [router.id]);
}
