//! Database Properties → Advanced, "monitor and log all cases of user access to entries", on the core services with
//! a server log whose store can be made to fail: the access record (305) is in the store by the time the entry is
//! handed out, and when it cannot be written the entry, an old version, the TOTP code and a document are refused
//! with `AuditUnavailable` (503 `audit_unavailable` on the wire) — no record, no secret. Without monitoring a log
//! that fails stops nobody: the records of what has happened are only missing.
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tresor_core::accounts::{AccountOptionsPatch, NewUser};
use tresor_core::audit::{
    AuditEvent, AuditRecord, AuditStore, ChainHead, LogCursor, LogFilter, Notification, NotificationDraft,
};
use tresor_core::permissions::{Permission, Setting};
use tresor_core::session::ClientKind;
use tresor_core::signin::LoginRequest;
use tresor_core::vault::service::{DatabaseUpdate, EntryInput, GrantChange, ManageDatabases, ObjectKey, SubjectKey};
use tresor_core::vault::{EntryBody, EntryType, TotpSecret};
use tresor_core::{Caller, CoreError, LoginStep, ManageAccounts, StoreError, Timestamp};
use tresor_crypto::SecretString;
use tresor_testkit::core_auth::{CoreAuth, LOCAL};

const PASSWORD: &str = "vera's long password";
const PIN: &str = "pin-4711-secret";

type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The log's store with a switch that makes appends fail, as a full disk or a lost database would; reads go on.
/// (`AuditStore` is an `async_trait`; its methods are written out here as that macro would write them.)
#[derive(Debug)]
struct Breakable {
    inner: Arc<dyn AuditStore>,
    broken: Arc<AtomicBool>,
}

/// Methods of `Breakable` that pass straight to the store inside, in the form `async_trait` gives them: `ref`
/// for those that borrow an argument (written with the lifetime `'life1`), `own` for those that do not.
macro_rules! forward {
    (ref $name:ident($($arg:ident: $ty:ty),*) -> $out:ty) => {
        fn $name<'life0, 'life1, 'async_trait>(&'life0 self, $($arg: $ty),*) -> Answer<'async_trait, $out>
        where
            'life0: 'async_trait,
            'life1: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.$name($($arg),*)
        }
    };
    (own $name:ident($($arg:ident: $ty:ty),*) -> $out:ty) => {
        fn $name<'life0, 'async_trait>(&'life0 self, $($arg: $ty),*) -> Answer<'async_trait, $out>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            self.inner.$name($($arg),*)
        }
    };
}

