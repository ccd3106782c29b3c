//! Representative behaviour written once and run on each store engine: first login, seats, groups and cycles,
//! sessions, and a restart. Each case takes the server it runs on; the server must have 3 seats.

use tresor_api::{ChangePasswordRequest, CreateGroupRequest, CreateUserRequest, ErrorCode, ListQuery, WirePassword};
use tresor_client::Client;
use tresor_testkit::{ADMIN_PASSWORD, TestServer, USER_PASSWORD};

use super::expect_err;

/// The whole set, in an order where each case leaves what the next expects.
pub async fn run_all(server: &mut TestServer, engine: &str) {
    let admin = first_login_forces_the_password_change(server).await;
    assert_eq!(admin.server_info().await.unwrap().store_engine, engine);
    sessions_can_be_revoked(server, &admin).await;
    groups_refuse_cycles(&admin).await;
    concurrent_changes_keep_the_rules(&admin).await;
    seats_are_limited(server, &admin).await;
    restart_keeps_everything(server).await;
}

/// The one-time password logs in, but nothing except changing it works until it is changed.
pub async fn first_login_forces_the_password_change(server: &TestServer) -> Client {
    let otp = server.one_time_password().expect("first start prints a password").to_owned();
    let client = server.login("admin", &otp).await.unwrap();
    assert!(client.me().await.unwrap().password_change_required);
    expect_err(client.server_info().await, 403, ErrorCode::PasswordChangeRequired);
    expect_err(client.list_users(&ListQuery::default()).await, 403, ErrorCode::PasswordChangeRequired);
    client
        .change_password(&ChangePasswordRequest {
            current_password: WirePassword::new(otp.clone()),
            new_password: WirePassword::new(ADMIN_PASSWORD),
        })
        .await
        .unwrap();
    assert!(!client.me().await.unwrap().password_change_required);
    client.server_info().await.unwrap();
    expect_err(server.login("admin", &otp).await, 401, ErrorCode::InvalidCredentials);
    server.login("admin", ADMIN_PASSWORD).await.unwrap()
}

/// A user's session shows in the listing; disconnecting it ends it; logout ends the caller's own.
pub async fn sessions_can_be_revoked(server: &TestServer, admin: &Client) {
    let user = server.create_user(admin, "Sam Session", &[]).await;
    let me = user.me().await.unwrap();
    let listed = admin.list_sessions().await.unwrap();
    let view = listed.sessions.iter().find(|s| s.id == me.session.id).expect("the user's session is listed");
    assert_eq!((view.account.as_str(), view.address.as_str()), ("Sam Session", "127.0.0.1"));
    admin.delete_session(&view.id).await.unwrap();
    expect_err(user.me().await, 401, ErrorCode::Unauthenticated);
    expect_err(admin.delete_session(&view.id).await, 404, ErrorCode::NotFound);
    assert!(admin.list_sessions().await.unwrap().sessions.iter().all(|s| s.id != view.id));

    let again = server.login("sam session", USER_PASSWORD).await.unwrap();
    again.logout().await.unwrap();
    expect_err(again.me().await, 401, ErrorCode::Unauthenticated);
    admin.delete_user("Sam Session").await.unwrap();
}

/// a ⊃ b ⊃ c; then c ⊃ a and a ⊃ a are refused and nothing changes.
pub async fn groups_refuse_cycles(admin: &Client) {
    for name in ["Alpha", "Beta", "Gamma"] {
        admin.create_group(&CreateGroupRequest { name: name.into(), ..Default::default() }).await.unwrap();
    }
    let dup = admin.create_group(&CreateGroupRequest { name: "alpha".into(), ..Default::default() }).await;
    expect_err(dup, 409, ErrorCode::DuplicateName);
    admin.add_group_group("Alpha", "Beta").await.unwrap();
    admin.add_group_group("Beta", "Gamma").await.unwrap();
    let message = expect_err(admin.add_group_group("Gamma", "Alpha").await, 422, ErrorCode::GroupCycle);
    assert!(message.contains("Alpha") && message.contains("Gamma"), "{message}");
    expect_err(admin.add_group_group("Beta", "Beta").await, 422, ErrorCode::GroupCycle);
    let names = |v: &[tresor_api::GroupRef]| v.iter().map(|g| g.name.clone()).collect::<Vec<_>>();
    let gamma = admin.get_group("Gamma").await.unwrap();
    assert!(gamma.members.groups.is_empty());
    assert_eq!(names(&gamma.member_of), ["Beta"]);
    let beta = admin.get_group("Beta").await.unwrap();
    assert_eq!(names(&beta.members.groups), ["Gamma"]);
    assert_eq!(names(&beta.member_of), ["Alpha"]);
    let alpha = admin.get_group("Alpha").await.unwrap();
    assert_eq!(names(&alpha.members.groups), ["Beta"]);
    assert!(alpha.member_of.is_empty());
}

