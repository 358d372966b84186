//! Late bars as corrections. A bar behind a live run's frontier is late:
//! its time's cross-section is already out, so the run does not mix it into
//! the rows it is writing; it records the bar in `_late_bars.csv` (with its
//! partition and offset) and later applies it to the store as a revision
//! ([`crate::revise`]): the symbol replayed from its kept state before the
//! bar, its changed rows and the cross-sections they move given new
//! versions known from then, the superseded ones kept for `--as-of`.
//!
//! Late bars are applied when a run starts (those an earlier run read and
//! did not apply, after a crash say), every `[live] corrections_interval`
//! while it reads them (worker 0 pauses the run: every open bar time is
//! closed and checkpointed, the bars applied, and the run resumes from the
//! revised checkpoint), and when it ends. The manifest's `late_applied`
//! says, per partition, below which offset every late bar is applied; it is
//! saved with the revision, so a crash in between leaves them to the next
//! start. A late bar equal to the stored one changes nothing; one after
//! the store's last bar time (a time none of the symbols had when the
//! frontier passed it) has no stored cross-section to revise: it stays in
//! the late-bars file only, and is counted.
//!
//! Reference data is revised the same way: at those times the run's
//! sector and universe files, if they differ from those the store was
//! computed under, move the stored rows and cross-sections they change
//! ([`crate::revise::reference`]), and corporate actions new to the store
//! (`--actions`) revise its symbol's bars before their date; worker 0
//! also pauses the run when one of those files changes while it runs.

use crate::config::PipelineConfig;
use crate::durable::history;
use crate::durable::manifest::{store_error, Manifest, RevisionRecord};
use crate::error::Result;
use crate::reference::{Action, Actions, Market, SectorSchedule, Universe};
use crate::revise::{apply_now, Changes, Revision, Under};
use crate::schema::ts_micros;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use tickflow_connectors::{TsKind, TsParser};
use tickflow_operators::{Bar, FeatureEngine};

/// What the store is revised under: the run's features, cross-sections,
/// identity and reference data.
pub struct Corrector<'a> {
    /// The store's features.
    pub engine: &'a FeatureEngine,
    /// Cross-sections, sink, kept state copies.
    pub config: &'a PipelineConfig,
    /// The run's identity (with its sector and universe files' content).
    pub identity: &'a serde_json::Value,
    /// The run's sector schedule.
    pub sectors: &'a SectorSchedule,
    /// The universe the cross-sections are limited to.
    pub universe: Option<&'a Universe>,
    /// The run's corporate actions (`--actions`).
    pub actions: &'a [Action],
    /// How the reference files' times were read.
    pub ts: &'a TsParser,
    /// The symbol whose bars are the market series (`--market-symbol`).
    pub market_symbol: Option<&'a str>,
}

/// What one application did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corrected {
    /// Late bars newly applied (equal ones included).
    pub late: usize,
    /// Of those, bars recorded only: after the store's last bar time
    /// (or every one, in an f32 store).
    pub beyond: usize,
    /// The revision (`None`: nothing changed a stored row).
    pub record: Option<RevisionRecord>,
    /// How long it took (reading the late bars to saving the manifest).
    pub seconds: f64,
}

impl Corrected {
    /// What was done, in words.
    pub fn describe(&self) -> String {
        let r = self.record.unwrap_or_default();
        let mut what = Vec::new();
        if self.late > 0 || r.actions == 0 && !r.sectors && !r.universe {
            what.push(format!("{} late bars applied", self.late));
        }
        if r.actions > 0 {
            what.push(format!("{} corporate actions", r.actions));
        }
        if r.sectors {
            what.push("a changed sector schedule".into());
        }
        if r.universe {
            what.push("a changed universe".into());
        }
        let changed = match &self.record {
            Some(r) => format!("{} rows have a new version", r.rows),
            None => "no row changed".into(),
        };
        let beyond = match self.beyond {
            0 => String::new(),
            n => format!("; {n} stay in _late_bars.csv only"),
        };
        format!(
            "corrections: {}, {changed}{beyond} ({:.2} s)",
            what.join(" and "),
            self.seconds
        )
    }
}

