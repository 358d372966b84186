//! Universe membership over time: the `--universe` file, `symbol,from,to`,
//! one row per spell of membership from `from` (inclusive; blank: the
//! start) to `to` (exclusive; blank: open). With a universe, cross-sections
//! at a bar time rank and standardise its members only; a row of a symbol
//! outside it keeps its per-symbol features and has null cross-sectional
//! columns. A symbol the file does not list is never a member.

use super::{in_force, Table};
use crate::names::Names;
use crate::schema::ts_micros;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tickflow_connectors::TsKind;
use tickflow_connectors::TsParser;

/// Membership spells by symbol: `[from, to)` in UTC microseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Universe {
    by_symbol: HashMap<String, Vec<(i64, i64)>>,
}

/// One symbol's spells, in time order.
pub type Spells = Vec<(i64, i64)>;

/// Whether `micros` falls in one of `spells`.
pub fn member(spells: &[(i64, i64)], micros: i64) -> bool {
    in_force(spells, micros).is_some_and(|&to| micros < to)
}

impl Universe {
    /// Reads a `symbol,from,to` file; overlapping spells of one symbol, or
    /// one that ends before it starts, are errors.
    pub fn read(path: &Path, ts: &TsParser) -> Result<Self, String> {
        let table = Table::read(path, &["symbol", "from", "to"], &[])?;
        let mut by_symbol: HashMap<String, Vec<(i64, i64, usize)>> = HashMap::new();
        for r in 0..table.len() {
            let symbol = table.required(r, 0, "symbol")?;
            let from = table.instant(r, 1, ts)?.unwrap_or(i64::MIN);
            let to = table.instant(r, 2, ts)?.unwrap_or(i64::MAX);
            if to <= from {
                return Err(table.error(r, format!("{symbol} leaves at or before it joins")));
            }
            by_symbol
                .entry(symbol.to_string())
                .or_default()
                .push((from, to, r));
        }
        let mut out = HashMap::new();
        for (symbol, mut spells) in by_symbol {
            spells.sort_unstable();
            if let Some(w) = spells.windows(2).find(|w| w[1].0 < w[0].1) {
                return Err(table.error(w[1].2, format!("{symbol}'s spells overlap")));
            }
            out.insert(symbol, spells.into_iter().map(|(f, t, _)| (f, t)).collect());
        }
        Ok(Self { by_symbol: out })
    }

    /// Whether `symbol` is a member at `micros`.
    pub fn contains(&self, symbol: &str, micros: i64) -> bool {
        self.by_symbol
            .get(symbol)
            .is_some_and(|spells| member(spells, micros))
    }

    /// `symbol`'s spells (empty: never a member).
    pub fn spells(&self, symbol: &str) -> Spells {
        self.by_symbol.get(symbol).cloned().unwrap_or_default()
    }
}

/// Membership by symbol id at bar times of one kind, for an operator: the
/// spells of an id are looked up by name once.
#[derive(Debug, Clone)]
pub struct Members {
    universe: Arc<Universe>,
    kind: Arc<OnceLock<TsKind>>,
    by_id: Vec<Option<Spells>>,
}

impl Members {
    /// Membership in `universe` of bar times of `kind` (a live run learns
    /// it from its first bar, before any cross-section).
    pub fn new(universe: Arc<Universe>, kind: Arc<OnceLock<TsKind>>) -> Self {
        Self {
            universe,
            kind,
            by_id: Vec::new(),
        }
    }

    /// Whether symbol `id` (named by `names`) is a member at bar time `ts`.
    pub fn contains(&mut self, names: &Names, id: u32, ts: i64) -> bool {
        let i = id as usize;
        if i >= self.by_id.len() {
            self.by_id.resize(i + 1, None);
        }
        let universe = &self.universe;
        let spells = self.by_id[i]
            .get_or_insert_with(|| names.with(|symbols, _| universe.spells(symbols.name(id))));
        let kind = self.kind.get().copied().unwrap_or(TsKind::Micros);
        member(spells, ts_micros(kind, ts))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{day, write};
    use super::*;

    #[test]
    fn members_between_joining_and_leaving() {
        let p = write("symbol,from,to\nA,,2016-01-04\nA,2016-03-01,\nB,2016-02-01,2016-02-02\n");
        let u = Universe::read(&p, &TsParser::default()).unwrap();
        assert!(u.contains("A", day("2010-01-01")));
        assert!(!u.contains("A", day("2016-01-04")), "`to` is exclusive");
        assert!(!u.contains("A", day("2016-02-15")));
        assert!(u.contains("A", day("2016-03-01")));
        assert!(u.contains("B", day("2016-02-01")));
        assert!(!u.contains("B", day("2016-02-02")));
        assert!(
            !u.contains("C", day("2016-02-01")),
            "unlisted: never a member"
        );
    }

    #[test]
    fn inconsistent_spells_are_errors_with_their_line() {
        let p = write("symbol,from,to\nA,2016-01-01,2016-06-01\nA,2016-03-01,\n");
        let e = Universe::read(&p, &TsParser::default()).unwrap_err();
        assert!(e.contains("line 3") && e.contains("overlap"), "{e}");
        let p = write("symbol,from,to\nA,2016-01-01,2015-06-01\n");
        let e = Universe::read(&p, &TsParser::default()).unwrap_err();
        assert!(e.contains("line 2") && e.contains("leaves"), "{e}");
    }
}