impl AuditStore for Breakable {
    fn append_audit<'life0, 'async_trait>(
        &'life0 self,
        events: Vec<(Timestamp, AuditEvent)>,
    ) -> Answer<'async_trait, Vec<AuditRecord>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        if self.broken.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::Unavailable("no space left on the log's disk".into())) });
        }
        self.inner.append_audit(events)
    }
    forward!(ref audit_page(filter: &'life1 LogFilter, cursor: LogCursor, limit: u32) -> Vec<AuditRecord>);
    forward!(own audit_head() -> Option<ChainHead>);
    forward!(ref audit_cursor(name: &'life1 str) -> u64);
    forward!(ref set_audit_cursor(name: &'life1 str, seq: u64) -> ());
    forward!(own notifications() -> Vec<Notification>);
    forward!(ref insert_notification(draft: &'life1 NotificationDraft) -> Notification);
    forward!(ref update_notification(id: u64, draft: &'life1 NotificationDraft) -> Notification);
    forward!(own delete_notification(id: u64) -> ());
}

/// The services over a breakable log, `vera` with read access to database `Vault`, whose accesses are monitored,
/// and her entry `Bank` with a password, a TOTP secret and a document. Returns the switch, vera and the entry.
async fn fixture() -> (CoreAuth, Arc<AtomicBool>, Caller, tresor_core::EntryId, tresor_core::AttachmentId) {
    let broken = Arc::new(AtomicBool::new(false));
    let switch = Arc::clone(&broken);
    let wrap = move |inner| Arc::new(Breakable { inner, broken: switch }) as Arc<dyn AuditStore>;
    let f = CoreAuth::start_with_log(Timestamp::from_millis(1_800_000_000_000), wrap).await;
    let accounts: ManageAccounts = f.admin.require().unwrap();
    let options = AccountOptionsPatch { must_change_password: Some(false), ..AccountOptionsPatch::default() };
    let new = NewUser { account: "vera".into(), options, ..NewUser::default() };
    f.accounts.create_user(&accounts, new, SecretString::new(PASSWORD.into())).await.unwrap();
    let password = SecretString::new(PASSWORD.into());
    let request =
        LoginRequest { account: "vera", password, client: ClientKind::Cli, address: LOCAL, device_token: None };
    let LoginStep::Session(out) = f.auth.login(request).await.unwrap() else { panic!("no second factor is set") };
    let vera = f.auth.authenticate(out.token.expose_secret(), LOCAL).await.unwrap();

    let databases: ManageDatabases = f.admin.require().unwrap();
    f.vault.create_database(&databases, "Vault", "").await.unwrap();
    let allow = |permission| GrantChange {
        object: ObjectKey::Database,
        subject: SubjectKey::User("vera".into()),
        permission,
        setting: Setting::Allow,
        valid_from: None,
        valid_to: None,
    };
    let grants = [Permission::Access, Permission::Read, Permission::Add, Permission::Modify].map(allow).to_vec();
    f.vault.put_grants(&f.admin, "Vault", None, grants, false).await.unwrap();
    let monitor = DatabaseUpdate { monitor_accesses: Some(true), ..DatabaseUpdate::default() };
    f.vault.update_database(&f.admin, "Vault", None, monitor).await.unwrap();

    let mut body = EntryBody::new(EntryType::Password, "Bank");
    body.password = SecretString::new(PIN.into());
    body.totp = Some(TotpSecret::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap());
    let entry = f.vault.create_entry(&vera, "Vault", EntryInput { folder: None, body }).await.unwrap().meta.id;
    let mut upload = f.vault.begin_upload(&vera, "Vault", entry, "pin.txt").await.unwrap();
    upload.push(PIN.as_bytes()).unwrap();
    let document = f.vault.finish_upload(upload).await.unwrap().id;
    (f, broken, vera, entry, document)
}

/// The access records in the store, oldest first.
async fn accesses(f: &CoreAuth) -> Vec<AuditRecord> {
    let filter = LogFilter { events: vec![305], ..LogFilter::default() };
    f.auth.audit().store().audit_page(&filter, LogCursor::After { after: 0 }, 100).await.unwrap()
}

#[tokio::test]
async fn the_access_is_in_the_log_when_the_entry_is_handed_out() {
    let (f, _broken, vera, entry, document) = fixture().await;
    assert!(accesses(&f).await.is_empty(), "creating and uploading are no accesses");

    let opened = f.vault.entry(&vera, "Vault", entry).await.unwrap();
    assert_eq!(opened.body.password.expose_secret(), PIN);
    // Read straight after the answer, without waiting: the record was written before it.
    let records = accesses(&f).await;
    let [access] = records.as_slice() else { panic!("one access: {records:#?}") };
    let e = &access.event;
    assert_eq!(e.user.as_ref().map(|u| u.name.as_str()), Some("vera"));
    assert_eq!(e.address, Some(LOCAL));
    assert_eq!(e.database.as_ref().map(|d| d.name.as_str()), Some("Vault"));
    assert_eq!(e.object.as_ref().map(|o| (o.id.clone(), o.name.as_str())), Some((entry.to_string(), "Bank")));

    f.vault.entry_version(&vera, "Vault", entry, 1).await.unwrap();
    f.vault.totp_code(&vera, "Vault", entry).await.unwrap();
    let mut download = f.vault.download(&vera, "Vault", entry, document).await.unwrap();
    assert_eq!(accesses(&f).await.len(), 4, "each is recorded before its answer");
    assert_eq!(download.next_chunk().await.unwrap().as_deref().map(Vec::as_slice), Some(PIN.as_bytes()));
}

#[tokio::test]
async fn without_the_record_nothing_of_the_entry_is_handed_out() {
    let (f, broken, vera, entry, document) = fixture().await;
    broken.store(true, Ordering::SeqCst);
    let refused = |r: Result<(), CoreError>| assert!(matches!(r, Err(CoreError::AuditUnavailable)), "{r:?}");
    refused(f.vault.entry(&vera, "Vault", entry).await.map(drop));
    refused(f.vault.entry_version(&vera, "Vault", entry, 1).await.map(drop));
    refused(f.vault.totp_code(&vera, "Vault", entry).await.map(drop));
    refused(f.vault.download(&vera, "Vault", entry, document).await.map(drop));
    assert_eq!(f.vault.attachments(&vera, "Vault", entry).await.unwrap().len(), 1, "listing names releases nothing");

    // Turning monitoring off is a change that happens, log or not; then the entry opens, unrecorded.
    let off = DatabaseUpdate { monitor_accesses: Some(false), ..DatabaseUpdate::default() };
    f.vault.update_database(&f.admin, "Vault", None, off).await.unwrap();
    let opened = f.vault.entry(&vera, "Vault", entry).await.unwrap();
    assert_eq!(opened.body.password.expose_secret(), PIN);
    broken.store(false, Ordering::SeqCst);
    assert!(accesses(&f).await.is_empty(), "{:#?}", accesses(&f).await);
}
