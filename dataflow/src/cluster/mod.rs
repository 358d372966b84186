//! Running one job over several processes on timely's own cluster mode:
//! `--processes P --process-id I --hostfile F` start the same binary on
//! every host, each with `--workers W`; timely connects them (process `i`
//! listens on line `i` of the hostfile) and the dataflow's exchanges spread
//! the work over all `P x W` workers. Worker `w` of process `i` is global
//! worker `i * W + w`.
//!
//! Process 0 plans the run, opens the store and reads the input; it hands
//! every worker its start ([`relay::hand_out`]) and gathers the workers'
//! checkpoint reports through the dataflow ([`relay::Reports`]) to write
//! the manifest. A lost process stops every other one with an error naming
//! it ([`peers`]).

pub mod connect;
pub mod finish;
pub mod peers;
pub mod relay;

use crate::error::{Result, TickflowError};
use std::path::Path;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::{Hooks, WorkerGuards};

/// Where this process stands in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Processes in the cluster.
    pub processes: usize,
    /// This process, `0..processes`.
    pub process: usize,
    /// `host:port` of every process (empty for one process).
    pub addresses: Vec<String>,
}

impl Default for Cluster {
    fn default() -> Self {
        Self::single()
    }
}

fn flag_error(flag: &str, message: String) -> TickflowError {
    TickflowError::Config {
        path: flag.into(),
        message,
    }
}

impl Cluster {
    /// One process (no network).
    pub fn single() -> Self {
        Self {
            processes: 1,
            process: 0,
            addresses: Vec::new(),
        }
    }

    /// The cluster the flags describe. Without a hostfile the processes
    /// listen on `127.0.0.1:2101`, `:2102`, ... (one machine).
    ///
    /// ```
    /// use tickflow::cluster::Cluster;
    /// let c = Cluster::from_flags(2, 1, None).unwrap();
    /// assert_eq!(c.addresses, ["127.0.0.1:2101", "127.0.0.1:2102"]);
    /// assert!(Cluster::from_flags(2, 2, None).is_err());
    /// ```
    pub fn from_flags(processes: usize, process: usize, hostfile: Option<&Path>) -> Result<Self> {
        if processes == 0 {
            return Err(flag_error("--processes", "must be at least 1".into()));
        }
        if process >= processes {
            return Err(flag_error(
                "--process-id",
                format!("{process} is not below --processes {processes}"),
            ));
        }
        if processes == 1 && hostfile.is_none() {
            return Ok(Self::single());
        }
        let addresses = match hostfile {
            Some(path) => read_hostfile(path, processes)?,
            None => (0..processes)
                .map(|i| format!("127.0.0.1:{}", 2101 + i))
                .collect(),
        };
        Ok(Self {
            processes,
            process,
            addresses,
        })
    }

    /// True for a one-process run.
    pub fn is_single(&self) -> bool {
        self.processes == 1
    }

    /// Starts `workers` timely worker threads in this process running
    /// `func`, connected to the other processes first (see [`connect`]).
    pub fn execute<T, F>(&self, workers: usize, func: F) -> Result<WorkerGuards<T>>
    where
        T: Send + 'static,
        F: Fn(&mut timely::worker::Worker) -> T + Send + Sync + 'static,
    {
        if self.is_single() {
            return timely::execute(timely::Config::process(workers), func)
                .map_err(TickflowError::Runtime);
        }
        let sockets =
            connect::connect(&self.addresses, self.process).map_err(TickflowError::Runtime)?;
        let hooks = Hooks::default();
        let local =
            ProcessBuilder::new_typed_vector(workers, hooks.refill.clone(), hooks.spill.clone());
        let (builders, guard) =
            initialize_networking_from_sockets(local, sockets, self.process, workers, hooks)
                .map_err(|e| {
                    TickflowError::Runtime(format!("starting the network threads: {e}"))
                })?;
        timely::execute::execute_from(
            builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
            Box::new(guard),
            timely::WorkerConfig::default(),
            func,
        )
        .map_err(TickflowError::Runtime)
    }
}

impl Cluster {
    /// Runs `func` on this process's `workers` and `meanwhile` on this
    /// thread while they run; returns every worker's result (in worker
    /// order) and `meanwhile`'s, or the error that took the cluster down.
    /// A lost process makes the workers and then timely's network guard
    /// panic (its drop joins the failed network threads): both become the
    /// error that names the lost process.
    pub fn run<T, F, M, R>(&self, workers: usize, func: F, meanwhile: M) -> Result<(Vec<T>, R)>
    where
        T: Send + 'static,
        F: Fn(&mut timely::worker::Worker) -> T + Send + Sync + 'static,
        M: FnOnce() -> R,
    {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let guards = self.execute(workers, func)?;
            let also = meanwhile();
            let results = guards
                .join()
                .into_iter()
                .map(|r| r.map_err(|e| TickflowError::Runtime(format!("a worker failed: {e}"))))
                .collect::<Result<Vec<_>>>()?;
            Ok((results, also))
        }));
        match (run, peers::lost()) {
            (Ok(Ok(done)), _) => Ok(done),
            (_, Some(lost)) => Err(TickflowError::Runtime(lost)),
            (Ok(Err(e)), None) => Err(e),
            (Err(_), None) => Err(TickflowError::Runtime("a worker panicked".into())),
        }
    }
}

/// The first `processes` addresses of a hostfile: one `host:port` per line;
/// blank lines and `#` comments are skipped.
fn read_hostfile(path: &Path, processes: usize) -> Result<Vec<String>> {
    let error = |message: String| TickflowError::Config {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let mut addresses = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match line.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                addresses.push(line.to_string())
            }
            _ => return Err(error(format!("line {}: `{line}` is not host:port", n + 1))),
        }
    }
    if addresses.len() < processes {
        return Err(error(format!(
            "{} addresses for --processes {processes}: one host:port line per process",
            addresses.len()
        )));
    }
    addresses.truncate(processes);
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostfile_gives_one_address_per_process_and_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(
            &path,
            "# the cluster\nnode-a:2101\n\nnode-b:2101 # second\nnode-c:9\n",
        )
        .unwrap();
        let c = Cluster::from_flags(2, 1, Some(&path)).unwrap();
        assert_eq!(c.addresses, ["node-a:2101", "node-b:2101"]);
        let e = Cluster::from_flags(4, 0, Some(&path))
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 addresses for --processes 4"), "{e}");
        std::fs::write(&path, "node-a\n").unwrap();
        let e = Cluster::from_flags(1, 0, Some(&path))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1: `node-a` is not host:port"), "{e}");
    }
}
