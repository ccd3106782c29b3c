//! Waiting for what a test peer (the SMTP sink, rsyslog) has received: polled with a deadline, never a fixed sleep.

use std::time::{Duration, Instant};

/// Polls `received` until it holds at least `n` messages and returns them all.
///
/// # Panics
/// When fewer than `n` have arrived after `timeout`; the message ends with `log()`, the peer's own output.
pub(crate) async fn wait_for_count<T>(
    n: usize,
    timeout: Duration,
    received: impl Fn() -> Vec<T>,
    log: impl Fn() -> String,
) -> Vec<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let messages = received();
        if messages.len() >= n {
            return messages;
        }
        assert!(Instant::now() < deadline, "{} of {n} messages arrived within {timeout:?}\n{}", messages.len(), log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
