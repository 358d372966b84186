//! The market series (`--market FILE`): an index, or any series, that the
//! `beta` and `corr` features pair every symbol's input with. A CSV of a
//! time column (`date` or `ts`) and either `close` (an index's levels) or
//! `ret_1` (log returns, as `tickflow market` writes for the equal-weight
//! mean of a panel), read whole at start.
//!
//! The series becomes a log level over time (`ln close`, or the running sum
//! of `ret_1`), joined as of each bar's time: a symbol's bar at `t` sees
//! the level of the market's latest bar at or before `t`, so nothing after
//! the bar is used, and the features pair the symbol's return with the
//! level's change over the same bar interval. Its times must be of the
//! bars' kind (dates for daily bars, instants for intraday ones): a daily
//! close joined to intraday bars would be known before it happened.

use super::Table;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tickflow_connectors::{TsKind, TsParser};

/// A market series as log levels by bar time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Market {
    kind: TsKind,
    /// Bar times, in the kind's units, strictly increasing.
    times: Vec<i64>,
    /// The log level from each time on.
    levels: Vec<f64>,
}

/// Column indices of the table read.
const TIME: [usize; 2] = [0, 1];
const CLOSE: usize = 2;
const RET: usize = 3;

impl Market {
    /// Reads `path`.
    pub fn read(path: &Path, ts: &TsParser) -> Result<Self, String> {
        let t = Table::read(path, &[], &["date", "ts", "close", "ret_1"])?;
        let name = path.display();
        let time = TIME
            .into_iter()
            .find(|&c| t.columns[c].is_some())
            .ok_or_else(|| format!("{name}: no `date` or `ts` column"))?;
        let value = match (t.columns[CLOSE], t.columns[RET]) {
            (Some(_), None) => CLOSE,
            (None, Some(_)) => RET,
            _ => {
                return Err(format!(
                    "{name}: expected one of the columns `close` and `ret_1`"
                ))
            }
        };
        let mut rows: Vec<(i64, Option<f64>, usize)> = Vec::with_capacity(t.len());
        let mut kind = None;
        for r in 0..t.len() {
            let f = t.required(r, time, "time")?;
            let (k, at) = ts
                .parse(f)
                .ok_or_else(|| t.error(r, format!("`{f}` is not a date or time")))?;
            if *kind.get_or_insert(k) != k {
                return Err(t.error(r, "dates and instants mixed".into()));
            }
            let v = match t.field(r, value) {
                None => None,
                Some(f) => Some(
                    f.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && (value == RET || *v > 0.0))
                        .ok_or_else(|| {
                            let what = if value == RET {
                                "a finite return"
                            } else {
                                "a positive close"
                            };
                            t.error(r, format!("`{f}` is not {what}"))
                        })?,
                ),
            };
            rows.push((at, v, r));
        }
        let kind = kind.ok_or_else(|| format!("{name}: no rows"))?;
        rows.sort_by_key(|&(at, _, _)| at);
        let (mut times, mut levels) = (Vec::with_capacity(rows.len()), Vec::new());
        let mut level = 0.0;
        for (i, &(at, v, r)) in rows.iter().enumerate() {
            if times.last() == Some(&at) {
                return Err(t.error(r, "a second row for the same time".into()));
            }
            level = match (value, v) {
                (CLOSE, Some(c)) => c.ln(),
                (_, Some(ret)) => level + ret,
                // Only the first return may be blank: it has no previous bar.
                (RET, None) if i == 0 => 0.0,
                _ => return Err(t.error(r, "blank value".into())),
            };
            times.push(at);
            levels.push(level);
        }
        Ok(Self {
            kind,
            times,
            levels,
        })
    }

    /// The series of a symbol's closes (a live run's market symbol's, as
    /// stored): `(time, close)` in any order, one per time.
    pub fn from_closes(kind: TsKind, mut closes: Vec<(i64, f64)>) -> Self {
        closes.sort_by_key(|&(t, _)| t);
        closes.dedup_by_key(|&mut (t, _)| t);
        Self {
            kind,
            times: closes.iter().map(|&(t, _)| t).collect(),
            levels: closes.iter().map(|&(_, c)| c.ln()).collect(),
        }
    }

    /// Whether the series' times are dates or instants.
    pub fn kind(&self) -> TsKind {
        self.kind
    }

    /// The log level as of bar time `ts` (the series' kind): that of its
    /// latest time at or before `ts`; NaN before its first.
    #[inline]
    pub fn level(&self, ts: i64) -> f64 {
        match self.times.partition_point(|&t| t <= ts) {
            0 => f64::NAN,
            k => self.levels[k - 1],
        }
    }

    /// An error unless the bars' times are of the series' kind.
    pub fn check_kind(&self, bars: TsKind) -> Result<(), String> {
        if bars == self.kind {
            return Ok(());
        }
        let what = |k: TsKind| match k {
            TsKind::Date => "dates",
            TsKind::Micros => "instants",
        };
        Err(format!(
            "the market series' times are {}, the bars' are {}: join a series of the bars' own frequency",
            what(self.kind),
            what(bars)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::write;
    use super::*;

    fn read(text: &str) -> Result<Market, String> {
        Market::read(&write(text), &TsParser::default())
    }

    #[test]
    fn closes_become_log_levels_joined_as_of() {
        let m = read("date,open,close\n2016-01-05,1,110\n2016-01-04,1,100\n").unwrap();
        let day = |d: &str| TsParser::default().parse(d).unwrap().1;
        assert!(m.level(day("2016-01-03")).is_nan());
        assert_eq!(m.level(day("2016-01-04")), 100f64.ln());
        assert_eq!(m.level(day("2016-01-05")), 110f64.ln());
        assert_eq!(m.level(day("2016-01-09")), 110f64.ln());
        assert!(m.check_kind(TsKind::Date).is_ok());
        assert!(m.check_kind(TsKind::Micros).unwrap_err().contains("dates"));
    }

    #[test]
    fn returns_accumulate_from_a_blank_first() {
        let m = read("date,ret_1\n2016-01-04,\n2016-01-05,0.5\n2016-01-06,-0.25\n").unwrap();
        assert_eq!(m.levels, [0.0, 0.5, 0.25]);
    }

    #[test]
    fn bad_files_say_where() {
        let e = read("date,close\n2016-01-04,100\n2016-01-05,-3\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("positive close"), "{e}");
        let e = read("date,close\n2016-01-04,100\n2016-01-04,101\n").unwrap_err();
        assert!(e.contains("same time"), "{e}");
        let e = read("date,ret_1\n2016-01-04,0.1\n2016-01-05,\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("blank"), "{e}");
        assert!(read("day,close\n")
            .unwrap_err()
            .contains("no `date` or `ts`"));
        assert!(read("date,close,ret_1\n").unwrap_err().contains("one of"));
        assert!(read("date,close\n").unwrap_err().contains("no rows"));
    }
}
