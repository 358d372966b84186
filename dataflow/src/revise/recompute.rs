//! The arithmetic of a revision, free of files: a symbol's bars replayed
//! through the feature engine with the revisions applied (from a kept copy
//! of its state when one precedes them), and one bar time's cross-sections
//! over its rows in symbol name order.

use super::{Changes, Context, Revision};
use crate::durable::history::History;
use crate::error::Result;
use crate::query::{query, QueryArgs};
use crate::reference::{Action, Market, SectorSchedule};
use crate::schema::ts_micros;
use crate::schema::BAR_COLUMNS;
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use std::collections::{BTreeMap, HashMap};
use tickflow_connectors::TsKind;
use tickflow_operators::cross_section::{
    CrossSectionBatch, CrossSectionKernel, CrossSectionOutput,
};
use tickflow_operators::{Bar, FeatureEngine, SymbolState};

/// A revised symbol's new rows.
#[derive(Debug, Clone)]
pub struct Revised {
    /// The symbol.
    pub symbol: String,
    /// Revisions that changed or added a bar.
    pub bars: u64,
    /// From its first revised bar time on, the rows whose bar or features
    /// changed, by bar time.
    pub rows: BTreeMap<i64, NewRow>,
    /// Its state after its last bar.
    pub state: SymbolState,
    /// Its kept copies of earlier states, after the replay.
    pub history: History,
}

/// A revised symbol's row at one bar time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRow {
    /// The bar.
    pub bar: Bar,
    /// The sector.
    pub sector: Option<String>,
    /// The features (NaN = null).
    pub features: Vec<f64>,
    /// True when the store had no row for it.
    pub added: bool,
}

/// Equal values, nulls (NaN) equal to each other.
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_bar(a: &Bar, b: &Bar) -> bool {
    [
        (a.open, b.open),
        (a.high, b.high),
        (a.low, b.low),
        (a.close, b.close),
        (a.volume, b.volume),
    ]
    .iter()
    .all(|&(x, y)| x.to_bits() == y.to_bits())
}

/// A float column's values, nulls as NaN.
pub fn floats(column: &ArrayRef) -> Vec<f64> {
    let a = column.as_primitive::<Float64Type>();
    (0..a.len())
        .map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) })
        .collect()
}

/// One symbol's rows as stored, in time order.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Bar times.
    pub ts: Vec<i64>,
    /// Bars.
    pub bars: Vec<Bar>,
    /// Sectors.
    pub sectors: Vec<Option<String>>,
    /// Features per row (NaN = null); empty where not read (rows before
    /// any the replay compares).
    pub features: Vec<Vec<f64>>,
}

