//! The store's manifest (`_manifest.json`): the source of truth for what is
//! durable. It lists every complete data file with its rows, the last
//! checkpoint (indicator states and the bar time they cover), the runs that
//! built the store with their input fingerprints, and the identity (feature
//! config, input interpretation, sector file) its rows were computed under.
//! A file under a partition directory that the manifest does not list is a
//! leftover of an interrupted run and is removed before the next one.

use super::fingerprint::InputFingerprint;
use crate::error::{Result, TickflowError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use tickflow_connectors::TsKind;

/// The manifest's file name in the store.
pub const MANIFEST: &str = "_manifest.json";
/// The directory of checkpoint states in the store.
pub const CHECKPOINTS: &str = "_checkpoints";
/// The manifest layout this build writes and reads.
pub const FORMAT: u32 = 3;
/// The directory of superseded row versions in the store.
pub const HISTORY: &str = "_history";
/// A history file's name: `superseded-WWW-SSSSSSSS.parquet.history` (not a
/// `*.parquet`, so a glob of the store's latest rows never reads it).
pub const HISTORY_PREFIX: &str = "superseded";
/// See [`HISTORY_PREFIX`].
pub const HISTORY_SUFFIX: &str = ".history";

/// One complete data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    /// Path relative to the store, `/`-separated.
    pub path: String,
    /// Its partition, e.g. `year=2016`.
    pub partition: String,
    /// Rows in it.
    pub rows: u64,
}

/// How a run extended the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// A full build from the first bar.
    Build,
    /// New bars after the store's last bar time, from its checkpoint.
    Append,
    /// A live run over a Kafka topic (resumed from its checkpoint's
    /// positions).
    Live,
}

/// One run over the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// Build or append.
    pub kind: RunKind,
    /// Its inputs.
    pub inputs: Vec<InputFingerprint>,
    /// False while it runs (or if it was interrupted).
    pub complete: bool,
    /// Data rows read (set when complete).
    pub rows_in: u64,
    /// Rejected rows by reason (set when complete).
    pub rejected: BTreeMap<String, u64>,
    /// Rows at or before the bar time the run started after (already in
    /// the store), skipped.
    pub skipped: u64,
    /// Identical second copies dropped, through the last checkpoint.
    pub duplicates: u64,
    /// Differing second copies (the later kept), through the last checkpoint.
    pub corrections: u64,
    /// Revisions of bars already in the store that this run applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisions: Option<RevisionRecord>,
}

/// What a run's revisions of past bars changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionRecord {
    /// When they were processed (UTC microseconds): the revised rows'
    /// knowledge time and the superseded versions' end.
    pub known_at: i64,
    /// Bars revised or added before the store's end.
    pub bars: u64,
    /// Rows given a new version (the revised symbols' own and the
    /// cross-sections they moved).
    pub rows: u64,
    /// Corporate actions among them.
    #[serde(default)]
    pub actions: u64,
    /// A changed market series replayed every symbol.
    #[serde(default)]
    pub market: bool,
    /// A changed sector schedule moved stored rows to other sectors.
    #[serde(default)]
    pub sectors: bool,
    /// A changed universe changed the members of stored cross-sections.
    #[serde(default)]
    pub universe: bool,
}

impl RevisionRecord {
    /// What was revised, in words.
    ///
    /// ```
    /// use tickflow::durable::manifest::RevisionRecord;
    /// let r = RevisionRecord { known_at: 0, bars: 2, rows: 9, actions: 0, market: false, sectors: true, universe: false };
    /// assert_eq!(r.describe(), "revised 2 bars before the store's end and a changed sector schedule: 9 rows have a new version");
    /// ```
    pub fn describe(&self) -> String {
        let also = [
            (self.market, " and a changed market series"),
            (self.sectors, " and a changed sector schedule"),
            (self.universe, " and a changed universe"),
        ];
        let also: String = also.iter().filter(|a| a.0).map(|a| a.1).collect();
        format!(
            "revised {} bars before the store's end{also}: {} rows have a new version",
            self.bars, self.rows
        )
    }
}

