//! Cases for the server log: appends extend one chain (also from concurrent writers), filters and paging, the head
//! kept apart, the workers' positions, and notifications.

use std::sync::Arc;

use tresor_core::audit::{
    AuditEvent, AuditStore, LogCursor, LogFilter, Named, NotificationDraft, Scope, Trigger, verify_chain,
};
use tresor_core::events::Severity;
use tresor_core::{DatabaseId, GroupId, UserId};

use crate::TestDb;
use crate::sample::at;

fn audit(db: &TestDb) -> Arc<dyn AuditStore> {
    Arc::new(db.sql().clone())
}

fn event(id: u16, user: &str, object: &str) -> AuditEvent {
    AuditEvent::new(id)
        .user(Named::new(format!("id-{user}"), user))
        .address([10, 0, 0, 7].into())
        .database("db-1", "Team Vault")
        .object(format!("obj-{object}"), object)
}

async fn everything(log: &dyn AuditStore) -> Vec<tresor_core::audit::AuditRecord> {
    log.audit_page(&LogFilter::default(), LogCursor::After { after: 0 }, 1000).await.unwrap()
}

pub async fn audit_appends_extend_one_chain_with_its_head(db: TestDb) {
    let log = audit(&db);
    assert_eq!(log.audit_head().await.unwrap(), None);
    let first = log.append_audit(vec![(at(1), event(304, "ann", "Web/Mail"))]).await.unwrap();
    let more = log
        .append_audit(vec![
            (at(2), event(303, "ann", "Web/Mail").new_object("Web/Mail (2)")),
            (at(3), event(306, "bob", "Web/Mail").reason("no longer \"used\" ]\\")),
        ])
        .await
        .unwrap();
    assert_eq!(first[0].seq, 1);
    assert_eq!(more.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(more[0].prev_hash, first[0].hash);

    // What is read back is what was written, field for field, and verifies against the head.
    let stored = everything(log.as_ref()).await;
    let written: Vec<_> = first.into_iter().chain(more).collect();
    assert_eq!(stored, written);
    let head = log.audit_head().await.unwrap();
    assert_eq!(head, Some((3, written[2].hash)));
    assert_eq!(verify_chain(&stored, head).problem, None);
    assert_eq!(stored[2].event.reason.as_deref(), Some("no longer \"used\" ]\\"));
    assert_eq!(stored[2].severity, Severity::Notice);
    assert_eq!(stored[2].description, "An entry was deleted");

    // The head outlives a restart; an append after it goes on from there.
    let reopened: Arc<dyn AuditStore> = Arc::new(db.reopen().await.unwrap());
    let next = reopened.append_audit(vec![(at(4), AuditEvent::new(102))]).await.unwrap();
    assert_eq!((next[0].seq, next[0].prev_hash), (4, written[2].hash));
    assert_eq!(next[0].event.user, None);
}

pub async fn audit_concurrent_appends_never_fork_the_chain(db: TestDb) {
    // Two stores on one database, as two nodes would have, appending at once.
    let a = audit(&db);
    let b: Arc<dyn AuditStore> = Arc::new(db.reopen().await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let log = if i % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
        tasks.push(tokio::spawn(async move {
            let batch: Vec<_> = (0..5).map(|j| (at(i * 10 + j), event(305, &format!("u{i}"), "Web/Mail"))).collect();
            log.append_audit(batch).await.unwrap()
        }));
    }
    for t in tasks {
        let written = t.await.unwrap();
        // Each batch is contiguous: one transaction.
        assert!(written.windows(2).all(|w| w[1].seq == w[0].seq + 1 && w[1].prev_hash == w[0].hash));
    }
    let stored = everything(a.as_ref()).await;
    assert_eq!(stored.len(), 80);
    let verdict = verify_chain(&stored, a.audit_head().await.unwrap());
    assert_eq!((verdict.checked, verdict.problem), (80, None));
}

pub async fn audit_filters_and_pages(db: TestDb) {
    let log = audit(&db);
    let db_id = DatabaseId::random();
    log.append_audit(vec![
        (at(1_000), event(101, "Ann", "client")),
        (at(2_000), event(106, "mallory", "client").reason("wrong password")),
        (at(3_000), event(304, "Ann", "Web/50%_off").database(db_id, "Shop")),
        (at(4_000), event(306, "bob", "Web/Mail").reason("left the company")),
        (at(5_000), AuditEvent::new(614).address("2001:db8::1".parse().unwrap())),
    ])
    .await
    .unwrap();
    let seqs = |records: Vec<tresor_core::audit::AuditRecord>| records.iter().map(|r| r.seq).collect::<Vec<_>>();
    let newest = |f: LogFilter| {
        let log = Arc::clone(&log);
        async move { seqs(log.audit_page(&f, LogCursor::Newest { before: None }, 100).await.unwrap()) }
    };
    assert_eq!(newest(LogFilter::default()).await, [5, 4, 3, 2, 1]);
    assert_eq!(newest(LogFilter { severity: Some(Severity::Warning), ..Default::default() }).await, [5, 2]);
    assert_eq!(newest(LogFilter { severity: Some(Severity::Notice), ..Default::default() }).await, [5, 4, 2]);
    assert_eq!(newest(LogFilter { from: Some(at(2_000)), to: Some(at(4_000)), ..Default::default() }).await, [3, 2]);
    assert_eq!(newest(LogFilter { user: Some("ann".into()), ..Default::default() }).await, [3, 1]);
    assert_eq!(newest(LogFilter { user: Some("id-bob".into()), ..Default::default() }).await, [4]);
    assert_eq!(newest(LogFilter { address: Some("2001:db8::1".into()), ..Default::default() }).await, [5]);
    assert_eq!(newest(LogFilter { events: vec![101, 306], ..Default::default() }).await, [4, 1]);
    assert_eq!(newest(LogFilter { database: Some("shop".into()), ..Default::default() }).await, [3]);
    assert_eq!(newest(LogFilter { database: Some(db_id.to_string()), ..Default::default() }).await, [3]);
    // Wildcards in a search are literal characters.
    assert_eq!(newest(LogFilter { object: Some("50%_".into()), ..Default::default() }).await, [3]);
    assert_eq!(newest(LogFilter { object: Some("%".into()), ..Default::default() }).await, [3]);
    assert_eq!(newest(LogFilter { object: Some("obj-Web/Mail".into()), ..Default::default() }).await, [4]);
    assert_eq!(newest(LogFilter { text: Some("LEFT THE".into()), ..Default::default() }).await, [4]);
    assert_eq!(newest(LogFilter { text: Some("server was paused".into()), ..Default::default() }).await, [5]);
    let both = LogFilter { user: Some("ann".into()), events: vec![304], ..Default::default() };
    assert_eq!(newest(both).await, [3]);

    // Pages: newest first before a number, oldest first after one, each bounded by the limit.
    let all = LogFilter::default();
    assert_eq!(seqs(log.audit_page(&all, LogCursor::Newest { before: None }, 2).await.unwrap()), [5, 4]);
    assert_eq!(seqs(log.audit_page(&all, LogCursor::Newest { before: Some(4) }, 2).await.unwrap()), [3, 2]);
    assert_eq!(seqs(log.audit_page(&all, LogCursor::Newest { before: Some(2) }, 2).await.unwrap()), [1]);
    assert_eq!(seqs(log.audit_page(&all, LogCursor::After { after: 3 }, 10).await.unwrap()), [4, 5]);
    assert!(log.audit_page(&all, LogCursor::After { after: 5 }, 10).await.unwrap().is_empty());
}

pub async fn audit_worker_positions_and_notifications(db: TestDb) {
    let log = audit(&db);
    assert_eq!(log.audit_cursor("syslog").await.unwrap(), 0);
    log.set_audit_cursor("syslog", 42).await.unwrap();
    log.set_audit_cursor("syslog", 43).await.unwrap();
    log.set_audit_cursor("notifications", 7).await.unwrap();
    assert_eq!(log.audit_cursor("syslog").await.unwrap(), 43);
    assert_eq!(log.audit_cursor("notifications").await.unwrap(), 7);

    let draft = NotificationDraft {
        event: 306,
        notes: "Line one\nline two".into(),
        recipients: vec!["a@example.com".into(), "b@example.com".into()],
        send_email: true,
        trigger: Trigger::Selected {
            users: vec![UserId::random()],
            groups: vec![GroupId::random(), GroupId::random()],
        },
        scope: Scope::Entries(vec![tresor_core::EntryId::random()]),
    };
    let first = log.insert_notification(&draft).await.unwrap();
    let everyone = NotificationDraft { trigger: Trigger::Everyone, scope: Scope::AllDatabases, ..draft.clone() };
    let second = log.insert_notification(&everyone).await.unwrap();
    assert_eq!((first.id, second.id), (1, 2));
    assert_eq!(log.notifications().await.unwrap(), [first.clone(), second.clone()]);

    let by_db = NotificationDraft { scope: Scope::Databases(vec![DatabaseId::random()]), send_email: false, ..draft };
    let changed = log.update_notification(1, &by_db).await.unwrap();
    assert_eq!(log.notifications().await.unwrap()[0], changed);
    log.delete_notification(2).await.unwrap();
    // Numbers are never given twice: the next one is 3, not 2 again.
    assert_eq!(log.insert_notification(&everyone).await.unwrap().id, 3);
    assert!(matches!(log.delete_notification(2).await, Err(tresor_core::StoreError::NotFound(_))));
    assert!(matches!(log.update_notification(9, &everyone).await, Err(tresor_core::StoreError::NotFound(_))));
    assert_eq!(log.notifications().await.unwrap().iter().map(|n| n.id).collect::<Vec<_>>(), [1, 3]);
}

/// Checks the whole stored log against its head, as `AuditLog::verify` does.
async fn verdict(log: &dyn AuditStore) -> Option<tresor_core::audit::ChainProblem> {
    verify_chain(&everything(log).await, log.audit_head().await.unwrap()).problem
}

pub async fn audit_tampering_in_the_store_is_found(db: TestDb) {
    use tresor_core::audit::ChainProblem;
    let log = audit(&db);
    let batch: Vec<_> = (1..=6).map(|i| (at(i), event(303, "ann", &format!("Web/Entry {i}")))).collect();
    log.append_audit(batch).await.unwrap();
    assert_eq!(verdict(log.as_ref()).await, None);
    let pool = db.sql().pool();
    let exec = |sql: &'static str| async move { sqlx::query(sql).execute(pool).await.unwrap() };

    // Altered: a reason added to record 3 afterwards.
    exec("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3").await;
    assert_eq!(verdict(log.as_ref()).await, Some(ChainProblem::Altered { seq: 3 }));
    exec("UPDATE audit_log SET reason = NULL WHERE seq = 3").await;
    assert_eq!(verdict(log.as_ref()).await, None);

    // Reordered: records 2 and 3 swap their numbers (and so their places); a number is part of what is hashed.
    exec("UPDATE audit_log SET seq = 100 WHERE seq = 2").await;
    exec("UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    exec("UPDATE audit_log SET seq = 3 WHERE seq = 100").await;
    let swapped = verdict(log.as_ref()).await;
    assert!(matches!(swapped, Some(ChainProblem::Altered { seq: 2 })), "{swapped:?}");
    exec("UPDATE audit_log SET seq = 100 WHERE seq = 2").await;
    exec("UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    exec("UPDATE audit_log SET seq = 3 WHERE seq = 100").await;
    assert_eq!(verdict(log.as_ref()).await, None);

    // Removed: record 4 deleted.
    exec("DELETE FROM audit_log WHERE seq = 4").await;
    assert_eq!(verdict(log.as_ref()).await, Some(ChainProblem::Removed { expected: 4, found: 5 }));

    // Truncated: with 5 and 6 gone too, the log ends at 3 while the head, kept apart, says it reached 6.
    exec("DELETE FROM audit_log WHERE seq >= 5").await;
    assert_eq!(verdict(log.as_ref()).await, Some(ChainProblem::Truncated { last: 3, head: 6 }));
}
