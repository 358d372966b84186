//! When the frontier passed a bar time. Each worker records when its input
//! advanced to a new frontier; timely's frontier is the minimum over the
//! workers, so everything below `t` is closed at the latest of the workers'
//! first advances to `t` or beyond. Latency is measured from that moment,
//! not from the first worker's advance (which would count the others'
//! Kafka fetch delays as processing time).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

/// Advances kept per worker, at most.
const KEEP: usize = 100_000;

/// The workers' frontier advances.
#[derive(Debug)]
pub struct FrontierClock {
    workers: Vec<Mutex<VecDeque<(i64, Instant)>>>,
}

impl FrontierClock {
    /// A clock for `workers` workers.
    pub fn new(workers: usize) -> Self {
        Self {
            workers: (0..workers).map(|_| Mutex::new(VecDeque::new())).collect(),
        }
    }

    /// `worker`'s input advanced to `target` at `at`.
    pub fn advanced(&self, worker: usize, target: i64, at: Instant) {
        let mut q = self.workers[worker].lock().expect("not poisoned");
        if q.len() == KEEP {
            q.pop_front();
        }
        q.push_back((target, at));
    }

    /// When every worker had advanced to `target` or beyond, if all have,
    /// without forgetting anything (for readers on several workers, who
    /// ask out of order, of times [`FrontierClock::passed`] has not
    /// passed yet).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tickflow::live::FrontierClock;
    /// let c = FrontierClock::new(1);
    /// let t0 = Instant::now();
    /// c.advanced(0, 10, t0);
    /// c.advanced(0, 12, t0 + Duration::from_millis(5));
    /// assert_eq!(c.when(12), Some(t0 + Duration::from_millis(5)));
    /// assert_eq!(c.when(10), Some(t0));
    /// assert_eq!(c.when(13), None);
    /// ```
    pub fn when(&self, target: i64) -> Option<Instant> {
        let mut latest: Option<Instant> = None;
        for w in &self.workers {
            let q = w.lock().expect("not poisoned");
            let at = q.get(q.partition_point(|&(t, _)| t < target))?.1;
            latest = Some(latest.map_or(at, |l| l.max(at)));
        }
        latest
    }

    /// When every worker had advanced to `target` or beyond, if all have;
    /// forgets the advances below `target` (ask in increasing order).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tickflow::live::FrontierClock;
    /// let c = FrontierClock::new(2);
    /// let t0 = Instant::now();
    /// c.advanced(0, 10, t0);
    /// assert_eq!(c.passed(10), None, "worker 1 has not advanced");
    /// c.advanced(1, 12, t0 + Duration::from_millis(5));
    /// assert_eq!(c.passed(10), Some(t0 + Duration::from_millis(5)));
    /// ```
    pub fn passed(&self, target: i64) -> Option<Instant> {
        for w in &self.workers {
            let mut q = w.lock().expect("not poisoned");
            // The last advance at or below `target` stays: it may be the
            // one to `target` itself.
            while q.len() > 1 && q[1].0 <= target {
                q.pop_front();
            }
        }
        self.when(target)
    }
}
