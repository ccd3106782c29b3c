//! Users and groups through the API: every field round trips, listings filter and page, names are unique
//! whatever their case, deletions cascade, memberships show from both sides, odd names survive URLs, and an
//! Account Administrator stays within its role.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::expect_err;
use tresor_api::{
    AccountOptions, AccountOptionsPatch, AuthenticationType, CreateGroupRequest, CreateUserRequest, ErrorCode,
    GroupKind, GroupRef, ListQuery, Role, SetPasswordRequest, UpdateGroupRequest, UpdateUserRequest, UserKind,
    UserView, WirePassword,
};
use tresor_client::Client;
use tresor_testkit::{Options, TestServer, USER_PASSWORD};

async fn server() -> (TestServer, Client) {
    let server = TestServer::start_with(Options { seats: 20, ..Options::default() }).await;
    let admin = server.admin().await;
    (server, admin)
}

fn group(name: &str) -> CreateGroupRequest {
    CreateGroupRequest { name: name.into(), ..Default::default() }
}

fn new_user(account: &str) -> CreateUserRequest {
    CreateUserRequest { account: account.into(), password: WirePassword::new(USER_PASSWORD), ..Default::default() }
}

fn group_names(refs: &[GroupRef]) -> Vec<&str> {
    refs.iter().map(|g| g.name.as_str()).collect()
}

