//! Cases for sign-in state: failed-login counters and lockout, password history, authenticator enrolments with
//! replay protection and recovery codes, challenges that complete once, trusted devices, and the purge.

use std::sync::Arc;

use tresor_core::UserId;
use tresor_core::session::ClientKind;
use tresor_core::signin::store::{ChallengeKind, LoginChallenge, RecoveryOutcome, SigninStore, TotpEnrolment};

use crate::TestDb;
use crate::sample::{self, HASH, at};

fn signin(db: &TestDb) -> Arc<dyn SigninStore> {
    Arc::new(db.sql().clone())
}

pub async fn signin_failures_count_and_lock_the_account_once(db: TestDb) {
    let (store, signin) = (db.store(), signin(&db));
    let ann = sample::user("ann");
    store.insert_user(&ann, HASH, &[], 10).await.unwrap();

    // Names that are no account are counted the same way (so both cost the same), never deactivating anything.
    for n in 1..=4 {
        let c = signin.record_login_failure("nobody", None, 3, at(n)).await.unwrap();
        assert_eq!((c.failures, c.deactivated_now), (n as u32, false));
    }
    let first = signin.record_login_failure("ann", Some(ann.id), 3, at(10)).await.unwrap();
    let second = signin.record_login_failure("ann", Some(ann.id), 3, at(11)).await.unwrap();
    assert_eq!((first.failures, first.deactivated_now, second.deactivated_now), (1, false, false));
    assert!(!store.user(ann.id).await.unwrap().unwrap().options.deactivated);
    let third = signin.record_login_failure("ann", Some(ann.id), 3, at(12)).await.unwrap();
    assert_eq!((third.failures, third.deactivated_now), (3, true));
    assert!(store.user(ann.id).await.unwrap().unwrap().options.deactivated);
    // Deactivated once: the next failure counts but does not report a new deactivation.
    let fourth = signin.record_login_failure("ann", Some(ann.id), 3, at(13)).await.unwrap();
    assert_eq!((fourth.failures, fourth.deactivated_now), (4, false));
    assert_eq!(signin.login_failures("ann").await.unwrap(), 4);

    signin.clear_login_failures("ann").await.unwrap();
    assert_eq!(signin.login_failures("ann").await.unwrap(), 0);
    assert_eq!(signin.login_failures("nobody").await.unwrap(), 4, "another name's counter is its own");

    // A limit of 0 never deactivates; the super administrator is never deactivated by failures.
    let bo = sample::user("bo");
    store.insert_user(&bo, HASH, &[], 10).await.unwrap();
    for n in 0..5 {
        signin.record_login_failure("bo", Some(bo.id), 0, at(20 + n)).await.unwrap();
    }
    assert!(!store.user(bo.id).await.unwrap().unwrap().options.deactivated);
    let admin = sample::super_admin();
    store.insert_user(&admin, HASH, &[], 10).await.unwrap();
    let c = signin.record_login_failure("admin", Some(admin.id), 1, at(30)).await.unwrap();
    assert!(!c.deactivated_now);
    assert!(!store.user(admin.id).await.unwrap().unwrap().options.deactivated);
}

pub async fn signin_concurrent_failures_are_all_counted(db: TestDb) {
    let (store, signin) = (db.store(), signin(&db));
    let cy = sample::user("cy");
    store.insert_user(&cy, HASH, &[], 10).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let signin = Arc::clone(&signin);
            tokio::spawn(async move { signin.record_login_failure("cy", Some(cy.id), 10, at(n)).await.unwrap() })
        })
        .collect();
    let mut deactivations = 0;
    for t in tasks {
        deactivations += usize::from(t.await.unwrap().deactivated_now);
    }
    assert_eq!(signin.login_failures("cy").await.unwrap(), 20);
    assert_eq!(deactivations, 1, "exactly one failure reaches the limit");
}

pub async fn signin_password_history_keeps_replaced_verifiers(db: TestDb) {
    let (store, signin) = (db.store(), signin(&db));
    let di = sample::user("di");
    store.insert_user(&di, HASH, &[], 10).await.unwrap();
    assert_eq!(signin.password_set_at(di.id).await.unwrap(), Some(at(0)), "never changed: since creation");
    assert!(signin.password_history(di.id, 5).await.unwrap().is_empty());
    for n in 1..=30 {
        store.set_password_hash(di.id, &format!("hash-{n}"), false, at(n * 1000)).await.unwrap();
    }
    assert_eq!(store.password_hash(di.id).await.unwrap().as_deref(), Some("hash-30"));
    assert_eq!(signin.password_set_at(di.id).await.unwrap(), Some(at(30_000)));
    let newest = signin.password_history(di.id, 3).await.unwrap();
    assert_eq!(newest, ["hash-29", "hash-28", "hash-27"]);
    // The history keeps the newest 24.
    let all = signin.password_history(di.id, 100).await.unwrap();
    assert_eq!(all.len(), 24);
    assert_eq!(all.last().map(String::as_str), Some("hash-6"));
    assert_eq!(signin.password_set_at(UserId::random()).await.unwrap(), None);
}