impl RunRecord {
    /// A run just started.
    pub fn new(kind: RunKind, inputs: Vec<InputFingerprint>) -> Self {
        Self {
            kind,
            inputs,
            complete: false,
            rows_in: 0,
            rejected: BTreeMap::new(),
            skipped: 0,
            duplicates: 0,
            corrections: 0,
            revisions: None,
        }
    }
}

/// The checkpoint the store continues from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRef {
    /// Its number; the states are in `_checkpoints/epoch-EEEEEEEE/`.
    pub epoch: u64,
    /// Every bar at or before this time is in the states and the files.
    pub last_ts: Option<i64>,
    /// State files (one per worker of the run that wrote it).
    pub workers: usize,
}

/// Where a live run's checkpoint leaves one partition of its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionPosition {
    /// The first offset whose bar is not in the checkpoint: a restart
    /// reads from here (and this is the offset committed to Kafka).
    pub resume: i64,
    /// The offset after the last message read before the checkpoint: of the
    /// messages from `resume` to here, a restart skips those already
    /// handled (bars before the cut, late bars and dead letters).
    pub consumed: i64,
}

/// A live run's source positions at its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivePositions {
    /// Every bar time before this one is in the states and the files (and
    /// closed: a bar before it that arrives after a restart is late).
    pub cut: i64,
    /// Per partition of the topic.
    pub partitions: BTreeMap<i32, PartitionPosition>,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The version that wrote it.
    pub tickflow_version: String,
    /// True when the last run completed.
    pub complete: bool,
    /// What the rows were computed under (see [`describe_differences`]).
    pub identity: serde_json::Value,
    /// `date32` or `timestamp_us_utc`.
    pub ts: String,
    /// The output columns.
    pub columns: Vec<String>,
    /// The runs, oldest first.
    pub runs: Vec<RunRecord>,
    /// The checkpoint to continue from.
    pub checkpoint: Option<CheckpointRef>,
    /// The next data file sequence number (names never repeat).
    pub next_seq: u64,
    /// Every complete data file: the latest version of every row.
    pub files: Vec<StoreFile>,
    /// Files of superseded row versions (under [`HISTORY`]), each row with
    /// when it was known and when it was superseded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StoreFile>,
    /// The corporate actions the stored bars are adjusted for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<crate::reference::Action>,
    /// The market series the stored features are paired with
    /// (`--market`), for features that need one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<InputFingerprint>,
    /// Rows in the files.
    pub rows_out: u64,
    /// Rows per partition.
    pub partitions: BTreeMap<String, u64>,
    /// A live run's topic positions at the checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positions: Option<LivePositions>,
    /// A live run's late bars applied to the store as corrections: per
    /// partition, every late bar below this offset (see
    /// [`crate::live::corrections`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub late_applied: BTreeMap<i32, i64>,
}

/// The manifest's name of a bar time kind (its `ts` field).
pub fn ts_name(kind: TsKind) -> &'static str {
    match kind {
        TsKind::Date => "date32",
        TsKind::Micros => "timestamp_us_utc",
    }
}

/// The bar time kind a manifest's `ts` field names; `None` while the store
/// holds no rows (an empty name) or for a name this build does not know.
pub fn ts_kind_of(name: &str) -> Option<TsKind> {
    [TsKind::Date, TsKind::Micros]
        .into_iter()
        .find(|&k| ts_name(k) == name)
}

/// A store error at `root`.
pub(crate) fn store_error(root: &Path, message: impl Into<String>) -> TickflowError {
    TickflowError::Store {
        path: root.display().to_string(),
        message: message.into(),
    }
}

