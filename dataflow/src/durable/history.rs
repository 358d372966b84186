//! The bounded history of each symbol's indicator states that a revision
//! replays from.
//!
//! Every `every` bars (`[revisions] state_history`, default 500) a copy of
//! the symbol's state after that bar is taken, and the last two copies are
//! kept: once a symbol has `2 * every` bars, one copy is always between
//! `every` and `2 * every - 1` bars before its last. A revision at a bar
//! time after a copy replays the symbol from that copy, reading only the
//! store's rows after it; one further back replays from the first bar
//! (the store's whole history of the symbol). Histories travel with the
//! checkpoint, one file per worker beside its state file
//! (`worker-NNN.history`, indexed by symbol: see [`encode`]); a checkpoint
//! without one (an older store) only means every revision replays from the
//! first bar.

use super::manifest::checkpoint_dir;
use super::state_file::codec;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tickflow_operators::SymbolState;

/// The default bars between kept copies.
pub const DEFAULT_EVERY: u64 = 500;

const MAGIC: &[u8; 8] = b"TFHIST01";

/// A copy of a symbol's state after its bar at `ts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anchor {
    /// The bar time of the last bar in the state (the store's unit).
    pub ts: i64,
    /// The state (shared: a checkpoint's copy of the history costs no
    /// copy of the states).
    pub state: Arc<SymbolState>,
}

/// One symbol's kept copies, oldest first (at most two).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    kept: Vec<Anchor>,
}

impl History {
    /// Notes `state`, just updated with the bar at `ts`: a copy is kept
    /// when its bar count is a multiple of `every` (0: never). Returns
    /// whether one was.
    ///
    /// ```
    /// use tickflow::durable::history::History;
    /// use tickflow_operators::{Bar, FeatureEngine};
    /// let engine = FeatureEngine::standard();
    /// let (mut state, mut history) = (engine.new_state(), History::default());
    /// let mut row = vec![0.0; engine.columns().len()];
    /// let bar = Bar { open: 10.0, high: 11.0, low: 9.0, close: 10.5, volume: 1e3 };
    /// for ts in 0..25 {
    ///     engine.update(&mut state, &bar, &mut row).unwrap();
    ///     history.record(10, ts, &state);
    /// }
    /// // copies after bars 10 and 20 (ts 9 and 19)
    /// assert_eq!(history.before(25).unwrap().ts, 19);
    /// assert_eq!(history.before(19).unwrap().ts, 9);
    /// assert!(history.before(9).is_none());
    /// ```
    pub fn record(&mut self, every: u64, ts: i64, state: &SymbolState) -> bool {
        self.keep(every, ts, state, || Arc::new(state.clone()))
    }

    /// [`History::record`] for a state its owner shares: the copy kept is
    /// the owner's `Arc` (copied only when the owner next changes it,
    /// `Arc::make_mut`).
    pub fn record_shared(&mut self, every: u64, ts: i64, state: &Arc<SymbolState>) -> bool {
        self.keep(every, ts, state, || state.clone())
    }

    fn keep(
        &mut self,
        every: u64,
        ts: i64,
        state: &SymbolState,
        copy: impl FnOnce() -> Arc<SymbolState>,
    ) -> bool {
        if every == 0 || state.bars() == 0 || state.bars() % every != 0 {
            return false;
        }
        if self.kept.len() >= 2 {
            self.kept.remove(0);
        }
        self.kept.push(Anchor { ts, state: copy() });
        true
    }

    /// The newest kept copy of the state before bar time `ts` (its last
    /// bar is earlier than `ts`).
    pub fn before(&self, ts: i64) -> Option<&Anchor> {
        self.kept.iter().rev().find(|a| a.ts < ts)
    }

    /// The history as it was when `anchor`'s state was current: the copies
    /// up to and including it (a replay from `anchor` records the rest).
    pub fn up_to(&self, anchor: &Anchor) -> History {
        History {
            kept: self
                .kept
                .iter()
                .filter(|a| a.ts <= anchor.ts)
                .cloned()
                .collect(),
        }
    }

    /// The kept copies, oldest first.
    pub fn kept(&self) -> &[Anchor] {
        &self.kept
    }
}