/// Racing requests cannot together break a rule each one alone respects: one name, no cycle.
pub async fn concurrent_changes_keep_the_rules(admin: &Client) {
    let twins = all_at_once((0..4).map(|_| {
        let admin = admin.clone();
        async move { admin.create_group(&CreateGroupRequest { name: "Twin".into(), ..Default::default() }).await }
    }))
    .await;
    assert_eq!(twins.iter().filter(|r| r.is_ok()).count(), 1, "{twins:?}");
    for r in twins.into_iter().filter(Result::is_err) {
        expect_err(r, 409, ErrorCode::DuplicateName);
    }
    for round in 0..4 {
        let names = [format!("P{round}"), format!("Q{round}"), format!("R{round}")];
        for name in &names {
            admin.create_group(&CreateGroupRequest { name: name.clone(), ..Default::default() }).await.unwrap();
        }
        // P ⊃ Q, Q ⊃ R and R ⊃ P at once: at most two may succeed.
        let edges = [(0, 1), (1, 2), (2, 0)];
        let results = all_at_once(edges.iter().map(|&(p, c)| {
            let (admin, p, c) = (admin.clone(), names[p].clone(), names[c].clone());
            async move { admin.add_group_group(&p, &c).await }
        }))
        .await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2, "round {round}: {results:?}");
        for r in results.into_iter().filter(Result::is_err) {
            expect_err(r, 422, ErrorCode::GroupCycle);
        }
    }
}

/// Runs the futures as separate tasks, started together, and returns their results in order.
async fn all_at_once<T: Send + 'static>(
    futures: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Three users fit in three seats (the super administrator takes none); the fourth is refused, naming the limit.
pub async fn seats_are_limited(server: &TestServer, admin: &Client) {
    let info = admin.server_info().await.unwrap();
    assert_eq!((info.seats.licensed, info.seats.used), (3, 0), "the super administrator takes no seat");
    server.create_user(admin, "one", &[]).await;
    server.create_user(admin, "Ärger", &[]).await;
    // Case folding is Unicode-aware and the same on every engine.
    let dup = admin.create_user(&CreateUserRequest { account: "äRGER".into(), ..user("x") }).await;
    expect_err(dup, 409, ErrorCode::DuplicateName);
    let found = admin.list_users(&ListQuery { q: Some("ärg".into()), ..Default::default() }).await.unwrap();
    assert_eq!((found.total, found.users[0].account.as_str()), (1, "Ärger"));
    server.login("ÄRGER", USER_PASSWORD).await.unwrap();
    // The last seat, wanted by four at once, goes to exactly one.
    let results = all_at_once((1..=4).map(|i| {
        let (admin, racer) = (admin.clone(), user(&format!("racer{i}")));
        async move { admin.create_user(&racer).await }
    }))
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for r in results.into_iter().filter(Result::is_err) {
        let message = expect_err(r, 409, ErrorCode::SeatLimitReached);
        assert!(message.contains('3'), "the message names the limit: {message}");
    }
    let fourth = admin.create_user(&user("four")).await;
    let message = expect_err(fourth, 409, ErrorCode::SeatLimitReached);
    assert!(message.contains('3'), "the message names the limit: {message}");
    expect_err(admin.get_user("four").await, 404, ErrorCode::NotFound);
    let info = admin.server_info().await.unwrap();
    assert_eq!((info.seats.used, info.registered_users), (3, 3));
}

/// A restart on the same store: no new one-time password, and the passwords and memberships set before remain.
pub async fn restart_keeps_everything(server: &mut TestServer) {
    server.restart().await;
    let admin = server.login("admin", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(admin.get_group("Beta").await.unwrap().members.groups.len(), 1);
    server.login("one", USER_PASSWORD).await.unwrap();
    assert_eq!(admin.server_info().await.unwrap().seats.used, 3);
}

fn user(account: &str) -> CreateUserRequest {
    CreateUserRequest { account: account.into(), password: WirePassword::new(USER_PASSWORD), ..Default::default() }
}