impl Manifest {
    /// The manifest of a new store, computed under `identity`, whose first
    /// run is `run`.
    pub fn new(identity: serde_json::Value, run: RunRecord) -> Self {
        Self {
            format: FORMAT,
            tickflow_version: env!("CARGO_PKG_VERSION").into(),
            complete: false,
            identity,
            ts: String::new(),
            columns: Vec::new(),
            runs: vec![run],
            checkpoint: None,
            next_seq: 0,
            files: Vec::new(),
            history: Vec::new(),
            actions: Vec::new(),
            market: None,
            rows_out: 0,
            partitions: BTreeMap::new(),
            positions: None,
            late_applied: BTreeMap::new(),
        }
    }

    /// Reads the manifest of the store at `root`; None if there is none.
    pub fn load(root: &Path) -> Result<Option<Self>> {
        let path = root.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error(&path, e.to_string())),
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| store_error(&path, format!("unreadable manifest: {e}")))?;
        if value.get("format").and_then(|f| f.as_u64()) != Some(FORMAT as u64) {
            return Err(store_error(
                &path,
                format!("written by another tickflow version (manifest format {} expected); rebuild the store without --append", FORMAT),
            ));
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| store_error(&path, format!("unreadable manifest: {e}")))
    }

    /// Writes it atomically (temporary name, fsync, rename, fsync of the directory).
    pub fn save(&self, root: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("manifests serialise");
        write_atomic(&root.join(MANIFEST), text.as_bytes())
    }

    /// Adds complete files and recounts the totals.
    pub fn add_files(&mut self, files: Vec<StoreFile>) {
        for f in files {
            *self.partitions.entry(f.partition.clone()).or_default() += f.rows;
            self.rows_out += f.rows;
            self.files.push(f);
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// Moves the next file number past every listed file (latest and
    /// history): names never repeat.
    pub fn advance_seq(&mut self) {
        let used = self
            .files
            .iter()
            .chain(&self.history)
            .filter_map(|f| crate::sink::seq_of(&f.path))
            .max();
        self.next_seq = used.map_or(self.next_seq, |s| self.next_seq.max(s + 1));
    }

    /// The run in progress (the last one).
    pub fn current_run(&mut self) -> &mut RunRecord {
        self.runs.last_mut().expect("a manifest has a run")
    }

    /// Takes in a completed checkpoint: its files, the next file number
    /// and the checkpoint itself.
    pub fn record_epoch(
        &mut self,
        epoch: u64,
        files: Vec<StoreFile>,
        last_ts: Option<i64>,
        workers: usize,
    ) {
        self.add_files(files);
        self.advance_seq();
        self.checkpoint = Some(CheckpointRef {
            epoch,
            last_ts,
            workers,
        });
    }

    /// Every input of every run, oldest first.
    pub fn all_inputs(&self) -> Vec<&InputFingerprint> {
        self.runs.iter().flat_map(|r| &r.inputs).collect()
    }
}

/// The directory of checkpoint `epoch`.
pub fn checkpoint_dir(root: &Path, epoch: u64) -> PathBuf {
    root.join(CHECKPOINTS).join(format!("epoch-{epoch:08}"))
}

/// The state file of `worker` in checkpoint `epoch`.
pub fn state_path(root: &Path, epoch: u64, worker: usize) -> PathBuf {
    checkpoint_dir(root, epoch).join(format!("worker-{worker:03}.state"))
}

/// The states of the symbols a revision replayed, in checkpoint `epoch`:
/// they take the place of those in the worker files (which a revision's
/// checkpoint links from the one before).
pub fn revised_state_path(root: &Path, epoch: u64) -> PathBuf {
    checkpoint_dir(root, epoch).join("revised.state")
}

/// Fsyncs a directory (after a rename or a new entry in it).
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| store_error(dir, e.to_string()))
}

/// Writes `bytes` to `path` atomically: a temporary name, fsync, rename,
/// fsync of the directory. A crash leaves the old content or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// [`write_atomic`] of what `write` writes to the temporary file (large
/// files are streamed, not built in memory first).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let temp = path.with_extension("tmp");
    let out = |p: &Path, e: std::io::Error| TickflowError::Output {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let mut f = std::fs::File::create(&temp).map_err(|e| out(&temp, e))?;
    write(&mut f)
        .and_then(|_| f.sync_all())
        .map_err(|e| out(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| out(path, e))?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => Ok(()),
    }
}

