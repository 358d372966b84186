//! Point-in-time queries of a feature store: the rows of a time window (and
//! optionally of some symbols and columns) as one table sorted by
//! `(ts, symbol)`, with `symbol` and `ts` first. The work is pushed into the
//! store: partitions outside the window are not opened, Parquet row groups
//! are skipped by their `ts` statistics, only the wanted columns are decoded,
//! and the row predicate runs on `symbol` and `ts` before the rest. The
//! files come from the manifest, so a query never sees a file of an
//! unfinished run. Files are scanned on every core.
//!
//! [`query`] is the reader function; [`run`] writes its result as a table,
//! CSV or Parquet (see [`print`]).

pub mod print;
mod scan;
mod window;

pub(crate) use scan::scan_file;
pub use scan::{ScanCounts, Selection};
pub(crate) use window::bound;
pub use window::Window;

use crate::durable::manifest::{store_error, ts_kind_of, Manifest};
use crate::{Result, TickflowError};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Schema};
use print::QueryFormat;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tickflow_connectors::TsKind;

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct QueryArgs {
    /// The store directory (with its `_manifest.json`).
    pub store: PathBuf,
    /// First bar time, inclusive (`YYYY-MM-DD` or a time); `None`: the first.
    pub from: Option<String>,
    /// Last bar time, inclusive (a date means all of that day); `None`: the last.
    pub to: Option<String>,
    /// Only bar times after this one (the store's unit: days or
    /// microseconds), for readers that know where they left off.
    pub after: Option<i64>,
    /// The values as they were known at this time.
    pub as_of: Option<String>,
    /// Only these symbols; `None`: all.
    pub symbols: Option<Vec<String>>,
    /// These columns after `symbol` and `ts`, in this order; `None`: all.
    pub columns: Option<Vec<String>>,
    /// Threads scanning files (0: every core).
    pub threads: usize,
    /// `false`: read every file whole and filter afterwards (a full scan,
    /// for comparison).
    pub full_scan: bool,
}

/// A query's rows and what it took to find them.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The rows, sorted by `(ts, symbol)`.
    pub batch: RecordBatch,
    /// The store's time kind.
    pub ts_kind: TsKind,
    /// Files in the store.
    pub files_in_store: u64,
    /// What was read.
    pub counts: ScanCounts,
}

/// Runs a query.
///
/// ```no_run
/// use tickflow::query::{query, QueryArgs};
/// let r = query(&QueryArgs {
///     store: "store".into(),
///     from: Some("2016-03-01".into()),
///     to: Some("2016-03-31".into()),
///     symbols: Some(vec!["AAPL".into()]),
///     columns: Some(vec!["close".into(), "rsi_14".into()]),
///     ..Default::default()
/// })?;
/// println!("{} rows", r.batch.num_rows());
/// # Ok::<(), tickflow::TickflowError>(())
/// ```
pub fn query(args: &QueryArgs) -> Result<QueryResult> {
    let scanned = scan(args)?;
    let batch = sort_by_ts_symbol(&scanned.schema, &scanned.batches)
        .map_err(|e| store_error(&args.store, e))?;
    Ok(QueryResult {
        batch,
        ts_kind: scanned.ts_kind,
        files_in_store: scanned.files_in_store,
        counts: scanned.counts,
    })
}

/// A query's rows before sorting: batches in file order, each with the
/// query's columns in the query's order.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The columns' schema (`symbol`, `ts`, then the wanted columns).
    pub schema: Arc<Schema>,
    /// The rows, in no particular order.
    pub batches: Vec<RecordBatch>,
    /// The store's time kind.
    pub ts_kind: TsKind,
    /// Files in the store.
    pub files_in_store: u64,
    /// What was read.
    pub counts: ScanCounts,
}

