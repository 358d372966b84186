//! Fixed-width fractional differencing of `ln(close)` (`ffd_0_4`).

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Bars whose tails are computed together (see [`FracDiff`]).
const BLOCK: usize = 16;

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
            tails: Tails::default(),
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
/// O(K) per bar by definition (282 taps for d = 0.4, threshold 1e-4), split
/// in two: the newest `BLOCK` taps (the head) are summed at each bar; the
/// older ones (the tail) read only values at least `BLOCK` bars old, so
/// every `BLOCK` bars the tails of the next `BLOCK` bars are summed at once
/// over one linear copy of the window. Each window value is then read once
/// per block instead of once per bar, and the block's sums run in sixteen
/// lanes with no horizontal reduction. A tail's terms are summed in a fixed
/// order, whichever bar it is computed at, so a restored state (whose
/// tails are not stored and are summed again) continues bit-identically.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "FracDiffState", into = "FracDiffState")]
pub struct FracDiff {
    /// `w_{K-1}, ..., w_0`: aligned with the ring's oldest-first order.
    weights_oldest_first: Arc<[f64]>,
    d: f64,
    threshold: f64,
    ring: Ring,
    tails: Tails,
}

/// The state is the parameters and the window; the tails are derived.
impl PartialEq for FracDiff {
    fn eq(&self, other: &Self) -> bool {
        self.d.to_bits() == other.d.to_bits()
            && self.threshold.to_bits() == other.threshold.to_bits()
            && self.ring == other.ring
    }
}

/// The tails of the next bars: derived from the window, never stored.
#[derive(Debug, Clone, Default)]
struct Tails {
    values: [f64; BLOCK],
    /// Tails not yet taken: the next is `values[BLOCK - left]`.
    left: usize,
}

impl Tails {
    /// The tail of the bar just pushed, summing the next `BLOCK` when none
    /// is left. `w` is oldest first and longer than `BLOCK`.
    #[inline]
    fn take(&mut self, ring: &Ring, w: &[f64]) -> f64 {
        if self.left == 0 {
            self.fill(ring, w);
        }
        let v = self.values[BLOCK - self.left];
        self.left -= 1;
        v
    }

    /// With `s` the window oldest first (`s[K-1]` the bar just pushed) and
    /// `w` the weights oldest first, the tail of the bar `j` bars on is
    /// `sum_{i < K - BLOCK} w[i] s[i + j]`: the terms of taps `BLOCK..K`,
    /// all of values pushed before this bar. Summed in two halves of `i`
    /// (twice the independent additions in flight), then the halves added.
    fn fill(&mut self, ring: &Ring, w: &[f64]) {
        thread_local! {
            static WINDOW: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
        }
        WINDOW.with_borrow_mut(|s| {
            let (a, b) = ring.as_slices();
            s.clear();
            s.extend_from_slice(a);
            s.extend_from_slice(b);
            let n = s.len() - BLOCK;
            let lo = lanes(s, w, 0, n / 2);
            let hi = lanes(s, w, n / 2, n);
            for j in 0..BLOCK {
                self.values[j] = lo[j] + hi[j];
            }
        });
        self.left = BLOCK;
    }
}

/// `out[j] = sum_{i in from..to} w[i] s[i + j]` for `j < BLOCK`, each lane
/// a multiply then an add in `i` order (the same with or without vectors).
#[inline]
fn lanes(s: &[f64], w: &[f64], from: usize, to: usize) -> [f64; BLOCK] {
    let mut acc = [0.0f64; BLOCK];
    for (i, &wi) in w[from..to].iter().enumerate() {
        let x: &[f64; BLOCK] = s[from + i..from + i + BLOCK]
            .try_into()
            .expect("BLOCK values");
        for j in 0..BLOCK {
            acc[j] += wi * x[j];
        }
    }
    acc
}

impl FracDiff {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// Weights for order `d` (> 0) cut at `threshold` (in (0, 1)).
    pub fn new(d: f64, threshold: f64) -> Self {
        let weights = shared_weights(d, threshold);
        let k = weights.len();
        Self {
            weights_oldest_first: weights,
            d,
            threshold,
            ring: Ring::new(k),
            tails: Tails::default(),
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
        let w = &self.weights_oldest_first[..];
        let (a, b) = self.ring.as_slices();
        let k = w.len();
        if k <= BLOCK {
            let (wa, wb) = w.split_at(a.len());
            return Some(dot(a, wa) + dot(b, wb));
        }
        let tail = self.tails.take(&self.ring, w);
        // The newest BLOCK values, oldest first, against w_{BLOCK-1}..w_0.
        let mut newest = [0.0f64; BLOCK];
        if b.len() >= BLOCK {
            newest.copy_from_slice(&b[b.len() - BLOCK..]);
        } else {
            let from_a = BLOCK - b.len();
            newest[..from_a].copy_from_slice(&a[a.len() - from_a..]);
            newest[from_a..].copy_from_slice(b);
        }
        Some(dot(&newest, &w[k - BLOCK..]) + tail)
    }

    /// True once K values were seen.
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.tails = Tails::default();
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

    /// Short filters (no tail) and long ones, against the definition.
    #[test]
    fn matches_naive_sum_for_any_tap_count() {
        let xs: Vec<f64> = (0..400)
            .map(|i| 50.0 + (i as f64 * 0.91).cos() * 3.0)
            .collect();
        for (d, threshold) in [(0.4, 0.05), (0.9, 0.01), (0.4, 1e-3), (0.2, 1e-4)] {
            let w = FracDiff::weights(d, threshold);
            let mut f = FracDiff::new(d, threshold);
            for (i, &x) in xs.iter().enumerate() {
                let got = f.update(x);
                if i + 1 >= w.len() {
                    let exp: f64 = (0..w.len()).map(|k| w[k] * xs[i - k].ln()).sum();
                    assert!((got.unwrap() - exp).abs() <= 1e-12, "d={d} i={i}");
                }
            }
        }
    }

    /// A state restored at any bar (its tails not stored, summed again)
    /// continues bit-identically; so does a clone and a reset one.
    #[test]
    fn restored_at_any_bar_continues_bit_identically() {
        let xs: Vec<f64> = (0..360)
            .map(|i| 20.0 + (i as f64 * 0.13).sin() + i as f64 * 0.01)
            .collect();
        let mut whole = FracDiff::new(0.4, 1e-4);
        let expected: Vec<u64> = xs
            .iter()
            .map(|&x| whole.update(x).map_or(0, f64::to_bits))
            .collect();
        for cut in 270..310 {
            let mut f = FracDiff::new(0.4, 1e-4);
            for &x in &xs[..cut] {
                f.update(x);
            }
            let json = serde_json::to_string(&f).unwrap();
            let mut restored: FracDiff = serde_json::from_str(&json).unwrap();
            assert_eq!(restored, f);
            let mut copy = f.clone();
            for (i, &x) in xs.iter().enumerate().skip(cut) {
                let want = expected[i];
                assert_eq!(
                    restored.update(x).map_or(0, f64::to_bits),
                    want,
                    "cut {cut} bar {i}"
                );
                assert_eq!(
                    copy.update(x).map_or(0, f64::to_bits),
                    want,
                    "cut {cut} bar {i}"
                );
            }
        }
        whole.reset();
        let again: Vec<u64> = xs
            .iter()
            .map(|&x| whole.update(x).map_or(0, f64::to_bits))
            .collect();
        assert_eq!(again, expected);
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