/// Reads the revised symbols' stored rows and replays each; symbols whose
/// revisions all equal the stored bars are left out. The symbols in
/// `whole` (a changed market or sector schedule) are replayed from their
/// first bar, every row compared, and always returned (with their state);
/// `changes.whole`'s are replayed too.
/// Only rows after the oldest kept state a replay starts from are read
/// (all of them when a symbol has new actions, the market changed or no
/// copy precedes its first revision).
pub fn replay_symbols(
    cx: &Context<'_>,
    changes: Changes,
    whole: &std::collections::HashSet<String>,
) -> Result<Vec<Revised>> {
    let mut by_symbol: BTreeMap<String, (Vec<Revision>, Vec<Action>)> = BTreeMap::new();
    for r in changes.revisions {
        by_symbol.entry(r.symbol.clone()).or_default().0.push(r);
    }
    for a in changes.actions {
        by_symbol.entry(a.symbol.clone()).or_default().1.push(a);
    }
    for s in changes.whole {
        by_symbol.entry(s).or_default();
    }
    if by_symbol.is_empty() {
        return Ok(Vec::new());
    }
    // each symbol's first revision, unless it is replayed whole (actions,
    // a changed market or sector schedule: from its first bar, every row
    // compared); None sorts first, so one whole replay reads everything
    let first = |name: &String, (revisions, actions): &(Vec<Revision>, Vec<Action>)| match whole
        .contains(name)
        || !actions.is_empty()
    {
        true => None,
        false => revisions.iter().map(|r| r.ts).min(),
    };
    // the stored features are compared from the first revision on; the
    // bars are read from the newest kept copy before it (a replay may start
    // later, never earlier)
    let compared = by_symbol.iter().map(|(n, c)| first(n, c)).min().flatten();
    let after = (by_symbol.iter())
        .map(|(n, c)| first(n, c).and_then(|f| cx.histories.get(n)?.before(f).map(|a| a.ts)))
        .min()
        .flatten();
    let symbols: Vec<String> = by_symbol.keys().cloned().collect();
    let read = |columns: Vec<String>, after: Option<i64>| {
        query(&QueryArgs {
            store: cx.root.to_path_buf(),
            symbols: Some(symbols.clone()),
            columns: Some(columns),
            after,
            ..Default::default()
        })
        .map(|r| r.batch)
    };
    let mut columns: Vec<String> = std::iter::once("sector")
        .chain(BAR_COLUMNS)
        .map(String::from)
        .collect();
    let features = cx.engine.columns().to_vec();
    // one read of everything, or the bars from the replays' start and the
    // features (most of the columns) of the compared rows only
    let split = compared.is_some_and(|c| after.is_none_or(|a| c > a.saturating_add(1)));
    if !split {
        columns.extend(features.iter().cloned());
    }
    let rows = read(columns, after)?;
    let mut stored = stored_rows(&rows, !split);
    if split {
        let later = read(features, compared.map(|c| c - 1))?;
        let symbol = later.column(0).as_string::<i32>();
        let ts = crate::query::ts_values(later.column(1));
        let values: Vec<Vec<f64>> = (2..later.num_columns())
            .map(|c| floats(later.column(c)))
            .collect();
        for r in 0..later.num_rows() {
            let s = stored.get_mut(symbol.value(r));
            if let Some(i) = s.as_ref().and_then(|s| s.ts.binary_search(&ts[r]).ok()) {
                let s = s.expect("found above");
                s.features[i] = values.iter().map(|v| v[r]).collect();
            }
        }
    }
    let mut out = Vec::new();
    for (name, (revisions, mut actions)) in by_symbol {
        let past = stored.remove(name.as_str()).unwrap_or_default();
        actions.sort_by_key(|a| a.date);
        let changes = (revisions.as_slice(), actions.as_slice(), cx.ts_kind);
        let engine = (cx.engine, cx.market, cx.sectors, whole.contains(&name));
        let kept = (cx.histories.get(&name), cx.every);
        if let Some(r) = replay(engine, &name, &past, changes, kept) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The rows of a read of (`symbol`, `ts`, `sector`, the bar[, the
/// features]) by symbol; without `features`, each row's are empty.
fn stored_rows(rows: &arrow_array::RecordBatch, features: bool) -> HashMap<&str, Stored> {
    let symbol = rows.column(0).as_string::<i32>();
    let ts = crate::query::ts_values(rows.column(1));
    let sector = rows.column(2).as_string::<i32>();
    let values: Vec<Vec<f64>> = (3..rows.num_columns())
        .map(|c| floats(rows.column(c)))
        .collect();
    let mut stored: HashMap<&str, Stored> = HashMap::new();
    for r in 0..rows.num_rows() {
        let s = stored.entry(symbol.value(r)).or_default();
        s.ts.push(ts[r]);
        s.bars.push(Bar {
            open: values[0][r],
            high: values[1][r],
            low: values[2][r],
            close: values[3][r],
            volume: values[4][r],
        });
        s.sectors
            .push((!sector.is_null(r)).then(|| sector.value(r).to_string()));
        s.features.push(match features {
            true => values[5..].iter().map(|v| v[r]).collect(),
            false => Vec::new(),
        });
    }
    stored
}

/// Replays one symbol's bars with `revisions` applied and its stored bars
/// adjusted for new `actions` (in date order; a revision is adjusted
/// already), bar times of `kind`, features paired with the market joined
/// to `market`, each stored row's sector the one `sectors` gives (when it
/// gives one); `None` when nothing changes. With `whole` (a changed market
/// or sector schedule) every row is compared and the symbol is always
/// returned, for its state. The replay starts from the newest copy in
/// `past` before the first changed bar (`stored` must hold every row after
/// it), or from the first bar (`stored` must hold them all); it keeps a
/// copy every `every` bars, as the run that wrote the store did.
pub fn replay(
    (engine, market, sectors, whole): (
        &FeatureEngine,
        Option<&Market>,
        Option<&SectorSchedule>,
        bool,
    ),
    symbol: &str,
    stored: &Stored,
    (revisions, actions, kind): (&[Revision], &[Action], TsKind),
    (past, every): (Option<&History>, u64),
) -> Option<Revised> {
    let sector_at = |i: usize, t: i64| {
        let given = sectors.and_then(|s| s.at(symbol, ts_micros(kind, t)));
        given
            .map(str::to_string)
            .or_else(|| stored.sectors[i].clone())
    };
    // bar time -> (bar, sector, stored row)
    let mut bars: BTreeMap<i64, (Bar, Option<String>, Option<usize>)> = stored
        .ts
        .iter()
        .enumerate()
        .map(|(i, &t)| (t, (stored.bars[i], sector_at(i, t), Some(i))))
        .collect();
    let latest_sector = bars.values().next_back().and_then(|b| b.1.clone());
    let mut changed = 0u64;
    let mut first = i64::MAX;
    for (&t, (bar, _, _)) in bars.iter_mut() {
        let before = *bar;
        crate::reference::actions::adjust(actions, ts_micros(kind, t), bar);
        if !same_bar(&before, bar) {
            changed += 1;
            first = first.min(t);
        }
    }
    for r in revisions {
        match bars.get_mut(&r.ts) {
            Some((bar, _, _)) if same_bar(bar, &r.bar) => continue,
            Some((bar, _, _)) => *bar = r.bar,
            None => {
                let sector = r.sector.clone().or_else(|| latest_sector.clone());
                bars.insert(r.ts, (r.bar, sector, None));
            }
        }
        changed += 1;
        first = first.min(r.ts);
    }
    if changed == 0 && !whole {
        return None;
    }
    if whole {
        first = i64::MIN;
    }
    let anchor = match actions.is_empty() {
        true => past.and_then(|p| p.before(first)),
        false => None,
    };
    let (mut state, mut history, from) = match anchor {
        Some(a) => (
            (*a.state).clone(),
            past.expect("an anchor's").up_to(a),
            a.ts,
        ),
        None => (engine.new_state(), History::default(), i64::MIN),
    };
    let mut row = vec![f64::NAN; engine.columns().len()];
    let mut rows = BTreeMap::new();
    for (&t, (bar, sector, at)) in
        bars.range((std::ops::Bound::Excluded(from), std::ops::Bound::Unbounded))
    {
        row.fill(f64::NAN);
        let level = market.map_or(f64::NAN, |m| m.level(t));
        if engine
            .update_joined(&mut state, bar, level, &mut row)
            .is_err()
        {
            // an invalid bar never reaches a store, and the input's are
            // rejected before they become revisions
            continue;
        }
        let _ = history.record(every, t, &state);
        if t < first {
            continue;
        }
        let same_row = at.is_some_and(|i| {
            same_bar(&stored.bars[i], bar)
                && stored.sectors[i] == *sector
                && stored.features[i].len() == row.len()
                && stored.features[i]
                    .iter()
                    .zip(&row)
                    .all(|(&a, &b)| same(a, b))
        });
        if !same_row {
            rows.insert(
                t,
                NewRow {
                    bar: *bar,
                    sector: sector.clone(),
                    features: row.clone(),
                    added: at.is_none(),
                },
            );
        }
    }
    Some(Revised {
        symbol: symbol.to_string(),
        bars: changed,
        rows,
        state,
        history,
    })
}

/// One bar time's cross-sections: `inputs` holds one column per
/// cross-sectional feature over the time's rows in symbol name order, with
/// each row's sector. Returns the value columns `cs_rank_f, cs_z_f,
/// sector_z_f` per feature, in that order.
pub fn cross_section(
    kernel: &mut CrossSectionKernel,
    sectors: &[Option<&str>],
    inputs: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    let mut names: Vec<&str> = sectors.iter().flatten().copied().collect();
    names.sort_unstable();
    names.dedup();
    let ids: Vec<Option<u32>> = sectors
        .iter()
        .map(|s| s.map(|s| names.binary_search(&s).expect("listed above") as u32))
        .collect();
    let refs: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
    let mut out = CrossSectionOutput::default();
    kernel
        .compute(
            CrossSectionBatch {
                sectors: &ids,
                columns: &refs,
            },
            &mut out,
        )
        .expect("one value per row in every column");
    let mut columns = Vec::with_capacity(3 * inputs.len());
    for ((rank, z), sector_z) in out.rank.into_iter().zip(out.z).zip(out.sector_z) {
        columns.extend([rank, z, sector_z]);
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_operators::cross_section::CrossSectionOptions;

    fn bar(close: f64) -> Bar {
        Bar {
            open: close,
            high: close + 1.0,
            low: close - 1.0,
            close,
            volume: 1000.0,
        }
    }

    fn stored(engine: &FeatureEngine, closes: &[f64]) -> Stored {
        let mut s = Stored::default();
        let mut state = engine.new_state();
        for (t, &c) in closes.iter().enumerate() {
            let mut row = vec![f64::NAN; engine.columns().len()];
            engine.update(&mut state, &bar(c), &mut row).unwrap();
            s.ts.push(t as i64);
            s.bars.push(bar(c));
            s.sectors.push(Some("Tech".into()));
            s.features.push(row);
        }
        s
    }

    #[test]
    fn a_revision_changes_rows_from_its_time_on_and_equals_a_replay_of_the_revised_bars() {
        let engine = FeatureEngine::standard();
        let closes: Vec<f64> = (0..80)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0)
            .collect();
        let s = stored(&engine, &closes);
        let revision = Revision {
            symbol: "A".into(),
            ts: 60,
            bar: bar(120.0),
            sector: None,
        };
        let r = replay(
            (&engine, None, None, false),
            "A",
            &s,
            (&[revision], &[], TsKind::Date),
            (None, 0),
        )
        .unwrap();
        assert_eq!(r.bars, 1);
        assert_eq!(*r.rows.keys().next().unwrap(), 60);
        let mut revised = closes.clone();
        revised[60] = 120.0;
        let full = stored(&engine, &revised);
        for (t, row) in &r.rows {
            let t = *t as usize;
            assert!(row
                .features
                .iter()
                .zip(&full.features[t])
                .all(|(&a, &b)| same(a, b)));
        }
        // rows before the revision are not new versions
        assert!(r.rows.keys().all(|&t| t >= 60));
    }

    #[test]
    fn a_revision_equal_to_the_stored_bar_is_nothing_and_a_new_bar_is_added() {
        let engine = FeatureEngine::standard();
        let s = stored(&engine, &[10.0, 11.0, 12.0]);
        let same_bar = Revision {
            symbol: "A".into(),
            ts: 1,
            bar: bar(11.0),
            sector: None,
        };
        assert!(replay(
            (&engine, None, None, false),
            "A",
            &s,
            (&[same_bar], &[], TsKind::Date),
            (None, 0),
        )
        .is_none());
        let gap = Revision {
            symbol: "A".into(),
            ts: 5,
            bar: bar(13.0),
            sector: None,
        };
        let r = replay(
            (&engine, None, None, false),
            "A",
            &s,
            (&[gap], &[], TsKind::Date),
            (None, 0),
        )
        .unwrap();
        let row = &r.rows[&5];
        assert!(row.added && row.sector.as_deref() == Some("Tech"));
    }

    #[test]
    fn a_replay_from_a_kept_state_equals_one_from_the_first_bar() {
        let engine = FeatureEngine::standard();
        let closes: Vec<f64> = (0..700)
            .map(|i| 100.0 + (i as f64 * 0.11).sin() * 9.0 + (i as f64 * 0.013).cos())
            .collect();
        let full = stored(&engine, &closes);
        let mut past = History::default();
        let mut state = engine.new_state();
        let mut row = vec![f64::NAN; engine.columns().len()];
        for (t, &c) in closes.iter().enumerate() {
            engine.update(&mut state, &bar(c), &mut row).unwrap();
            past.record(100, t as i64, &state);
        }
        let revision = |ts: i64| Revision {
            symbol: "A".into(),
            ts,
            bar: bar(closes[ts as usize] * 1.03),
            sector: None,
        };
        for ts in [650, 601, 600, 599, 450, 3] {
            let revisions = [revision(ts)];
            let changes = (&revisions[..], &[][..], TsKind::Date);
            let scratch = replay(
                (&engine, None, None, false),
                "A",
                &full,
                changes,
                (None, 100),
            )
            .unwrap();
            // only the rows after the copy the replay starts from
            let from = past.before(ts).map_or(i64::MIN, |a| a.ts);
            let mut tail = Stored::default();
            for (i, &t) in full.ts.iter().enumerate().filter(|(_, &t)| t > from) {
                tail.ts.push(t);
                tail.bars.push(full.bars[i]);
                tail.sectors.push(full.sectors[i].clone());
                tail.features.push(full.features[i].clone());
            }
            let kept = replay(
                (&engine, None, None, false),
                "A",
                &tail,
                changes,
                (Some(&past), 100),
            )
            .unwrap();
            let same_rows = |a: &BTreeMap<i64, NewRow>, b: &BTreeMap<i64, NewRow>| {
                a.len() == b.len()
                    && a.iter().zip(b).all(|((ta, ra), (tb, rb))| {
                        ta == tb
                            && ra.bar == rb.bar
                            && (ra.features.iter().zip(&rb.features)).all(|(&x, &y)| same(x, y))
                    })
            };
            assert!(same_rows(&kept.rows, &scratch.rows), "revision at {ts}");
            assert!(!kept.rows.is_empty());
            assert_eq!(kept.state, scratch.state, "revision at {ts}");
            assert_eq!(kept.history, scratch.history, "revision at {ts}");
        }
    }

    #[test]
    fn cross_sections_follow_the_kernel_in_value_column_order() {
        let mut kernel = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
        let cols = cross_section(
            &mut kernel,
            &[Some("b"), Some("a"), None],
            &[vec![1.0, 2.0, 3.0]],
        );
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[0], vec![1.0 / 3.0, 2.0 / 3.0, 1.0]);
        assert!(cols[2].iter().all(|v| v.is_nan()), "one value per sector");
    }
}