/// Reads a query's rows without sorting them (for readers that index the
/// rows themselves, such as the backtest's panel).
pub fn scan(args: &QueryArgs) -> Result<Scanned> {
    let root = &args.store;
    let manifest = Manifest::load(root)?.ok_or_else(|| {
        store_error(
            root,
            "not a tickflow store (no _manifest.json); give the directory a backfill or live run wrote",
        )
    })?;
    let ts_kind = match ts_kind_of(&manifest.ts) {
        Some(kind) => kind,
        None if manifest.ts.is_empty() => {
            return Err(store_error(root, "the store holds no rows yet"))
        }
        None => {
            let message = format!("unknown time kind `{}`", manifest.ts);
            return Err(store_error(root, message));
        }
    };
    let columns = resolve_columns(&manifest.columns, args.columns.as_deref())?;
    let mut window = Window::parse(
        ts_kind,
        args.from.as_deref(),
        args.to.as_deref(),
        args.as_of.as_deref(),
    )?;
    if let Some(after) = args.after {
        window.lo = window.lo.max(after.saturating_add(1));
    }
    let known_by = args
        .as_of
        .as_deref()
        .map(|t| bound("--as-of", t, TsKind::Micros, true))
        .transpose()?;
    let selection = Selection {
        window,
        symbols: args
            .symbols
            .as_ref()
            .map(|s| Arc::new(s.iter().cloned().collect::<HashSet<_>>())),
        known_by,
    };
    // As of a time, the superseded versions that were current then count too.
    let history = known_by.map_or(&[][..], |_| &manifest.history[..]);
    let files: Vec<&str> = manifest
        .files
        .iter()
        .chain(history)
        .filter(|f| args.full_scan || window.may_hold(ts_kind, &f.partition))
        .map(|f| f.path.as_str())
        .collect();
    let mut read = columns.clone();
    for key in selection.keys() {
        if !read.iter().any(|c| c == key) {
            read.push(key.to_string());
        }
    }
    let (batches, counts) = scan_all(root, &files, &read, &selection, args)?;
    let file_schema = match (batches.first(), manifest.files.first()) {
        (Some(b), _) => b.schema(),
        (None, Some(f)) => {
            let path = root.join(&f.path);
            scan::file_schema(&path).map_err(|e| store_error(&path, e))?
        }
        (None, None) => return Err(store_error(root, "the store lists no files")),
    };
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| file_schema.field_with_name(c).cloned())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| store_error(root, e.to_string()))?,
    ));
    let batches = batches
        .iter()
        .map(|b| {
            let idx: Vec<usize> = columns
                .iter()
                .map(|c| b.schema().index_of(c))
                .collect::<Result<_, _>>()?;
            b.project(&idx)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store_error(root, e.to_string()))?;
    Ok(Scanned {
        schema,
        batches,
        ts_kind,
        files_in_store: manifest.files.len() as u64,
        counts,
    })
}

/// Runs a query and writes its rows in `format` to `output` (standard
/// output when `None`; Parquet needs a file). A closed pipe (`| head`)
/// ends the output quietly.
pub fn run(args: &QueryArgs, format: QueryFormat, output: Option<&Path>) -> Result<QueryResult> {
    if format == QueryFormat::Parquet && output.is_none() {
        return Err(TickflowError::Config {
            path: "--format".into(),
            message: "parquet output needs --output FILE".into(),
        });
    }
    let result = query(args)?;
    let batch = &result.batch;
    let written = match (format, output) {
        (QueryFormat::Parquet, Some(path)) => print::write_parquet(batch, path),
        (QueryFormat::Csv, Some(path)) => print::write_file(path, |w| print::write_csv(batch, w)),
        (QueryFormat::Table, Some(path)) => {
            print::write_file(path, |w| print::write_table(batch, w))
        }
        (_, None) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let r = if format == QueryFormat::Csv {
                print::write_csv(batch, &mut out)
            } else {
                print::write_table(batch, &mut out)
            };
            match r.and_then(|()| std::io::Write::flush(&mut out)) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other,
            }
        }
    };
    written.map_err(|e| TickflowError::Output {
        path: output.map_or("standard output".into(), |p| p.display().to_string()),
        message: e.to_string(),
    })?;
    Ok(result)
}

