//! The background workers as the server reports them: one supervisor (in `tresor-jobs`) knows each worker's state,
//! how far it has followed the server log, what it has done and how often it failed; administrators read it
//! (`tresor admin jobs`).

/// One worker's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStatus {
    /// A short stable name: `log-files`, `remote-syslog`, `notifications`.
    pub name: &'static str,
    /// What the worker does, in words.
    pub description: &'static str,
    /// False until the worker knows where in the log it starts.
    pub started: bool,
    /// The last record of the server log the worker has handled.
    pub position: u64,
    /// Records written or sent, or messages mailed, since this process started.
    pub done: u64,
    /// Failures since this process started (each is tried again).
    pub failures: u64,
    /// What else there is to say: a receiver's connection, records dropped, messages given up.
    pub detail: Option<String>,
}

/// The port through which the supervisor reports its workers.
pub trait Workers: Send + Sync + std::fmt::Debug + 'static {
    fn status(&self) -> Vec<WorkerStatus>;
}

/// No workers at all (a server assembled without them, as some tests do).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWorkers;

impl Workers for NoWorkers {
    fn status(&self) -> Vec<WorkerStatus> {
        Vec::new()
    }
}
