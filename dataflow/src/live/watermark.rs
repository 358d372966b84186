//! Event time: per-partition watermarks and the frontier they allow.
//!
//! A partition's watermark is the largest bar time it has delivered minus
//! the allowed lateness. The frontier passes a bar time `ts` once every
//! active partition's watermark is greater than `ts`. A partition that has
//! delivered nothing for the idle timeout stops holding the frontier back
//! (until it delivers again); one that has delivered nothing yet holds it
//! back from the start until the timeout.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Partition {
    max_ts: Option<i64>,
    last: Instant,
}

/// The watermarks of one worker's partitions.
#[derive(Debug, Clone)]
pub struct Watermarks {
    lateness: i64,
    idle: Duration,
    parts: BTreeMap<i32, Partition>,
}

impl Watermarks {
    /// Watermarks for `partitions`, as of `now`; `lateness` in bar-time units.
    pub fn new(partitions: &[i32], lateness: i64, idle: Duration, now: Instant) -> Self {
        Self {
            lateness,
            idle,
            parts: partitions
                .iter()
                .map(|&p| {
                    (
                        p,
                        Partition {
                            max_ts: None,
                            last: now,
                        },
                    )
                })
                .collect(),
        }
    }

    /// Sets the allowed lateness (known once the bar-time kind is).
    pub fn set_lateness(&mut self, lateness: i64) {
        self.lateness = lateness;
    }

    /// A bar at `ts` arrived on `partition`.
    pub fn observe(&mut self, partition: i32, ts: i64, now: Instant) {
        let p = self.parts.entry(partition).or_insert(Partition {
            max_ts: None,
            last: now,
        });
        p.max_ts = Some(p.max_ts.map_or(ts, |m| m.max(ts)));
        p.last = now;
    }

    /// Every bar time below the returned one is closed, as far as these
    /// partitions are concerned; `None` when every partition is idle (or
    /// there is none), so they hold nothing back.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tickflow::live::Watermarks;
    /// let t0 = Instant::now();
    /// let mut w = Watermarks::new(&[0, 1], 0, Duration::from_secs(5), t0);
    /// w.observe(0, 10, t0);
    /// assert_eq!(w.frontier(t0), Some(i64::MIN), "partition 1 may still send anything");
    /// w.observe(1, 7, t0);
    /// assert_eq!(w.frontier(t0), Some(7), "times below 7 are closed");
    /// let later = t0 + Duration::from_secs(6);
    /// assert_eq!(w.frontier(later), None, "both idle");
    /// ```
    pub fn frontier(&self, now: Instant) -> Option<i64> {
        self.parts
            .values()
            .filter(|p| now.duration_since(p.last) < self.idle)
            .map(|p| {
                p.max_ts
                    .map_or(i64::MIN, |m| m.saturating_sub(self.lateness))
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_holds_the_frontier_back() {
        let t0 = Instant::now();
        let mut w = Watermarks::new(&[3], 2, Duration::from_secs(1), t0);
        w.observe(3, 100, t0);
        assert_eq!(w.frontier(t0), Some(98));
        w.observe(3, 99, t0);
        assert_eq!(
            w.frontier(t0),
            Some(98),
            "an older bar does not move it back"
        );
    }

    #[test]
    fn an_idle_partition_rejoins_when_it_delivers() {
        let t0 = Instant::now();
        let mut w = Watermarks::new(&[0, 1], 0, Duration::from_secs(1), t0);
        w.observe(0, 50, t0);
        w.observe(1, 40, t0);
        let t1 = t0 + Duration::from_millis(1500);
        w.observe(0, 60, t1);
        assert_eq!(w.frontier(t1), Some(60), "partition 1 went idle");
        w.observe(1, 45, t1);
        assert_eq!(w.frontier(t1), Some(45), "and is back");
    }
}