pub async fn signin_totp_steps_advance_once_and_recovery_codes_work_once(db: TestDb) {
    let (store, signin) = (db.store(), signin(&db));
    let ed = sample::user("ed");
    store.insert_user(&ed, HASH, &[], 10).await.unwrap();
    assert_eq!(signin.totp_enrolment(ed.id).await.unwrap(), None);
    let enrolment = TotpEnrolment { user: ed.id, sealed_secret: vec![1, 2, 3], last_step: 100, enrolled_at: at(5) };
    assert!(signin.enrol_totp(&enrolment, &[[1; 32], [2; 32]]).await.unwrap());
    assert_eq!(signin.totp_enrolment(ed.id).await.unwrap(), Some(enrolment.clone()));
    assert_eq!(signin.recovery_codes_left(ed.id).await.unwrap(), 2);

    assert!(!signin.advance_totp_step(ed.id, 100).await.unwrap(), "the enrolment's own step is used");
    assert!(!signin.advance_totp_step(ed.id, 99).await.unwrap());
    assert!(signin.advance_totp_step(ed.id, 101).await.unwrap());
    assert!(!signin.advance_totp_step(ed.id, 101).await.unwrap(), "a code opens one login");

    // Concurrent checks of one code: one wins.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let signin = Arc::clone(&signin);
            tokio::spawn(async move { signin.advance_totp_step(ed.id, 102).await.unwrap() })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);

    assert!(signin.use_recovery_code(ed.id, &[1; 32]).await.unwrap());
    assert!(!signin.use_recovery_code(ed.id, &[1; 32]).await.unwrap(), "a recovery code works once");
    assert!(!signin.use_recovery_code(ed.id, &[9; 32]).await.unwrap());
    assert_eq!(signin.recovery_codes_left(ed.id).await.unwrap(), 1);

    // A second enrolment does not replace the first (a pending one must not take over an enrolled authenticator);
    // after a reset it goes in, with its own codes only.
    let again = TotpEnrolment { sealed_secret: vec![4, 5], last_step: 7, ..enrolment.clone() };
    assert!(!signin.enrol_totp(&again, &[[3; 32]]).await.unwrap());
    assert_eq!(signin.totp_enrolment(ed.id).await.unwrap().map(|e| e.sealed_secret), Some(vec![1, 2, 3]));
    assert_eq!(signin.recovery_codes_left(ed.id).await.unwrap(), 1);
    assert!(signin.reset_two_factor(ed.id).await.unwrap());
    assert!(signin.enrol_totp(&again, &[[3; 32]]).await.unwrap());
    assert_eq!(signin.totp_enrolment(ed.id).await.unwrap(), Some(again));
    assert!(!signin.use_recovery_code(ed.id, &[2; 32]).await.unwrap(), "old codes are gone");
    assert_eq!(signin.recovery_codes_left(ed.id).await.unwrap(), 1);

    // A recovery code and the challenge it answers go together, or neither does.
    let c = LoginChallenge {
        kind: ChallengeKind::Totp,
        code_hash: None,
        sealed_secret: None,
        ..challenge(ed.id, 40, 60_000)
    };
    signin.insert_challenge(&c).await.unwrap();
    let wrong = signin.complete_with_recovery_code(&c.token_hash, ed.id, &[9; 32]).await.unwrap();
    assert_eq!(wrong, RecoveryOutcome::WrongCode);
    assert!(signin.challenge(&c.token_hash).await.unwrap().is_some(), "a wrong code leaves the challenge");
    let gone = signin.complete_with_recovery_code(&[41; 32], ed.id, &[3; 32]).await.unwrap();
    assert_eq!(gone, RecoveryOutcome::ChallengeGone);
    assert_eq!(signin.recovery_codes_left(ed.id).await.unwrap(), 1, "no challenge, no code used");
    let used = signin.complete_with_recovery_code(&c.token_hash, ed.id, &[3; 32]).await.unwrap();
    assert_eq!(used, RecoveryOutcome::Used);
    assert_eq!(signin.recovery_codes_left(ed.id).await.unwrap(), 0);
    assert_eq!(signin.challenge(&c.token_hash).await.unwrap(), None);
}

fn challenge(user: UserId, token: u8, expires: i64) -> LoginChallenge {
    LoginChallenge {
        token_hash: [token; 32],
        user,
        kind: ChallengeKind::Email,
        code_hash: Some([token ^ 0xff; 32]),
        sealed_secret: Some(vec![token, 1, 2]),
        client: ClientKind::Web,
        address: "192.0.2.7".parse().unwrap(),
        created_at: at(0),
        expires_at: at(expires),
        attempts: 0,
    }
}

