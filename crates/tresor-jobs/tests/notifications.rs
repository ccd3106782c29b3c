//! Notifications against a real SMTP server (aiosmtpd): what triggers them, what the message says, tries again
//! after a failure, gives up with a record in the log, and resumes after a restart.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tresor_core::accounts::{NewGroup, NewUser};
use tresor_core::audit::{AuditEvent, LogCursor, LogFilter, Named, NotificationDraft, Scope, Trigger};
use tresor_core::mail::{MailTls, Mailer, SmtpSettings};
use tresor_core::{DatabaseId, ManageAccounts, Timestamp};
use tresor_crypto::SecretString;
use tresor_jobs::{Notifier, NotifierStatus, Retry};
use tresor_testkit::core_auth::CoreAuth;
use tresor_testkit::smtp::SmtpSink;

const WAIT: Duration = Duration::from_secs(20);

async fn services() -> CoreAuth {
    CoreAuth::start(Timestamp::from_millis(1_780_000_000_000)).await
}

async fn point_mail_at(t: &CoreAuth, port: u16) {
    let settings = SmtpSettings {
        sender_name: "Tresor".into(),
        sender_address: "tresor@example.com".into(),
        host: "127.0.0.1".into(),
        port,
        tls: MailTls::None,
        ..SmtpSettings::default()
    };
    settings.save(t.store.as_ref(), &t.keyring).await.unwrap_or_else(|e| panic!("mail settings: {e}"));
}

/// Starts a notifier with `tries` tries per message, 200 ms apart, and waits until it follows the log.
async fn start_notifier(t: &CoreAuth, tries: usize) -> (tokio::task::JoinHandle<()>, Arc<NotifierStatus>) {
    let mailer: Arc<dyn Mailer> = Arc::new(tresor_mail::SmtpMailer::new());
    let retry = Retry { pauses: vec![Duration::from_millis(200); tries.saturating_sub(1)] };
    let worker = Notifier::new(Arc::clone(t.auth.audit()), Arc::clone(&t.store), Arc::clone(&t.keyring), mailer)
        .with_retry(retry);
    let status = worker.status();
    let task = tokio::spawn(worker.run());
    poll("the notifier has started", || status.started.load(Ordering::Acquire)).await;
    (task, status)
}

fn draft(event: u16, to: &str) -> NotificationDraft {
    NotificationDraft {
        event,
        notes: "Check whether this deletion was planned.".into(),
        recipients: vec![to.into()],
        send_email: true,
        trigger: Trigger::Everyone,
        scope: Scope::AllDatabases,
    }
}

async fn add(t: &CoreAuth, d: NotificationDraft) -> u64 {
    t.auth.audit().store().insert_notification(&d).await.unwrap_or_else(|e| panic!("notification: {e}")).id
}

fn deletion_by(user: Named, db: DatabaseId) -> AuditEvent {
    AuditEvent::new(306)
        .user(user)
        .address([192, 0, 2, 9].into())
        .database(db, "Team")
        .object("e-1", "Web/Mail")
        .reason("account closed")
}

async fn record(t: &CoreAuth, e: AuditEvent) -> u64 {
    t.auth.audit().record(e).await.unwrap_or_else(|e| panic!("record: {e}"))
}

