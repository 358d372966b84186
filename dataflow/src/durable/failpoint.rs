//! Failpoints for the crash harness. `TICKFLOW_FAILPOINT=NAME[:N]` makes
//! the process abort the `N`-th time (default: the first) it reaches the
//! point `NAME`: no destructors, no flushing, as abrupt as `kill -9`.
//! `TICKFLOW_FAILPOINT=disk_full:N` instead makes the sink's `N`-th write
//! and every later one fail as a full disk does (ENOSPC). Unset (the normal
//! case), a failpoint costs one load of a cached value.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Every failpoint, in the order a run reaches them.
pub const NAMES: &[&str] = &[
    // Worker 0 has fed a block, no checkpoint is durable yet.
    "before_first_checkpoint",
    // A sink has written a batch into a temporary file.
    "sink_write",
    // A sink has renamed a completed file; the manifest does not list it yet.
    "after_rename",
    // A manifest is durable; the previous checkpoint is not yet removed and
    // (live) the Kafka offsets are not yet committed.
    "after_manifest",
];

fn armed() -> Option<&'static (String, u64)> {
    static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let spec = std::env::var("TICKFLOW_FAILPOINT").ok()?;
        let (name, n) = match spec.split_once(':') {
            Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1)),
            None => (spec, 1),
        };
        Some((name, n.max(1)))
    })
    .as_ref()
}

/// The sink's writes: an ENOSPC error from the armed `disk_full:N` hit on
/// (the disk stays full until the process ends).
pub fn disk_full() -> std::io::Result<()> {
    static HITS: AtomicU64 = AtomicU64::new(0);
    match armed() {
        Some((armed, at)) if armed == "disk_full" => {
            if HITS.fetch_add(1, Ordering::SeqCst) + 1 >= *at {
                /// ENOSPC on Linux.
                const ENOSPC: i32 = 28;
                return Err(std::io::Error::from_raw_os_error(ENOSPC));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Aborts the process here if this failpoint is armed and due.
pub fn hit(name: &str) {
    static HITS: AtomicU64 = AtomicU64::new(0);
    if let Some((armed, at)) = armed() {
        if armed == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *at {
            eprintln!("tickflow: failpoint {name} reached: aborting");
            std::process::abort();
        }
    }
}