pub async fn signin_challenges_complete_once_and_devices_expire(db: TestDb) {
    let (store, signin) = (db.store(), signin(&db));
    let fay = sample::user("fay");
    store.insert_user(&fay, HASH, &[], 10).await.unwrap();
    let c = challenge(fay.id, 7, 60_000);
    signin.insert_challenge(&c).await.unwrap();
    assert_eq!(signin.challenge(&c.token_hash).await.unwrap(), Some(c.clone()));
    assert_eq!(signin.challenge(&[8; 32]).await.unwrap(), None);
    let plain = LoginChallenge {
        kind: ChallengeKind::Totp,
        code_hash: None,
        sealed_secret: None,
        ..challenge(fay.id, 9, 60_000)
    };
    signin.insert_challenge(&plain).await.unwrap();
    assert_eq!(signin.challenge(&plain.token_hash).await.unwrap(), Some(plain.clone()));
    assert!(signin.insert_challenge(&challenge(UserId::random(), 10, 1)).await.is_err(), "no such user");

    assert_eq!(signin.count_challenge_attempt(&c.token_hash).await.unwrap(), 1);
    assert_eq!(signin.count_challenge_attempt(&c.token_hash).await.unwrap(), 2);
    assert_eq!(signin.challenge(&c.token_hash).await.unwrap().unwrap().attempts, 2);
    assert!(signin.take_challenge(&c.token_hash).await.unwrap());
    assert!(!signin.take_challenge(&c.token_hash).await.unwrap(), "a challenge completes one login");
    assert_eq!(signin.challenge(&c.token_hash).await.unwrap(), None);

    signin.trust_device(&[5; 32], fay.id, at(0), at(100_000)).await.unwrap();
    assert_eq!(signin.trusted_device(&[5; 32], at(99_999)).await.unwrap(), Some(fay.id));
    assert_eq!(signin.trusted_device(&[5; 32], at(100_000)).await.unwrap(), None, "expired");
    assert_eq!(signin.trusted_device(&[6; 32], at(0)).await.unwrap(), None);

    // The purge takes what expired and the counters of names that are no account, after a day.
    signin.trust_device(&[4; 32], fay.id, at(0), at(50_000)).await.unwrap();
    signin.record_login_failure("ghost", None, 3, at(0)).await.unwrap();
    signin.record_login_failure("fay", Some(fay.id), 0, at(0)).await.unwrap();
    signin.purge_signin(at(70_000)).await.unwrap();
    assert_eq!(signin.challenge(&plain.token_hash).await.unwrap(), None);
    assert_eq!(signin.trusted_device(&[5; 32], at(60_000)).await.unwrap(), Some(fay.id), "not yet expired");
    assert_eq!(signin.login_failures("ghost").await.unwrap(), 1, "kept for a day");
    signin.purge_signin(at(2 * 86_400_000)).await.unwrap();
    assert_eq!(signin.login_failures("ghost").await.unwrap(), 0);
    assert_eq!(signin.login_failures("fay").await.unwrap(), 1, "an account's counter stays until a login");
}

pub async fn signin_reset_forgets_everything_of_that_user(db: TestDb) {
    let (store, signin) = (db.store(), signin(&db));
    let (gil, hal) = (sample::user("gil"), sample::user("hal"));
    store.insert_user(&gil, HASH, &[], 10).await.unwrap();
    store.insert_user(&hal, HASH, &[], 10).await.unwrap();
    for u in [&gil, &hal] {
        let e = TotpEnrolment { user: u.id, sealed_secret: vec![1], last_step: 1, enrolled_at: at(0) };
        assert!(signin.enrol_totp(&e, &[[u8::from(u.account == "gil"); 32]]).await.unwrap());
    }
    signin.trust_device(&[1; 32], gil.id, at(0), at(1_000_000)).await.unwrap();
    signin.trust_device(&[2; 32], hal.id, at(0), at(1_000_000)).await.unwrap();
    signin.insert_challenge(&challenge(gil.id, 3, 1_000_000)).await.unwrap();
    assert!(signin.reset_two_factor(gil.id).await.unwrap());
    assert!(!signin.reset_two_factor(gil.id).await.unwrap(), "nothing left to forget");
    assert_eq!(signin.totp_enrolment(gil.id).await.unwrap(), None);
    assert_eq!(signin.recovery_codes_left(gil.id).await.unwrap(), 0);
    assert_eq!(signin.trusted_device(&[1; 32], at(1)).await.unwrap(), None);
    assert_eq!(signin.challenge(&[3; 32]).await.unwrap(), None);
    // The other user keeps everything.
    assert!(signin.totp_enrolment(hal.id).await.unwrap().is_some());
    assert_eq!(signin.trusted_device(&[2; 32], at(1)).await.unwrap(), Some(hal.id));
    // Deleting a user takes its sign-in state along.
    assert!(store.delete_user(hal.id).await.unwrap());
    assert_eq!(signin.trusted_device(&[2; 32], at(1)).await.unwrap(), None);
    assert_eq!(signin.totp_enrolment(hal.id).await.unwrap(), None);
}
