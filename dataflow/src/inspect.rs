//! `tickflow inspect`: what a backfill would make of some input files: the
//! columns and the mapping it would use, rows, symbols, the time range, the
//! row order, and invalid rows by reason. Reads everything, writes nothing.

use crate::backfill::scan;
use crate::error::Result;
use std::fmt::Write;
use tickflow_connectors::file::{expand_inputs, file_columns, file_symbol, format_of, CsvOptions};
use tickflow_connectors::{civil_from_days, TsKind, TsParser};

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
    for path in &files {
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
                || format!("(the file: {})", file_symbol(path, options)),
                |i| { names[i].clone() }
            ),
            names[r.ts],
            names[r.ohlcv[0]],
            names[r.ohlcv[1]],
            names[r.ohlcv[2]],
            names[r.ohlcv[3]],
            names[r.ohlcv[4]],
            name(r.sector)
        );
    }
    let plan = scan(
        &files,
        options,
        &ts,
        &crate::reference::SectorSchedule::default(),
        false,
    )?;
    let rejected = plan.rejected.total();
    let _ = writeln!(
        out,
        "rows: {} ({} valid, {rejected} rejected{})",
        plan.rows,
        plan.keyed_rows(),
        if rejected == 0 {
            String::new()
        } else {
            format!(
                ": {}",
                plan.rejected
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
        plan.symbols.len(),
        plan.sectors.len()
    );
    if let (Some(first), Some(last)) = (plan.times.first(), plan.times.last()) {
        let kind = plan.ts_kind;
        let _ = writeln!(
            out,
            "time: {} to {} ({} distinct {})",
            format_ts(kind, first.0),
            format_ts(kind, last.0),
            plan.times.len(),
            match kind {
                TsKind::Date => "dates",
                TsKind::Micros => "instants",
            }
        );
    }
    let _ = writeln!(
        out,
        "order: {}",
        if plan.time_ordered {
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