/// One worker's histories in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerHistory {
    /// Kept copies by symbol name.
    pub histories: Vec<(String, History)>,
}

/// The history file of `worker` in checkpoint `epoch`.
pub fn history_path(root: &Path, epoch: u64, worker: usize) -> PathBuf {
    checkpoint_dir(root, epoch).join(format!("worker-{worker:03}.history"))
}

/// The histories of the symbols a revision replayed, in checkpoint
/// `epoch` (see [`super::manifest::revised_state_path`]).
pub fn revised_history_path(root: &Path, epoch: u64) -> PathBuf {
    checkpoint_dir(root, epoch).join("revised.history")
}

/// One symbol's entry in a history file's index: its name, where its
/// history's bytes start, how many, and their CRC-32.
type Entry = (String, u64, u64, u32);

/// Bytes after the index: its length (u64) and CRC-32 (u32), little endian.
const TRAILER: usize = 12;

/// The file's bytes for `history`. Layout: the magic `TFHIST01`, each
/// symbol's history (bincode), the index (bincode, one [`Entry`] per
/// symbol), then the index's length and CRC-32; a revision decodes only
/// the symbols it replays.
pub fn encode(history: &WorkerHistory) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, history).expect("writes to memory succeed");
    out
}

/// Writes [`encode`]'s bytes to `out`, streamed: one symbol's history at
/// a time, through a buffer reused for each.
pub fn write(out: &mut impl Write, history: &WorkerHistory) -> std::io::Result<()> {
    use bincode::Options;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    out.write_all(MAGIC)?;
    let mut at = MAGIC.len() as u64;
    let mut blob = Vec::new();
    let mut index: Vec<Entry> = Vec::with_capacity(history.histories.len());
    for (name, h) in &history.histories {
        blob.clear();
        codec()
            .serialize_into(&mut blob, h)
            .map_err(std::io::Error::other)?;
        out.write_all(&blob)?;
        index.push((name.clone(), at, blob.len() as u64, crc32fast::hash(&blob)));
        at += blob.len() as u64;
    }
    let index = codec().serialize(&index).map_err(std::io::Error::other)?;
    out.write_all(&index)?;
    out.write_all(&(index.len() as u64).to_le_bytes())?;
    out.write_all(&crc32fast::hash(&index).to_le_bytes())?;
    out.flush()
}

/// The histories in `bytes` of the symbols `wanted` keeps (each checked
/// against its CRC); a torn or corrupted file is an error.
pub fn decode(bytes: &[u8], wanted: impl Fn(&str) -> bool) -> Result<WorkerHistory, String> {
    use bincode::Options;
    if bytes.len() < MAGIC.len() + TRAILER || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a tickflow history file (bad magic or too short)".into());
    }
    let end = bytes.len() - TRAILER;
    let len = u64::from_le_bytes(bytes[end..end + 8].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[end + 8..].try_into().expect("4 bytes"));
    let index = usize::try_from(len)
        .ok()
        .and_then(|len| end.checked_sub(len))
        .filter(|&start| start >= MAGIC.len())
        .map(|start| &bytes[start..end])
        .ok_or_else(|| format!("truncated: the trailer says {len} bytes of index"))?;
    if crc32fast::hash(index) != crc {
        return Err("checksum mismatch in the index: the file is corrupted".into());
    }
    let entries: Vec<Entry> = codec()
        .deserialize(index)
        .map_err(|e| format!("undecodable index: {e}"))?;
    let blobs = &bytes[..end - index.len()];
    let mut histories = Vec::new();
    for (name, at, len, crc) in entries.into_iter().filter(|e| wanted(&e.0)) {
        let blob = usize::try_from(at)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(at, len)| blobs.get(at..at.checked_add(len)?))
            .ok_or_else(|| format!("damaged: {name}'s history is outside the file"))?;
        if crc32fast::hash(blob) != crc {
            return Err(format!(
                "checksum mismatch in {name}'s history: the file is corrupted"
            ));
        }
        let h = codec()
            .deserialize(blob)
            .map_err(|e| format!("undecodable history of {name}: {e}"))?;
        histories.push((name, h));
    }
    Ok(WorkerHistory { histories })
}