/// `to` as a hard link to `from` (a copy where links fail), replacing
/// what `to` held; nothing when `from` does not exist (a checkpoint
/// without that file). The caller fsyncs `to`'s directory.
pub fn link_file(from: &Path, to: &Path) -> Result<()> {
    if !from.exists() {
        return Ok(());
    }
    let _ = std::fs::remove_file(to);
    std::fs::hard_link(from, to)
        .or_else(|_| std::fs::copy(from, to).map(|_| ()))
        .map_err(|e| store_error(to, e.to_string()))
}

/// Links `worker`'s state and history files of checkpoint `from` into
/// checkpoint `to` (the caller fsyncs its directory).
pub fn link_worker_files(root: &Path, (from, to): (u64, u64), worker: usize) -> Result<()> {
    use super::history::history_path;
    link_file(
        &state_path(root, from, worker),
        &state_path(root, to, worker),
    )?;
    link_file(
        &history_path(root, from, worker),
        &history_path(root, to, worker),
    )
}

fn is_data_file(name: &str) -> bool {
    let latest = |n: &str| n.ends_with(".parquet") || n.ends_with(".arrow");
    (name.starts_with("part-") && latest(name))
        || (name.starts_with(HISTORY_PREFIX)
            && name.strip_suffix(HISTORY_SUFFIX).is_some_and(latest))
}

/// Removes what the manifest does not account for: data files it does not
/// list, temporary files, and checkpoints other than its own. Without a
/// manifest every data file and checkpoint goes. Returns the files removed.
pub fn prune(root: &Path, manifest: Option<&Manifest>) -> Result<Vec<PathBuf>> {
    let listed: std::collections::HashSet<&str> = manifest
        .map(|m| {
            m.files
                .iter()
                .chain(&m.history)
                .map(|f| f.path.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut removed = Vec::new();
    if !root.exists() {
        return Ok(removed);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| store_error(&dir, e.to_string()))?;
        for entry in entries {
            let path = entry.map_err(|e| store_error(&dir, e.to_string()))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let relative = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            let tmp = name.ends_with(".tmp");
            if path.is_dir() {
                if tmp {
                    std::fs::remove_dir_all(&path)
                        .map_err(|e| store_error(&path, e.to_string()))?;
                    removed.push(path);
                } else if dir == root && name == CHECKPOINTS {
                    prune_checkpoints(&path, manifest, &mut removed)?;
                } else if dir == root && name == crate::labels::LABELS {
                    // a dataset of its own, with its own manifest
                } else {
                    stack.push(path);
                }
            } else if tmp || (is_data_file(name) && !listed.contains(relative.as_str())) {
                std::fs::remove_file(&path).map_err(|e| store_error(&path, e.to_string()))?;
                removed.push(path);
            }
        }
    }
    Ok(removed)
}

/// The epoch of a checkpoint directory (`epoch-EEEEEEEE`).
fn epoch_of(dir: &Path) -> Option<u64> {
    dir.file_name()?
        .to_str()?
        .strip_prefix("epoch-")?
        .parse()
        .ok()
}

/// Removes every entry of the checkpoints directory `dir` that `drop`
/// selects by its epoch (None: not a checkpoint directory).
fn remove_checkpoints(
    dir: &Path,
    drop: impl Fn(Option<u64>) -> bool,
    removed: &mut Vec<PathBuf>,
) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| store_error(dir, e.to_string()))? {
        let path = entry.map_err(|e| store_error(dir, e.to_string()))?.path();
        if drop(epoch_of(&path)) {
            let gone = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            gone.map_err(|e| store_error(&path, e.to_string()))?;
            removed.push(path);
        }
    }
    Ok(())
}

fn prune_checkpoints(
    dir: &Path,
    manifest: Option<&Manifest>,
    removed: &mut Vec<PathBuf>,
) -> Result<()> {
    let keep = manifest.and_then(|m| m.checkpoint).map(|c| c.epoch);
    remove_checkpoints(dir, |epoch| epoch.is_none() || epoch != keep, removed)
}

