//! Property tests for the features paired with the market series (`beta`,
//! `corr`): the engine, one bar at a time through `update_joined` with the
//! market's log level, against a from-scratch recompute written here (the
//! market's move as the difference of consecutive levels, two-pass window
//! sums, no code shared with the crate), on random closes and market levels
//! with unknown levels, stretches of equal moves and price scales from 1e-6
//! to 1e6; plus snapshot/restore.

use proptest::collection::vec;
use proptest::prelude::*;
use tickflow_operators::{Bar, FeatureEngine, FeatureSet};

fn engine(period: usize) -> FeatureEngine {
    let set: FeatureSet = toml::from_str(&format!(
        r#"
        [[features]]
        kind = "log_return"
        period = 1

        [[features]]
        kind = "beta"
        period = {period}

        [[features]]
        kind = "corr"
        period = {period}

        [[features]]
        kind = "beta"
        period = {period}
        input = "close"
        "#
    ))
    .unwrap();
    FeatureEngine::new(&set).unwrap()
}

fn bar(close: f64) -> Bar {
    Bar {
        open: close,
        high: close,
        low: close,
        close,
        volume: 1.0,
    }
}

/// (beta, corr) of the last `period` pairs, or None for each per the rules
/// (fewer than `period` pairs, or a flat side), and the beta's scale
/// `sqrt(var x / var m)` (|beta| <= it; rounding is relative to it).
fn naive(pairs: &[(f64, f64)], period: usize) -> (Option<f64>, Option<f64>, f64) {
    if pairs.len() < period {
        return (None, None, 1.0);
    }
    let w = &pairs[pairs.len() - period..];
    let n = period as f64;
    let mx = w.iter().map(|p| p.0).sum::<f64>() / n;
    let my = w.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = w.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let syy: f64 = w.iter().map(|p| (p.1 - my) * (p.1 - my)).sum();
    let sxy: f64 = w.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let flat_x = w.iter().all(|p| p.0 == w[0].0);
    let flat_y = w.iter().all(|p| p.1 == w[0].1);
    let beta = (!flat_y).then(|| sxy / syy);
    let corr = (!flat_x && !flat_y).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0));
    (beta, corr, (sxx / syy).sqrt())
}

fn close_enough(got: f64, want: Option<f64>, scale: f64) -> bool {
    match want {
        None => got.is_nan(),
        Some(w) => (got - w).abs() <= 1e-9 * scale.max(w.abs()),
    }
}

/// One bar's draws: the close's shock, and the market's move (None: the
/// level is unknown at this bar) with whether it repeats the previous move.
type Step = (f64, Option<(f64, bool)>);

/// A price scale and a random walk of closes and market values.
fn series() -> impl Strategy<Value = (f64, Vec<Step>)> {
    let step = (
        -1.0f64..1.0,
        prop::option::weighted(0.9, (-1.0f64..1.0, prop::bool::weighted(0.15))),
    );
    (-6i32..6, vec(step, 1..300)).prop_map(|(e, steps)| (10f64.powi(e), steps))
}

proptest! {
    #[test]
    fn beta_and_corr_equal_a_recompute(period in 2usize..30, (scale, steps) in series()) {
        let e = engine(period);
        let mut st = e.new_state();
        let mut row = vec![0.0; 4];
        let (mut close, mut level, mut step) = (100.0 * scale, 0.25, 0.0);
        let (mut prev, mut on_ret, mut on_close) = (None::<f64>, Vec::new(), Vec::new());
        let mut prev_level = None::<f64>;
        for (z, draw) in steps {
            close *= (0.02 * z).exp();
            let known = draw.map(|(v, repeat)| {
                // Moves on a 1/1024 grid: levels and their differences are
                // exact, so a repeated move is exactly flat (a window of
                // moves equal up to rounding has no meaningful beta).
                if !repeat {
                    step = (v * 20.0).round() / 1024.0;
                }
                level += step;
                level
            });
            e.update_joined(&mut st, &bar(close), known.unwrap_or(f64::NAN), &mut row).unwrap();
            let ret = prev.map(|p| (close / p).ln());
            prev = Some(close);
            let m = prev_level.zip(known).map(|(p, l)| l - p);
            prev_level = known;
            prop_assert!(close_enough(row[0], ret, 1.0));
            if let Some(m) = m {
                on_close.push((close, m));
                if let Some(r) = ret {
                    on_ret.push((r, m));
                }
            }
            let fed = m.is_some() && ret.is_some();
            let (beta, corr, s) = if fed { naive(&on_ret, period) } else { (None, None, 1.0) };
            prop_assert!(close_enough(row[1], beta, s), "beta {} vs {beta:?}", row[1]);
            prop_assert!(close_enough(row[2], corr, 1.0), "corr {} vs {corr:?}", row[2]);
            let (beta_close, _, s) = if m.is_some() { naive(&on_close, period) } else { (None, None, 1.0) };
            prop_assert!(
                close_enough(row[3], beta_close, s),
                "close beta {} vs {beta_close:?}", row[3]
            );
        }
    }

    #[test]
    fn snapshot_restore_continues_bit_identically(cut in 0usize..200, (scale, steps) in series()) {
        let e = engine(20);
        let (mut a, mut row_a, mut row_b) = (e.new_state(), vec![0.0; 4], vec![0.0; 4]);
        let mut b = None;
        let (mut close, mut level) = (100.0 * scale, 0.0);
        for (i, (z, m)) in steps.iter().enumerate() {
            close *= (0.02 * z).exp();
            level += z * 0.01;
            let m = m.map_or(f64::NAN, |_| level);
            if i == cut {
                let bytes = serde_json::to_vec(&a).unwrap();
                b = Some(serde_json::from_slice(&bytes).unwrap());
            }
            e.update_joined(&mut a, &bar(close), m, &mut row_a).unwrap();
            if let Some(b) = b.as_mut() {
                e.update_joined(b, &bar(close), m, &mut row_b).unwrap();
                let bits = |r: &[f64]| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&row_a), bits(&row_b));
            }
        }
    }
}

#[test]
fn without_a_market_the_paired_features_are_null() {
    let e = engine(2);
    assert!(e.needs_market());
    assert!(!FeatureEngine::standard().needs_market());
    let mut st = e.new_state();
    let mut row = vec![0.0; 4];
    for c in [10.0, 11.0, 12.0, 10.5, 11.5] {
        e.update(&mut st, &bar(c), &mut row).unwrap();
    }
    assert!(row[0].is_finite());
    assert!(row[1..].iter().all(|v| v.is_nan()), "{row:?}");
    assert_eq!(e.columns(), ["ret_1", "beta_2", "corr_2", "close_beta_2"]);
}
