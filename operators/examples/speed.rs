//! Times the standard feature set on a series written by `bench/talib_speed.py`
//! (open, high, low, close, volume as little-endian f64 columns): one symbol
//! with hot state, and the same bars split over many symbols updated
//! round-robin (state not always in cache). Prints JSON lines, ns per bar.
//!
//! `cargo run --release -p tickflow-operators --example speed -- SERIES [SYMBOLS]`

use std::time::Instant;
use tickflow_operators::{Bar, FeatureEngine};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: speed SERIES [SYMBOLS]");
    let symbols: usize = args
        .next()
        .map_or(4_000, |s| s.parse().expect("SYMBOLS is a number"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let values: Vec<f64> = raw
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let n = values.len() / 5;
    let col = |k: usize| &values[k * n..(k + 1) * n];
    let (o, h, l, c, v) = (col(0), col(1), col(2), col(3), col(4));
    let bars: Vec<Bar> = (0..n)
        .map(|i| Bar {
            open: o[i],
            high: h[i],
            low: l[i],
            close: c[i],
            volume: v[i],
        })
        .collect();
    let engine = FeatureEngine::standard();
    let mut row = vec![0.0; engine.columns().len()];

    let best_of = |f: &mut dyn FnMut() -> f64| (0..3).map(|_| f()).fold(f64::INFINITY, f64::min);
    let hot = best_of(&mut || {
        let mut st = engine.new_state();
        let t = Instant::now();
        for bar in &bars {
            engine.update(&mut st, bar, &mut row).expect("valid bar");
        }
        t.elapsed().as_secs_f64()
    });
    println!(
        r#"{{"peer": "tickflow", "function": "standard set, 1 symbol (hot state)", "ns_per_bar": {:.2}}}"#,
        hot * 1e9 / n as f64
    );

    let rss = || {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
            * 4096
    };
    let before = rss();
    let probe: Vec<_> = (0..symbols).map(|_| engine.new_state()).collect();
    let bytes_per_state = rss().saturating_sub(before) / symbols;
    drop(probe);
    println!(
        r#"{{"peer": "tickflow", "function": "memory per symbol state (RSS delta)", "bytes": {bytes_per_state}}}"#
    );

    // Symbol s gets bars[s * per..(s + 1) * per]; they are laid out in the
    // order a live feed delivers them, one bar time's batch after another.
    let per = n / symbols;
    let by_time: Vec<Bar> = (0..per)
        .flat_map(|i| (0..symbols).map(move |s| (s, i)))
        .map(|(s, i)| bars[s * per + i])
        .collect();
    // Round-robin, plainly and with each update hinting the next symbol's
    // state into cache first.
    for (prefetch, how) in [(false, ""), (true, ", next state prefetched")] {
        let rr = best_of(&mut || {
            let mut states: Vec<_> = (0..symbols).map(|_| engine.new_state()).collect();
            let t = Instant::now();
            for batch in by_time.chunks_exact(symbols) {
                for (s, bar) in batch.iter().enumerate() {
                    if prefetch {
                        if let Some(next) = states.get(s + 1) {
                            next.prefetch();
                        }
                    }
                    engine
                        .update(&mut states[s], bar, &mut row)
                        .expect("valid bar");
                }
            }
            t.elapsed().as_secs_f64()
        });
        println!(
            r#"{{"peer": "tickflow", "function": "standard set, round-robin over {symbols} symbols{how}", "ns_per_bar": {:.2}}}"#,
            rr * 1e9 / (per * symbols) as f64
        );
    }
}