/// Removes the checkpoints older than the manifest's (newer ones may be
/// being written by a running run's workers).
pub fn drop_checkpoints_before(root: &Path, manifest: &Manifest) -> Result<()> {
    let Some(c) = manifest.checkpoint else {
        return Ok(());
    };
    let older = |epoch: Option<u64>| epoch.is_some_and(|e| e < c.epoch);
    remove_checkpoints(&root.join(CHECKPOINTS), older, &mut Vec::new())
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
            if items.is_empty() {
                out.insert(prefix.to_string(), "[]".into());
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// Every setting that differs between two identities, one line each
/// (`path: stored -> new`).
///
/// ```
/// use serde_json::json;
/// use tickflow::durable::describe_differences;
/// let old = json!({"features": [{"kind": "sma", "params": {"period": 20}}], "tz": null});
/// let new = json!({"features": [{"kind": "sma", "params": {"period": 50}}], "tz": null});
/// assert_eq!(describe_differences(&old, &new), ["features[0].params.period: 20 -> 50"]);
/// ```
pub fn describe_differences(stored: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten("", stored, &mut a);
    flatten("", new, &mut b);
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(k), b.get(k));
            (x != y).then(|| {
                format!(
                    "{k}: {} -> {}",
                    x.map_or("(absent)", String::as_str),
                    y.map_or("(absent)", String::as_str)
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(files: &[&str]) -> Manifest {
        Manifest {
            format: FORMAT,
            tickflow_version: "test".into(),
            complete: false,
            identity: serde_json::json!({}),
            ts: "date32".into(),
            columns: vec![],
            runs: vec![],
            checkpoint: Some(CheckpointRef {
                epoch: 2,
                last_ts: Some(5),
                workers: 1,
            }),
            next_seq: 0,
            history: vec![],
            actions: vec![],
            market: None,
            files: files
                .iter()
                .map(|p| StoreFile {
                    path: p.to_string(),
                    partition: "year=2020".into(),
                    rows: 1,
                })
                .collect(),
            rows_out: 0,
            partitions: BTreeMap::new(),
            positions: None,
            late_applied: BTreeMap::new(),
        }
    }

    #[test]
    fn prune_keeps_exactly_what_the_manifest_lists() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let part = root.join("year=2020");
        std::fs::create_dir_all(&part).unwrap();
        for f in [
            "part-000-00000000.parquet",
            "part-000-00000001.parquet",
            ".part-001-00000002.parquet.tmp",
            "notes.txt",
        ] {
            std::fs::write(part.join(f), b"x").unwrap();
        }
        for e in [1, 2] {
            std::fs::create_dir_all(checkpoint_dir(root, e)).unwrap();
        }
        std::fs::write(root.join("_rejects.csv"), b"x").unwrap();
        let m = manifest(&["year=2020/part-000-00000000.parquet"]);
        let removed = prune(root, Some(&m)).unwrap();
        assert_eq!(removed.len(), 3, "{removed:?}");
        assert!(part.join("part-000-00000000.parquet").exists());
        assert!(!part.join("part-000-00000001.parquet").exists());
        assert!(part.join("notes.txt").exists(), "not ours");
        assert!(root.join("_rejects.csv").exists());
        assert!(checkpoint_dir(root, 2).exists() && !checkpoint_dir(root, 1).exists());
        prune(root, None).unwrap();
        assert!(!part.join("part-000-00000000.parquet").exists());
        assert!(!checkpoint_dir(root, 2).exists());
    }

    #[test]
    fn save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Manifest::load(dir.path()).unwrap().is_none());
        let m = manifest(&["a"]);
        m.save(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), Some(m));
        std::fs::write(dir.path().join(MANIFEST), r#"{"rows_out": 3}"#).unwrap();
        let e = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("another tickflow version"), "{e}");
    }
}
