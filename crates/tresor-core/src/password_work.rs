//! Password hashing off the async threads, on a few threads of its own.
//!
//! Argon2id is the cost of a login and nothing else should be. [`PasswordWork`] runs it on `concurrency` dedicated
//! threads fed by one queue, so at most that many hashes run at once and a login storm waits in the queue instead
//! of exhausting CPU or memory. Each thread keeps its Argon2 working memory while work is queued (a storm reuses
//! it, on the thread and core that last touched it) and gives it back to the system when the queue is empty, so an
//! idle server holds none.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use tresor_crypto::{HashMemory, PasswordHash, PasswordHasher, SecretString};

use crate::error::CoreError;

type Job = Box<dyn FnOnce(&PasswordHasher, &mut HashMemory) + Send>;

pub struct PasswordWork {
    queue: Mutex<Sender<Job>>,
    /// Jobs submitted and not yet started.
    queued: Arc<AtomicUsize>,
    /// Hashes computed (and verified) since start: the measure of what logins cost, and of what the per-address
    /// limit saves.
    computed: AtomicU64,
    threads: usize,
}

impl std::fmt::Debug for PasswordWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordWork")
            .field("threads", &self.threads)
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish()
    }
}

impl PasswordWork {
    /// Starts `concurrency` hashing threads. They end when the value is dropped.
    ///
    /// # Panics
    /// When the operating system refuses to start a thread: the server cannot log anyone in without them.
    pub fn new(hasher: PasswordHasher, concurrency: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let queued = Arc::new(AtomicUsize::new(0));
        let threads = concurrency.max(1);
        for i in 0..threads {
            let (rx, queued, hasher) = (Arc::clone(&rx), Arc::clone(&queued), hasher.clone());
            std::thread::Builder::new()
                .name(format!("tresor-hash-{i}"))
                .spawn(move || worker(&hasher, &rx, &queued))
                .unwrap_or_else(|e| panic!("cannot start a password hashing thread: {e}"));
        }
        Self { queue: Mutex::new(tx), queued, computed: AtomicU64::new(0), threads }
    }

    /// Runs `work` on a hashing thread with its working memory and waits for the result.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher, &mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, CoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |hasher, memory| {
            let _ = tx.send(work(hasher, memory));
        });
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.computed.fetch_add(1, Ordering::Relaxed);
        let sent = self.queue.lock().unwrap_or_else(|e| e.into_inner()).send(job);
        if sent.is_err() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(CoreError::Internal("password hashing threads are gone".into()));
        }
        rx.await.map_err(|_| CoreError::Internal("password hashing failed".into()))
    }

    /// Argon2id computations (hashes and verifications, dummy ones included) since this process started.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    pub async fn hash(&self, password: SecretString) -> Result<PasswordHash, CoreError> {
        self.run(move |hasher, memory| hasher.hash_with(&password, memory)).await?.map_err(CoreError::from)
    }

    /// Verifies `password` against `hash`; with no hash (unknown account) does the same work against a dummy and
    /// answers false, so that timing does not reveal whether an account exists.
    pub async fn verify(&self, password: SecretString, hash: Option<String>) -> bool {
        self.run(move |hasher, memory| match hash {
            Some(h) => hasher.verify_with(&password, &PasswordHash::from_phc(h), memory),
            None => {
                hasher.verify_dummy_with(&password, memory);
                false
            }
        })
        .await
        .unwrap_or(false)
    }
}

fn worker(hasher: &PasswordHasher, rx: &Mutex<Receiver<Job>>, queued: &AtomicUsize) {
    let mut memory: Option<HashMemory> = None;
    loop {
        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return, // the PasswordWork is gone
        };
        queued.fetch_sub(1, Ordering::AcqRel);
        job(hasher, memory.get_or_insert_with(|| hasher.new_memory()));
        if queued.load(Ordering::Acquire) == 0 {
            // Nothing waits: give the memory back (dropping it unmaps it).
            memory = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use tresor_crypto::Argon2Params;

    use super::*;

    fn work(threads: usize) -> PasswordWork {
        let hasher = PasswordHasher::new(Argon2Params::owasp_minimum()).unwrap_or_else(|e| panic!("{e}"));
        PasswordWork::new(hasher, threads)
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_fail() {
        let w = work(2);
        let h = w.hash(SecretString::new("a fine password".into())).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(w.verify(SecretString::new("a fine password".into()), Some(h.as_str().to_owned())).await);
        assert!(!w.verify(SecretString::new("another password".into()), Some(h.as_str().to_owned())).await);
        assert!(!w.verify(SecretString::new("a fine password".into()), None).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_is_served_by_the_bounded_threads() {
        let w = Arc::new(work(2));
        let h = w.hash(SecretString::new("burst password".into())).await.unwrap_or_else(|e| panic!("{e}"));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (w, h) = (Arc::clone(&w), h.as_str().to_owned());
                tokio::spawn(async move { w.verify(SecretString::new("burst password".into()), Some(h)).await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap_or(false));
        }
        assert_eq!(w.queued.load(Ordering::Acquire), 0);
    }
}
