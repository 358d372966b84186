//! The store's rows as dense time x symbol panels: one calendar (every bar
//! time in the window, ascending), the symbols in name order, and a
//! row-major `f64` array per column (`t * width + i`), NaN where a symbol
//! has no bar or the value is null.

use crate::durable::manifest::store_error;
use crate::query::{scan, ts_values, QueryArgs};
use crate::Result;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use std::path::Path;
use tickflow_connectors::{Interner, TsKind};

/// Dense panels of a store window.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The store's time kind.
    pub ts_kind: TsKind,
    /// The calendar: every bar time of the window, ascending.
    pub ts: Vec<i64>,
    /// The symbols, in name order (index `i` of a panel row).
    pub symbols: Vec<String>,
    /// `close`.
    pub close: Vec<f64>,
    /// `close * volume`.
    pub dollar_volume: Vec<f64>,
    /// The other requested columns, by name.
    pub columns: Vec<(String, Vec<f64>)>,
}

impl Panel {
    /// Symbols per panel row.
    pub fn width(&self) -> usize {
        self.symbols.len()
    }

    /// The panel of `name` (`close` included).
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        if name == "close" {
            return Some(&self.close);
        }
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Reads `close`, `volume` and `columns` of the bars between `from` and
    /// `to` (inclusive, either open) from a store.
    pub fn load(
        store: &Path,
        from: Option<&str>,
        to: Option<&str>,
        columns: &[String],
        threads: usize,
    ) -> Result<Self> {
        let mut wanted = vec!["close".to_string(), "volume".to_string()];
        for c in columns {
            if !wanted.contains(c) {
                wanted.push(c.clone());
            }
        }
        let scanned = scan(&QueryArgs {
            store: store.to_path_buf(),
            from: from.map(String::from),
            to: to.map(String::from),
            columns: Some(wanted.clone()),
            threads,
            ..Default::default()
        })?;
        let batches = &scanned.batches;
        let bad = |message: String| store_error(store, message);
        for (k, name) in wanted.iter().enumerate() {
            let dt = scanned.schema.field(k + 2).data_type();
            if !matches!(dt, DataType::Float64 | DataType::Float32 | DataType::Int64) {
                return Err(bad(format!("column `{name}` is {dt}, not a number")));
            }
        }

        // Symbols: ids in first-seen order, then renumbered in name order.
        let mut interner = Interner::default();
        let mut row_ids: Vec<Vec<u32>> = Vec::with_capacity(batches.len());
        let mut times: Vec<Vec<i64>> = Vec::with_capacity(batches.len());
        let mut calendar: Vec<i64> = Vec::new();
        // Stores repeat the same symbol order bar after bar: guess each
        // row's symbol as the one that followed the previous row's last
        // time, and hash only when the guess is wrong.
        let mut successor: Vec<u32> = Vec::new();
        for b in batches {
            let sym = b.column(0).as_string::<i32>();
            if sym.null_count() > 0 {
                return Err(bad("a row has no symbol".into()));
            }
            let mut rows = Vec::with_capacity(b.num_rows());
            let mut previous = u32::MAX;
            for s in sym.iter().flatten() {
                let guess = successor
                    .get(previous as usize)
                    .copied()
                    .filter(|&g| g != u32::MAX && interner.name(g) == s);
                let id = match guess {
                    Some(g) => g,
                    None => {
                        let id = interner.intern(s);
                        successor.resize(interner.len(), u32::MAX);
                        if let Some(slot) = successor.get_mut(previous as usize) {
                            *slot = id;
                        }
                        id
                    }
                };
                rows.push(id);
                previous = id;
            }
            row_ids.push(rows);
            let ts = ts_values(b.column(1));
            for &t in &ts {
                if calendar.last() != Some(&t) {
                    calendar.push(t);
                }
            }
            times.push(ts);
        }
        calendar.sort_unstable();
        calendar.dedup();
        let sorted = interner.sorted();
        let rank: Vec<u32> = interner
            .names()
            .iter()
            .map(|n| sorted.get(n).expect("the same names"))
            .collect();
        let symbols = sorted.names().to_vec();

        // Each row's cell: (calendar index) * width + symbol rank.
        let width = symbols.len();
        let mut cells: Vec<Vec<usize>> = Vec::with_capacity(batches.len());
        for (ts, rows) in times.iter().zip(&row_ids) {
            let mut last = (i64::MIN, 0usize);
            let c = ts
                .iter()
                .zip(rows)
                .map(|(&t, &id)| {
                    if t != last.0 {
                        let at = calendar.partition_point(|&c| c < t);
                        last = (t, at);
                    }
                    last.1 * width + rank[id as usize] as usize
                })
                .collect();
            cells.push(c);
        }

        let size = calendar.len() * width;
        let panel_of = |k: usize| {
            let mut out = vec![f64::NAN; size];
            for (b, c) in batches.iter().zip(&cells) {
                fill(&mut out, c, b.column(k + 2));
            }
            out
        };
        // One panel per thread at a time.
        let mut panels: Vec<Vec<f64>> = vec![Vec::new(); wanted.len()];
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done = std::sync::Mutex::new(&mut panels);
        std::thread::scope(|s| {
            for _ in 0..threads.min(wanted.len()) {
                s.spawn(|| loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= wanted.len() {
                        return;
                    }
                    let p = panel_of(k);
                    done.lock().expect("no panics")[k] = p;
                });
            }
        });
        let mut panels = panels.into_iter();
        let close = panels.next().expect("close");
        let mut dollar_volume = panels.next().expect("volume");
        for (dv, c) in dollar_volume.iter_mut().zip(&close) {
            *dv *= c;
        }
        let columns = wanted[2..]
            .iter()
            .zip(panels)
            .filter(|(n, _)| columns.contains(n))
            .map(|(n, p)| (n.clone(), p))
            .collect();
        Ok(Self {
            ts_kind: scanned.ts_kind,
            ts: calendar,
            symbols,
            close,
            dollar_volume,
            columns,
        })
    }
}

/// Writes a numeric column's values into their cells (nulls stay NaN).
fn fill(out: &mut [f64], cells: &[usize], column: &ArrayRef) {
    let nulls = column.logical_nulls();
    let valid = |r: usize| nulls.as_ref().is_none_or(|n| n.is_valid(r));
    match column.data_type() {
        DataType::Float64 => {
            let v = column.as_primitive::<Float64Type>().values();
            for (r, &c) in cells.iter().enumerate() {
                if valid(r) {
                    out[c] = v[r];
                }
            }
        }
        DataType::Float32 => {
            let v = column.as_primitive::<Float32Type>().values();
            for (r, &c) in cells.iter().enumerate() {
                if valid(r) {
                    out[c] = f64::from(v[r]);
                }
            }
        }
        _ => {
            let v = column.as_primitive::<Int64Type>().values();
            for (r, &c) in cells.iter().enumerate() {
                if valid(r) {
                    out[c] = v[r] as f64;
                }
            }
        }
    }
}
