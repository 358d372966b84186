//! Reading one worker's share of the input files into validated bars.

use crate::rows::InputBar;
use std::collections::HashMap;
use std::path::PathBuf;
use tickflow_connectors::file::{CsvBarReader, CsvOptions};
use tickflow_connectors::{
    BarBatch, ConnectorError, Interner, Reject, RejectCounts, TsKind, TsParser,
};

/// What a worker read.
#[derive(Debug, Default)]
pub struct WorkerInput {
    /// Valid bars, sorted by (ts, file, line).
    pub bars: Vec<InputBar>,
    /// Rejected rows.
    pub rejects: Vec<Reject>,
    /// Rejections by reason.
    pub counts: RejectCounts,
    /// All data rows read.
    pub rows: u64,
}

/// Reads the files `files[i]` with `i % peers == worker`.
pub fn read_share(
    files: &[PathBuf],
    worker: usize,
    peers: usize,
    options: &CsvOptions,
    ts: &TsParser,
    ts_kind: TsKind,
    sector_map: &HashMap<String, String>,
) -> Result<WorkerInput, ConnectorError> {
    let mut out = WorkerInput::default();
    let mut symbols = Interner::default();
    let mut sectors = Interner::default();
    let mut batch = BarBatch::default();
    for (index, path) in files
        .iter()
        .enumerate()
        .filter(|(i, _)| i % peers == worker)
    {
        let mut reader = CsvBarReader::open(path, index as u32, options, &mut symbols)?;
        loop {
            batch.clear();
            batch.ts_kind = Some(ts_kind);
            if reader.read_batch(
                65_536,
                ts,
                &mut symbols,
                &mut sectors,
                &mut batch,
                &mut out.rejects,
            )? == 0
            {
                break;
            }
            for k in 0..batch.len() {
                let symbol = symbols.name(batch.symbol[k]).to_string();
                let sector = batch.sector[k]
                    .map(|s| sectors.name(s).to_string())
                    .or_else(|| sector_map.get(&symbol).cloned());
                out.bars.push(InputBar {
                    symbol,
                    ts: batch.ts[k],
                    sector,
                    bar: batch.bar[k],
                    file: batch.file[k],
                    line: batch.line[k],
                });
            }
        }
        out.counts.merge(reader.reject_counts());
        out.rows += reader.rows();
    }
    out.bars.sort_by_key(|b| (b.ts, b.file, b.line));
    Ok(out)
}

/// The timestamp kind of the first valid row of the first file that has one.
pub fn detect_ts_kind(
    files: &[PathBuf],
    options: &CsvOptions,
    ts: &TsParser,
) -> Result<Option<TsKind>, ConnectorError> {
    for (index, path) in files.iter().enumerate() {
        let mut symbols = Interner::default();
        let mut sectors = Interner::default();
        let mut reader = CsvBarReader::open(path, index as u32, options, &mut symbols)?;
        let mut batch = BarBatch::default();
        let mut rejects = Vec::new();
        while batch.is_empty()
            && reader.read_batch(
                1_000,
                ts,
                &mut symbols,
                &mut sectors,
                &mut batch,
                &mut rejects,
            )? > 0
        {}
        if let Some(kind) = batch.ts_kind {
            return Ok(Some(kind));
        }
    }
    Ok(None)
}

/// A `symbol,sector` file as a map.
pub fn read_sector_map(path: &std::path::Path) -> Result<HashMap<String, String>, String> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(s), Some(c)) = (find("symbol"), find("sector")) else {
        return Err(format!(
            "{}: expected columns `symbol,sector`, found {:?}",
            path.display(),
            headers
        ));
    };
    let mut map = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        if let (Some(sym), Some(sec)) = (rec.get(s), rec.get(c)) {
            if !sym.trim().is_empty() && !sec.trim().is_empty() {
                map.insert(sym.trim().to_string(), sec.trim().to_string());
            }
        }
    }
    Ok(map)
}