#[tokio::test]
async fn a_user_round_trips_every_field() {
    let (_server, admin) = server().await;
    let defaults = admin.create_user(&new_user("defaults")).await.unwrap();
    assert!(defaults.options.must_change_password, "a new account must change its password by default");
    assert!(!defaults.options.deactivated && defaults.roles.is_empty() && defaults.member_of.is_empty());
    let ops = admin.create_group(&group("Ops")).await.unwrap();
    admin.create_group(&group("Dev")).await.unwrap();
    let request = CreateUserRequest {
        account: "  grace  ".into(),
        password: WirePassword::new(USER_PASSWORD),
        full_name: "Grace Hopper".into(),
        email: "grace@example.com".into(),
        phone: "+1 555 0100".into(),
        department: "Compilers".into(),
        description: "First line\nsecond line".into(),
        options: AccountOptionsPatch {
            deactivated: Some(true),
            may_not_change_password: Some(true),
            must_change_password: Some(false),
            two_factor_disabled: Some(true),
        },
        roles: vec![Role::DirectoryOperator, Role::AccountAdministrator],
        member_of: vec!["ops".into(), "Dev".into(), ops.id.clone()],
        allowed_addresses: vec!["10.1.2.3/8".into(), " 192.168.1.7 ".into(), "fd00::1/8".into()],
    };
    let created = admin.create_user(&request).await.unwrap();
    let check = |u: &UserView| {
        assert_eq!(u.account, "grace");
        assert_eq!(u.kind, UserKind::User);
        assert_eq!(u.authentication, AuthenticationType::Local);
        let profile = [&u.full_name, &u.email, &u.phone, &u.department, &u.description];
        assert_eq!(
            profile,
            ["Grace Hopper", "grace@example.com", "+1 555 0100", "Compilers", "First line\nsecond line"]
        );
        let want = AccountOptions {
            deactivated: true,
            may_not_change_password: true,
            must_change_password: false,
            two_factor_disabled: true,
        };
        assert_eq!(u.options, want);
        let mut roles = u.roles.clone();
        roles.sort();
        assert_eq!(roles, [Role::AccountAdministrator, Role::DirectoryOperator]);
        let mut groups = group_names(&u.member_of);
        groups.sort_unstable();
        assert_eq!(groups, ["Dev", "Ops"], "names, ids and repeats resolve to each group once");
        assert_eq!(u.allowed_addresses, ["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);
        assert!(!u.created_at.is_empty() && !u.updated_at.is_empty());
    };
    check(&created);
    check(&admin.get_user("grace").await.unwrap());
    check(&admin.get_user("GRACE").await.unwrap());
    check(&admin.get_user(&created.id).await.unwrap());
    let listed = admin.list_users(&ListQuery { q: Some("grace".into()), ..Default::default() }).await.unwrap();
    assert_eq!(listed.total, 1);
    check(&listed.users[0]);
    let ops = admin.get_group("Ops").await.unwrap();
    assert_eq!(ops.members.users.iter().map(|u| u.account.as_str()).collect::<Vec<_>>(), ["grace"]);

    // Absent fields keep their value; lists given replace the old list.
    let patch = UpdateUserRequest {
        email: Some("g.hopper@example.org".into()),
        options: Some(AccountOptionsPatch { deactivated: Some(false), ..Default::default() }),
        roles: Some(vec![Role::EventLogReader]),
        member_of: Some(vec!["Dev".into()]),
        allowed_addresses: Some(vec![]),
        ..Default::default()
    };
    let changed = admin.update_user("grace", &patch).await.unwrap();
    assert_eq!((changed.full_name.as_str(), changed.email.as_str()), ("Grace Hopper", "g.hopper@example.org"));
    assert_eq!(changed.options, AccountOptions { deactivated: false, ..created.options });
    assert_eq!(changed.roles, [Role::EventLogReader]);
    assert_eq!(group_names(&changed.member_of), ["Dev"]);
    assert!(changed.allowed_addresses.is_empty());
    assert_eq!(changed.created_at, created.created_at);
    assert!(admin.get_group("Ops").await.unwrap().members.users.is_empty());
    assert_eq!(admin.get_user("grace").await.unwrap().email, "g.hopper@example.org");
}

#[tokio::test]
async fn listings_filter_and_page() {
    let (server, admin) = server().await;
    for (account, department) in
        [("ann", "Sales"), ("bob", "R&D"), ("cat", "sales"), ("dan", "Legal"), ("eve", "50%_off")]
    {
        let request = CreateUserRequest { department: department.into(), ..new_user(account) };
        admin.create_user(&request).await.unwrap();
    }
    let list = |q: Option<&str>, offset: Option<u32>, limit: Option<u32>| {
        let query = ListQuery { q: q.map(str::to_owned), offset, limit };
        let admin = admin.clone();
        async move {
            let page = admin.list_users(&query).await.unwrap();
            (page.total, page.users.into_iter().map(|u| u.account).collect::<Vec<_>>())
        }
    };
    assert_eq!(
        list(None, None, None).await,
        (6, vec!["admin", "ann", "bob", "cat", "dan", "eve"].into_iter().map(String::from).collect())
    );
    assert_eq!(list(Some("SALES"), None, None).await, (2, vec!["ann".into(), "cat".into()]));
    assert_eq!(list(Some("an"), None, None).await, (2, vec!["ann".into(), "dan".into()]));
    assert_eq!(list(None, Some(1), Some(2)).await, (6, vec!["ann".into(), "bob".into()]));
    assert_eq!(list(None, Some(5), Some(2)).await, (6, vec!["eve".into()]));
    assert_eq!(list(None, Some(50), None).await, (6, vec![]));
    assert_eq!(list(Some("%"), None, None).await, (1, vec!["eve".into()]), "LIKE wildcards are literal");
    assert_eq!(list(Some("_"), None, None).await, (1, vec!["eve".into()]));
    assert_eq!(list(Some("nobody"), None, None).await, (0, vec![]));
    assert_eq!(list(Some(""), None, None).await.0, 6, "an empty q matches everything");

    // The search follows changes.
    let moved = UpdateUserRequest { department: Some("Marketing".into()), ..Default::default() };
    admin.update_user("bob", &moved).await.unwrap();
    assert_eq!(list(Some("r&d"), None, None).await, (0, vec![]));
    assert_eq!(list(Some("MARKET"), None, None).await, (1, vec!["bob".into()]));
    let renamed =
        UpdateUserRequest { account: Some("bobby".into()), email: Some("b@x.example".into()), ..Default::default() };
    admin.update_user("bob", &renamed).await.unwrap();
    assert_eq!(list(Some("bobby"), None, None).await, (1, vec!["bobby".into()]));
    assert_eq!(list(Some("x.example"), None, None).await, (1, vec!["bobby".into()]));

    for name in ["Zeta", "alpha", "Mid"] {
        admin.create_group(&group(name)).await.unwrap();
    }
    let groups = admin.list_groups(&ListQuery { q: Some("A".into()), offset: Some(1), limit: Some(1) }).await.unwrap();
    assert_eq!((groups.total, groups.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>()), (2, vec!["Zeta"]));
    admin.update_group("Mid", &UpdateGroupRequest { name: Some("Omega".into()), ..Default::default() }).await.unwrap();
    let found = admin.list_groups(&ListQuery { q: Some("omeg".into()), ..Default::default() }).await.unwrap();
    assert_eq!((found.total, found.groups[0].name.as_str()), (1, "Omega"));
    let gone = admin.list_groups(&ListQuery { q: Some("mid".into()), ..Default::default() }).await.unwrap();
    assert_eq!(gone.total, 0);
    drop(server);
}

#[tokio::test]
async fn names_are_unique_whatever_their_case() {
    let (server, admin) = server().await;
    admin.create_user(&new_user("Alice")).await.unwrap();
    admin.create_user(&new_user("bob")).await.unwrap();
    let rename = |to: &str| UpdateUserRequest { account: Some(to.into()), ..Default::default() };
    expect_err(admin.update_user("bob", &rename("alice")).await, 409, ErrorCode::DuplicateName);
    expect_err(admin.update_user("bob", &rename(" ALICE ")).await, 409, ErrorCode::DuplicateName);
    assert_eq!(admin.get_user("bob").await.unwrap().account, "bob");
    // A change of case only is the same account.
    assert_eq!(admin.update_user("bob", &rename("Bob")).await.unwrap().account, "Bob");
    assert_eq!(admin.update_user("Bob", &rename("robert")).await.unwrap().account, "robert");
    expect_err(server.login("bob", USER_PASSWORD).await, 401, ErrorCode::InvalidCredentials);
    server.login("ROBERT", USER_PASSWORD).await.unwrap();

    admin.create_group(&group("Team")).await.unwrap();
    admin.create_group(&group("Other")).await.unwrap();
    let to = |name: &str| UpdateGroupRequest { name: Some(name.into()), ..Default::default() };
    expect_err(admin.update_group("Other", &to("TEAM")).await, 409, ErrorCode::DuplicateName);
    assert_eq!(admin.update_group("Team", &to("team")).await.unwrap().name, "team");
    expect_err(admin.create_group(&group("OTHER")).await, 409, ErrorCode::DuplicateName);
}

#[tokio::test]
async fn memberships_show_from_both_sides_and_deletions_cascade() {
    let (server, admin) = server().await;
    let heidi = server.create_user(&admin, "heidi", &[]).await;
    let parent = admin
        .create_group(&CreateGroupRequest {
            name: "Parent".into(),
            email: "parent@example.com".into(),
            description: "top".into(),
            disabled: true,
        })
        .await
        .unwrap();
    assert_eq!(
        (parent.kind, parent.disabled, parent.email.as_str(), parent.description.as_str()),
        (GroupKind::Standard, true, "parent@example.com", "top")
    );
    admin.create_group(&group("Child")).await.unwrap();
    admin.add_group_user("Child", "heidi").await.unwrap();
    let again = admin.add_group_user("Child", "HEIDI").await.unwrap();
    assert_eq!(again.members.users.len(), 1, "adding twice keeps one membership");
    let p = admin.add_group_group("Parent", "Child").await.unwrap();
    assert_eq!(group_names(&p.members.groups), ["Child"]);
    let child = admin.get_group("Child").await.unwrap();
    assert_eq!(group_names(&child.member_of), ["Parent"]);
    assert_eq!(child.members.users[0].account, "heidi");
    assert_eq!(group_names(&admin.get_user("heidi").await.unwrap().member_of), ["Child"]);
    assert_eq!(group_names(&heidi.me().await.unwrap().user.member_of), ["Child"]);

    // A rename shows wherever the group is named.
    let renamed = UpdateGroupRequest { name: Some("Kids".into()), disabled: Some(false), ..Default::default() };
    let kids = admin.update_group("Child", &renamed).await.unwrap();
    assert_eq!((kids.name.as_str(), kids.disabled, kids.description.as_str()), ("Kids", false, ""));
    assert_eq!(group_names(&admin.get_user("heidi").await.unwrap().member_of), ["Kids"]);
    assert_eq!(group_names(&admin.get_group("Parent").await.unwrap().members.groups), ["Kids"]);

    // Removing what is not a membership is a conflict and changes nothing.
    expect_err(admin.remove_group_user("Parent", "heidi").await, 409, ErrorCode::Conflict);
    expect_err(admin.remove_group_group("Kids", "Parent").await, 409, ErrorCode::Conflict);
    expect_err(admin.remove_group_user("Kids", "nobody").await, 404, ErrorCode::NotFound);
    assert_eq!(admin.get_group("Kids").await.unwrap().members.users.len(), 1);

    let removed = admin.remove_group_user("Kids", "heidi").await.unwrap();
    assert!(removed.members.users.is_empty());
    expect_err(admin.remove_group_user("Kids", "heidi").await, 409, ErrorCode::Conflict);
    admin.add_group_user("Kids", "heidi").await.unwrap();

    admin.delete_user("heidi").await.unwrap();
    assert!(admin.get_group("Kids").await.unwrap().members.users.is_empty(), "the group still lists the user");
    expect_err(heidi.me().await, 401, ErrorCode::Unauthenticated);
    expect_err(admin.get_user("heidi").await, 404, ErrorCode::NotFound);
    expect_err(admin.delete_user("heidi").await, 404, ErrorCode::NotFound);

    admin.delete_group("Kids").await.unwrap();
    assert!(admin.get_group("Parent").await.unwrap().members.groups.is_empty());
    expect_err(admin.get_group("Kids").await, 404, ErrorCode::NotFound);
    expect_err(admin.delete_group("Kids").await, 404, ErrorCode::NotFound);
}

/// Every route that names a user or group, with `name` as both.
async fn round_trip_by_name(server: &TestServer, admin: &Client, name: &str) {
    let created = admin.create_user(&new_user(name)).await.unwrap_or_else(|e| panic!("create {name:?}: {e}"));
    assert_eq!(created.account, name);
    assert_eq!(admin.get_user(name).await.unwrap().id, created.id, "{name:?}");
    let patch = UpdateUserRequest { full_name: Some(format!("full {name}")), ..Default::default() };
    assert_eq!(admin.update_user(name, &patch).await.unwrap().id, created.id, "{name:?}");
    let reset = SetPasswordRequest { password: WirePassword::new(USER_PASSWORD), must_change_password: Some(false) };
    admin.set_user_password(name, &reset).await.unwrap();
    server.login(name, USER_PASSWORD).await.unwrap_or_else(|e| panic!("login {name:?}: {e}"));
    let g = admin.create_group(&group(name)).await.unwrap();
    assert_eq!(admin.get_group(name).await.unwrap().id, g.id, "{name:?}");
    admin
        .update_group(name, &UpdateGroupRequest { description: Some("d".into()), ..Default::default() })
        .await
        .unwrap();
    admin.add_group_user(name, name).await.unwrap();
    admin.create_group(&group(&format!("{name} parent"))).await.unwrap();
    admin.add_group_group(&format!("{name} parent"), name).await.unwrap();
    admin.remove_group_group(&format!("{name} parent"), name).await.unwrap();
    assert_eq!(admin.remove_group_user(name, name).await.unwrap().id, g.id);
    admin.delete_group(name).await.unwrap();
    admin.delete_user(name).await.unwrap();
    expect_err(admin.get_user(name).await, 404, ErrorCode::NotFound);
}

#[tokio::test]
async fn odd_names_survive_urls() {
    let (server, admin) = server().await;
    for name in ["Zoë Ünïcode 名前", "a b?c#d%20e&f=g+h", "dot.name", "🔐 vault", "semi;colon", "back\\slash", "..."]
    {
        round_trip_by_name(&server, &admin, name).await;
    }
    // The same through hand-made percent-encoding.
    let raw = common::Raw::new(&server);
    let token = common::admin_token(&server).await;
    admin.create_user(&new_user("Zoë 名前")).await.unwrap();
    let answer = raw.get("/api/v1/admin/users/Zo%C3%AB%20%E5%90%8D%E5%89%8D", Some(&token)).await;
    assert_eq!(answer.expect_ok()["account"], "Zoë 名前");
}

/// `.` and `..` are path segments URL libraries drop (tresor-client's `Url::path_segments_mut().extend` skips
/// them), so such a name must be refused or still reach its own record.
#[tokio::test]
async fn dot_names_are_refused_or_reachable() {
    let (server, admin) = server().await;
    for name in [".", ".."] {
        match admin.create_user(&new_user(name)).await {
            Err(e) => assert_eq!(e.code(), Some(ErrorCode::ValidationFailed), "{name:?}: {e}"),
            Ok(u) => {
                assert_eq!(admin.get_user(name).await.map(|v| v.id), Ok(u.id.clone()), "user {name:?}");
                server.login(name, USER_PASSWORD).await.unwrap();
                admin.delete_user(name).await.unwrap();
                expect_err(admin.get_user(&u.id).await, 404, ErrorCode::NotFound);
            }
        }
        match admin.create_group(&group(name)).await {
            Err(e) => assert_eq!(e.code(), Some(ErrorCode::ValidationFailed), "{name:?}: {e}"),
            Ok(g) => assert_eq!(admin.get_group(name).await.map(|v| v.id), Ok(g.id), "group {name:?}"),
        }
    }
}

#[tokio::test]
async fn an_account_administrator_stays_within_its_role() {
    let (server, admin) = server().await;
    let aa = server.create_user(&admin, "aa", &[Role::AccountAdministrator]).await;
    server.create_user(&admin, "sa", &[Role::ServerAdministrator]).await;
    let with_role = CreateUserRequest { roles: vec![Role::EventLogReader], ..new_user("promoted") };
    expect_err(aa.create_user(&with_role).await, 403, ErrorCode::Forbidden);
    expect_err(admin.get_user("promoted").await, 404, ErrorCode::NotFound);
    aa.create_user(&new_user("plain")).await.unwrap();
    let promote = UpdateUserRequest { roles: Some(vec![Role::ServerAdministrator]), ..Default::default() };
    expect_err(aa.update_user("plain", &promote).await, 403, ErrorCode::Forbidden);
    expect_err(aa.update_user("aa", &promote).await, 403, ErrorCode::Forbidden);
    assert!(admin.get_user("plain").await.unwrap().roles.is_empty());
    assert_eq!(admin.get_user("aa").await.unwrap().roles, [Role::AccountAdministrator]);
    // Naming the roles a user has already is no change of roles.
    let same = UpdateUserRequest { roles: Some(vec![]), full_name: Some("Plain".into()), ..Default::default() };
    assert_eq!(aa.update_user("plain", &same).await.unwrap().full_name, "Plain");

    let rename = UpdateUserRequest { full_name: Some("Mallory".into()), ..Default::default() };
    expect_err(aa.update_user("sa", &rename).await, 403, ErrorCode::Forbidden);
    let reset = SetPasswordRequest { password: WirePassword::new("taken-over-1"), must_change_password: None };
    expect_err(aa.set_user_password("sa", &reset).await, 403, ErrorCode::Forbidden);
    expect_err(aa.delete_user("sa").await, 403, ErrorCode::Forbidden);
    assert_eq!(admin.get_user("sa").await.unwrap().full_name, "");
    server.login("sa", USER_PASSWORD).await.expect("the server admin's password is unchanged");

    let sa = server.login("sa", USER_PASSWORD).await.unwrap();
    sa.update_user("aa", &UpdateUserRequest { roles: Some(vec![Role::DatabaseAdministrator]), ..Default::default() })
        .await
        .unwrap();
    expect_err(aa.list_users(&ListQuery::default()).await, 403, ErrorCode::Forbidden);
}

/// The rule "an Account Administrator may not change a Server Administrator" holds for memberships too: the
/// group routes refuse what `PATCH /admin/users/{sa}` with `member_of` refuses.
#[tokio::test]
async fn an_account_administrator_cannot_regroup_a_server_administrator() {
    let (server, admin) = server().await;
    let aa = server.create_user(&admin, "aa", &[Role::AccountAdministrator]).await;
    server.create_user(&admin, "sa", &[Role::ServerAdministrator]).await;
    admin.create_group(&group("team")).await.unwrap();
    admin.create_group(&group("staff")).await.unwrap();
    admin.add_group_user("staff", "sa").await.unwrap();
    let patch = UpdateUserRequest { member_of: Some(vec!["team".into()]), ..Default::default() };
    expect_err(aa.update_user("sa", &patch).await, 403, ErrorCode::Forbidden);
    expect_err(aa.add_group_user("team", "sa").await, 403, ErrorCode::Forbidden);
    expect_err(aa.remove_group_user("staff", "sa").await, 403, ErrorCode::Forbidden);
    assert_eq!(group_names(&admin.get_user("sa").await.unwrap().member_of), ["staff"]);
}
