//! Fixed-width fractional differencing of `ln(close)` (`ffd_0_4`).

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Weights are shared by every symbol (and every restored snapshot) with the
/// same `(d, threshold)`: 282 taps read from one hot copy, not 4,000 cold ones.
type WeightCache = Mutex<HashMap<(u64, u64), Arc<[f64]>>>;

fn shared_weights(d: f64, threshold: f64) -> Arc<[f64]> {
    static CACHE: OnceLock<WeightCache> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry((d.to_bits(), threshold.to_bits()))
        .or_insert_with(|| FracDiff::weights(d, threshold).into_iter().rev().collect())
        .clone()
}

/// What a snapshot stores: the parameters and the window, not the weights.
#[derive(Serialize, Deserialize)]
struct FracDiffState {
    d: f64,
    threshold: f64,
    ring: Ring,
}

/// The tap count for `(d, threshold)` if it is at most `limit` (counted
/// without allocating: a snapshot's parameters are checked against its
/// window before any weights are computed).
fn taps_within(d: f64, threshold: f64, limit: usize) -> Option<usize> {
    let (mut last, mut k) = (1.0f64, 1usize);
    loop {
        let next = -last * (d - k as f64 + 1.0) / k as f64;
        if next.abs() < threshold || k > MAX_TAPS {
            return Some(k);
        }
        if k >= limit {
            return None;
        }
        last = next;
        k += 1;
    }
}

/// The weights stop here whatever the threshold.
const MAX_TAPS: usize = 1_000_000;

impl TryFrom<FracDiffState> for FracDiff {
    type Error = String;

    fn try_from(s: FracDiffState) -> Result<Self, String> {
        let window = s.ring.capacity();
        if taps_within(s.d, s.threshold, window) != Some(window) {
            return Err(format!(
                "ffd snapshot: a window of {window} values does not fit d = {}, threshold = {}",
                s.d, s.threshold
            ));
        }
        Ok(Self {
            weights_oldest_first: shared_weights(s.d, s.threshold),
            d: s.d,
            threshold: s.threshold,
            ring: s.ring,
        })
    }
}

impl From<FracDiff> for FracDiffState {
    fn from(f: FracDiff) -> Self {
        Self {
            d: f.d,
            threshold: f.threshold,
            ring: f.ring,
        }
    }
}

/// `ffd_i = sum_{k=0}^{K-1} w_k ln(x_{i-k})` with `w_0 = 1`,
/// `w_k = -w_{k-1} (d - k + 1) / k`, K the first k with `|w_k| < threshold`.
///
/// O(K) per bar by definition (282 taps for d = 0.4, threshold 1e-4); the
/// dot product runs over the ring's two contiguous halves with independent
/// accumulators so the compiler vectorises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FracDiffState", into = "FracDiffState")]
pub struct FracDiff {
    /// `w_{K-1}, ..., w_0`: aligned with the ring's oldest-first order.
    weights_oldest_first: Arc<[f64]>,
    d: f64,
    threshold: f64,
    ring: Ring,
}

impl FracDiff {
    /// Weights for order `d` (> 0) cut at `threshold` (in (0, 1)).
    pub fn new(d: f64, threshold: f64) -> Self {
        let weights = shared_weights(d, threshold);
        let k = weights.len();
        Self {
            weights_oldest_first: weights,
            d,
            threshold,
            ring: Ring::new(k),
        }
    }

    /// The weights `w_0 .. w_{K-1}` for `d` and `threshold`.
    pub fn weights(d: f64, threshold: f64) -> Vec<f64> {
        let mut w = vec![1.0];
        let mut k = 1usize;
        loop {
            let next = -w[k - 1] * (d - k as f64 + 1.0) / k as f64;
            if next.abs() < threshold || k > MAX_TAPS {
                break;
            }
            w.push(next);
            k += 1;
        }
        w
    }

