//! Latency statistics: exact percentiles over every recorded request, kept as microseconds in plain vectors.
//!
//! A run records at most a few million requests, so keeping every sample (4 bytes each) and sorting once at the
//! end is both exact and cheaper than maintaining a histogram in the timing loop.

use std::time::Duration;

use serde::Serialize;

/// Latencies of one worker, in microseconds (saturating at `u32::MAX`, about 71 minutes).
#[derive(Debug, Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    /// Room for `capacity` samples, reserved before the timing loop so that it does not reallocate often.
    pub fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }

    pub fn record(&mut self, latency: Duration) {
        self.0.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Appends another worker's samples.
    pub fn merge(&mut self, other: Latencies) {
        if self.0.is_empty() {
            self.0 = other.0;
        } else {
            self.0.extend_from_slice(&other.0);
        }
    }

    /// Sorts the samples and summarizes them; `None` when nothing was recorded.
    pub fn summarize(mut self) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let sorted = &self.0;
        let total: u64 = sorted.iter().map(|&us| u64::from(us)).sum();
        let ms = |us: u32| f64::from(us) / 1000.0;
        Some(LatencySummary {
            mean_ms: total as f64 / sorted.len() as f64 / 1000.0,
            min_ms: ms(sorted[0]),
            p50_ms: ms(percentile(sorted, 50.0)),
            p90_ms: ms(percentile(sorted, 90.0)),
            p99_ms: ms(percentile(sorted, 99.0)),
            p999_ms: ms(percentile(sorted, 99.9)),
            max_ms: ms(sorted[sorted.len() - 1]),
        })
    }
}

/// The nearest-rank percentile of sorted, non-empty samples: the smallest sample such that at least `p` percent
/// of all samples are less than or equal to it.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    debug_assert!(!sorted.is_empty());
    let n = sorted.len();
    // Rounded first so that float noise (99.9 % of 1000 computes as 999.000…1) does not push the rank up by one.
    let rank = ((p / 100.0 * n as f64 * 1e6).round() / 1e6).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// What the report shows of a run's latencies, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    pub mean_ms: f64,
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred() {
        let sorted: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), 50);
        assert_eq!(percentile(&sorted, 90.0), 90);
        assert_eq!(percentile(&sorted, 99.0), 99);
        assert_eq!(percentile(&sorted, 99.9), 100);
        assert_eq!(percentile(&sorted, 100.0), 100);
        assert_eq!(percentile(&sorted, 0.0), 1);
    }

    #[test]
    fn percentiles_of_small_sets() {
        assert_eq!(percentile(&[7], 50.0), 7);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[1, 2], 50.0), 1);
        assert_eq!(percentile(&[1, 2], 51.0), 2);
        let thousand: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&thousand, 99.0), 990);
        assert_eq!(percentile(&thousand, 99.9), 999);
    }

    #[test]
    fn summary_merges_workers_and_converts_to_milliseconds() {
        let mut a = Latencies::with_capacity(4);
        let mut b = Latencies::default();
        // Recorded out of order and split over two workers: 1 ms … 100 ms.
        for i in (1..=100u64).rev() {
            let target = if i % 2 == 0 { &mut a } else { &mut b };
            target.record(Duration::from_millis(i));
        }
        a.merge(b);
        assert_eq!(a.len(), 100);
        let s = a.summarize().expect("samples");
        assert_eq!(s.min_ms, 1.0);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert!((s.mean_ms - 50.5).abs() < 1e-9);
    }

    #[test]
    fn empty_has_no_summary_and_huge_latencies_saturate() {
        assert!(Latencies::default().summarize().is_none());
        let mut l = Latencies::default();
        l.record(Duration::from_secs(10_000_000));
        assert_eq!(l.0, vec![u32::MAX]);
    }
}
