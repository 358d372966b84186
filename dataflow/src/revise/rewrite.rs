//! Writing revised rows into the store: the cross-sections of every bar
//! time a revision touched, new versions of the rows that changed, each
//! rewritten file with its new versions in place of the old, the old
//! versions in `_history/` with `superseded_at`, and a checkpoint with the
//! revised symbols' states. The caller saves the manifest.

use super::recompute::{cross_section, same, NewRow, Revised};
use super::{Context, SUPERSEDED_AT};
use crate::chunks::OutputBlock;
use crate::durable::history::{self, revised_history_path, WorkerHistory};
use crate::durable::manifest::{
    checkpoint_dir, link_worker_files, revised_state_path, store_error, sync_dir, ts_kind_of,
    write_atomic, write_atomic_with, CheckpointRef, Manifest, StoreFile, HISTORY, HISTORY_PREFIX,
    HISTORY_SUFFIX,
};
use crate::durable::state_file;
use crate::error::{Result, TickflowError};
use crate::query::{scan_file, Selection, Window};
use crate::schema::{instant_array, instant_type, OutputSchema, BAR_COLUMNS};
use crate::sink::Sink;
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{Field, Schema};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use tickflow_connectors::{Interner, TsKind};
use tickflow_operators::cross_section::CrossSectionKernel;
use tickflow_operators::Bar;

/// A store file holding rows at revised bar times.
struct Touched {
    /// Its index in the manifest's files.
    file: usize,
    rows: RecordBatch,
    /// Its value columns.
    values: Vec<Float64Array>,
}

/// A new version of a row.
struct Version {
    symbol: String,
    ts: i64,
    sector: Option<String>,
    bar: Bar,
    values: Vec<f64>,
}

/// What one writer thread writes: a touched file's rows `at` replaced by
/// the new versions (or, without a file, new rows), the new versions.
type Job<'t> = (Option<(&'t Touched, Vec<usize>)>, RecordBatch);

/// A stored row: (touched file, row).
type Located = (usize, usize);

/// Where a new version goes: in place of row `row` of touched file
/// `file`, or a new row.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Replaces { file: usize, row: usize },
    Added,
}

fn failed(root: &Path, e: impl std::fmt::Display) -> TickflowError {
    store_error(root, e.to_string())
}

/// Writes the revised rows and their cross-sections, and the
/// cross-sections of the bar times `extra` (see the module docs); updates
/// `manifest` (files, history, checkpoint). Returns the number of new row
/// versions.
pub fn rewrite(
    cx: &Context<'_>,
    manifest: &mut Manifest,
    revised: &[Revised],
    extra: &BTreeSet<i64>,
) -> Result<u64> {
    let root = cx.root;
    let kind = ts_kind_of(&manifest.ts).ok_or_else(|| failed(root, "the store holds no rows"))?;
    let schema = store_schema(root, manifest, kind)?;
    let times: BTreeSet<i64> = (revised.iter())
        .flat_map(|r| r.rows.keys().copied())
        .chain(extra.iter().copied())
        .collect();
    let (Some(&lo), Some(&hi)) = (times.first(), times.last()) else {
        // the revisions changed bars no value depends on... and no row: only
        // the states move on
        return write_checkpoint(cx, manifest, revised).map(|()| 0);
    };
    let touched = read_touched(root, manifest, &schema, Window { lo, hi })?;
    let versions = new_versions(cx, &touched, revised, &times)?;
    let count = versions.len() as u64;
    let mut by_file: BTreeMap<usize, Vec<(usize, Version)>> = BTreeMap::new();
    let mut added = Vec::new();
    for (place, v) in versions {
        match place {
            Place::Replaces { file, row } => by_file.entry(file).or_default().push((row, v)),
            Place::Added => added.push(v),
        }
    }
    // each touched file with its new versions in place of the old, and
    // the old in history, one file per thread; the added rows apart
    let mut jobs: Vec<Job> = Vec::new();
    let mut replaced = Vec::new();
    for (k, rows) in by_file {
        let (at, new): (Vec<usize>, Vec<Version>) = rows.into_iter().unzip();
        jobs.push((
            Some((&touched[k], at)),
            versions_batch(&schema, new, cx.known_at),
        ));
        replaced.push(touched[k].file);
    }
    if !added.is_empty() {
        added.sort_by(|a, b| (a.ts, &a.symbol).cmp(&(b.ts, &b.symbol)));
        jobs.push((None, versions_batch(&schema, added, cx.known_at)));
    }
    let mut seq = manifest.next_seq;
    let written = std::thread::scope(|s| {
        let threads: Vec<_> = (jobs.iter())
            .map(|(old, new)| {
                let data_seq = seq;
                seq += most_files(cx, old.as_ref().map_or(new, |(t, _)| &t.rows));
                let history_seq = seq;
                seq += most_files(cx, new);
                let job = (old.as_ref().map(|(t, at)| (*t, at.as_slice())), new);
                let schema = &schema;
                s.spawn(move || write_job(cx, (kind, schema), job, (data_seq, history_seq)))
            })
            .collect();
        (threads.into_iter())
            .map(|t| (t.join()).unwrap_or_else(|_| Err(failed(root, "a file writer panicked"))))
            .collect::<Result<Vec<_>>>()
    })?;
    let (files, history): (Vec<Vec<StoreFile>>, Vec<Vec<StoreFile>>) = written.into_iter().unzip();
    // the files the new versions replace leave the listing (and the disk,
    // once the manifest is saved)
    for &k in replaced.iter().rev() {
        let f = manifest.files.remove(k);
        *manifest.partitions.entry(f.partition.clone()).or_default() -= f.rows;
        manifest.rows_out -= f.rows;
    }
    manifest.add_files(files.into_iter().flatten().collect());
    manifest.history.extend(history.into_iter().flatten());
    manifest.history.sort_by(|a, b| a.path.cmp(&b.path));
    manifest.advance_seq();
    write_checkpoint(cx, manifest, revised)?;
    Ok(count)
}

