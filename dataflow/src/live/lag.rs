//! Consumer lag per partition without a broker round trip on the worker's
//! path: a thread of the feed's own asks for the partitions' high
//! watermarks every few seconds (a request that can take half a second),
//! and the worker reads the last answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tickflow_connectors::kafka::BarConsumer;

/// How often the high watermarks are asked for.
const EVERY: Duration = Duration::from_secs(5);

/// The last high watermarks read for a feed's partitions.
pub struct LagProbe {
    highs: Arc<Mutex<Vec<(i32, i64)>>>,
    stop: Arc<AtomicBool>,
}

impl LagProbe {
    /// Starts asking for `consumer`'s partitions' high watermarks, until
    /// the probe or the consumer is dropped.
    pub fn start(consumer: &Arc<BarConsumer>) -> Self {
        let highs: Arc<Mutex<Vec<(i32, i64)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (weak, out, done): (Weak<BarConsumer>, _, _) =
            (Arc::downgrade(consumer), highs.clone(), stop.clone());
        let asking = move || {
            while !done.load(Ordering::Relaxed) {
                let Some(consumer) = weak.upgrade() else {
                    return;
                };
                let read = consumer.high_watermarks(Duration::from_millis(500));
                drop(consumer);
                *out.lock().expect("not poisoned") = read;
                for _ in 0..EVERY.as_millis() / 100 {
                    if done.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        // Without the thread the lag metric stays unset; the run goes on.
        let _ = std::thread::Builder::new()
            .name("tickflow-lag".into())
            .spawn(asking);
        Self { highs, stop }
    }

    /// The last high watermarks read (empty before the first answer).
    pub fn highs(&self) -> Vec<(i32, i64)> {
        self.highs.lock().expect("not poisoned").clone()
    }
}

impl Drop for LagProbe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
