//! ns per bar for each indicator of the standard set (one hot state), and for
//! the whole standard set updated round-robin over 4,000 symbol states.
//!
//! `cargo bench -p tickflow-operators --bench indicators`
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tickflow_operators::{Bar, FeatureEngine, FeatureSet};

/// A deterministic geometric random walk of valid bars.
fn walk(n: usize, seed: u64) -> Vec<Bar> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut u = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut close = 50.0 + 100.0 * u();
    (0..n)
        .map(|_| {
            let open = close;
            close *= 1.0 + 0.02 * (u() - 0.5);
            let high = open.max(close) * (1.0 + 0.01 * u());
            let low = open.min(close) * (1.0 - 0.01 * u());
            Bar {
                open,
                high,
                low,
                close,
                volume: (1e5 + 1e6 * u()).round(),
            }
        })
        .collect()
}

fn per_indicator(c: &mut Criterion) {
    let bars = walk(100_000, 7);
    let mut group = c.benchmark_group("indicator");
    group.throughput(Throughput::Elements(bars.len() as u64));
    let standard = FeatureSet::standard();
    for (i, def) in standard.features.iter().enumerate() {
        // vol reads ret_1: bench it with its dependency (log_return is ~1 ns).
        let mut feats = vec![def.clone()];
        if def.kind == "vol" {
            feats.insert(0, standard.features[0].clone());
        }
        let engine = FeatureEngine::new(&FeatureSet { features: feats }).unwrap();
        let label = format!("{:02}_{}", i, engine.columns().last().unwrap());
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            let mut row = vec![0.0; engine.columns().len()];
            b.iter(|| {
                let mut st = engine.new_state();
                for bar in &bars {
                    engine.update(&mut st, bar, &mut row).unwrap();
                }
                black_box(&row);
            })
        });
    }
    group.finish();
}

fn standard_round_robin(c: &mut Criterion) {
    const SYMBOLS: usize = 4_000;
    const BARS: usize = 100;
    let engine = FeatureEngine::standard();
    let series: Vec<Vec<Bar>> = (0..SYMBOLS)
        .map(|s| walk(BARS + 400, s as u64 + 1))
        .collect();
    // One bar time's bars after another, as a live feed delivers them.
    let by_time: Vec<Vec<Bar>> = (0..BARS + 400)
        .map(|t| series.iter().map(|bars| bars[t]).collect())
        .collect();
    // Warm every state past its longest lookback so steady-state costs are measured.
    let mut states: Vec<_> = (0..SYMBOLS).map(|_| engine.new_state()).collect();
    let mut row = vec![0.0; engine.columns().len()];
    for batch in &by_time[..400] {
        for (st, bar) in states.iter_mut().zip(batch) {
            engine.update(st, bar, &mut row).unwrap();
        }
    }
    let mut group = c.benchmark_group("standard_set");
    group.throughput(Throughput::Elements((SYMBOLS * BARS) as u64));
    group.bench_function("round_robin_4000_symbols", |b| {
        b.iter_batched_ref(
            || states.clone(),
            |states| {
                let mut row = vec![0.0; engine.columns().len()];
                for batch in &by_time[400..] {
                    for (st, bar) in states.iter_mut().zip(batch) {
                        engine.update(st, bar, &mut row).unwrap();
                    }
                    black_box(&row);
                }
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = per_indicator, standard_round_robin
}
criterion_main!(benches);