/// The most files [`write`] makes of `rows` (in time order): one per
/// partition, and one more each time a file fills up.
fn most_files(cx: &Context<'_>, rows: &RecordBatch) -> u64 {
    let ts = crate::query::ts_values(rows.column(1));
    let partitions = 1
        + (ts.windows(2))
            .filter(|w| w[1] >= crate::sink::partition_end(cx.ts_kind, w[0]))
            .count();
    (partitions + rows.num_rows().div_ceil(cx.sink.file_rows)) as u64
}

/// The store's output schema, checked against its manifest.
fn store_schema(root: &Path, manifest: &Manifest, kind: TsKind) -> Result<OutputSchema> {
    // symbol, ts, sector, the bar, the values, known_at
    let columns = &manifest.columns;
    let values = columns
        .get(3 + BAR_COLUMNS.len()..columns.len().saturating_sub(1))
        .unwrap_or_default();
    let schema = OutputSchema::new(kind, values.to_vec(), false);
    match schema.column_names() == *columns {
        true => Ok(schema),
        false => Err(failed(
            root,
            "the manifest's columns are not a feature store's",
        )),
    }
}

/// The listed files with rows in `window`, whole.
fn read_touched(
    root: &Path,
    manifest: &Manifest,
    schema: &OutputSchema,
    window: Window,
) -> Result<Vec<Touched>> {
    let kind = schema.ts_kind();
    let all = Selection {
        window: Window {
            lo: i64::MIN,
            hi: i64::MAX,
        },
        symbols: None,
        known_by: None,
    };
    let within = Selection {
        window,
        ..all.clone()
    };
    let read = |k: usize| -> Result<Option<Touched>> {
        let path = root.join(&manifest.files[k].path);
        // the bar times first: most files of a partition hold none of them
        let (hits, _) =
            scan_file(&path, &["ts".to_string()], &within, true).map_err(|e| failed(&path, e))?;
        if hits.iter().all(|b| b.num_rows() == 0) {
            return Ok(None);
        }
        let (batches, _) =
            scan_file(&path, &manifest.columns, &all, true).map_err(|e| failed(&path, e))?;
        let in_file = batches
            .first()
            .map(|b| b.schema())
            .ok_or_else(|| failed(&path, "no rows"))?;
        let rows = arrow_select::concat::concat_batches(&in_file, &batches)
            .map_err(|e| failed(&path, e))?;
        let values = schema
            .value_columns()
            .iter()
            .map(|c| {
                rows.column_by_name(c)
                    .and_then(|a| a.as_primitive_opt::<Float64Type>())
                    .cloned()
                    .ok_or_else(|| failed(&path, format!("no f64 column `{c}`")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Touched {
            file: k,
            rows,
            values,
        }))
    };
    let candidates: Vec<usize> = (0..manifest.files.len())
        .filter(|&k| window.may_hold(kind, &manifest.files[k].partition))
        .collect();
    // on every core, each thread taking the next file
    let out = crate::query::in_parallel(candidates.len(), 0, |i| read(candidates[i]))?;
    Ok(out.into_iter().flatten().collect())
}

/// The rows at each revised time whose bar or values change, with where
/// each new version goes.
fn new_versions(
    cx: &Context<'_>,
    touched: &[Touched],
    revised: &[Revised],
    times: &BTreeSet<i64>,
) -> Result<Vec<(Place, Version)>> {
    let width = cx.engine.columns().len();
    let mine: HashMap<&str, &BTreeMap<i64, NewRow>> = revised
        .iter()
        .map(|r| (r.symbol.as_str(), &r.rows))
        .collect();
    // every stored row at a revised time: (time, symbol, file, row)
    let mut at: BTreeMap<i64, Vec<(&str, Option<Located>)>> = BTreeMap::new();
    for (k, t) in touched.iter().enumerate() {
        let ts = crate::query::ts_values(t.rows.column(1));
        let symbol = t.rows.column(0).as_string::<i32>();
        for (r, time) in ts.iter().enumerate() {
            if times.contains(time) {
                at.entry(*time)
                    .or_default()
                    .push((symbol.value(r), Some((k, r))));
            }
        }
    }
    for r in revised {
        for (&t, row) in r.rows.iter().filter(|(_, row)| row.added) {
            debug_assert!(row.added);
            at.entry(t).or_default().push((r.symbol.as_str(), None));
        }
    }
    let mut kernel = CrossSectionKernel::new(cx.options.clone())?;
    let mut out = Vec::new();
    for (t, mut rows) in at {
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(failed(
                cx.root,
                format!("two rows of {} at one bar time", w[0].0),
            ));
        }
        // each row's stored values and its features as they are now
        let stored_values = |k: usize, r: usize| -> Vec<f64> {
            touched[k]
                .values
                .iter()
                .map(|a| if a.is_null(r) { f64::NAN } else { a.value(r) })
                .collect()
        };
        let mut features: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
        let mut sectors: Vec<Option<String>> = Vec::with_capacity(rows.len());
        let mut old: Vec<Option<Vec<f64>>> = Vec::with_capacity(rows.len());
        for &(symbol, place) in &rows {
            let stored = place.map(|(k, r)| stored_values(k, r));
            let new = mine.get(symbol).and_then(|m| m.get(&t));
            let f = match (new, &stored) {
                (Some(n), _) => n.features.clone(),
                (None, Some(s)) => s[..width].to_vec(),
                (None, None) => unreachable!("an added row is a revised row"),
            };
            let sector = match (new, place) {
                (Some(n), _) => n.sector.clone(),
                (None, Some((k, r))) => {
                    let s = touched[k].rows.column(2).as_string::<i32>();
                    (!s.is_null(r)).then(|| s.value(r).to_string())
                }
                (None, None) => None,
            };
            features.push(f);
            sectors.push(sector);
            old.push(stored);
        }
        let micros = crate::schema::ts_micros(cx.ts_kind, t);
        let member: Vec<bool> = rows
            .iter()
            .map(|&(symbol, _)| cx.universe.is_none_or(|u| u.contains(symbol, micros)))
            .collect();
        let inputs: Vec<Vec<f64>> = cx
            .cross
            .iter()
            .map(|&c| {
                features
                    .iter()
                    .zip(&member)
                    .map(|(f, &m)| if m { f[c] } else { f64::NAN })
                    .collect()
            })
            .collect();
        let sector_refs: Vec<Option<&str>> = sectors.iter().map(Option::as_deref).collect();
        let cs = cross_section(&mut kernel, &sector_refs, &inputs);
        for (i, &(symbol, place)) in rows.iter().enumerate() {
            let mut values = std::mem::take(&mut features[i]);
            values.extend(cs.iter().map(|c| c[i]));
            let new = mine.get(symbol).and_then(|m| m.get(&t));
            let bar_changed = new.is_some();
            let unchanged = !bar_changed
                && old[i]
                    .as_ref()
                    .is_some_and(|o| o.iter().zip(&values).all(|(&a, &b)| same(a, b)));
            if unchanged {
                continue;
            }
            let bar = match (new, place) {
                (Some(n), _) => n.bar,
                (None, Some((k, r))) => stored_bar(&touched[k].rows, r),
                (None, None) => unreachable!("an added row is a revised row"),
            };
            let place = match place {
                Some((file, row)) => Place::Replaces { file, row },
                None => Place::Added,
            };
            out.push((
                place,
                Version {
                    symbol: symbol.to_string(),
                    ts: t,
                    sector: sectors[i].take(),
                    bar,
                    values,
                },
            ));
        }
    }
    Ok(out)
}

fn stored_bar(rows: &RecordBatch, r: usize) -> Bar {
    let v = |c: usize| rows.column(3 + c).as_primitive::<Float64Type>().value(r);
    Bar {
        open: v(0),
        high: v(1),
        low: v(2),
        close: v(3),
        volume: v(4),
    }
}

/// New versions as rows of the store's schema, known from `known_at`.
fn versions_batch(schema: &OutputSchema, versions: Vec<Version>, known_at: i64) -> RecordBatch {
    let (mut symbols, mut sectors) = (Interner::default(), Interner::default());
    let n = versions.len();
    let width = versions.first().map_or(0, |v| v.values.len());
    let mut block = OutputBlock {
        symbol: Vec::with_capacity(n),
        ts: Vec::with_capacity(n),
        sector: Vec::with_capacity(n),
        bar: Default::default(),
        values: (0..width).map(|_| Vec::with_capacity(n)).collect(),
    };
    for v in versions {
        block.symbol.push(symbols.intern(&v.symbol));
        block.ts.push(v.ts);
        block
            .sector
            .push(v.sector.as_deref().map(|s| sectors.intern(s)));
        for (c, x) in
            block
                .bar
                .iter_mut()
                .zip([v.bar.open, v.bar.high, v.bar.low, v.bar.close, v.bar.volume])
        {
            c.push(x);
        }
        for (c, x) in block.values.iter_mut().zip(v.values) {
            c.push(x);
        }
    }
    let batch = schema.to_batch(block, &symbols, &sectors);
    let mut columns = batch.columns().to_vec();
    *columns.last_mut().expect("known_at is last") = instant_array(vec![known_at; n]);
    RecordBatch::try_new(batch.schema(), columns).expect("the same schema")
}

/// `old` with row `at[j]` replaced by row `j` of `new`.
fn splice(
    old: &RecordBatch,
    new: &RecordBatch,
    at: &[usize],
) -> std::result::Result<RecordBatch, String> {
    let mut source: Vec<(usize, usize)> = (0..old.num_rows()).map(|r| (0, r)).collect();
    for (j, &r) in at.iter().enumerate() {
        source[r] = (1, j);
    }
    let columns = (0..old.num_columns())
        .map(|c| {
            arrow_select::interleave::interleave(
                &[old.column(c).as_ref(), new.column(c).as_ref()],
                &source,
            )
        })
        .collect::<std::result::Result<Vec<ArrayRef>, _>>()
        .map_err(|e| e.to_string())?;
    RecordBatch::try_new(old.schema(), columns).map_err(|e| e.to_string())
}

/// Writes rows in (ts, symbol) order as complete files.
fn write(sink: &mut Sink, rows: &RecordBatch) -> std::result::Result<(), String> {
    let ts = crate::query::ts_values(rows.column(1));
    sink.write(rows, &ts)?;
    sink.complete_all()
}

/// Writes one job's rows: `old`'s file (if any) with the rows `at` replaced
/// by `new`, and those rows as history; or `new` alone (added rows). Data
/// files are numbered from `data_seq`, history files from `history_seq`.
fn write_job(
    cx: &Context<'_>,
    (kind, schema): (TsKind, &OutputSchema),
    (old, new): (Option<(&Touched, &[usize])>, &RecordBatch),
    (data_seq, history_seq): (u64, u64),
) -> Result<(Vec<StoreFile>, Vec<StoreFile>)> {
    let root = cx.root;
    let mut sink = Sink::new(root, 0, schema.clone(), cx.sink.clone()).starting_at(data_seq);
    let Some((t, at)) = old else {
        write(&mut sink, new).map_err(|e| failed(root, e))?;
        return Ok((sink.take_completed(), Vec::new()));
    };
    let spliced = splice(&t.rows, new, at).map_err(|e| failed(root, e))?;
    write(&mut sink, &spliced).map_err(|e| failed(root, e))?;
    drop(spliced);
    let superseded = arrow_select::take::take_record_batch(
        &t.rows,
        &UInt32Array::from_iter_values(at.iter().map(|&r| r as u32)),
    )
    .map_err(|e| failed(root, e))?;
    let history = write_history(cx, kind, &superseded, history_seq)?;
    Ok((sink.take_completed(), history))
}

/// Superseded versions (in a file's order), each with `superseded_at`, as
/// history files numbered from `seq`.
fn write_history(
    cx: &Context<'_>,
    kind: TsKind,
    superseded: &RecordBatch,
    seq: u64,
) -> Result<Vec<StoreFile>> {
    let root = cx.root;
    let mut fields: Vec<Field> = (superseded.schema().fields().iter())
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(SUPERSEDED_AT, instant_type(), false));
    let schema = Arc::new(Schema::new(fields));
    let mut columns = superseded.columns().to_vec();
    columns.push(instant_array(vec![cx.known_at; superseded.num_rows()]));
    let rows = RecordBatch::try_new(schema.clone(), columns).map_err(|e| failed(root, e))?;
    let dir = root.join(HISTORY);
    let mut sink = Sink::of_rows(&dir, 0, schema, kind, cx.sink.clone())
        .named(HISTORY_PREFIX, HISTORY_SUFFIX)
        .starting_at(seq);
    write(&mut sink, &rows).map_err(|e| failed(root, e))?;
    Ok(sink
        .take_completed()
        .into_iter()
        .map(|f| StoreFile {
            path: format!("{HISTORY}/{}", f.path),
            ..f
        })
        .collect())
}