/// `symbol`, `ts`, then the wanted columns (all others by default), each
/// checked against the store's.
fn resolve_columns(store: &[String], wanted: Option<&[String]>) -> Result<Vec<String>> {
    let mut out = vec!["symbol".to_string(), "ts".to_string()];
    match wanted {
        None => out.extend(
            store
                .iter()
                .filter(|c| *c != "symbol" && *c != "ts")
                .cloned(),
        ),
        Some(wanted) => {
            for c in wanted {
                if !store.contains(c) {
                    return Err(TickflowError::Config {
                        path: "--columns".into(),
                        message: format!(
                            "the store has no column `{c}`; it has: {}",
                            store.join(", ")
                        ),
                    });
                }
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
    }
    Ok(out)
}

type FileBatches = (Vec<RecordBatch>, ScanCounts);

/// Scans the files on `args.threads` threads.
fn scan_all(
    root: &Path,
    files: &[&str],
    columns: &[String],
    selection: &Selection,
    args: &QueryArgs,
) -> Result<FileBatches> {
    let parts = in_parallel(files.len(), args.threads, |i| {
        let path = root.join(files[i]);
        scan::scan_file(&path, columns, selection, !args.full_scan)
            .map_err(|e| store_error(&path, e))
    })?;
    let mut total = ScanCounts::default();
    let mut batches = Vec::new();
    for (b, c) in parts {
        total.add(c);
        batches.extend(b);
    }
    Ok((batches, total))
}

/// `f(i)` for every `i` in `0..n` on `threads` threads (0: every core),
/// each thread taking the next `i` until one fails: the results in `i`
/// order, or the first error.
pub fn in_parallel<T: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(n)
    .max(1);
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(n));
    let failed: Mutex<Option<TickflowError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || failed.lock().expect("no panics").is_some() {
                    return;
                }
                match f(i) {
                    Ok(v) => out.lock().expect("no panics").push((i, v)),
                    Err(e) => {
                        failed.lock().expect("no panics").get_or_insert(e);
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().expect("no panics") {
        return Err(e);
    }
    let mut parts = out.into_inner().expect("no panics");
    parts.sort_by_key(|(i, _)| *i);
    Ok(parts.into_iter().map(|(_, v)| v).collect())
}

/// The bar times of a store's `ts` column (Date32 days or Timestamp
/// microseconds) as `i64` in the store's unit.
pub fn ts_values(column: &ArrayRef) -> Vec<i64> {
    match column.data_type() {
        DataType::Date32 => column
            .as_primitive::<Date32Type>()
            .values()
            .iter()
            .map(|&d| i64::from(d))
            .collect(),
        _ => column
            .as_primitive::<TimestampMicrosecondType>()
            .values()
            .to_vec(),
    }
}

/// The batches as one, rows ordered by `(ts, symbol)`.
pub(crate) fn sort_by_ts_symbol(
    schema: &Arc<Schema>,
    batches: &[RecordBatch],
) -> std::result::Result<RecordBatch, String> {
    let all = arrow_select::concat::concat_batches(schema, batches).map_err(|e| e.to_string())?;
    if all.num_rows() == 0 {
        return Ok(all);
    }
    let ts = ts_values(all.column(1));
    let symbols = all.column(0).as_string::<i32>();
    let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        ts[a]
            .cmp(&ts[b])
            .then_with(|| symbols.value(a).cmp(symbols.value(b)))
    });
    if order.windows(2).all(|w| w[0] < w[1]) {
        return Ok(all);
    }
    arrow_select::take::take_record_batch(&all, &UInt32Array::from(order))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_put_the_keys_first_and_name_unknown_ones() {
        let store: Vec<String> = ["symbol", "ts", "sector", "close", "rsi_14"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            resolve_columns(&store, None).unwrap(),
            ["symbol", "ts", "sector", "close", "rsi_14"]
        );
        let wanted = ["rsi_14".to_string(), "ts".to_string(), "close".to_string()];
        assert_eq!(
            resolve_columns(&store, Some(&wanted)).unwrap(),
            ["symbol", "ts", "rsi_14", "close"]
        );
        let e = resolve_columns(&store, Some(&["rsi_15".to_string()])).unwrap_err();
        assert!(e.to_string().contains("rsi_15") && e.to_string().contains("rsi_14"));
    }
}
