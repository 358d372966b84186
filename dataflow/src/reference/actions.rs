//! Corporate actions: the `--actions` file, `symbol,date,kind,factor`. An
//! action adjusts its symbol's bars before `date` (its ex-date): prices are
//! multiplied by `factor`; a `split` also divides volume by it (a 2-for-1
//! split has factor 0.5), a `dividend` leaves volume as traded.
//!
//! Input bars are as traded. A store holds them adjusted for every action
//! it knows: an action appended to a store revises the stored bars before
//! its date (known from when the append ran, the rows published before
//! stay readable as of then), and every later input bar before the date
//! of a known action is adjusted as it is read.

use super::Table;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use tickflow_connectors::TsParser;
use tickflow_operators::Bar;

/// What an action does to volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Prices times the factor, volume divided by it.
    Split,
    /// Prices times the factor.
    Dividend,
}

/// One corporate action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Its symbol.
    pub symbol: String,
    /// Its ex-date (UTC microseconds): bars before it are adjusted.
    pub date: i64,
    /// Split or dividend.
    pub kind: ActionKind,
    /// The price factor, in (0, inf).
    pub factor: f64,
}

impl Action {
    /// `bar` adjusted for this action.
    pub fn adjust(&self, bar: &mut Bar) {
        for p in [&mut bar.open, &mut bar.high, &mut bar.low, &mut bar.close] {
            *p *= self.factor;
        }
        if self.kind == ActionKind::Split {
            bar.volume /= self.factor;
        }
    }

    /// The same action (factors compared bit for bit).
    pub fn same(&self, other: &Action) -> bool {
        self.symbol == other.symbol
            && self.date == other.date
            && self.kind == other.kind
            && self.factor.to_bits() == other.factor.to_bits()
    }

    /// Whether `list` holds the same action.
    pub fn is_in(&self, list: &[Action]) -> bool {
        list.iter().any(|a| a.same(self))
    }
}

/// The actions of `listed` that `known` (a store's) does not hold, or an
/// error for one whose factor differs from a known action's of the same
/// symbol, date and kind: the store holds bars adjusted by the known
/// factor, which cannot be undone exactly, so it needs a rebuild.
///
/// ```
/// use tickflow::reference::actions::{new_to, Action, ActionKind};
/// let split = |factor| Action { symbol: "X".into(), date: 0, kind: ActionKind::Split, factor };
/// assert_eq!(new_to(&[split(0.5)], &[split(0.5)]).unwrap(), vec![]);
/// assert_eq!(new_to(&[], &[split(0.5)]).unwrap(), vec![split(0.5)]);
/// assert!(new_to(&[split(0.5)], &[split(0.25)]).unwrap_err().contains("0.5 to 0.25"));
/// ```
pub fn new_to(known: &[Action], listed: &[Action]) -> Result<Vec<Action>, String> {
    let mut out = Vec::new();
    for a in listed.iter().filter(|a| !a.is_in(known)) {
        let same = |k: &&Action| k.symbol == a.symbol && k.date == a.date && k.kind == a.kind;
        if let Some(k) = known.iter().find(same) {
            return Err(format!(
                "the factor of {}'s {:?} at {} changed from {} to {}: the store holds bars adjusted by the first, which cannot be undone exactly; rebuild the store with every input",
                a.symbol,
                a.kind,
                tickflow_connectors::format_ts(tickflow_connectors::TsKind::Micros, a.date),
                k.factor,
                a.factor
            ));
        }
        if !a.is_in(&out) {
            out.push(a.clone());
        }
    }
    Ok(out)
}

/// Adjusts `bar`, of bar time `micros`, for each of `actions` (one
/// symbol's, in date order) dated after it.
pub fn adjust(actions: &[Action], micros: i64, bar: &mut Bar) {
    for a in actions.iter().filter(|a| a.date > micros) {
        a.adjust(bar);
    }
}

