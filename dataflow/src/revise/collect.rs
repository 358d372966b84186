//! Reading the revisions out of an append's input: its valid bars at or
//! before the store's last bar time, with their sectors at their times and
//! adjusted for the store's corporate actions.

use super::Revision;
use crate::error::Result;
use crate::reference::{Actions, SectorSchedule};
use crate::schema::ts_micros;
use std::collections::HashMap;
use std::path::PathBuf;
use tickflow_connectors::file::{BarFileReader, CsvOptions};
use tickflow_connectors::{BarBatch, Interner, TsKind, TsParser};

/// The valid bars of `files` at or before `after`, one per (symbol, time):
/// the last one read. Invalid rows are left to the run's rejects.
pub fn collect(
    files: &[PathBuf],
    options: &CsvOptions,
    ts: &TsParser,
    (sector_schedule, actions): (&SectorSchedule, &Actions),
    (kind, after): (TsKind, i64),
) -> Result<Vec<Revision>> {
    let (mut symbols, mut sectors) = (Interner::default(), Interner::default());
    let mut at: HashMap<(String, i64), usize> = HashMap::new();
    let mut out: Vec<Revision> = Vec::new();
    let (mut batch, mut rejects) = (BarBatch::default(), Vec::new());
    for (index, path) in files.iter().enumerate() {
        let mut reader = BarFileReader::open(path, index as u32, options, &mut symbols)?;
        loop {
            batch.clear();
            batch.ts_kind = Some(kind);
            rejects.clear();
            if reader.read_batch(ts, &mut symbols, &mut sectors, &mut batch, &mut rejects)? == 0 {
                break;
            }
            for i in (0..batch.len()).filter(|&i| batch.ts[i] <= after) {
                let symbol = symbols.name(batch.symbol[i]).to_string();
                let micros = ts_micros(kind, batch.ts[i]);
                let sector = match batch.sector[i] {
                    Some(s) => Some(sectors.name(s).to_string()),
                    None => sector_schedule.at(&symbol, micros).map(str::to_string),
                };
                let mut bar = batch.bar[i];
                actions.adjust(&symbol, micros, &mut bar);
                let revision = Revision {
                    ts: batch.ts[i],
                    bar,
                    sector,
                    symbol,
                };
                match at.entry((revision.symbol.clone(), revision.ts)) {
                    std::collections::hash_map::Entry::Occupied(e) => out[*e.get()] = revision,
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(out.len());
                        out.push(revision);
                    }
                }
            }
        }
    }
    Ok(out)
}