/// Reads the histories of the symbols `wanted` keeps from a history file;
/// a missing one (a checkpoint of an older store) holds none, a damaged
/// one is an error naming the file.
pub fn read(path: &Path, wanted: impl Fn(&str) -> bool) -> Result<WorkerHistory, String> {
    match std::fs::read(path) {
        Ok(bytes) => decode(&bytes, wanted).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(WorkerHistory::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The histories of the symbols `wanted` keeps in checkpoint `epoch` of
/// `workers` workers (a revision's in place of the workers').
pub fn read_all(
    root: &Path,
    (epoch, workers): (u64, usize),
    wanted: impl Fn(&str) -> bool,
) -> Result<HashMap<String, History>, String> {
    let mut out = HashMap::new();
    let files = (0..workers)
        .map(|worker| history_path(root, epoch, worker))
        .chain(std::iter::once(revised_history_path(root, epoch)));
    for path in files {
        out.extend(read(&path, &wanted)?.histories);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_operators::{Bar, FeatureEngine};

    fn run(every: u64, bars: i64) -> (SymbolState, History, Vec<SymbolState>) {
        let engine = FeatureEngine::standard();
        let (mut state, mut history) = (engine.new_state(), History::default());
        let mut row = vec![0.0; engine.columns().len()];
        let mut all = Vec::new();
        for ts in 0..bars {
            let c = 100.0 + (ts as f64 * 0.3).sin();
            let bar = Bar {
                open: c,
                high: c + 1.0,
                low: c - 1.0,
                close: c + 0.5,
                volume: 1e3,
            };
            engine.update(&mut state, &bar, &mut row).unwrap();
            history.record(every, ts, &state);
            all.push(state.clone());
        }
        (state, history, all)
    }

    #[test]
    fn keeps_the_last_two_copies_each_the_state_after_its_bar() {
        let (_, history, all) = run(7, 40);
        let ts: Vec<i64> = history.kept().iter().map(|a| a.ts).collect();
        assert_eq!(ts, vec![27, 34]);
        for a in history.kept() {
            assert_eq!(*a.state, all[a.ts as usize]);
        }
        // one copy is always between every and 2 * every - 1 bars back
        let back = 39 - history.before(39 - 7 + 1).unwrap().ts;
        assert!((7..14).contains(&back), "{back}");
    }

    #[test]
    fn period_one_copies_every_bar_and_zero_none() {
        let (_, history, _) = run(1, 5);
        assert_eq!(history.kept().len(), 2);
        assert_eq!(history.before(i64::MAX).unwrap().ts, 4);
        let (_, none, _) = run(0, 50);
        assert!(none.kept().is_empty());
    }

    #[test]
    fn up_to_an_anchor_drops_the_later_copies() {
        let (_, history, _) = run(5, 20);
        assert_eq!(history.kept().len(), 2);
        let anchor = history.before(19).unwrap().clone();
        assert_eq!(anchor.ts, 14);
        let older = history.up_to(&anchor);
        assert_eq!(older.kept().len(), 1);
        assert_eq!(older.kept()[0].ts, 14);
        assert!(history.before(14).is_none());
    }

    #[test]
    fn files_round_trip_and_a_missing_one_is_empty() {
        let dir = std::env::temp_dir().join(format!("tf-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (_, history, _) = run(5, 12);
        let file = WorkerHistory {
            histories: vec![("A".into(), history), ("C".into(), History::default())],
        };
        let path = dir.join("worker-000.history");
        std::fs::write(&path, encode(&file)).unwrap();
        assert_eq!(read(&path, |_| true).unwrap(), file);
        assert!(read(&path, |s| s == "B").unwrap().histories.is_empty());
        assert_eq!(
            read(&dir.join("none.history"), |_| true).unwrap(),
            WorkerHistory::default()
        );
        let mut bytes = encode(&file);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut], |_| true).is_err(), "cut at {cut}");
        }
        // a damaged history (the first byte after the magic)
        bytes[MAGIC.len()] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read(&path, |_| true).unwrap_err().contains("checksum"));
        // a symbol left unread is not checked
        assert!(read(&path, |s| s == "C").is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
