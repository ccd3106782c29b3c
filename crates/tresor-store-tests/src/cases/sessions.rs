//! Cases for sessions: lookup by token hash, touches, ending once, and the live listing.

use tresor_core::session::{ClientKind, EndReason, SessionRecord};
use tresor_core::{SessionId, StoreError, UserId};

use super::assert_err;
use crate::TestDb;
use crate::sample::{self, HASH, at};

pub async fn session_lifecycle(db: TestDb) {
    let store = db.store();
    let kim = sample::user("kim");
    store.insert_user(&kim, HASH, &[], 10).await.unwrap();
    let mut s = SessionRecord {
        client: ClientKind::Cli,
        address: "2001:db8::42".parse().unwrap(),
        token_hash: [0xa5; 32],
        ..sample::session(kim.id, 0)
    };
    store.insert_session(&s).await.unwrap();
    assert_eq!(store.session(s.id).await.unwrap(), Some(s.clone()));
    assert_eq!(store.session_by_token_hash(&s.token_hash).await.unwrap(), Some(s.clone()));
    assert_eq!(store.session_by_token_hash(&[0x5a; 32]).await.unwrap(), None);
    assert_eq!(store.session(SessionId::random()).await.unwrap(), None);

    let same_token = SessionRecord { id: SessionId::random(), ..s.clone() };
    assert_err(store.insert_session(&same_token).await, |e| matches!(e, StoreError::Duplicate(_)));
    let no_user = sample::session(UserId::random(), 0);
    assert_err(store.insert_session(&no_user).await, |e| matches!(e, StoreError::NotFound(_)));

    // Touches move activity forward only.
    store.touch_session(s.id, at(60_000)).await.unwrap();
    store.touch_session(s.id, at(30_000)).await.unwrap();
    s.last_seen_at = at(60_000);
    assert_eq!(store.session(s.id).await.unwrap(), Some(s.clone()));
    store.touch_session(SessionId::random(), at(1)).await.unwrap();

    // A session ends once; the first reason stays.
    assert!(store.end_session(s.id, EndReason::Logout, at(90_000)).await.unwrap());
    assert!(!store.end_session(s.id, EndReason::Disconnected, at(95_000)).await.unwrap());
    assert!(!store.end_session(SessionId::random(), EndReason::Logout, at(95_000)).await.unwrap());
    store.touch_session(s.id, at(99_000)).await.unwrap();
    s.ended_at = Some(at(90_000));
    s.end_reason = Some(EndReason::Logout);
    assert_eq!(store.session(s.id).await.unwrap(), Some(s.clone()));
    assert_eq!(store.session_by_token_hash(&s.token_hash).await.unwrap(), Some(s));
}

pub async fn end_user_sessions_and_live_listing(db: TestDb) {
    let store = db.store();
    let (lea, max) = (sample::user("lea"), sample::user("max"));
    store.insert_user(&lea, HASH, &[], 10).await.unwrap();
    store.insert_user(&max, HASH, &[], 10).await.unwrap();
    let now = at(10_000_000);

    // Inserted out of order, to see the listing sort by creation.
    let lea_late = sample::session(lea.id, 9_000_000);
    let lea_early = sample::session(lea.id, 8_000_000);
    let lea_expired = SessionRecord { expires_at: now, ..sample::session(lea.id, 1_000) };
    let lea_ended = sample::session(lea.id, 8_500_000);
    let max_live = sample::session(max.id, 8_800_000);
    for s in [&lea_late, &lea_early, &lea_expired, &lea_ended, &max_live] {
        store.insert_session(s).await.unwrap();
    }
    assert!(store.end_session(lea_ended.id, EndReason::Disconnected, at(8_600_000)).await.unwrap());

    let live: Vec<SessionId> = store.live_sessions(now).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(live, [lea_early.id, max_live.id, lea_late.id], "live only, oldest first");
    let earlier: Vec<SessionId> = store.live_sessions(at(2_000)).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(earlier.first(), Some(&lea_expired.id), "not yet expired at that time");
    // One user's live sessions, for the connection policy.
    let signin: std::sync::Arc<dyn tresor_core::signin::store::SigninStore> = std::sync::Arc::new(db.sql().clone());
    let of_lea: Vec<SessionId> =
        signin.user_live_sessions(lea.id, now).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(of_lea, [lea_early.id, lea_late.id]);
    assert!(signin.user_live_sessions(UserId::random(), now).await.unwrap().is_empty());

    // Every session of lea's not ended yet: the live ones and the expired one.
    assert_eq!(store.end_user_sessions(lea.id, EndReason::AccountChanged, now).await.unwrap(), 3);
    assert_eq!(store.end_user_sessions(lea.id, EndReason::AccountChanged, now).await.unwrap(), 0);
    let live: Vec<SessionId> = store.live_sessions(now).await.unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(live, [max_live.id]);
    let ended = store.session(lea_early.id).await.unwrap().unwrap();
    assert_eq!((ended.ended_at, ended.end_reason), (Some(now), Some(EndReason::AccountChanged)));
    let kept = store.session(lea_ended.id).await.unwrap().unwrap();
    assert_eq!(kept.end_reason, Some(EndReason::Disconnected), "an ended session keeps its first reason");
    assert_eq!(store.end_user_sessions(UserId::random(), EndReason::Logout, now).await.unwrap(), 0);
}
