//! Second factors through the real server over HTTPS: codes from real authenticators (`oathtool`, `pyotp`) and from
//! e-mail delivered by a real SMTP server (aiosmtpd), recovery codes, trusted devices and resets. Every answer is
//! recorded, so each test can check at its end that no secret (a password, an authenticator secret, a code, a device
//! token) was ever shown anywhere but where it is issued.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;
mod signin_support;

use signin_support::*;

/// An Account Administrator manages users' second factor, but not that of a Server Administrator or the super
/// administrator (whose password alone would then enrol a new authenticator); two enrolments pending at once for one
/// account enrol one authenticator, not the later over the earlier.
#[tokio::test]
async fn second_factor_resets_follow_the_administration_rules_and_an_enrolment_is_not_replaced() {
    if !authenticator::available() {
        return;
    }
    let e = env().await;
    e.settings(json!({"protection": no_protection(), "two_factor": two_factor("totp", 0)})).await;
    e.user("acct", "", &[Role::AccountAdministrator]).await;
    e.user("boss", "", &[Role::ServerAdministrator]).await;
    e.user("wren", "", &[]).await;
    e.user_options("acct", json!({"two_factor_disabled": true})).await;
    let acct = e.http.token("acct", USER_PASSWORD).await;
    for target in ["boss", "admin"] {
        let reply = e.http.send("DELETE", &format!("/api/v1/admin/users/{target}/two-factor"), Some(&acct), None).await;
        assert_eq!(reply.status, 403, "{target}: {}", reply.text);
    }
    let reply = e.http.send("DELETE", "/api/v1/admin/users/wren/two-factor", Some(&acct), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    // Two logins of wren before she has enrolled: each offers a secret. The first completed enrols; the second is
    // refused and does not replace it.
    let first = e.http.login("wren", USER_PASSWORD).await;
    first.expect_status(202);
    let second = e.http.login("wren", USER_PASSWORD).await;
    second.expect_status(202);
    let (s1, s2) = (first.str("/enrolment/secret").to_owned(), second.str("/enrolment/secret").to_owned());
    assert_ne!(s1, s2);
    let now = unix_now();
    e.http.second_factor(first.str("/challenge"), &oathtool_at(&s1, now), false).await.expect_status(200);
    let late = e.http.second_factor(second.str("/challenge"), &oathtool_at(&s2, now), false).await;
    late.expect(401, ErrorCode::SecondFactorExpired);
    let next = e.http.challenge("wren", USER_PASSWORD, "totp").await;
    e.http.second_factor(&next, &oathtool_at(&s1, now + 30), false).await.expect_status(200);
}

// --- authenticator apps --------------------------------------------------------------------------------------------

#[tokio::test]
async fn authenticator_codes_enrol_log_in_once_and_bad_codes_are_told_apart() {
    if authenticator::available() {
        authenticator_codes(env().await).await;
    }
}

/// The same on PostgreSQL: the step last used, the challenges and the recovery codes live in the store.
#[tokio::test]
async fn authenticator_codes_on_postgres() {
    if let Some(url) = postgres_url()
        && authenticator::available()
    {
        authenticator_codes(env_on(Engine::Postgres(url)).await).await;
    }
}

async fn authenticator_codes(e: Env) {
    e.user("tom", "", &[]).await;
    let settings = e.settings(json!({"two_factor": two_factor("totp", 0), "protection": no_protection()})).await;
    assert_eq!(settings["two_factor"]["mode"], "totp");

    // First login: an authenticator to enrol.
    let offer = e.http.login("tom", USER_PASSWORD).await;
    let body = offer.expect_status(202).clone();
    assert_eq!(body["method"], "totp_enrolment");
    assert!(body.get("token").is_none(), "no session before the second factor: {}", offer.text);
    let secret = offer.str("/enrolment/secret").to_owned();
    assert!(secret.len() >= 32, "at least 160 bits: {secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "base32: {secret}");
    let uri = offer.str("/enrolment/uri");
    assert!(uri.starts_with("otpauth://totp/Tresor:tom?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Tresor"), "{uri}");
    let enrol_challenge = offer.str("/challenge").to_owned();
    // Bad input on the enrolment challenge leaves it usable.
    e.http.second_factor(&enrol_challenge, "12ab", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    let unknown = format!("tresor_ch_{}", "0".repeat(64));
    e.http
        .second_factor(&unknown, &oathtool_at(&secret, unix_now()), false)
        .await
        .expect(401, ErrorCode::SecondFactorExpired);
    assert!(!e.two_factor_status("tom").await["totp_enrolled"].as_bool().unwrap(), "not enrolled before a code");

    let first_code = oathtool_at(&secret, unix_now());
    let enrolled = e.http.second_factor(&enrol_challenge, &first_code, false).await;
    let body = enrolled.expect_status(200).clone();
    assert!(e.works(body["token"].as_str().unwrap()).await);
    let recovery = body["recovery_codes"].as_array().unwrap();
    assert_eq!(recovery.len(), 10, "{}", enrolled.text);
    let mut distinct: Vec<&str> = recovery.iter().map(|c| c.as_str().unwrap()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    let status = e.two_factor_status("tom").await;
    assert_eq!((status["totp_enrolled"].as_bool(), status["recovery_codes_left"].as_u64()), (Some(true), Some(10)));
    // An enrolment challenge opens one session.
    e.http.second_factor(&enrol_challenge, &first_code, false).await.expect(401, ErrorCode::SecondFactorExpired);

    // The next login asks for a code, nothing to enrol. The enrolment's code is spent; the next step's code from
    // pyotp (one step ahead is within the window) opens the session, once.
    let login = e.http.login("tom", USER_PASSWORD).await;
    assert_eq!(login.expect_status(202)["method"], "totp");
    assert!(login.json.get("enrolment").is_none(), "{}", login.text);
    let challenge = login.str("/challenge").to_owned();
    e.http.second_factor(&challenge, &first_code, false).await.expect(401, ErrorCode::SecondFactorReused);
    let fresh = pyotp_at(&secret, unix_now() + 30);
    let body = e.http.second_factor(&challenge, &fresh, false).await.expect_status(200).clone();
    assert!(e.works(body["token"].as_str().unwrap()).await);
    assert!(body.get("recovery_codes").is_none(), "recovery codes only at enrolment: {body}");
    e.http.second_factor(&challenge, &fresh, false).await.expect(401, ErrorCode::SecondFactorExpired);
    let again = e.http.challenge("tom", USER_PASSWORD, "totp").await;
    e.http.second_factor(&again, &fresh, false).await.expect(401, ErrorCode::SecondFactorReused);

    // Five codes per challenge (the used one above was one of them), then it is gone, even for a right code.
    // Malformed ones are not guesses. Real codes outside the window (one step either side) are wrong too.
    let wrong = wrong_code(&secret);
    let now = unix_now();
    let far = [pyotp_at(&secret, now + 90), pyotp_at(&secret, now - 60)];
    e.http.second_factor(&again, "12ab", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    e.http.second_factor(&again, "1234567", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    for code in [&far[0], &far[1], &wrong, &wrong] {
        e.http.second_factor(&again, code, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    }
    e.http.second_factor(&again, &wrong, false).await.expect(401, ErrorCode::SecondFactorExpired);
    let status = e.two_factor_status("tom").await;
    assert_eq!(status["failed_logins"], 4, "wrong codes count as failed logins: {status}");

    // A recovery code, typed in capitals without its dash, opens one login, once; a success resets the failures.
    let code = recovery[0].as_str().unwrap();
    let typed = code.replace('-', "").to_uppercase();
    let challenge = e.http.challenge("tom", USER_PASSWORD, "totp").await;
    // A challenge belongs to the address that gave the password: from another one it does not exist.
    let elsewhere = e.http.from([127, 0, 0, 2]).second_factor(&challenge, &typed, false).await;
    elsewhere.expect(401, ErrorCode::SecondFactorExpired);
    let body = e.http.second_factor(&challenge, &typed, false).await.expect_status(200).clone();
    assert!(e.works(body["token"].as_str().unwrap()).await);
    let status = e.two_factor_status("tom").await;
    assert_eq!((status["recovery_codes_left"].as_u64(), status["failed_logins"].as_u64()), (Some(9), Some(0)));
    let challenge = e.http.challenge("tom", USER_PASSWORD, "totp").await;
    e.http.second_factor(&challenge, code, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    let other = recovery[1].as_str().unwrap();
    e.http.second_factor(&challenge, other, false).await.expect_status(200);

    // A wrong password never reaches the second factor, and says nothing about it.
    e.http.login("tom", "not-toms-password-1").await.expect(401, ErrorCode::InvalidCredentials);

    // Secrets: the authenticator secret only in its enrolment offer, the recovery codes only where issued, the
    // password nowhere.
    e.http.assert_shown_only_in("the authenticator secret", &secret, &[offer.index]);
    for c in recovery {
        let c = c.as_str().unwrap();
        e.http.assert_shown_only_in("a recovery code", c, &[enrolled.index]);
        e.http.assert_shown_only_in("a recovery code as typed", &c.replace('-', ""), &[]);
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

#[tokio::test]
async fn trusted_devices_per_user_exemption_and_reset() {
    if !authenticator::available() {
        return;
    }
    let e = env().await;
    e.user("dora", "", &[]).await;
    e.user("eve", "", &[]).await;
    e.settings(json!({"two_factor": two_factor("totp", 30), "protection": no_protection()})).await;
    let first = e.enrol("dora").await;

    // Remembering is offered; a recovery code (or any code) with remember_device gives a device token.
    let login = e.http.login("dora", USER_PASSWORD).await;
    assert_eq!(login.expect_status(202)["remember_device_days"], 30);
    let remembered = e.http.second_factor(login.str("/challenge"), &first.recovery[0], true).await;
    remembered.expect_status(200);
    let device = remembered.str("/device_token/token").to_owned();
    assert!(device.starts_with("tresor_dt_"), "{device}");
    let expires = time::OffsetDateTime::parse(
        remembered.str("/device_token/expires_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_hours() as f64 / 24.0;
    assert!((29.9..=30.1).contains(&days), "trusted for 30 days: {days}");

    // The device skips the second factor, but never the password, and only for its own user.
    let skipped = e.http.login_as("dora", USER_PASSWORD, "api", Some(&device)).await;
    assert!(e.works(skipped.expect_status(200)["token"].as_str().unwrap()).await);
    let wrong_password = e.http.login_as("dora", "not-doras-password-1", "api", Some(&device)).await;
    wrong_password.expect(401, ErrorCode::InvalidCredentials);
    let made_up = format!("tresor_dt_{}", "ab".repeat(32));
    assert_eq!(
        e.http.login_as("dora", USER_PASSWORD, "api", Some(&made_up)).await.expect_status(202)["method"],
        "totp"
    );
    let eve = e.http.login_as("eve", USER_PASSWORD, "api", Some(&device)).await;
    assert_eq!(eve.expect_status(202)["method"], "totp_enrolment", "dora's device is not eve's: {}", eve.text);

    // With remembering switched off, asking for it gives no token.
    e.settings(json!({"two_factor": two_factor("totp", 0)})).await;
    let login = e.http.login("dora", USER_PASSWORD).await;
    assert_eq!(login.expect_status(202)["remember_device_days"], 0);
    let not_remembered = e.http.second_factor(login.str("/challenge"), &first.recovery[1], true).await;
    assert!(not_remembered.expect_status(200).get("device_token").is_none(), "{}", not_remembered.text);
    e.settings(json!({"two_factor": two_factor("totp", 30)})).await;

    // "2FA deactivated" for one user: a password alone logs in; switched back, the code is asked again.
    let options = e.user_options("eve", json!({"two_factor_disabled": true})).await;
    assert_eq!(options["two_factor_disabled"], true);
    assert!(e.works(&e.http.token("eve", USER_PASSWORD).await).await);
    e.user_options("eve", json!({"two_factor_disabled": false})).await;
    e.http.challenge("eve", USER_PASSWORD, "totp_enrolment").await;

    // An administrator resets dora's second factor: the authenticator, its recovery codes, the trusted device and
    // pending challenges are forgotten; the next login enrols a new secret.
    let pending = e.http.challenge("dora", USER_PASSWORD, "totp").await;
    let before = e.two_factor_status("dora").await;
    assert_eq!((before["totp_enrolled"].as_bool(), before["recovery_codes_left"].as_u64()), (Some(true), Some(8)));
    let reset = e.http.send("DELETE", "/api/v1/admin/users/dora/two-factor", Some(&e.token), None).await;
    reset.expect_status(204);
    let after = e.two_factor_status("dora").await;
    assert_eq!((after["totp_enrolled"].as_bool(), after["recovery_codes_left"].as_u64()), (Some(false), Some(0)));
    e.http.second_factor(&pending, &first.recovery[2], false).await.expect(401, ErrorCode::SecondFactorExpired);
    let offer = e.http.login_as("dora", USER_PASSWORD, "api", Some(&device)).await;
    assert_eq!(offer.expect_status(202)["method"], "totp_enrolment", "the device no longer skips: {}", offer.text);
    assert_ne!(offer.str("/enrolment/secret"), first.secret, "a new secret");
    let second = e.enrol("dora").await;
    assert_ne!(second.secret, first.secret);
    let challenge = e.http.challenge("dora", USER_PASSWORD, "totp").await;
    e.http.second_factor(&challenge, &first.recovery[3], false).await.expect(401, ErrorCode::SecondFactorInvalid);
    e.http.second_factor(&challenge, &second.recovery[0], false).await.expect_status(200);
    let missing = e.http.send("DELETE", "/api/v1/admin/users/nobody/two-factor", Some(&e.token), None).await;
    missing.expect(404, ErrorCode::NotFound);

    // Secrets: each only where it was issued.
    e.http.assert_shown_only_in("the device token", &device, &[remembered.index]);
    e.http.assert_shown_only_in("the first secret", &first.secret, &[first.offer]);
    for c in first.recovery.iter().chain(&second.recovery) {
        let issued = if first.recovery.contains(c) { first.done } else { second.done };
        e.http.assert_shown_only_in("a recovery code", c, &[issued]);
    }
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

/// Regression: the second step used up the code before it checked that the login may still go on, so a login
/// refused there (the account deactivated, or the server paused, between password and code) cost the user a
/// recovery code or an authenticator step.
#[tokio::test]
async fn a_login_refused_at_its_second_step_uses_up_no_code() {
    if !authenticator::available() {
        return;
    }
    let e = env().await;
    e.user("rex", "", &[]).await;
    e.settings(json!({"two_factor": two_factor("totp", 0), "protection": no_protection()})).await;
    let enrolled = e.enrol("rex").await;
    // One step ahead of the enrolment's code, which is spent.
    let next = pyotp_at(&enrolled.secret, unix_now() + 30);

    // Deactivated after the password step: the second step says so, for a recovery code and an authenticator code.
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    e.user_options("rex", json!({"deactivated": true})).await;
    e.http.second_factor(&challenge, &enrolled.recovery[0], false).await.expect(403, ErrorCode::AccountDisabled);
    e.http.second_factor(&challenge, &next, false).await.expect(403, ErrorCode::AccountDisabled);
    let status = e.two_factor_status("rex").await;
    assert_eq!((status["recovery_codes_left"].as_u64(), status["failed_logins"].as_u64()), (Some(10), Some(0)));
    e.user_options("rex", json!({"deactivated": false})).await;

    // Paused after the password step: the same.
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    e.http.send("POST", "/api/v1/admin/pause", Some(&e.token), None).await.expect_status(200);
    e.http.second_factor(&challenge, &enrolled.recovery[0], false).await.expect(503, ErrorCode::ServerPaused);
    e.http.second_factor(&challenge, &next, false).await.expect(503, ErrorCode::ServerPaused);
    e.http.send("POST", "/api/v1/admin/continue", Some(&e.token), None).await.expect_status(200);
    assert_eq!(e.two_factor_status("rex").await["recovery_codes_left"], 10);

    // Neither code was used up: each still opens a login.
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    assert!(e.works(e.http.second_factor(&challenge, &next, false).await.str("/token")).await);
    let challenge = e.http.challenge("rex", USER_PASSWORD, "totp").await;
    let recovered = e.http.second_factor(&challenge, &enrolled.recovery[0], false).await;
    assert!(e.works(recovered.str("/token")).await);
    assert_eq!(e.two_factor_status("rex").await["recovery_codes_left"], 9);
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}

// --- e-mailed codes ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn emailed_codes_through_a_real_smtp_server() {
    let Some(sink) = SmtpSink::start() else { return };
    let e = env().await;
    e.user("emma", "emma.jones@example.org", &[]).await;
    e.user("nomail", "", &[]).await;
    e.settings(json!({"protection": no_protection()})).await;

    let mail = json!({"sender_name": "Tresor", "sender_address": "tresor@example.org", "host": "127.0.0.1",
                      "port": sink.port(), "tls": "none"});
    let shown = e.http.send("PUT", MAIL, Some(&e.token), Some(&mail)).await;
    assert_eq!(shown.expect_status(200)["password_set"], false);
    let test = json!({"to": "ops@example.org"});
    e.http.send("POST", &format!("{MAIL}/test"), Some(&e.token), Some(&test)).await.expect_status(204);
    let delivered = sink.wait_for_messages(1, MAIL_WAIT).await;
    assert_eq!(delivered[0].to, ["ops@example.org"]);
    assert_eq!(delivered[0].subject, "Tresor test message");
    assert!(delivered[0].from.contains("tresor@example.org"), "{}", delivered[0].from);

    e.settings(json!({"two_factor": two_factor("email", 0)})).await;
    let first = e.http.login("emma", USER_PASSWORD).await;
    let body = first.expect_status(202).clone();
    assert_eq!(body["method"], "email");
    let sent_to = first.str("/sent_to");
    assert!(sent_to.ends_with("@example.org") && !sent_to.contains("emma.jones"), "partly hidden: {sent_to}");
    let delivered = sink.wait_for_messages(2, MAIL_WAIT).await;
    assert_eq!(delivered[1].to, ["emma.jones@example.org"]);
    assert_eq!(delivered[1].subject, "Your Tresor sign-in code");
    let code_a = code_in(&delivered[1]);
    let challenge_a = first.str("/challenge").to_owned();

    // A second login has its own code; each code opens its own challenge only, once.
    let challenge_b = e.http.challenge("emma", USER_PASSWORD, "email").await;
    let code_b = code_in(&sink.wait_for_messages(3, MAIL_WAIT).await[2]);
    if code_a != code_b {
        e.http.second_factor(&challenge_b, &code_a, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    }
    let session = e.http.second_factor(&challenge_b, &code_b, false).await;
    assert!(e.works(session.expect_status(200)["token"].as_str().unwrap()).await);
    e.http.second_factor(&challenge_b, &code_b, false).await.expect(401, ErrorCode::SecondFactorExpired);
    e.http.second_factor(&challenge_a, "abcde-fghjk", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    e.http.second_factor(&challenge_a, "12ab", false).await.expect(401, ErrorCode::SecondFactorMalformed);
    e.http.second_factor(&challenge_a, &code_a, false).await.expect_status(200);
    e.http.second_factor(&challenge_a, &code_a, false).await.expect(401, ErrorCode::SecondFactorExpired);

    // Five wrong codes and the challenge is gone, right code or not.
    let challenge = e.http.challenge("emma", USER_PASSWORD, "email").await;
    let code = code_in(&sink.wait_for_messages(4, MAIL_WAIT).await[3]);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        e.http.second_factor(&challenge, wrong, false).await.expect(401, ErrorCode::SecondFactorInvalid);
    }
    e.http.second_factor(&challenge, &code, false).await.expect(401, ErrorCode::SecondFactorExpired);

    // Without an address there is nothing to send to; a wrong password still learns nothing.
    let unavailable = e.http.login("nomail", USER_PASSWORD).await;
    assert!(unavailable.expect(403, ErrorCode::SecondFactorUnavailable).message().contains("e-mail"));
    e.http.login("nomail", "not-the-password-1").await.expect(401, ErrorCode::InvalidCredentials);

    // The mail server down: the login says the code could not be sent; the test message says why, without the
    // mail server's password.
    let smtp_password = "smtp-secret-password-42";
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = json!({"sender_address": "tresor@example.org", "host": "127.0.0.1", "port": down_port, "tls": "none",
                      "username": "tresor", "password": smtp_password});
    assert_eq!(e.http.send("PUT", MAIL, Some(&e.token), Some(&down)).await.expect_status(200)["password_set"], true);
    let before = sink.messages().len();
    e.http.login("emma", USER_PASSWORD).await.expect(503, ErrorCode::SecondFactorNotSent);
    let failed = e.http.send("POST", &format!("{MAIL}/test"), Some(&e.token), Some(&test)).await;
    failed.expect(502, ErrorCode::MailFailed);
    e.http.get(MAIL, &e.token).await.expect_status(200);
    assert_eq!(sink.messages().len(), before, "nothing was delivered");

    // Secrets: the codes only ever in the mail; no password in any answer.
    for code in [&code_a, &code_b, &code] {
        e.http.assert_shown_only_in("an e-mailed code", &format!("\"{code}\""), &[]);
        e.http.assert_shown_only_in("an e-mailed code", &format!(" {code}"), &[]);
    }
    e.http.assert_shown_only_in("the SMTP password", smtp_password, &[]);
    e.http.assert_shown_only_in("the password", USER_PASSWORD, &[]);
}
