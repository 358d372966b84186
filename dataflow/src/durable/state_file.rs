//! One worker's checkpointed state: its symbols' indicator states, in a
//! checksummed binary file (`worker-NNN.state`).
//!
//! Layout: the magic `TFSTATE1`, the payload length (u64, little endian),
//! the payload's CRC-32 (u32, little endian), then the payload (bincode).
//! A torn or corrupted file is refused with an error naming the file, never
//! half-read.

use bincode::Options;
use serde::{Deserialize, Serialize};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use tickflow_operators::SymbolState;

const MAGIC: &[u8; 8] = b"TFSTATE1";
const HEADER: usize = 8 + 8 + 4;

/// What one worker contributes to a checkpoint (its counters go to the
/// manifest).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerState {
    /// Indicator state by symbol name.
    pub states: Vec<(String, SymbolState)>,
}

/// The bincode options of every checkpoint file (the kept histories'
/// too), with a bound on what a damaged length can ask for.
pub(super) fn codec() -> impl Options {
    bincode::options().with_limit(1 << 34)
}

/// [`WorkerState`]'s layout over states their owner shares (the same
/// bytes: `Arc` serialises as what it holds).
#[derive(Serialize)]
struct SharedStates<'a> {
    states: &'a [(String, Arc<SymbolState>)],
}

/// The file's bytes for `state`.
pub fn encode(state: &WorkerState) -> Vec<u8> {
    let mut out = io::Cursor::new(Vec::new());
    write_framed(&mut out, state).expect("writes to memory succeed");
    out.into_inner()
}

/// Writes the file for shared states (read back as a [`WorkerState`]) to
/// `out`, streamed: a checkpoint encodes a worker's states without copying
/// them, and without building the file in memory (the header's length and
/// checksum are written last, over their placeholders).
pub fn write_shared(
    out: &mut (impl Write + Seek),
    states: &[(String, Arc<SymbolState>)],
) -> io::Result<()> {
    write_framed(out, &SharedStates { states })
}

/// Writes the magic, the header and `payload` (bincode) to `out`.
fn write_framed(out: &mut (impl Write + Seek), payload: &impl Serialize) -> io::Result<()> {
    let start = out.stream_position()?;
    out.write_all(MAGIC)?;
    out.write_all(&[0; HEADER - 8])?;
    let sum = Checksummed {
        out: &mut *out,
        crc: crc32fast::Hasher::new(),
        len: 0,
    };
    let mut buffered = BufWriter::with_capacity(1 << 20, sum);
    codec()
        .serialize_into(&mut buffered, payload)
        .map_err(io::Error::other)?;
    let sum = buffered.into_inner().map_err(|e| e.into_error())?;
    let (len, crc) = (sum.len, sum.crc.finalize());
    out.seek(SeekFrom::Start(start + 8))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&crc.to_le_bytes())?;
    out.seek(SeekFrom::End(0))?;
    Ok(())
}

/// A writer that counts and checksums what passes through it.
struct Checksummed<W: Write> {
    out: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.out.write(data)?;
        self.crc.update(&data[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads back what [`encode`] wrote; any other input is an error.
///
/// ```
/// use tickflow::durable::state_file::{decode, encode, WorkerState};
/// use tickflow_operators::FeatureEngine;
/// let s = WorkerState { states: vec![("A".into(), FeatureEngine::standard().new_state())] };
/// let mut bytes = encode(&s);
/// assert_eq!(decode(&bytes).unwrap(), s);
/// let last = bytes.len() - 1;
/// bytes[last] ^= 1;
/// assert!(decode(&bytes).unwrap_err().contains("checksum"));
/// ```
pub fn decode(bytes: &[u8]) -> Result<WorkerState, String> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err("not a tickflow state file (bad magic or too short)".into());
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[16..20].try_into().expect("4 bytes"));
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != len {
        return Err(format!(
            "truncated: the header says {len} bytes of state, the file has {}",
            payload.len()
        ));
    }
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch: the file is corrupted".into());
    }
    codec()
        .deserialize(payload)
        .map_err(|e| format!("undecodable state: {e}"))
}

/// Reads a state file.
pub fn read(path: &Path) -> Result<WorkerState, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_operators::{Bar, FeatureEngine};

    #[test]
    fn round_trip_continues_bit_identically() {
        let engine = FeatureEngine::standard();
        let mut state = engine.new_state();
        let mut row = vec![0.0; engine.columns().len()];
        for i in 0..300 {
            let c = 100.0 + (i as f64 * 0.37).sin();
            let bar = Bar {
                open: c,
                high: c + 1.0,
                low: c - 1.0,
                close: c + 0.25,
                volume: 1000.0 + i as f64,
            };
            engine.update(&mut state, &bar, &mut row).unwrap();
        }
        let file = WorkerState {
            states: vec![("AAPL".into(), state.clone())],
        };
        let back = decode(&encode(&file)).unwrap();
        assert_eq!(back, file);
        // Shared states, streamed, are the same file.
        let shared = [("AAPL".to_string(), Arc::new(state.clone()))];
        let mut streamed = io::Cursor::new(Vec::new());
        write_shared(&mut streamed, &shared).unwrap();
        assert_eq!(streamed.into_inner(), encode(&file));
        let bar = Bar {
            open: 101.0,
            high: 102.0,
            low: 100.0,
            close: 101.5,
            volume: 5e3,
        };
        let (mut a, mut b) = (state, back.states[0].1.clone());
        let (mut ra, mut rb) = (row.clone(), row);
        engine.update(&mut a, &bar, &mut ra).unwrap();
        engine.update(&mut b, &bar, &mut rb).unwrap();
        assert_eq!(
            ra.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            rb.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn torn_files_are_refused() {
        let bytes = encode(&WorkerState::default());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(b"garbage that is long enough").is_err());
    }
}