async fn poll(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matching_event_is_mailed_with_its_fields_and_notes_and_others_are_not() {
    let Some(sink) = SmtpSink::start() else { return };
    let t = services().await;
    point_mail_at(&t, sink.port()).await;
    add(&t, draft(306, "security@example.com")).await;
    let (task, status) = start_notifier(&t, 1).await;

    let db = DatabaseId::random();
    record(&t, AuditEvent::new(304).user(Named::new("u-1", "alice")).database(db, "Team")).await;
    let seq = record(&t, deletion_by(Named::new("u-1", "alice"), db)).await;

    let mails = sink.wait_for_messages(1, WAIT).await;
    poll("the notifier has read past the deletion", || status.position.load(Ordering::Relaxed) >= seq).await;
    assert_eq!(sink.messages().len(), 1, "the creation (304) triggers nothing");
    let mail = &mails[0];
    assert_eq!(mail.to, ["security@example.com"]);
    assert_eq!(mail.subject, "Tresor: An entry was deleted (event 306)");
    for part in [
        "Check whether this deletion was planned.",
        "User:        alice",
        "Address:     192.0.2.9",
        "Database:    Team",
        "Object:      Web/Mail",
        "Reason:      account closed",
    ] {
        assert!(mail.body.contains(part), "{part:?} missing from:\n{}", mail.body);
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selected_groups_include_nested_ones_and_selected_databases_narrow_the_scope() {
    let Some(sink) = SmtpSink::start() else { return };
    let t = services().await;
    point_mail_at(&t, sink.port()).await;
    let cap: ManageAccounts = t.admin.require().unwrap_or_else(|e| panic!("capability: {e}"));
    let group =
        |name: &str| NewGroup { name: name.into(), email: String::new(), description: String::new(), disabled: false };
    let staff = t.accounts.create_group(&cap, group("Staff")).await.unwrap_or_else(|e| panic!("group: {e}"));
    t.accounts.create_group(&cap, group("Ops")).await.unwrap_or_else(|e| panic!("group: {e}"));
    t.accounts.add_group_to_group(&cap, "Staff", "Ops").await.unwrap_or_else(|e| panic!("nesting: {e}"));
    let user = |name: &str, groups: Vec<String>| NewUser {
        account: name.into(),
        profile: Default::default(),
        options: Default::default(),
        roles: vec![],
        member_of: groups,
        allowed_addresses: vec![],
    };
    let password = || SecretString::from("Correct-Horse-Battery-9".to_owned());
    let bob = t.accounts.create_user(&cap, user("bob", vec!["Ops".into()]), password()).await;
    let bob = bob.unwrap_or_else(|e| panic!("user: {e}"));
    let carol = t.accounts.create_user(&cap, user("carol", vec![]), password()).await;
    let carol = carol.unwrap_or_else(|e| panic!("user: {e}"));

    let team = DatabaseId::random();
    let other = DatabaseId::random();
    let mut by_staff = draft(306, "staff-watch@example.com");
    by_staff.trigger = Trigger::Selected { users: vec![], groups: vec![staff.group.id] };
    add(&t, by_staff).await;
    let mut in_team = draft(306, "team-watch@example.com");
    in_team.scope = Scope::Databases(vec![team]);
    add(&t, in_team).await;
    let (task, _) = start_notifier(&t, 1).await;

    // carol (no group) deletes in the other database: neither notification; bob (Ops, inside Staff) in Team: both.
    record(&t, deletion_by(Named::new(carol.user.id, "carol"), other)).await;
    record(&t, deletion_by(Named::new(bob.user.id, "bob"), team)).await;
    let mails = sink.wait_for_messages(2, WAIT).await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["staff-watch@example.com", "team-watch@example.com"]);
    assert!(mails.iter().all(|m| m.body.contains("User:        bob")));
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_tried_again_and_a_hopeless_one_is_recorded() {
    let Some(sink) = SmtpSink::start() else { return };
    let t = services().await;
    // Nothing listens on the port of a listener that was just closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
    let closed = closed.unwrap_or_else(|e| panic!("port: {e}")).port();
    point_mail_at(&t, closed).await;
    add(&t, draft(306, "security@example.com")).await;
    let (task, status) = start_notifier(&t, 1000).await;

    let db = DatabaseId::random();
    record(&t, deletion_by(Named::new("u-1", "alice"), db)).await;
    poll("a try has failed", || status.failed_tries.load(Ordering::Relaxed) >= 1).await;
    point_mail_at(&t, sink.port()).await;
    let mails = sink.wait_for_messages(1, WAIT).await;
    assert_eq!(mails[0].subject, "Tresor: An entry was deleted (event 306)");
    poll("the delivery is counted", || status.sent.load(Ordering::Relaxed) == 1).await;
    task.abort();

    // With one try only and no server, the message is given up and the log says so.
    point_mail_at(&t, closed).await;
    let (task, status) = start_notifier(&t, 1).await;
    let seq = record(&t, deletion_by(Named::new("u-1", "alice"), db)).await;
    poll("the message is given up", || status.given_up.load(Ordering::Relaxed) == 1).await;
    let log = t.auth.audit().store();
    let filter = LogFilter { events: vec![646], ..LogFilter::default() };
    let mut found = Vec::new();
    let deadline = Instant::now() + WAIT;
    while found.is_empty() {
        assert!(Instant::now() < deadline, "no record of the undelivered notification");
        tokio::time::sleep(Duration::from_millis(25)).await;
        found = log.audit_page(&filter, LogCursor::Newest { before: None }, 10).await.unwrap_or_default();
    }
    let undelivered = &found[0].event;
    assert_eq!(undelivered.new_object.as_deref(), Some(format!("record {seq}").as_str()));
    let reason = undelivered.reason.clone().unwrap_or_default();
    assert!(reason.contains("could not be reached"), "{reason}");
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_before_the_first_start_is_not_mailed_and_a_restart_resumes() {
    let Some(sink) = SmtpSink::start() else { return };
    let t = services().await;
    point_mail_at(&t, sink.port()).await;
    add(&t, draft(306, "security@example.com")).await;
    let db = DatabaseId::random();
    record(&t, deletion_by(Named::new("u-1", "before"), db)).await;

    let (task, _) = start_notifier(&t, 1).await;
    task.abort();
    let _ = task.await;

    // Appended while no notifier runs: the next one mails it, then what follows; never what came before.
    record(&t, deletion_by(Named::new("u-1", "meanwhile"), db)).await;
    let (task, _) = start_notifier(&t, 1).await;
    record(&t, deletion_by(Named::new("u-1", "after"), db)).await;
    let mails = sink.wait_for_messages(2, WAIT).await;
    let users: Vec<bool> = ["before", "meanwhile", "after"]
        .iter()
        .map(|u| mails.iter().any(|m| m.body.contains(&format!("User:        {u}\n"))))
        .collect();
    assert_eq!(users, [false, true, true]);
    task.abort();
}
