//! The per-address limit in front of password checks: a token bucket per source address, kept on each node.
//!
//! Every login attempt takes a token before any Argon2id work; a successful login gives it back, so a busy
//! office behind one address is not slowed by its own successful logins while a flood of guesses from one address
//! runs out of tokens and gets `rate_limited` without costing a password check. The failure counters that
//! deactivate an account live in the store; this limit only protects the CPU.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;

/// Buckets kept before idle full ones are dropped.
const MAX_TRACKED: usize = 16_384;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Timestamp,
}

#[derive(Debug, Default)]
pub struct AttemptLimiter {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl AttemptLimiter {
    /// Takes one attempt for `address`, or says how long until one is free.
    pub fn take(&self, address: IpAddr, per_minute: u32, burst: u32, now: Timestamp) -> Result<(), Duration> {
        let rate = f64::from(per_minute.max(1)) / 60_000.0; // tokens per millisecond
        let capacity = f64::from(burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, b| refill(*b, rate, capacity, now) < capacity);
        }
        let bucket = buckets.entry(address).or_insert(Bucket { tokens: capacity, at: now });
        let tokens = refill(*bucket, rate, capacity, now);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(Duration::from_millis(((1.0 - tokens) / rate).ceil() as u64))
        }
    }

    /// Gives back the attempt of a successful login.
    pub fn give_back(&self, address: IpAddr, burst: u32) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(&address) {
            b.tokens = (b.tokens + 1.0).min(f64::from(burst.max(1)));
        }
    }
}

fn refill(b: Bucket, rate: f64, capacity: f64, now: Timestamp) -> f64 {
    let elapsed = now.as_millis().saturating_sub(b.at.as_millis()).max(0) as f64;
    (b.tokens + elapsed * rate).min(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let l = AttemptLimiter::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let t0 = Timestamp::from_millis(1_000_000);
        for _ in 0..5 {
            assert!(l.take(a, 60, 5, t0).is_ok());
        }
        let wait = l.take(a, 60, 5, t0).expect_err("the burst is spent");
        assert_eq!(wait, Duration::from_secs(1));
        assert!(l.take(b, 60, 5, t0).is_ok(), "another address has its own bucket");
        // 60 per minute: one more a second.
        assert!(l.take(a, 60, 5, Timestamp::from_millis(1_001_000)).is_ok());
        assert!(l.take(a, 60, 5, Timestamp::from_millis(1_001_500)).is_err());
        // A successful login gives its attempt back.
        l.give_back(a, 5);
        assert!(l.take(a, 60, 5, Timestamp::from_millis(1_001_500)).is_ok());
        // Refilling never exceeds the burst.
        let later = Timestamp::from_millis(10_000_000);
        for _ in 0..5 {
            assert!(l.take(a, 60, 5, later).is_ok());
        }
        assert!(l.take(a, 60, 5, later).is_err());
    }
}
