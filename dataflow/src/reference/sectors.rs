//! A symbol's sector over time: the `--sectors` file, `symbol,sector` with
//! an optional `from` column (the first date or instant the sector holds;
//! blank or absent: from the start). A row of a symbol takes the sector of
//! its latest entry from at or before its bar time, and no sector before
//! the first.

use super::{in_force, Table};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use tickflow_connectors::TsParser;

/// Sectors by symbol, each a schedule of (from, sector) in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectorSchedule {
    by_symbol: HashMap<String, Vec<(i64, String)>>,
}

/// One symbol's schedule in ids: (from, sector id), in time order.
pub type Timeline = Vec<(i64, Option<u32>)>;

/// The entry of `timeline` in force at `micros`.
pub fn at(timeline: &[(i64, Option<u32>)], micros: i64) -> Option<u32> {
    in_force(timeline, micros).copied().flatten()
}

impl SectorSchedule {
    /// Reads a `symbol,sector[,from]` file. Two entries of one symbol from
    /// the same time are an error.
    pub fn read(path: &Path, ts: &TsParser) -> Result<Self, String> {
        let table = Table::read(path, &["symbol", "sector"], &["from"])?;
        let mut by_symbol: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        for r in 0..table.len() {
            let (Some(symbol), Some(sector)) = (table.field(r, 0), table.field(r, 1)) else {
                continue; // a symbol without a sector has none
            };
            let from = table.instant(r, 2, ts)?.unwrap_or(i64::MIN);
            let entries = by_symbol.entry(symbol.to_string()).or_default();
            if entries.iter().any(|&(f, _)| f == from) {
                return Err(table.error(
                    r,
                    format!("a second sector for {symbol} from the same time"),
                ));
            }
            entries.push((from, sector.to_string()));
        }
        for entries in by_symbol.values_mut() {
            entries.sort_by_key(|&(from, _)| from);
        }
        Ok(Self { by_symbol })
    }

    /// `symbol`'s sector at `micros` (UTC microseconds).
    pub fn at(&self, symbol: &str, micros: i64) -> Option<&str> {
        in_force(self.by_symbol.get(symbol)?, micros).map(String::as_str)
    }

    /// Every sector named, in name order.
    pub fn sectors(&self) -> BTreeSet<&str> {
        self.by_symbol
            .values()
            .flatten()
            .map(|(_, s)| s.as_str())
            .collect()
    }

    /// `symbol`'s schedule with sectors as ids (`id` of a name).
    pub fn timeline(&self, symbol: &str, id: impl Fn(&str) -> Option<u32>) -> Timeline {
        self.by_symbol.get(symbol).map_or_else(Vec::new, |entries| {
            entries.iter().map(|(from, s)| (*from, id(s))).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{day, write};
    use super::*;

    #[test]
    fn a_sector_holds_from_its_date_on_and_a_plain_file_holds_from_the_start() {
        let p = write("symbol,sector,from\nA,Tech,\nA,Energy,2016-01-04\nB,Health,2016-02-01\n");
        let s = SectorSchedule::read(&p, &TsParser::default()).unwrap();
        assert_eq!(s.at("A", day("2015-12-31")), Some("Tech"));
        assert_eq!(s.at("A", day("2016-01-04")), Some("Energy"));
        assert_eq!(s.at("B", day("2016-01-29")), None);
        assert_eq!(s.at("B", day("2016-02-01")), Some("Health"));
        assert_eq!(s.at("C", 0), None);
        assert_eq!(
            s.sectors().into_iter().collect::<Vec<_>>(),
            ["Energy", "Health", "Tech"]
        );
        let ids = s.timeline("A", |n| Some(n.len() as u32));
        assert_eq!(at(&ids, day("2015-01-01")), Some(4));
        assert_eq!(at(&ids, day("2017-01-01")), Some(6));

        let plain = write("symbol,sector\nA,Tech\n");
        let s = SectorSchedule::read(&plain, &TsParser::default()).unwrap();
        assert_eq!(s.at("A", i64::MIN + 1), Some("Tech"));
    }

    #[test]
    fn bad_files_say_where() {
        let p = write("symbol,sector,from\nA,Tech,yesterday\n");
        let e = SectorSchedule::read(&p, &TsParser::default()).unwrap_err();
        assert!(e.contains("line 2") && e.contains("yesterday"), "{e}");
        let p = write("symbol,sector,from\nA,Tech,2016-01-04\nA,Energy,2016-01-04\n");
        let e = SectorSchedule::read(&p, &TsParser::default()).unwrap_err();
        assert!(e.contains("line 3") && e.contains("same time"), "{e}");
        let p = write("ticker,sector\nA,Tech\n");
        let e = SectorSchedule::read(&p, &TsParser::default()).unwrap_err();
        assert!(e.contains("expected columns `symbol,sector`"), "{e}");
    }
}
