//! Which input column plays which role, by explicit name or by detection.

use crate::error::{ConnectorError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Column names for each role; `None` means "detect from the header".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColumnMapping {
    /// The symbol column (`--symbol-col`); without one, each file is one symbol.
    pub symbol: Option<String>,
    /// The timestamp column (`--ts-col`).
    pub ts: Option<String>,
    /// Opening price.
    pub open: Option<String>,
    /// High.
    pub high: Option<String>,
    /// Low.
    pub low: Option<String>,
    /// Close.
    pub close: Option<String>,
    /// Volume.
    pub volume: Option<String>,
    /// Optional sector column (`--sector-col`).
    pub sector: Option<String>,
}

/// Positions of the mapped columns in one file's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedColumns {
    /// Symbol column, if the file has one.
    pub symbol: Option<usize>,
    /// Timestamp.
    pub ts: usize,
    /// Open, high, low, close, volume.
    pub ohlcv: [usize; 5],
    /// Sector column, if any.
    pub sector: Option<usize>,
}

const SYMBOL_NAMES: &[&str] = &["symbol", "ticker", "name", "sym"];
const TS_NAMES: &[&str] = &["ts", "date", "datetime", "timestamp", "time"];
const OHLCV: [(&str, &[&str]); 5] = [
    ("open", &["open", "o"]),
    ("high", &["high", "h"]),
    ("low", &["low", "l"]),
    ("close", &["close", "c"]),
    ("volume", &["volume", "vol", "v"]),
];

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h.trim().eq_ignore_ascii_case(n)))
}

impl ColumnMapping {
    /// Resolves the roles against `header`; a missing required column is a
    /// [`ConnectorError::MissingColumn`] that lists what the file has.
    pub fn resolve(&self, header: &[String], path: &Path) -> Result<ResolvedColumns> {
        let missing = |role: &'static str, wanted: String| ConnectorError::MissingColumn {
            path: path.to_path_buf(),
            role,
            wanted,
            available: header.join(", "),
        };
        let pick =
            |role: &'static str, explicit: &Option<String>, names: &[&str]| -> Result<usize> {
                match explicit {
                    Some(name) => find(header, &[name.as_str()])
                        .ok_or_else(|| missing(role, format!("`{name}`"))),
                    None => find(header, names)
                        .ok_or_else(|| missing(role, format!("one of {}", names.join(", ")))),
                }
            };
        let optional = |role: &'static str,
                        explicit: &Option<String>,
                        names: &[&str]|
         -> Result<Option<usize>> {
            match explicit {
                Some(name) => find(header, &[name.as_str()])
                    .map(Some)
                    .ok_or_else(|| missing(role, format!("`{name}`"))),
                None => Ok(find(header, names)),
            }
        };
        let explicit = [&self.open, &self.high, &self.low, &self.close, &self.volume];
        let mut ohlcv = [0; 5];
        for (k, (role, names)) in OHLCV.iter().enumerate() {
            ohlcv[k] = pick(role, explicit[k], names)?;
        }
        Ok(ResolvedColumns {
            symbol: optional("symbol", &self.symbol, SYMBOL_NAMES)?,
            ts: pick("ts", &self.ts, TS_NAMES)?,
            ohlcv,
            sector: optional("sector", &self.sector, &["sector"])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &str) -> Vec<String> {
        cols.split(',').map(String::from).collect()
    }

    #[test]
    fn detects_common_names() {
        let r = ColumnMapping::default()
            .resolve(
                &header("date,open,high,low,close,volume,Name"),
                Path::new("x.csv"),
            )
            .unwrap();
        assert_eq!(
            r,
            ResolvedColumns {
                symbol: Some(6),
                ts: 0,
                ohlcv: [1, 2, 3, 4, 5],
                sector: None
            }
        );
    }

    #[test]
    fn explicit_names_win_and_missing_ones_say_what_exists() {
        let m = ColumnMapping {
            ts: Some("Day".into()),
            ..Default::default()
        };
        let err = m
            .resolve(
                &header("Date,Open,High,Low,Close,Volume"),
                Path::new("a.csv"),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.csv: no column for ts (`Day`); the header has: Date, Open, High, Low, Close, Volume. Map it with --ts-col NAME"
        );
        let err = ColumnMapping::default()
            .resolve(&header("date,open,high,low,volume"), Path::new("a.csv"))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no column for close (one of close, c)"),
            "{err}"
        );
    }
}
