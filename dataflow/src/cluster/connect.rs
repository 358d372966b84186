//! Connecting the processes of a cluster before timely starts. Process `i`
//! connects to every process below it and accepts one connection from
//! every process above it, each connection opened by the higher process
//! sending its index (a big-endian u64, timely's handshake). Unlike
//! timely's own setup, which sleeps a second between attempts and prints to
//! standard output, this retries every 20 ms, says once on standard error
//! which process it is waiting for, and gives up with an error after
//! [`WAIT`].

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How long to wait for every other process.
pub const WAIT: Duration = Duration::from_secs(300);
const RETRY: Duration = Duration::from_millis(20);
const QUIET: Duration = Duration::from_secs(2);

/// One socket per process (None for this one), in process order.
pub fn connect(addresses: &[String], me: usize) -> Result<Vec<Option<TcpStream>>, String> {
    let listener = TcpListener::bind(&addresses[me])
        .map_err(|e| format!("process {me} cannot listen on {}: {e}", addresses[me]))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("{}: {e}", addresses[me]))?;
    let lower = addresses[..me].to_vec();
    let outgoing = std::thread::Builder::new()
        .name("tickflow-connect".into())
        .spawn(move || {
            lower
                .iter()
                .enumerate()
                .map(|(peer, address)| dial(peer, address, me))
                .collect::<Result<Vec<_>, String>>()
        })
        .map_err(|e| e.to_string())?;
    let mut higher: Vec<Option<TcpStream>> = (me + 1..addresses.len()).map(|_| None).collect();
    let started = Instant::now();
    let mut said = false;
    while higher.iter().any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                stream.set_nonblocking(false).map_err(|e| e.to_string())?;
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                let mut id = [0u8; 8];
                stream.read_exact(&mut id).map_err(|e| {
                    format!("a connection to process {me} sent no process index: {e}")
                })?;
                let id = u64::from_be_bytes(id) as usize;
                match id.checked_sub(me + 1).and_then(|k| higher.get_mut(k)) {
                    Some(slot) => *slot = Some(stream),
                    None => {
                        return Err(format!(
                            "process {me}: a connection claims to be process {id}"
                        ))
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let waited = started.elapsed();
                if waited > WAIT {
                    let missing: Vec<String> = higher
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.is_none())
                        .map(|(k, _)| format!("{} ({})", me + 1 + k, addresses[me + 1 + k]))
                        .collect();
                    return Err(format!(
                        "process {me}: processes {} did not connect within {} s",
                        missing.join(", "),
                        WAIT.as_secs()
                    ));
                }
                if waited > QUIET && !said {
                    said = true;
                    eprintln!(
                        "process {me}: waiting for the processes above it to connect to {}",
                        addresses[me]
                    );
                }
                std::thread::sleep(RETRY);
            }
            Err(e) => return Err(format!("{}: {e}", addresses[me])),
        }
    }
    let mut sockets: Vec<Option<TcpStream>> = outgoing
        .join()
        .map_err(|_| "the connecting thread panicked".to_string())??
        .into_iter()
        .map(Some)
        .collect();
    sockets.push(None);
    sockets.extend(higher);
    Ok(sockets)
}

/// Connects to process `peer` at `address` as process `me`.
fn dial(peer: usize, address: &str, me: usize) -> Result<TcpStream, String> {
    let started = Instant::now();
    let mut said = false;
    loop {
        match TcpStream::connect(address) {
            Ok(mut stream) => {
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                stream
                    .write_all(&(me as u64).to_be_bytes())
                    .map_err(|e| format!("process {peer} at {address}: {e}"))?;
                return Ok(stream);
            }
            Err(e) => {
                let waited = started.elapsed();
                if waited > WAIT {
                    return Err(format!(
                        "process {peer} at {address} did not answer within {} s: {e}",
                        WAIT.as_secs()
                    ));
                }
                if waited > QUIET && !said {
                    said = true;
                    eprintln!("process {me}: waiting for process {peer} at {address} ({e})");
                }
                std::thread::sleep(RETRY);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_processes_get_one_socket_to_each_other() {
        let addresses: Vec<String> = (0..3)
            .map(|_| {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().to_string()
            })
            .collect();
        let handles: Vec<_> = (0..3)
            .rev()
            .map(|me| {
                let a = addresses.clone();
                std::thread::spawn(move || connect(&a, me).unwrap())
            })
            .collect();
        for (k, h) in handles.into_iter().enumerate() {
            let me = 2 - k;
            let sockets = h.join().unwrap();
            assert_eq!(sockets.len(), 3);
            for (peer, s) in sockets.iter().enumerate() {
                assert_eq!(s.is_none(), peer == me, "process {me}, peer {peer}");
            }
        }
    }
}
