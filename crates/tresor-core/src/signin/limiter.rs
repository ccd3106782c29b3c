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

/// Token buckets per source: an IPv4 address, or an IPv6 /64 (one subscriber's network, whose addresses a client can
/// rotate at will).
#[derive(Debug, Default)]
pub struct AttemptLimiter {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl AttemptLimiter {
    /// Takes one attempt for `address`, or says how long until one is free.
    pub fn take(&self, address: IpAddr, per_minute: u32, burst: u32, now: Timestamp) -> Result<(), Duration> {
        let rate = f64::from(per_minute.max(1)) / 60_000.0; // tokens per millisecond
        let capacity = f64::from(burst.max(1));
        let source = source(address);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&source) {
            // Buckets that have refilled say nothing; if sources are rotated so fast that none has, the oldest half
            // go, so that the map stays bounded and the next cleaning is far off.
            buckets.retain(|_, b| refill(*b, rate, capacity, now) < capacity);
            if buckets.len() >= MAX_TRACKED {
                let mut ages: Vec<i64> = buckets.values().map(|b| b.at.as_millis()).collect();
                let (_, median, _) = ages.select_nth_unstable(MAX_TRACKED / 2);
                let median = *median;
                buckets.retain(|_, b| b.at.as_millis() > median);
            }
        }
        let bucket = buckets.entry(source).or_insert(Bucket { tokens: capacity, at: now });
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
        if let Some(b) = buckets.get_mut(&source(address)) {
            b.tokens = (b.tokens + 1.0).min(f64::from(burst.max(1)));
        }
    }
}

/// The source an address counts against: IPv4 addresses (and IPv4-mapped IPv6) one by one, IPv6 by its /64.
fn source(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

fn refill(b: Bucket, rate: f64, capacity: f64, now: Timestamp) -> f64 {
    let elapsed = now.as_millis().saturating_sub(b.at.as_millis()).max(0) as f64;
    (b.tokens + elapsed * rate).min(capacity)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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

    #[test]
    fn an_ipv6_network_is_one_source_and_the_map_stays_bounded() {
        let l = AttemptLimiter::default();
        let t0 = Timestamp::from_millis(5_000_000);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_net: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_net: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.take(one, 60, 1, t0).is_ok());
        assert!(l.take(same_net, 60, 1, t0).is_err(), "another address of the same /64 shares the bucket");
        assert!(l.take(other_net, 60, 1, t0).is_ok());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert!(l.take(mapped, 60, 1, t0).is_ok());
        assert!(l.take("192.0.2.1".parse().unwrap(), 60, 1, t0).is_err(), "IPv4-mapped is the IPv4 address");
        // A flood from ever new sources, none refilled: the map never grows past its bound.
        for n in 0..(MAX_TRACKED as u32 * 2) {
            let a = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            let _ = l.take(a, 1, 1, Timestamp::from_millis(5_000_000 + i64::from(n)));
        }
        assert!(l.buckets.lock().unwrap().len() <= MAX_TRACKED);
    }
}