/// The late-bars files of a store: `_late_bars.csv` and each cluster
/// process's `_late_bars.pI.csv`.
fn late_files(root: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(root).map_err(|e| store_error(root, e.to_string()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("_late_bars") && name.ends_with(".csv")
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

/// A late bar as recorded: symbol, bar time (the store's unit), bar.
type LateBar = (String, i64, Bar);

/// The late bars whose offset is at least `from`'s and below `to`'s for
/// their partition, in (partition, offset) order, in the store's time
/// unit `kind`.
fn read_late(
    root: &Path,
    (from, to): (&BTreeMap<i32, i64>, &BTreeMap<i32, i64>),
    kind: TsKind,
) -> Result<BTreeMap<(i32, i64), LateBar>> {
    let utc = TsParser::default();
    let mut out = BTreeMap::new();
    for path in late_files(root)? {
        let bad = |line: u64, what: &str| {
            store_error(
                &path,
                format!("line {line}: {what} (a damaged late-bars file)"),
            )
        };
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&path)
            .map_err(|e| store_error(&path, e.to_string()))?;
        let fields = r
            .headers()
            .map_err(|e| store_error(&path, e.to_string()))?
            .len();
        for record in r.records() {
            let record = record.map_err(|e| store_error(&path, e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != fields {
                // A line a crash cut short: of a message read after the
                // last checkpoint, which the next run reads again.
                continue;
            }
            let int = |i: usize| record.get(i).and_then(|t| t.parse::<i64>().ok());
            let (Some(p), Some(o)) = (int(0), int(1)) else {
                return Err(bad(line, "no partition and offset"));
            };
            let p = p as i32;
            let wanted =
                o >= from.get(&p).copied().unwrap_or(0) && to.get(&p).is_some_and(|&end| o < end);
            if !wanted {
                continue;
            }
            let ts = match record.get(3).and_then(|t| utc.parse(t)) {
                Some((k, ts)) if k == kind => ts,
                _ => return Err(bad(line, "a bar time of another kind than the store's")),
            };
            let value = |i: usize| record.get(i).and_then(|t| t.parse::<f64>().ok());
            let (Some(open), Some(high), Some(low), Some(close), Some(volume)) =
                (value(4), value(5), value(6), value(7), value(8))
            else {
                return Err(bad(line, "a price or volume that is not a number"));
            };
            let bar = Bar {
                open,
                high,
                low,
                close,
                volume,
            };
            let symbol = record.get(2).unwrap_or_default().to_string();
            out.insert((p, o), (symbol, ts, bar));
        }
    }
    Ok(out)
}

/// A live store's market series, its market symbol's stored closes with
/// the revision's changes: actions new to the store adjust the closes
/// before their dates (in date order, as the replay adjusts the symbol's
/// bars), and the symbol's late bars replace or add closes (the later of
/// a time winning). Also whether that differs from the stored series.
fn market_series(
    root: &Path,
    (symbol, kind): (&str, TsKind),
    new_actions: &[Action],
    revisions: &[Revision],
) -> Result<(Market, bool)> {
    let mut closes = super::market::stored_closes(root, symbol, None)?;
    let stored: BTreeMap<i64, u64> = closes.iter().map(|&(t, c)| (t, c.to_bits())).collect();
    let mut mine: Vec<Action> = (new_actions.iter())
        .filter(|a| a.symbol == symbol)
        .cloned()
        .collect();
    mine.sort_by_key(|a| a.date);
    for (t, close) in &mut closes {
        let mut bar = Bar {
            open: *close,
            high: *close,
            low: *close,
            close: *close,
            volume: 0.0,
        };
        crate::reference::actions::adjust(&mine, ts_micros(kind, *t), &mut bar);
        *close = bar.close;
    }
    let mut changed = !mine.is_empty();
    for r in revisions.iter().filter(|r| r.symbol == symbol) {
        changed |= stored.get(&r.ts) != Some(&r.bar.close.to_bits());
        closes.push((r.ts, r.bar.close));
    }
    // from_closes keeps the first close of a time: the later one first.
    closes.reverse();
    closes.sort_by_key(|&(t, _)| t);
    Ok((Market::from_closes(kind, closes), changed))
}

impl Corrector<'_> {
    /// Revises the store for what it does not reflect yet: the late bars
    /// read before its last checkpoint and not applied, corporate actions
    /// it does not know, and sector or universe files other than those it
    /// was computed under ([`crate::revise::reference`]); then saves the
    /// manifest saying so. `None`: there was nothing to do.
    pub fn apply(&self, root: &Path, manifest: &mut Manifest) -> Result<Option<Corrected>> {
        let started = std::time::Instant::now();
        let mut done = self.revise(root, manifest)?;
        if let Some(c) = &mut done {
            c.seconds = started.elapsed().as_secs_f64();
        }
        Ok(done)
    }

    fn revise(&self, root: &Path, manifest: &mut Manifest) -> Result<Option<Corrected>> {
        let new_actions = crate::reference::actions::new_to(&manifest.actions, self.actions)
            .map_err(|m| store_error(root, m))?;
        let identity_changed = manifest.identity != *self.identity;
        let kind = crate::durable::manifest::ts_kind_of(&manifest.ts);
        let (Some(kind), Some(checkpoint)) = (kind, manifest.checkpoint) else {
            // Nothing stored: the store takes the run's reference data.
            if identity_changed || !new_actions.is_empty() {
                manifest.identity = self.identity.clone();
                manifest.actions.extend(new_actions);
                manifest.save(root)?;
            }
            return Ok(None);
        };
        let consumed: BTreeMap<i32, i64> = (manifest.positions.iter())
            .flat_map(|p| p.partitions.iter())
            .map(|(&partition, at)| (partition, at.consumed))
            .collect();
        let late = read_late(root, (&manifest.late_applied, &consumed), kind)?;
        if late.is_empty() && new_actions.is_empty() && !identity_changed {
            return Ok(None);
        }
        let mut reference = crate::revise::reference::changes(
            root,
            (&manifest.identity, self.identity),
            (self.sectors, self.universe),
            self.ts,
            kind,
        )?;
        manifest.identity = self.identity.clone();
        manifest.actions.extend(new_actions.iter().cloned());
        if !consumed.is_empty() {
            manifest.late_applied = consumed;
        }
        let actions = Actions::new(manifest.actions.iter().cloned());
        let after = checkpoint.last_ts.unwrap_or(i64::MIN);
        let mut corrected = Corrected {
            late: late.len(),
            ..Corrected::default()
        };
        let revisions: Vec<Revision> = late
            .into_values()
            .filter(|(_, ts, _)| {
                let stored = *ts <= after;
                corrected.beyond += usize::from(!stored);
                stored
            })
            .map(|(symbol, ts, mut bar)| {
                let micros = ts_micros(kind, ts);
                actions.adjust(&symbol, micros, &mut bar);
                Revision {
                    sector: (self.sectors.at(&symbol, micros)).map(str::to_string),
                    symbol,
                    ts,
                    bar,
                }
            })
            .collect();
        let reference_changed = reference.sectors || reference.universe;
        if self.config.sink.float32 && (reference_changed || !new_actions.is_empty()) {
            return Err(store_error(
                root,
                "the sector or universe file changed, or corporate actions are new to the store, and an f32 store cannot recompute its cross-sections exactly; start a new --output directory",
            ));
        }
        if self.config.sink.float32 && !revisions.is_empty() {
            // Said once, when they would have been applied.
            eprintln!(
                "warning: {} late bars are in _late_bars.csv only: an f32 store cannot recompute its cross-sections exactly (use a float64 store to apply late bars)",
                revisions.len()
            );
            corrected.beyond = corrected.late;
            manifest.save(root)?;
            return Ok(Some(corrected));
        }
        if revisions.is_empty() && new_actions.is_empty() && !reference_changed {
            manifest.save(root)?;
            return Ok(Some(corrected));
        }
        // With a market symbol, a revised market replays every symbol.
        let (mut market, mut market_changed) = (None, false);
        let mut whole = std::mem::take(&mut reference.whole);
        if let Some(symbol) = self.market_symbol {
            let (series, changed) = market_series(root, (symbol, kind), &new_actions, &revisions)?;
            (market, market_changed) = (Some(series), changed);
            if changed {
                let states =
                    crate::durable::restore::restore_states(root, &checkpoint, self.engine)?;
                whole = states.states.into_keys().collect();
                whole.sort();
            }
        }
        let names: HashSet<&str> = (revisions.iter().map(|r| r.symbol.as_str()))
            .chain(new_actions.iter().map(|a| a.symbol.as_str()))
            .collect();
        let histories = history::read_all(root, (checkpoint.epoch, checkpoint.workers), |s| {
            names.contains(s)
        })
        .map_err(|e| store_error(root, format!("damaged checkpoint: {e}")))?;
        let under = Under {
            ts_kind: kind,
            histories: &histories,
            universe: self.universe,
            market: market.as_ref(),
            sectors: reference.sectors.then_some(self.sectors),
        };
        // One run record holds what all of its corrections revised.
        let earlier = manifest.current_run().revisions.take();
        let changes = Changes {
            revisions,
            actions: new_actions,
            whole,
            market: market_changed,
            ..reference
        };
        let applied = apply_now((root, self.engine, self.config), under, manifest, changes)?;
        corrected.record = applied.record;
        let merged = match (earlier, applied.record) {
            (Some(e), Some(r)) => Some(RevisionRecord {
                bars: e.bars + r.bars,
                rows: e.rows + r.rows,
                actions: e.actions + r.actions,
                market: e.market || r.market,
                sectors: e.sectors || r.sectors,
                universe: e.universe || r.universe,
                ..r
            }),
            (e, r) => r.or(e),
        };
        manifest.current_run().revisions = merged;
        manifest.save(root)?;
        Ok(Some(corrected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "partition,offset,symbol,ts,open,high,low,close,volume,frontier\n";

    #[test]
    fn late_bars_are_read_from_every_process_file_between_applied_and_consumed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("_late_bars.csv"),
            format!(
                "{HEADER}0,3,A,2024-01-04,1,2,0.5,1.5,10,2024-01-09\n0,9,A,2024-01-05,1,2,0.5,1.25,10,2024-01-09\n"
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("_late_bars.p1.csv"),
            format!("{HEADER}1,4,B,2024-01-03,1,2,0.5,1.75,10,2024-01-09\n"),
        )
        .unwrap();
        std::fs::write(root.join("_dead_letter.csv"), "partition,offset\n0,1\n").unwrap();
        // Partition 0 applied below 5, read below 10; partition 1 read below 5.
        let from = [(0, 5)].into();
        let to = [(0, 10), (1, 5)].into();
        let late = read_late(root, (&from, &to), TsKind::Date).unwrap();
        let got: Vec<_> = late
            .iter()
            .map(|(&(p, o), (s, ts, bar))| (p, o, s.as_str(), *ts, bar.close))
            .collect();
        let day = |d: &str| TsParser::default().parse(d).unwrap().1;
        assert_eq!(
            got,
            [
                (0, 9, "A", day("2024-01-05"), 1.25),
                (1, 4, "B", day("2024-01-03"), 1.75)
            ]
        );
        // Nothing read before the checkpoint for a partition: none of it.
        let late = read_late(root, (&from, &[(0, 10)].into()), TsKind::Date).unwrap();
        assert_eq!(late.len(), 1);
    }

    #[test]
    fn a_line_cut_short_by_a_crash_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("_late_bars.csv"),
            format!("{HEADER}0,3,A,2024-01-04,1,2,0.5,1.5,10,2024-01-09\n0,4,A,2024-01-0"),
        )
        .unwrap();
        let to = [(0, 10)].into();
        let late = read_late(dir.path(), (&BTreeMap::new(), &to), TsKind::Date).unwrap();
        assert_eq!(late.len(), 1);
    }

    #[test]
    fn a_damaged_late_bars_line_is_an_error_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("_late_bars.csv"),
            format!("{HEADER}0,3,A,2024-01-04,1,2,x,1.5,10,2024-01-09\n"),
        )
        .unwrap();
        let to = [(0, 10)].into();
        let e = read_late(dir.path(), (&BTreeMap::new(), &to), TsKind::Date)
            .unwrap_err()
            .to_string();
        assert!(e.contains("_late_bars.csv") && e.contains("line 2"), "{e}");
        let e = read_late(dir.path(), (&BTreeMap::new(), &to), TsKind::Micros)
            .unwrap_err()
            .to_string();
        assert!(e.contains("another kind"), "{e}");
    }
}
