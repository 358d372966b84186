//! Reference data as time-varying inputs, each a small CSV file read whole
//! at start: a symbol's sector from a date on ([`sectors`]), universe
//! membership ([`universe`]), corporate actions ([`actions`]) and the
//! market series that `beta` and `corr` pair returns with ([`market`]).
//!
//! Dates and times are read like the bars' (`2016-01-04`, or an instant,
//! naive ones in `--tz`) and compared as UTC microseconds, so a date-only
//! entry takes effect from that day's first instant, for daily and for
//! intraday bars alike.

pub mod actions;
pub mod equal_weight;
pub mod market;
pub mod sectors;
pub mod topic;
pub mod universe;
pub mod watch;

pub use actions::{Action, ActionKind, Actions};
pub use market::Market;
pub use sectors::SectorSchedule;
pub use universe::Universe;

use crate::schema::ts_micros;
use std::path::Path;
use tickflow_connectors::TsParser;

/// The value of the latest of `entries` (in time order, keyed by the
/// UTC microseconds they take effect from) at or before `micros`.
pub fn in_force<T>(entries: &[(i64, T)], micros: i64) -> Option<&T> {
    match entries.partition_point(|&(from, _)| from <= micros) {
        0 => None,
        k => Some(&entries[k - 1].1),
    }
}

/// A reference file's records, with its required and optional columns
/// found by name (case-insensitive).
struct Table {
    path: String,
    rows: Vec<(u64, Vec<String>)>,
    columns: Vec<Option<usize>>,
}

impl Table {
    /// Reads `path`; `required` columns must be present, `optional` may be.
    fn read(path: &Path, required: &[&str], optional: &[&str]) -> Result<Self, String> {
        let name = path.display().to_string();
        let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{name}: {e}"))?;
        let headers = rdr.headers().map_err(|e| format!("{name}: {e}"))?.clone();
        let find = |c: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(c))
        };
        let mut columns = Vec::new();
        for c in required {
            match find(c) {
                Some(i) => columns.push(Some(i)),
                None => {
                    return Err(format!(
                        "{name}: expected columns `{}`{}, found {:?}",
                        required.join(","),
                        if optional.is_empty() {
                            String::new()
                        } else {
                            format!(" (and optionally `{}`)", optional.join(","))
                        },
                        headers.iter().collect::<Vec<_>>()
                    ))
                }
            }
        }
        columns.extend(optional.iter().map(|c| find(c)));
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| format!("{name}: {e}"))?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push((line, rec.iter().map(|f| f.trim().to_string()).collect()));
        }
        Ok(Self {
            path: name,
            rows,
            columns,
        })
    }

    /// Field `column` (an index into required then optional) of row `r`;
    /// `None` when the column is absent or the field blank.
    fn field(&self, r: usize, column: usize) -> Option<&str> {
        let i = self.columns[column]?;
        self.rows[r]
            .1
            .get(i)
            .map(String::as_str)
            .filter(|f| !f.is_empty())
    }

    /// A required non-blank field.
    fn required(&self, r: usize, column: usize, what: &str) -> Result<&str, String> {
        self.field(r, column)
            .ok_or_else(|| self.error(r, format!("blank {what}")))
    }

    /// An optional time field as UTC microseconds.
    fn instant(&self, r: usize, column: usize, ts: &TsParser) -> Result<Option<i64>, String> {
        self.field(r, column)
            .map(|f| {
                ts.parse(f)
                    .map(|(kind, t)| ts_micros(kind, t))
                    .ok_or_else(|| self.error(r, format!("`{f}` is not a date or time")))
            })
            .transpose()
    }

    fn error(&self, r: usize, message: String) -> String {
        format!("{} line {}: {message}", self.path, self.rows[r].0)
    }

    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// Helpers of the reference files' unit tests.
#[cfg(test)]
mod testing {
    use tickflow_connectors::TsParser;

    /// A temporary file holding `text`.
    pub fn write(text: &str) -> tempfile::TempPath {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f.into_temp_path()
    }

    /// A date's first instant, in UTC microseconds.
    pub fn day(d: &str) -> i64 {
        let (kind, t) = TsParser::default().parse(d).unwrap();
        crate::schema::ts_micros(kind, t)
    }
}
