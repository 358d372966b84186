//! `tickflow gen`: a deterministic synthetic universe of daily bars
//! (geometric random walks, ragged listings and delistings, sectors).

use std::io::Write;
use std::path::Path;

/// Row order of the generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenOrder {
    /// All symbols of a day, then the next day.
    Time,
    /// One symbol's whole history, then the next symbol.
    Symbol,
}

const SECTORS: [&str; 11] = [
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes `symbols` x `days` business days of bars from 2000-01-03 as CSV
/// (`symbol,date,open,high,low,close,volume,sector`); returns the row count.
pub fn generate(
    path: &Path,
    symbols: usize,
    days: usize,
    seed: u64,
    order: GenOrder,
) -> std::io::Result<u64> {
    let start = tickflow_connectors::days_from_civil(2000, 1, 3);
    let dates: Vec<i64> = (0..)
        .map(|k| start + k)
        .filter(|d| (d + 3).rem_euclid(7) < 5)
        .take(days)
        .collect();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // listing window per symbol: most span everything, some list late or delist early
    let spans: Vec<(usize, usize)> = (0..symbols)
        .map(|_| {
            let first = if rng.next() < 0.2 {
                (rng.next() * days as f64 * 0.5) as usize
            } else {
                0
            };
            let last = if rng.next() < 0.1 {
                days - (rng.next() * days as f64 * 0.3) as usize
            } else {
                days
            };
            (first, last.max(first + 1))
        })
        .collect();
    let mut walks: Vec<Rng> = (0..symbols)
        .map(|s| Rng((seed ^ (s as u64 + 1)).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1))
        .collect();
    let mut close: Vec<f64> = (0..symbols).map(|s| 10.0 + (s % 190) as f64).collect();
    let mut rows: Vec<Vec<String>> = vec![
        Vec::new();
        if order == GenOrder::Symbol {
            symbols
        } else {
            1
        }
    ];
    let temp = path.with_extension("tmp");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&temp)?);
    writeln!(out, "symbol,date,open,high,low,close,volume,sector")?;
    let mut count = 0u64;
    for (d, &date) in dates.iter().enumerate() {
        let (y, m, dd) = tickflow_connectors::civil_from_days(date);
        for s in 0..symbols {
            let w = &mut walks[s];
            let open = close[s];
            let c = open * (1.0 + 0.02 * (w.next() - 0.5) + 0.0002);
            let high = open.max(c) * (1.0 + 0.01 * w.next());
            let low = open.min(c) * (1.0 - 0.01 * w.next());
            let volume = (1e5 + 2e6 * w.next()).round();
            close[s] = c;
            if d < spans[s].0 || d >= spans[s].1 {
                continue;
            }
            let line = format!(
                "S{s:05},{y:04}-{m:02}-{dd:02},{open:.4},{high:.4},{low:.4},{c:.4},{volume},{}",
                SECTORS[s % SECTORS.len()]
            );
            count += 1;
            match order {
                GenOrder::Time => writeln!(out, "{line}")?,
                GenOrder::Symbol => rows[s].push(line),
            }
        }
    }
    for lines in rows {
        for line in lines {
            writeln!(out, "{line}")?;
        }
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&temp, path)?;
    Ok(count)
}