/// A checkpoint after the manifest's: its worker files linked, and the
/// revised symbols' states and histories (with those of the revisions
/// before it since the workers last wrote theirs) in `revised.state` and
/// `revised.history`, which take their place.
fn write_checkpoint(cx: &Context<'_>, manifest: &mut Manifest, revised: &[Revised]) -> Result<()> {
    let root = cx.root;
    let Some(c) = manifest.checkpoint else {
        return Err(failed(root, "the store has no checkpoint to revise"));
    };
    let epoch = c.epoch + 1;
    let dir = checkpoint_dir(root, epoch);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| failed(&dir, e))?;
    for worker in 0..c.workers {
        link_worker_files(root, (c.epoch, epoch), worker)?;
    }
    let (state_from, kept_from) = (
        revised_state_path(root, c.epoch),
        revised_history_path(root, c.epoch),
    );
    let mut states = match state_from.exists() {
        true => state_file::read(&state_from).map_err(|e| failed(&state_from, e))?,
        false => state_file::WorkerState::default(),
    };
    let mut kept: WorkerHistory =
        history::read(&kept_from, |_| true).map_err(|e| failed(&kept_from, e))?;
    let new: HashMap<&str, &Revised> = revised.iter().map(|r| (r.symbol.as_str(), r)).collect();
    states.states.retain(|(s, _)| !new.contains_key(s.as_str()));
    kept.histories
        .retain(|(s, _)| !new.contains_key(s.as_str()));
    states
        .states
        .extend(revised.iter().map(|r| (r.symbol.clone(), r.state.clone())));
    kept.histories.extend(
        revised
            .iter()
            .map(|r| (r.symbol.clone(), r.history.clone())),
    );
    write_atomic(
        &revised_state_path(root, epoch),
        &state_file::encode(&states),
    )?;
    write_atomic_with(&revised_history_path(root, epoch), |f| {
        history::write(f, &kept)
    })?;
    sync_dir(&dir)?;
    manifest.checkpoint = Some(CheckpointRef { epoch, ..c });
    Ok(())
}
