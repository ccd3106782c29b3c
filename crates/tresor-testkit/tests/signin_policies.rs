//! Sign-in policies through the real server over HTTPS: lockout after failed logins, the per-address attempt limit,
//! connection policies, the password policy and pausing the server. Every answer is recorded, so each test can check
//! at its end that no password was ever shown.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;
mod signin_support;

use signin_support::*;

// --- lockout -------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn failed_logins_deactivate_the_account_until_an_administrator_reactivates_it() {
    lockout(env().await).await;
}

/// The same on PostgreSQL, where the failure counter and the deactivation are one transaction.
#[tokio::test]
async fn failed_logins_deactivate_the_account_on_postgres() {
    if let Some(url) = postgres_url() {
        lockout(env_on(Engine::Postgres(url)).await).await;
    }
}

async fn lockout(e: Env) {
    e.user("lou", "", &[]).await;
    let protection = json!({"failed_login_limit": 3, "attempts_per_minute": 6000, "attempt_burst": 1000});
    e.settings(json!({ "protection": protection })).await;
    let wrong = "not-lous-password-1";

    // The counter resets on a successful login: 2 wrong, right, 2 wrong leaves the account active.
    for _ in 0..2 {
        e.http.login("lou", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    assert_eq!(e.two_factor_status("lou").await["failed_logins"], 2);
    let session = e.http.token("lou", USER_PASSWORD).await;
    assert_eq!(e.two_factor_status("lou").await["failed_logins"], 0);
    for _ in 0..2 {
        e.http.login("lou", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    assert!(e.works(&session).await, "two failures since the last success do not deactivate");
    let unknown = e.http.login("nobody-here", wrong).await;
    unknown.expect(401, ErrorCode::InvalidCredentials);

    // The third in a row deactivates it; the answer is the same as for an unknown account.
    let third = e.http.login("lou", wrong).await;
    assert_eq!((third.status, &third.text), (unknown.status, &unknown.text), "the third failure tells nothing");
    let user = e.http.get("/api/v1/admin/users/lou", &e.token).await;
    assert_eq!(user.expect_status(200)["options"]["deactivated"], true);
    assert!(!e.works(&session).await, "a deactivated account's session ends");
    // Only the right password learns that the account is deactivated.
    e.http.login("lou", USER_PASSWORD).await.expect(403, ErrorCode::AccountDisabled);
    let after = e.http.login("lou", wrong).await;
    assert_eq!((after.status, &after.text), (unknown.status, &unknown.text));
    assert_eq!(after.headers.get("www-authenticate"), unknown.headers.get("www-authenticate"));

    // An administrator reactivates it: it logs in again, with its counter started afresh.
    let options = e.user_options("lou", json!({"deactivated": false})).await;
    assert_eq!(options["deactivated"], false);
    assert_eq!(e.two_factor_status("lou").await["failed_logins"], 0);
    for _ in 0..2 {
        e.http.login("lou", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    assert!(e.works(&e.http.token("lou", USER_PASSWORD).await).await);

    // The super administrator is never locked out, or nobody could reactivate anyone.
    for _ in 0..4 {
        e.http.login("admin", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    e.http.token("admin", ADMIN_PASSWORD).await;

    // Wrong second-factor codes count with wrong passwords.
    if authenticator::available() {
        e.user("lena", "", &[]).await;
        e.settings(json!({"two_factor": two_factor("totp", 0)})).await;
        let enrolled = e.enrol("lena").await;
        let wrong_code = wrong_code(&enrolled.secret);
        let challenge = e.http.challenge("lena", USER_PASSWORD, "totp").await;
        for _ in 0..2 {
            e.http.second_factor(&challenge, &wrong_code, false).await.expect(401, ErrorCode::SecondFactorInvalid);
        }
        assert_eq!(e.two_factor_status("lena").await["failed_logins"], 2);
        e.http.login("lena", wrong).await.expect(401, ErrorCode::InvalidCredentials);
        e.http.login("lena", USER_PASSWORD).await.expect(403, ErrorCode::AccountDisabled);
        // The challenge still open dies with the account.
        let late = e.http.second_factor(&challenge, &enrolled.recovery[0], false).await;
        late.expect(403, ErrorCode::AccountDisabled);
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
    e.http.assert_shown_only_in("a wrong password", wrong, &[]);
}

// --- the per-address limit -----------------------------------------------------------------------------------------

#[tokio::test]
async fn a_flood_of_guesses_from_one_address_is_limited_and_successes_give_their_attempt_back() {
    let e = env().await;
    e.user("rita", "", &[]).await;
    // One attempt a minute after a burst of five: nothing refills while the test runs.
    let slow = json!({"failed_login_limit": 0, "attempts_per_minute": 1, "attempt_burst": 5});
    e.settings(json!({ "protection": slow })).await;
    let wrong = "not-ritas-password-1";

    let guesser = e.http.from([127, 0, 0, 3]);
    for _ in 0..5 {
        guesser.login("rita", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    let limited = guesser.login("rita", wrong).await;
    limited.expect(429, ErrorCode::RateLimited);
    let retry: u64 = limited.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    // The limit comes before the password check: the right password is refused too, and so are codes.
    guesser.login("rita", USER_PASSWORD).await.expect(429, ErrorCode::RateLimited);
    let unknown = format!("tresor_ch_{}", "0".repeat(64));
    guesser.second_factor(&unknown, "123456", false).await.expect(429, ErrorCode::RateLimited);
    // Another address has its own attempts.
    e.http.from([127, 0, 0, 4]).token("rita", USER_PASSWORD).await;

    // Successful logins give their attempt back: with one attempt left, any number of them go through.
    let office = e.http.from([127, 0, 0, 5]);
    for _ in 0..4 {
        office.login("rita", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    }
    for _ in 0..6 {
        office.token("rita", USER_PASSWORD).await;
    }
    office.login("rita", wrong).await.expect(401, ErrorCode::InvalidCredentials);
    office.login("rita", USER_PASSWORD).await.expect(429, ErrorCode::RateLimited);

    // At a sustained 60 a minute, the limited address gets an attempt back within about a second.
    let quick = json!({"failed_login_limit": 0, "attempts_per_minute": 60, "attempt_burst": 5});
    e.settings(json!({ "protection": quick })).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = guesser.login("rita", USER_PASSWORD).await;
        if reply.status == 200 {
            break;
        }
        reply.expect(429, ErrorCode::RateLimited);
        assert_eq!(reply.headers.get("retry-after").unwrap(), "1");
        assert!(Instant::now() < deadline, "no attempt came back within 10 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A refusal comes after a pause of a second (a guessing tool waiting for answers slows down with it), and its
    // Retry-After counts from the answer, rounded up: right after the only attempt of a minute is spent, 60 s less
    // the pause is 59, not 58. (The limit is taken before the unknown challenge is looked up, so the first request
    // spends it cheaply.)
    let one = json!({"failed_login_limit": 0, "attempts_per_minute": 1, "attempt_burst": 1});
    e.settings(json!({ "protection": one })).await;
    let fresh = e.http.from([127, 0, 0, 6]);
    let started = Instant::now();
    fresh.second_factor(&unknown, "123456", false).await.expect(401, ErrorCode::SecondFactorExpired);
    let between = started.elapsed();
    let limited = fresh.second_factor(&unknown, "123456", false).await;
    let answered_after = started.elapsed() - between;
    limited.expect(429, ErrorCode::RateLimited);
    assert!(answered_after >= Duration::from_millis(950), "the refusal came after {answered_after:?}");
    let retry = limited.headers.get("retry-after").unwrap().to_str().unwrap().to_owned();
    if between < Duration::from_secs(1) {
        assert_eq!(retry, "59", "{}", limited.text);
        assert!(limited.message().contains("59 seconds"), "the message says the same: {}", limited.text);
    } else {
        // The first request took more than a second: the exact figure cannot be told from here.
        assert!(["58", "59"].contains(&retry.as_str()), "Retry-After: {retry} after {between:?}");
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- connection policies -------------------------------------------------------------------------------------------

#[tokio::test]
async fn connection_policies_apply_at_login() {
    let e = env().await;
    e.user("cara", "", &[]).await;
    e.user("sven", "", &[Role::ServerAdministrator]).await;
    e.settings(json!({"protection": no_protection()})).await;

    // Supported clients: only the web client may log in; the super administrator is exempt.
    let web_only = e.settings(json!({"connections": connections(&["web"], "allow_multiple", 30)})).await;
    assert_eq!(web_only["connections"]["clients"], json!(["web"]));
    for client in ["api", "cli"] {
        let refused = e.http.login_as("cara", USER_PASSWORD, client, None).await;
        assert!(refused.expect(403, ErrorCode::ClientNotAllowed).message().contains(client), "{}", refused.text);
        e.http.login_as("sven", USER_PASSWORD, client, None).await.expect(403, ErrorCode::ClientNotAllowed);
    }
    e.http.login_as("cara", "not-caras-password-1", "api", None).await.expect(401, ErrorCode::InvalidCredentials);
    e.http.login_as("cara", USER_PASSWORD, "web", None).await.expect_status(200);
    e.http.login_as("admin", ADMIN_PASSWORD, "cli", None).await.expect_status(200);
    let empty = json!({"connections": connections(&[], "deny", 30)});
    let refused = e.http.send("PATCH", SETTINGS, Some(&e.token), Some(&empty)).await;
    assert!(refused.expect(422, ErrorCode::ValidationFailed).message().contains("connections.clients"));
    let all = ["cli", "web", "api"];

    // Close existing: a second login ends the first session.
    e.settings(json!({"connections": connections(&all, "close_existing", 30)})).await;
    let first = e.http.token("cara", USER_PASSWORD).await;
    let second = e.http.token("cara", USER_PASSWORD).await;
    assert!(!e.works(&first).await, "the first session was closed");
    assert!(e.works(&second).await);

    // Deny: while cara is logged on from one address, another address is refused; the same address is not.
    e.settings(json!({"connections": connections(&all, "deny", 30)})).await;
    let elsewhere = e.http.from([127, 0, 0, 2]);
    elsewhere.login("cara", USER_PASSWORD).await.expect(409, ErrorCode::AlreadyLoggedOn);
    elsewhere.login("cara", "not-caras-password-1").await.expect(401, ErrorCode::InvalidCredentials);
    let again = e.http.token("cara", USER_PASSWORD).await;
    assert!(e.works(&second).await && e.works(&again).await, "the same address may log in again");
    for token in [&second, &again] {
        e.http.send("POST", "/api/v1/auth/logout", Some(token), None).await.expect_status(204);
    }
    let moved = elsewhere.token("cara", USER_PASSWORD).await;
    assert!(elsewhere.get("/api/v1/me", &moved).await.status == 200);
    e.http.login("cara", USER_PASSWORD).await.expect(409, ErrorCode::AlreadyLoggedOn);

    // Inactive sessions: the idle timeout in force is told to the client.
    e.settings(json!({"connections": connections(&all, "allow_multiple", 7)})).await;
    let login = e.http.login("cara", USER_PASSWORD).await;
    assert_eq!(login.expect_status(200)["session"]["idle_timeout_minutes"], 7);
    let me = e.http.get("/api/v1/me", login.str("/token")).await;
    assert_eq!(me.expect_status(200)["session"]["idle_timeout_minutes"], 7);
    // Never idle (0): sessions stay connected on the dashboard and in the session list, whatever their last request.
    e.settings(json!({"connections": connections(&all, "allow_multiple", 0)})).await;
    let sessions = e.http.get("/api/v1/admin/sessions", &e.token).await;
    let listed = sessions.expect_status(200)["sessions"].as_array().unwrap().len();
    assert!(listed >= 2, "{}", sessions.text);
    let info = e.http.get("/api/v1/admin/info", &e.token).await;
    assert!(info.expect_status(200)["connected_users"].as_u64().unwrap() >= 2, "{}", info.text);
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- the password policy -------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_password_policy_applies_to_server_passwords() {
    let e = env().await;
    e.user("pat", "pat@example.org", &[]).await;
    e.settings(json!({"protection": no_protection()})).await;
    let policy = |min_age_days: u32| {
        json!({"min_length": 12, "require_lowercase": false, "require_uppercase": false, "require_digits": true,
               "require_symbols": false, "min_strength": 2, "history": 3, "max_age_days": 0,
               "min_age_days": min_age_days})
    };
    e.settings(json!({"password_policy": policy(0)})).await;
    let bad_policy = json!({"password_policy": {"min_length": 7, "require_lowercase": false,
        "require_uppercase": false, "require_digits": false, "require_symbols": false, "min_strength": 0,
        "history": 0, "max_age_days": 0, "min_age_days": 0}});
    let refused = e.http.send("PATCH", SETTINGS, Some(&e.token), Some(&bad_policy)).await;
    assert!(refused.expect(422, ErrorCode::ValidationFailed).message().contains("min_length"));

    let pat = e.http.token("pat", USER_PASSWORD).await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let put = |body: Value| {
        let (http, pat) = (e.http.clone(), pat.clone());
        async move { http.send("PUT", "/api/v1/me/password", Some(&pat), Some(&body)).await }
    };
    let weak = [
        ("too short", "k7-plover-x"),
        ("no digit", "correct-horse-battery-staple"),
        ("too guessable", "password12345"),
        ("the account's own name", "pat@example.org1"),
    ];
    for (why, password) in weak {
        let reply = put(change(USER_PASSWORD, password)).await;
        reply.expect(422, ErrorCode::ValidationFailed);
        assert!(!reply.text.contains(password), "{why}: the message quotes the password: {}", reply.text);
    }
    let short = put(change(USER_PASSWORD, "k7-plover-x")).await;
    assert!(short.message().contains("12 characters"), "{}", short.text);
    assert!(put(change(USER_PASSWORD, "correct-horse-battery-staple")).await.message().contains("digit"));

    // History of 3: the current password and the two before it may not come back.
    let second = "violet-canyon-4-drifting";
    let third = "amber-lantern-7-quietly";
    put(change(USER_PASSWORD, second)).await.expect_status(204);
    put(change(second, third)).await.expect_status(204);
    for used in [USER_PASSWORD, second, third] {
        let reply = put(change(third, used)).await;
        reply.expect(422, ErrorCode::ValidationFailed);
        assert!(!reply.text.contains(used), "{}", reply.text);
    }
    // Three changes later the first password is out of the history; the second is not yet.
    let fourth = "granite-meadow-9-whistles";
    put(change(third, fourth)).await.expect_status(204);
    put(change(fourth, second)).await.expect(422, ErrorCode::ValidationFailed);
    put(change(fourth, USER_PASSWORD)).await.expect_status(204);

    // Minimum age of a day: no change right away, unless the account must change its password.
    e.settings(json!({"password_policy": policy(1)})).await;
    let fifth = "copper-harbour-2-lanterns";
    let young = put(change(USER_PASSWORD, fifth)).await;
    assert!(young.expect(422, ErrorCode::ValidationFailed).message().contains("days"), "{}", young.text);
    e.user_options("pat", json!({"must_change_password": true})).await;
    let pat = e.http.token("pat", USER_PASSWORD).await;
    let body = change(USER_PASSWORD, fifth);
    e.http.send("PUT", "/api/v1/me/password", Some(&pat), Some(&body)).await.expect_status(204);

    // Administrators meet the same rules when they create a user or set a password.
    let create = json!({"account": "weakling", "password": "password12345"});
    let reply = e.http.send("POST", "/api/v1/admin/users", Some(&e.token), Some(&create)).await;
    reply.expect(422, ErrorCode::ValidationFailed);
    let set = json!({"password": "abc"});
    e.http
        .send("PUT", "/api/v1/admin/users/pat/password", Some(&e.token), Some(&set))
        .await
        .expect(422, ErrorCode::ValidationFailed);
    let set = json!({"password": "no-digits-in-here-at-all"});
    e.http
        .send("PUT", "/api/v1/admin/users/pat/password", Some(&e.token), Some(&set))
        .await
        .expect(422, ErrorCode::ValidationFailed);
    let good = json!({"account": "strongling", "password": "saffron-glacier-5-ticking"});
    e.http.send("POST", "/api/v1/admin/users", Some(&e.token), Some(&good)).await.expect_status(201);

    for password in [USER_PASSWORD, second, third, fourth, fifth, "password12345", "correct-horse-battery-staple"] {
        e.http.assert_shown_only_in("a password", password, &[]);
    }
}

// --- pause and continue --------------------------------------------------------------------------------------------

#[tokio::test]
async fn pause_stops_clients_but_not_administrators() {
    let e = env().await;
    e.user("paula", "", &[]).await;
    e.user("sam", "", &[Role::AccountAdministrator]).await;
    e.settings(json!({"protection": no_protection()})).await;
    let paula = e.http.token("paula", USER_PASSWORD).await;
    let sam = e.http.token("sam", USER_PASSWORD).await;

    // Only a server administrator may pause.
    e.http.send("POST", "/api/v1/admin/pause", Some(&paula), None).await.expect(403, ErrorCode::Forbidden);
    let paused = e.http.send("POST", "/api/v1/admin/pause", Some(&e.token), None).await;
    assert_eq!(paused.expect_status(200).clone(), json!({"paused": true, "changed": true}));
    let again = e.http.send("POST", "/api/v1/admin/pause", Some(&e.token), None).await;
    assert_eq!(again.expect_status(200)["changed"], false);

    // A plain user can neither work nor log in; an unauthenticated guess learns nothing about the pause.
    e.http.get("/api/v1/me", &paula).await.expect(503, ErrorCode::ServerPaused);
    e.http.get("/api/v1/vault/databases", &paula).await.expect(503, ErrorCode::ServerPaused);
    e.http.login("paula", USER_PASSWORD).await.expect(503, ErrorCode::ServerPaused);
    e.http.login("paula", "not-paulas-password-1").await.expect(401, ErrorCode::InvalidCredentials);
    // Administrators work on: a user with a server role, and the super administrator.
    e.http.get("/api/v1/me", &sam).await.expect_status(200);
    let sam_again = e.http.token("sam", USER_PASSWORD).await;
    e.http.get("/api/v1/admin/users", &sam_again).await.expect_status(200);
    let info = e.http.get("/api/v1/admin/info", &e.token).await;
    assert_eq!(info.expect_status(200)["status"], "paused");
    assert_eq!(e.http.get(SETTINGS, &e.token).await.expect_status(200)["paused"], true);
    let admin_again = e.http.token("admin", ADMIN_PASSWORD).await;

    let resumed = e.http.send("POST", "/api/v1/admin/continue", Some(&admin_again), None).await;
    assert_eq!(resumed.expect_status(200).clone(), json!({"paused": false, "changed": true}));
    e.http.get("/api/v1/me", &paula).await.expect_status(200);
    e.http.token("paula", USER_PASSWORD).await;
    assert_eq!(e.http.get("/api/v1/admin/info", &e.token).await.expect_status(200)["status"], "running");
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}
