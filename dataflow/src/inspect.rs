//! `tickflow inspect`: what a backfill would make of some input files: the
//! columns and the mapping it would use, rows, symbols, the time range, the
//! row order, and invalid rows by reason. Reads everything, writes nothing.

use crate::error::Result;
use std::collections::HashSet;
use std::fmt::Write;
use tickflow_connectors::file::{
    expand_inputs, file_columns, format_of, BarFileReader, CsvOptions,
};
use tickflow_connectors::{civil_from_days, BarBatch, Interner, RejectCounts, TsKind, TsParser};

/// A bar time as text: a date, or a UTC instant.
pub fn format_ts(kind: TsKind, ts: i64) -> String {
    let day = |d: i64| {
        let (y, m, dd) = civil_from_days(d);
        format!("{y:04}-{m:02}-{dd:02}")
    };
    match kind {
        TsKind::Date => day(ts),
        TsKind::Micros => {
            let (d, us) = (ts.div_euclid(86_400_000_000), ts.rem_euclid(86_400_000_000));
            let s = us / 1_000_000;
            format!(
                "{}T{:02}:{:02}:{:02}Z",
                day(d),
                s / 3_600,
                s / 60 % 60,
                s % 60
            )
        }
    }
}

/// The report, as text.
pub fn inspect(inputs: &[String], options: &CsvOptions, tz: Option<&str>) -> Result<String> {
    let files = expand_inputs(inputs)?;
    let ts = TsParser::new(tz)?;
    let mut out = String::new();
    let (mut symbols, mut sectors) = (Interner::default(), Interner::default());
    let mut counts = RejectCounts::default();
    let (mut rows, mut valid) = (0u64, 0u64);
    let (mut first, mut last, mut prev) = (i64::MAX, i64::MIN, i64::MIN);
    let mut time_ordered = true;
    let mut times: HashSet<i64> = HashSet::new();
    let mut kind = None;
    let mut batch = BarBatch::default();
    let mut rejects = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let columns = file_columns(path)?;
        let names: Vec<String> = columns.iter().map(|c| c.0.clone()).collect();
        let _ = writeln!(
            out,
            "{} ({:?})\n  columns: {}",
            path.display(),
            format_of(path).expect("listed files have a format"),
            columns
                .iter()
                .map(|(n, t)| format!("{n} ({t})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let r = options.mapping.resolve(&names, path)?;
        let name = |i: Option<usize>| i.map_or("-".to_string(), |i| names[i].clone());
        let _ = writeln!(
            out,
            "  mapping: symbol={} ts={} open={} high={} low={} close={} volume={} sector={}",
            r.symbol.map_or_else(
                || format!(
                    "(the file: {})",
                    tickflow_connectors::file::file_symbol(path, options)
                ),
                |i| names[i].clone()
            ),
            names[r.ts],
            names[r.ohlcv[0]],
            names[r.ohlcv[1]],
            names[r.ohlcv[2]],
            names[r.ohlcv[3]],
            names[r.ohlcv[4]],
            name(r.sector)
        );
        let mut reader = BarFileReader::open(path, index as u32, options, &mut symbols)?;
        loop {
            batch.clear();
            batch.ts_kind = kind;
            rejects.clear();
            if reader.read_batch(&ts, &mut symbols, &mut sectors, &mut batch, &mut rejects)? == 0 {
                break;
            }
            kind = kind.or(batch.ts_kind);
            valid += batch.len() as u64;
            for &t in &batch.ts {
                time_ordered &= t >= prev;
                prev = t;
                first = first.min(t);
                last = last.max(t);
                times.insert(t);
            }
        }
        rows += reader.rows();
        counts.merge(reader.reject_counts());
    }
    let rejected = counts.total();
    let _ = writeln!(
        out,
        "rows: {rows} ({valid} valid, {rejected} rejected{})",
        if rejected == 0 {
            String::new()
        } else {
            format!(
                ": {}",
                counts
                    .by_reason()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    let _ = writeln!(
        out,
        "symbols: {}, sectors: {}",
        symbols.len(),
        sectors.len()
    );
    if let Some(kind) = kind {
        let _ = writeln!(
            out,
            "time: {} to {} ({} distinct {})",
            format_ts(kind, first),
            format_ts(kind, last),
            times.len(),
            match kind {
                TsKind::Date => "dates",
                TsKind::Micros => "instants",
            }
        );
    }
    let _ = writeln!(
        out,
        "order: {}",
        if time_ordered {
            "by time (a backfill streams it)"
        } else {
            "not by time (a backfill spills it to time buckets first)"
        }
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_dates_and_utc_instants() {
        assert_eq!(format_ts(TsKind::Date, 0), "1970-01-01");
        assert_eq!(
            format_ts(TsKind::Micros, 1_608_042_600_000_000),
            "2020-12-15T14:30:00Z"
        );
        assert_eq!(
            format_ts(TsKind::Micros, -1_000_000),
            "1969-12-31T23:59:59Z"
        );
    }
}
