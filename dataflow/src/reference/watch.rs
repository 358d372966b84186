//! A live run's watch on its reference inputs: a thread that, every
//! `--corrections-interval`, reads the reference files' fingerprints and
//! the reference topics' ends (one Kafka client for every look), and
//! raises a flag once one has changed since the stretch read it. Worker 0
//! reads the flag between steps; it never waits on a file or the broker.

use super::topic::TopicRead;
use crate::durable::InputFingerprint;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tickflow_connectors::kafka::{KafkaConfig, TopicEnds};

/// What the watch compares against: the inputs as the stretch read them.
pub struct Watched {
    /// The reference files and their fingerprints.
    pub files: Vec<(PathBuf, InputFingerprint)>,
    /// The reference topics and their ends.
    pub topics: Vec<TopicRead>,
}

impl Watched {
    /// One look: a file whose content differs, or a topic with messages
    /// past those read. An unreadable file (a save that is not atomic)
    /// or an unreachable broker is none: the next look tries again.
    fn changed(&self, ends: Option<&TopicEnds>, wait: Duration) -> bool {
        let file = (self.files.iter()).any(|(path, print)| {
            InputFingerprint::of(path).is_ok_and(|now| !now.same_content(print))
        });
        file || ends.is_some_and(|c| {
            (self.topics.iter()).any(|t| c.ends(&t.topic, wait).is_ok_and(|now| t.grown(&now)))
        })
    }
}

/// The watching thread. Dropped, it is told to stop and left to end on
/// its own: a look in progress against an unreachable broker can take
/// seconds, and the stretch that drops the watch must not wait for it
/// (the thread only ever writes its own flag).
pub struct ReferenceWatch {
    changed: Arc<AtomicBool>,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl ReferenceWatch {
    /// Looks at `watched` every `every` (the first look after `every`).
    pub fn start(watched: Watched, kafka: &KafkaConfig, every: Duration) -> Self {
        let changed = Arc::new(AtomicBool::new(false));
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let kafka = kafka.clone();
        let spawned = {
            let (changed, stop) = (changed.clone(), stop.clone());
            std::thread::Builder::new()
                .name("reference-watch".into())
                .spawn(move || {
                    // A client that cannot be made now is tried again at the next look.
                    let mut client = None;
                    let wait = every.clamp(Duration::from_secs(1), Duration::from_secs(10));
                    loop {
                        let (lock, bell) = &*stop;
                        let stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                        let (stopped, _) = bell
                            .wait_timeout_while(stopped, every, |s| !*s)
                            .unwrap_or_else(|e| e.into_inner());
                        if *stopped {
                            return;
                        }
                        drop(stopped);
                        if !watched.topics.is_empty() && client.is_none() {
                            client = TopicEnds::new(&kafka).ok();
                        }
                        if watched.changed(client.as_ref(), wait) {
                            changed.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                })
        };
        if let Err(e) = spawned {
            eprintln!("warning: reference inputs are not watched this stretch: {e}");
        }
        Self { changed, stop }
    }

    /// A reference input has changed since the stretch read it.
    pub fn changed(&self) -> bool {
        self.changed.load(Ordering::SeqCst)
    }
}

impl Drop for ReferenceWatch {
    fn drop(&mut self) {
        let (lock, bell) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        bell.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn wait_until(watch: &ReferenceWatch, within: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < within {
            if watch.changed() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        watch.changed()
    }

    #[test]
    fn a_file_rewritten_with_other_content_raises_the_flag_and_the_same_content_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sectors.csv");
        std::fs::write(&path, "symbol,sector\nA,Tech\n").unwrap();
        let print = InputFingerprint::of(&path).unwrap();
        let watched = || Watched {
            files: vec![(path.clone(), print.clone())],
            topics: Vec::new(),
        };
        let every = Duration::from_millis(20);
        let watch = ReferenceWatch::start(watched(), &KafkaConfig::default(), every);
        std::fs::write(&path, "symbol,sector\nA,Tech\n").unwrap();
        assert!(!wait_until(&watch, Duration::from_millis(200)));
        std::fs::write(&path, "symbol,sector\nA,Utilities\n").unwrap();
        assert!(wait_until(&watch, Duration::from_secs(10)));
        // A file gone for a while is no change; it is one when it is back
        // with other content.
        std::fs::write(&path, "symbol,sector\nA,Tech\n").unwrap();
        let watch = ReferenceWatch::start(watched(), &KafkaConfig::default(), every);
        std::fs::remove_file(&path).unwrap();
        assert!(!wait_until(&watch, Duration::from_millis(200)));
        std::fs::write(&path, "symbol,sector\nA,Energy\n").unwrap();
        assert!(wait_until(&watch, Duration::from_secs(10)));
    }

    #[test]
    fn dropping_the_watch_returns_during_a_look_at_an_unreachable_broker() {
        let topic = |name: &str| TopicRead {
            topic: name.into(),
            file: PathBuf::from(format!("{name}.topic.csv")),
            ends: [(0, 0)].into(),
        };
        let watched = Watched {
            files: Vec::new(),
            topics: vec![topic("sectors"), topic("universe")],
        };
        // Nothing listens on port 9 here: each look waits out its requests
        // (at least a second each).
        let kafka = KafkaConfig {
            brokers: Some("127.0.0.1:9".into()),
            ..KafkaConfig::default()
        };
        let watch = ReferenceWatch::start(watched, &kafka, Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(200));
        let start = Instant::now();
        drop(watch);
        assert!(start.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn dropping_the_watch_stops_its_thread_at_once() {
        let watched = Watched {
            files: Vec::new(),
            topics: Vec::new(),
        };
        let watch =
            ReferenceWatch::start(watched, &KafkaConfig::default(), Duration::from_secs(3600));
        let start = Instant::now();
        drop(watch);
        assert!(start.elapsed() < Duration::from_secs(60));
    }
}
