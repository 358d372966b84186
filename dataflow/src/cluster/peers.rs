//! Telling a lost process apart from a bug. Timely has no recovery: when a
//! connection to another process breaks, its network thread for that peer
//! (`timely:recv-N` or `timely:send-N`) panics with "timely communication
//! error", and every worker then panics on the poisoned channel. The hook
//! installed by [`watch`] turns that cascade into one line naming the lost
//! process, which the run's error repeats ([`lost`]); other panics keep the
//! default report.

use std::sync::{Mutex, Once, OnceLock};

static LOST: OnceLock<String> = OnceLock::new();
static ADDRESSES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// What the first broken connection said, naming the process behind it.
pub fn lost() -> Option<String> {
    LOST.get().cloned()
}

/// The peer process a timely network thread talks to, from its name.
fn peer_of(thread: &str) -> Option<usize> {
    thread
        .strip_prefix("timely:recv-")
        .or_else(|| thread.strip_prefix("timely:send-"))?
        .parse()
        .ok()
}

fn describe(peer: usize, cause: &str) -> String {
    let addresses = ADDRESSES.lock().unwrap_or_else(|p| p.into_inner());
    let at = addresses
        .get(peer)
        .map(|a| format!(" ({a})"))
        .unwrap_or_default();
    format!("lost cluster process {peer}{at}: {cause}; every process of the run stops (restart them all to resume from the last checkpoint)")
}

/// Installs the hook (once per process) for a cluster of `addresses`.
pub fn watch(addresses: &[String]) {
    *ADDRESSES.lock().unwrap_or_else(|p| p.into_inner()) = addresses.to_vec();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            let thread = std::thread::current();
            let peer = thread.name().and_then(peer_of);
            match peer {
                Some(peer) if message.contains("timely communication error") => {
                    if LOST.set(describe(peer, message)).is_ok() {
                        eprintln!("error: {}", LOST.get().expect("set above"));
                    }
                }
                // The workers' and the network guard's side of the same failure.
                _ if LOST.get().is_some()
                    && (message.contains("poisoned") || message.contains("thread panic")) => {}
                _ => default(info),
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_threads_name_their_peer() {
        assert_eq!(peer_of("timely:recv-3"), Some(3));
        assert_eq!(peer_of("timely:send-0"), Some(0));
        assert_eq!(peer_of("tickflow-input"), None);
        watch(&["h0:1".into(), "h1:2".into()]);
        let text = describe(1, "timely communication error: reading data: socket closed");
        assert!(
            text.starts_with("lost cluster process 1 (h1:2): timely"),
            "{text}"
        );
    }
}