/// Actions by symbol, each list in date order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions {
    by_symbol: HashMap<String, Vec<Action>>,
}

impl Actions {
    /// Reads a `symbol,date,kind,factor` file.
    pub fn read(path: &Path, ts: &TsParser) -> Result<Vec<Action>, String> {
        let table = Table::read(path, &["symbol", "date", "kind", "factor"], &[])?;
        let mut out = Vec::with_capacity(table.len());
        for r in 0..table.len() {
            let symbol = table.required(r, 0, "symbol")?.to_string();
            let date = table
                .instant(r, 1, ts)?
                .ok_or_else(|| table.error(r, "blank date".into()))?;
            let kind = match table.required(r, 2, "kind")? {
                k if k.eq_ignore_ascii_case("split") => ActionKind::Split,
                k if k.eq_ignore_ascii_case("dividend") => ActionKind::Dividend,
                k => {
                    return Err(
                        table.error(r, format!("kind `{k}`: expected `split` or `dividend`"))
                    )
                }
            };
            let text = table.required(r, 3, "factor")?;
            let factor = text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f > 0.0)
                .ok_or_else(|| {
                    table.error(r, format!("factor `{text}`: expected a positive number"))
                })?;
            out.push(Action {
                symbol,
                date,
                kind,
                factor,
            });
        }
        Ok(out)
    }

    /// A set of actions (a duplicate counts once).
    pub fn new(actions: impl IntoIterator<Item = Action>) -> Self {
        let mut by_symbol: HashMap<String, Vec<Action>> = HashMap::new();
        for a in actions {
            let list = by_symbol.entry(a.symbol.clone()).or_default();
            if !a.is_in(list) {
                list.push(a);
            }
        }
        for list in by_symbol.values_mut() {
            list.sort_by_key(|a| a.date);
        }
        Self { by_symbol }
    }

    /// Adjusts `bar` of `symbol` at `micros` for every action dated after
    /// it, in date order.
    pub fn adjust(&self, symbol: &str, micros: i64, bar: &mut Bar) {
        adjust(self.of(symbol), micros, bar);
    }

    /// `symbol`'s actions in date order.
    pub fn of(&self, symbol: &str) -> &[Action] {
        self.by_symbol.get(symbol).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{day, write};
    use super::*;

    #[test]
    fn bars_before_the_ex_date_are_adjusted_and_later_ones_are_not() {
        let p =
            write("symbol,date,kind,factor\nA,2016-06-01,split,0.5\nA,2016-01-04,dividend,0.98\n");
        let actions = Actions::new(Actions::read(&p, &TsParser::default()).unwrap());
        let bar = Bar::from([10.0, 12.0, 9.0, 11.0, 100.0]);
        let mut early = bar;
        actions.adjust("A", day("2015-12-31"), &mut early);
        assert_eq!(early.close, 11.0 * 0.98 * 0.5);
        assert_eq!(early.volume, 200.0);
        let mut middle = bar;
        actions.adjust("A", day("2016-01-04"), &mut middle);
        assert_eq!((middle.close, middle.volume), (5.5, 200.0));
        let mut late = bar;
        actions.adjust("A", day("2016-06-01"), &mut late);
        assert_eq!(late, bar);
        let mut other = bar;
        actions.adjust("B", day("2000-01-01"), &mut other);
        assert_eq!(other, bar);
    }

    #[test]
    fn bad_rows_are_errors_with_their_line() {
        for (text, says) in [
            (
                "symbol,date,kind,factor\nA,2016-06-01,merger,0.5\n",
                "merger",
            ),
            (
                "symbol,date,kind,factor\nA,2016-06-01,split,0\n",
                "positive",
            ),
            ("symbol,date,kind,factor\nA,,split,0.5\n", "blank date"),
        ] {
            let e = Actions::read(&write(text), &TsParser::default()).unwrap_err();
            assert!(e.contains("line 2") && e.contains(says), "{e}");
        }
    }
}
