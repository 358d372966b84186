//! Quick start: the standard feature set and the default cross-sections over
//! a generated universe (no external data), with a summary and a preview.
//!
//! `cargo run --release -p tickflow-operators --example quickstart`

use std::time::Instant;
use tickflow_operators::cross_section::{
    CrossSectionBatch, CrossSectionKernel, CrossSectionOptions, CrossSectionOutput,
    DEFAULT_FEATURES,
};
use tickflow_operators::{Bar, FeatureEngine};

const SYMBOLS: usize = 500;
const DAYS: usize = 1_000;

fn main() {
    let engine = FeatureEngine::standard();
    let width = engine.columns().len();
    let cross_idx: Vec<usize> = DEFAULT_FEATURES
        .iter()
        .map(|c| {
            engine
                .columns()
                .iter()
                .position(|x| x == c)
                .expect("standard column")
        })
        .collect();
    let sectors: Vec<Option<u32>> = (0..SYMBOLS).map(|s| Some((s % 11) as u32)).collect();
    let mut states: Vec<_> = (0..SYMBOLS).map(|_| engine.new_state()).collect();
    let mut closes: Vec<f64> = (0..SYMBOLS).map(|s| 20.0 + (s % 97) as f64).collect();
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut kernel =
        CrossSectionKernel::new(CrossSectionOptions::default()).expect("default options");
    let mut cross_out = CrossSectionOutput::default();
    let mut rows = vec![vec![0.0; width]; SYMBOLS];
    let mut columns: Vec<Vec<f64>> = vec![vec![0.0; SYMBOLS]; DEFAULT_FEATURES.len()];
    let started = Instant::now();
    for _day in 0..DAYS {
        for s in 0..SYMBOLS {
            let open = closes[s];
            let close = open * (1.0 + 0.03 * (uniform() - 0.5));
            let bar = Bar {
                open,
                high: open.max(close) * (1.0 + 0.01 * uniform()),
                low: open.min(close) * (1.0 - 0.01 * uniform()),
                close,
                volume: (1e5 + 1e6 * uniform()).round(),
            };
            closes[s] = close;
            engine
                .update(&mut states[s], &bar, &mut rows[s])
                .expect("generated bars are valid");
        }
        for (f, &c) in cross_idx.iter().enumerate() {
            for s in 0..SYMBOLS {
                columns[f][s] = rows[s][c];
            }
        }
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        kernel
            .compute(
                CrossSectionBatch {
                    sectors: &sectors,
                    columns: &refs,
                },
                &mut cross_out,
            )
            .expect("aligned batch");
    }
    let secs = started.elapsed().as_secs_f64();
    let bars = SYMBOLS * DAYS;
    println!("tickflow operators quick start");
    println!("  {SYMBOLS} symbols x {DAYS} bars = {bars} bars, {width} features + {} cross-sectional columns", 3 * DEFAULT_FEATURES.len());
    println!(
        "  {secs:.3} s, {:.0} bars/s, {:.0} ns per bar (features and cross-sections)",
        bars as f64 / secs,
        secs * 1e9 / bars as f64
    );
    println!("  last bar of symbol 0:");
    for (name, v) in engine.columns().iter().zip(&rows[0]).take(12) {
        println!("    {name:<14} {v:>14.6}");
    }
    println!("    cs_rank_ret_1  {:>14.6}", cross_out.rank[0][0]);
    println!("    cs_z_ret_1     {:>14.6}", cross_out.z[0][0]);
    println!("    sector_z_ret_1 {:>14.6}", cross_out.sector_z[0][0]);
}
