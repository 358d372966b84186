//! No drift: after 200,000 bars the engine's last values still equal a
//! from-scratch recompute (`naive`, which shares no code with the engine).

mod naive;

use naive::Bars;
use tickflow_operators::{Bar, FeatureEngine};

#[test]
fn last_values_of_a_long_series_match_a_recompute() {
    const N: usize = 200_000;
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut u = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut b = Bars::default();
    let mut close = 1_000.0;
    for i in 0..N {
        let open = close;
        // a long walk with regime changes: calm, volatile, trending
        let vol = if (i / 20_000) % 3 == 1 { 0.05 } else { 0.005 };
        close *= 1.0 + vol * (u() - 0.5) + if (i / 20_000) % 3 == 2 { 1e-4 } else { 0.0 };
        b.open.push(open);
        b.high.push(open.max(close) * (1.0 + 0.002 * u()));
        b.low.push(open.min(close) * (1.0 - 0.002 * u()));
        b.close.push(close);
        b.volume.push((1e4 + 1e7 * u()).round());
    }
    let engine = FeatureEngine::standard();
    let mut state = engine.new_state();
    let mut row = vec![0.0; engine.columns().len()];
    let mut tail = Vec::new();
    for i in 0..N {
        let bar = Bar {
            open: b.open[i],
            high: b.high[i],
            low: b.low[i],
            close: b.close[i],
            volume: b.volume[i],
        };
        engine.update(&mut state, &bar, &mut row).unwrap();
        if i >= N - 500 {
            tail.push(row.clone());
        }
    }
    let expected = naive::standard(&b);
    let mut worst = (0.0f64, String::new());
    for (c, (name, exp)) in expected.iter().enumerate() {
        assert_eq!(engine.columns()[c], *name);
        for (k, got_row) in tail.iter().enumerate() {
            let (got, want) = (got_row[c], exp[N - 500 + k]);
            assert!(!got.is_nan() && !want.is_nan(), "{name} null at the end");
            let err = (got - want).abs() / want.abs().max(1.0);
            if err > worst.0 {
                worst = (
                    err,
                    format!(
                        "{name} at bar {}: got {got:?}, expected {want:?}",
                        N - 500 + k
                    ),
                );
            }
        }
    }
    assert!(
        worst.0 <= 1e-9,
        "drift beyond 1e-9 after {N} bars: {}",
        worst.1
    );
}
