//! A slice of the S&P 500 panel held in memory for tests that cut it in
//! parts (a store's input and what an append brings), and the check every
//! reference-change test makes: an append equals a rebuild and leaves the
//! view as of before it as first published.

use super::versions::{assert_known_before, assert_same, rows, values, Row};
use arrow_array::RecordBatch;
use std::path::{Path, PathBuf};
use tickflow::backfill::{self, BackfillArgs};
use tickflow::durable::manifest::RevisionRecord;

/// Every `every`-th symbol of the panel (see [`super::panel_slice`]).
pub struct Slice {
    /// The CSV header.
    pub header: String,
    /// The rows, in file order (grouped by symbol).
    pub lines: Vec<String>,
    /// The distinct dates, in order.
    pub dates: Vec<String>,
    dir: PathBuf,
}

impl Slice {
    /// The slice, its files to be written under `dir`.
    pub fn new(dir: &Path, every: usize) -> Self {
        let text = std::fs::read_to_string(super::panel_slice(dir, every)).unwrap();
        let mut lines = text.lines().map(String::from);
        let header = lines.next().unwrap();
        let lines: Vec<String> = lines.collect();
        let mut dates: Vec<String> = lines.iter().map(|l| l[..10].to_string()).collect();
        dates.sort_unstable();
        dates.dedup();
        Self {
            header,
            lines,
            dates,
            dir: dir.to_path_buf(),
        }
    }

    /// The date `back` dates before the end (1: the last).
    pub fn date_back(&self, back: usize) -> &str {
        &self.dates[self.dates.len() - back]
    }

    /// The symbols, in file order.
    pub fn symbols(&self) -> Vec<&str> {
        let mut out: Vec<&str> = (self.lines.iter())
            .map(|l| l.rsplit(',').next().unwrap())
            .collect();
        out.dedup();
        out
    }

    /// Writes `name` in the slice's directory.
    pub fn write(&self, name: &str, body: String) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, body).unwrap();
        path
    }

    /// Writes `name`: the header and `rows`.
    pub fn write_rows(&self, name: &str, rows: &[String]) -> PathBuf {
        self.write(name, format!("{}\n{}\n", self.header, rows.join("\n")))
    }

    /// Writes `name`: the rows whose date `keep` keeps.
    pub fn write_part(&self, name: &str, keep: impl Fn(&str) -> bool) -> PathBuf {
        let kept: Vec<String> = (self.lines.iter())
            .filter(|l| keep(&l[..10]))
            .cloned()
            .collect();
        self.write_rows(name, &kept)
    }
}

/// What [`append_equals_rebuild`] saw.
pub struct Appended {
    /// The store's rows before the append.
    pub original: RecordBatch,
    /// Its latest rows after it.
    pub latest: RecordBatch,
    /// The append's revisions.
    pub revised: RevisionRecord,
    /// The last bar time before the append.
    pub last_old: i64,
}

impl Appended {
    /// The latest rows unlike their version before the append (rows the
    /// append added left out).
    pub fn changed(&self) -> Vec<Row> {
        let was: std::collections::HashMap<(String, i64), Row> = values(&self.original)
            .into_iter()
            .map(|r| ((r.0.clone(), r.1), r))
            .collect();
        values(&self.latest)
            .into_iter()
            .filter(|r| was.get(&(r.0.clone(), r.1)).is_some_and(|old| old != r))
            .collect()
    }
}

/// Builds a store of `old` with `args(input, output, false)` under `dir`,
/// appends `new` with `args(.., true)` (which must revise it), and checks
/// that its latest view equals a rebuild of `all` with `args(.., true)`
/// and that its view as of before the append is the original store.
pub fn append_equals_rebuild(
    dir: &Path,
    [old, new, all]: [&Path; 3],
    args: impl Fn(&Path, &Path, bool) -> BackfillArgs,
) -> Appended {
    let store = dir.join("store");
    backfill::run(&args(old, &store, false)).unwrap();
    let original = rows(&store, None, None);
    let run = backfill::run(&BackfillArgs {
        append: true,
        ..args(new, &store, true)
    })
    .unwrap();
    let revised = run.revisions.expect("the append revised the store");

    let rebuild = dir.join("rebuild");
    backfill::run(&args(all, &rebuild, true)).unwrap();
    let latest = rows(&store, None, None);
    assert_same(&latest, &rows(&rebuild, None, None), "latest vs rebuild");

    let last_old = assert_known_before(&store, &original, "the as-of view before the append");
    Appended {
        original,
        latest,
        revised,
        last_old,
    }
}
