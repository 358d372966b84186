//! Durability: checkpoints, the store manifest, restart and append.
//!
//! A run asks for a checkpoint every so often ([`board`]); at that block
//! every worker writes its indicator states ([`state_file`]) and completes
//! its open files, and then the manifest ([`manifest`]) is replaced
//! atomically with one that lists those files and that checkpoint. The
//! manifest is the only source of truth: a restart removes whatever it does
//! not list, restores the states and skips the bars they already cover.
//! [`failpoint`]s let the crash harness stop a run at the risky moments.

pub mod board;
pub mod failpoint;
pub mod fingerprint;
pub mod history;
pub mod manifest;
pub mod restore;
pub mod state_file;

use crate::config::PipelineConfig;
use std::time::Duration;
use tickflow_operators::FeatureEngine;

pub use fingerprint::InputFingerprint;
pub use manifest::{describe_differences, Manifest, StoreFile};

/// When a run checkpoints: after the first block (live: frontier advance)
/// that ends at least `interval` after the last checkpoint, or that brings
/// at least `every_times` bar times since it (0: no such limit). A
/// checkpoint is always taken at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// Wall time between checkpoints.
    pub interval: Duration,
    /// Bar times between checkpoints (0: by time only).
    pub every_times: u64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10),
            every_times: 0,
        }
    }
}

impl CheckpointPolicy {
    /// True once a checkpoint is due, `elapsed` and `times` (bar times)
    /// after the last one.
    pub fn due(&self, elapsed: Duration, times: u64) -> bool {
        elapsed >= self.interval || (self.every_times > 0 && times >= self.every_times)
    }
}

/// What every store's rows depend on besides the bars and how they are
/// read: the features, the engine, the cross-sections, the output types,
/// the time zone, the sector file's content and the universe file's (a key
/// only when there is one, so stores without keep their identity). Each
/// kind of run adds its own keys (`extra`).
pub fn identity(
    config: &PipelineConfig,
    engine: &FeatureEngine,
    tz: Option<&str>,
    (sectors, universe): (Option<&InputFingerprint>, Option<&InputFingerprint>),
    extra: serde_json::Value,
) -> serde_json::Value {
    let print = |f: &InputFingerprint| serde_json::json!({"bytes": f.bytes, "crc32": f.crc32});
    let mut id = serde_json::json!({
        "features": config.feature_set().features,
        "engine": format!("{:016x}", engine.fingerprint()),
        "cross_section": config.cross_section,
        "output": {
            "format": config.sink.format,
            "float32": config.sink.float32,
        },
        "tz": tz,
        "sectors": sectors.map(print),
    });
    if let Some(u) = universe {
        id["universe"] = print(u);
    }
    if let (Some(id), serde_json::Value::Object(extra)) = (id.as_object_mut(), extra) {
        id.extend(extra);
    }
    id
}
