//! Walk-forward splits: consecutive test windows after a training window,
//! each fold's signal weights fixed or fitted on its training bars only,
//! and the folds' out-of-sample signals stitched into one.

use super::config::{Fit, SignalConfig, WalkForward};
use super::ic::rank_ic;
use super::panel::Panel;
use serde::Serialize;
use std::collections::BTreeMap;

/// One fold: bar ranges (calendar positions, end exclusive) and weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fold {
    /// First training bar.
    pub train_from: usize,
    /// One past the last training bar (the embargo starts here).
    pub train_to: usize,
    /// First test bar.
    pub test_from: usize,
    /// One past the last test bar.
    pub test_to: usize,
    /// The weights the test window used.
    pub weights: BTreeMap<String, f64>,
}

/// The folds of `wf` over `times` bars. The training window ends
/// `holding + 1` bars before the test window, so the last training IC's
/// forward return closes before the first test bar.
pub fn folds(wf: &WalkForward, holding: usize, times: usize) -> Vec<(usize, usize, usize, usize)> {
    let mut out = Vec::new();
    let mut start = wf.train;
    while start < times {
        let train_from = if wf.expanding { 0 } else { start - wf.train };
        out.push((
            train_from,
            start - holding - 1,
            start,
            (start + wf.test).min(times),
        ));
        start += wf.test;
    }
    out
}

/// The folds with their weights, and the stitched out-of-sample signal
/// (NaN outside the test windows).
pub fn stitch(
    config: &SignalConfig,
    wf: &WalkForward,
    panel: &Panel,
    eligible: &[bool],
    threads: usize,
) -> (Vec<Fold>, Vec<f64>) {
    let width = panel.width();
    let weights = config.weights();
    let column = |name: &str| {
        panel
            .column(name)
            .expect("the panel holds every signal column")
    };
    // Each column's IC at the holding horizon, for fitting.
    let ics: BTreeMap<&str, Vec<f64>> = match wf.fit {
        Fit::Fixed => BTreeMap::new(),
        Fit::Ic => weights
            .keys()
            .map(|c| {
                let ic = rank_ic(
                    width,
                    column(c),
                    eligible,
                    &panel.close,
                    &[config.holding],
                    threads,
                );
                (c.as_str(), ic.into_iter().next().unwrap_or_default())
            })
            .collect(),
    };
    let mut signal = vec![f64::NAN; panel.close.len()];
    let mut out = Vec::new();
    for (train_from, train_to, test_from, test_to) in folds(wf, config.holding, panel.ts.len()) {
        let fitted = match wf.fit {
            Fit::Fixed => weights.clone(),
            Fit::Ic => fit(&ics, train_from, train_to),
        };
        let cells = test_from * width..test_to * width;
        signal[cells.clone()].fill(0.0);
        for (name, &w) in &fitted {
            for (s, &v) in signal[cells.clone()]
                .iter_mut()
                .zip(&column(name)[cells.clone()])
            {
                *s += w * v;
            }
        }
        if fitted.values().all(|&w| w == 0.0) {
            signal[cells].fill(f64::NAN);
        }
        out.push(Fold {
            train_from,
            train_to,
            test_from,
            test_to,
            weights: fitted,
        });
    }
    (out, signal)
}

/// Weights proportional to each column's mean IC over the training bars,
/// scaled to a sum of absolute values of 1 (all 0 without any IC).
fn fit(ics: &BTreeMap<&str, Vec<f64>>, from: usize, to: usize) -> BTreeMap<String, f64> {
    let means: Vec<(String, f64)> = ics
        .iter()
        .map(|(name, ic)| {
            let v: Vec<f64> = ic[from..to]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            let mean = match v.len() {
                0 => 0.0,
                n => v.iter().sum::<f64>() / n as f64,
            };
            (name.to_string(), mean)
        })
        .collect();
    let scale: f64 = means.iter().map(|(_, m)| m.abs()).sum();
    means
        .into_iter()
        .map(|(n, m)| (n, if scale > 0.0 { m / scale } else { 0.0 }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_embargo_the_holding_period() {
        let wf = WalkForward {
            train: 10,
            test: 4,
            expanding: false,
            fit: Fit::Ic,
        };
        assert_eq!(
            folds(&wf, 2, 20),
            [(0, 7, 10, 14), (4, 11, 14, 18), (8, 15, 18, 20)]
        );
        let wf = WalkForward {
            expanding: true,
            ..wf
        };
        assert_eq!(folds(&wf, 2, 15)[1], (0, 11, 14, 15));
    }

    #[test]
    fn fitted_weights_follow_the_training_ic() {
        let ics = BTreeMap::from([
            ("a", vec![0.2, 0.4, f64::NAN, 9.0]),
            ("b", vec![-0.1, -0.1, -0.1, 9.0]),
        ]);
        let w = fit(&ics, 0, 3);
        assert!((w["a"] - 0.75).abs() < 1e-15 && (w["b"] + 0.25).abs() < 1e-15);
    }
}