    /// Number of taps K.
    pub fn taps(&self) -> usize {
        self.weights_oldest_first.len()
    }

    /// Feeds one value (a price: its log is taken); the difference once K values exist.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.ring.push(x.ln());
        if !self.ring.is_full() {
            return None;
        }
        let (a, b) = self.ring.as_slices();
        let (wa, wb) = self.weights_oldest_first.split_at(a.len());
        Some(dot(a, wa) + dot(b, wb))
    }

    /// True once K values were seen.
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.ring.clear();
    }
}

/// Dot product in sixteen independent lanes: four 4-wide accumulators held
/// in separate locals (one vector register each; as one 4x4 array the
/// compiler kept them on the stack), each lane a multiply then an add, so
/// the sum is the same with or without vectors. The lanes are summed as a
/// vector's halves are (0 + 2, 1 + 3): summed 0 + 1 the compiler splits every
/// accumulator into 2-wide halves with a shuffle per multiply.
#[inline]
fn dot(x: &[f64], w: &[f64]) -> f64 {
    #[inline(always)]
    fn madd(acc: &mut [f64; 4], x: &[f64], w: &[f64]) {
        for l in 0..4 {
            acc[l] += x[l] * w[l];
        }
    }
    let n = x.len().min(w.len());
    let (x, w) = (&x[..n], &w[..n]);
    let (mut a0, mut a1, mut a2, mut a3) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    let full = n / 16 * 16;
    for (xs, ws) in x[..full].chunks_exact(16).zip(w[..full].chunks_exact(16)) {
        madd(&mut a0, &xs[0..4], &ws[0..4]);
        madd(&mut a1, &xs[4..8], &ws[4..8]);
        madd(&mut a2, &xs[8..12], &ws[8..12]);
        madd(&mut a3, &xs[12..16], &ws[12..16]);
    }
    let mut tail = [0.0f64; 4];
    for k in full..n {
        tail[k % 4] += x[k] * w[k];
    }
    let lane = |l: usize| (a0[l] + a1[l]) + (a2[l] + a3[l]) + tail[l];
    // halves first, as a vector's horizontal sum does
    (lane(0) + lane(2)) + (lane(1) + lane(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parameters_give_282_taps() {
        let w = FracDiff::weights(0.4, 1e-4);
        assert_eq!(w.len(), 282);
        assert!(w[281].abs() >= 1e-4);
        assert_eq!(w[0], 1.0);
        assert!((w[1] + 0.4).abs() < 1e-15);
    }

    #[test]
    fn matches_naive_sum() {
        let xs: Vec<f64> = (0..700)
            .map(|i| 100.0 + (i as f64 * 0.37).sin() * 5.0)
            .collect();
        let w = FracDiff::weights(0.4, 1e-4);
        let mut f = FracDiff::new(0.4, 1e-4);
        for (i, &x) in xs.iter().enumerate() {
            let got = f.update(x);
            if i + 1 < w.len() {
                assert_eq!(got, None);
            } else {
                let exp: f64 = (0..w.len()).map(|k| w[k] * xs[i - k].ln()).sum();
                assert!((got.unwrap() - exp).abs() <= 1e-12, "i={i}");
            }
        }
    }

    #[test]
    fn snapshots_whose_window_does_not_fit_the_parameters_are_refused() {
        let mut f = FracDiff::new(0.4, 1e-4);
        f.update(100.0);
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<FracDiff>(&json).unwrap(), f);
        // a threshold that would need millions of taps, with a 282-value window
        let tiny = json.replace("0.0001", "1e-300");
        let e = serde_json::from_str::<FracDiff>(&tiny)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not fit"), "{e}");
        assert_eq!(taps_within(0.4, 1e-4, 282), Some(282));
        assert_eq!(taps_within(0.4, 1e-4, 281), None);
        assert_eq!(taps_within(f64::NAN, 1e-4, 1000), None);
    }
}
