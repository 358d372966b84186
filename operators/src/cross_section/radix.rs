//! Argsort of `f64`: an LSD radix sort on the order-preserving bit pattern
//! for long columns; for the rest, a bucket sort by value where a sample
//! shows the values spread out, else a comparison sort.

use std::ops::Range;

/// Maps an `f64` to a `u64` whose unsigned order is the numeric order
/// (`-0.0` and `0.0` map to the same key). NaN must be filtered out first.
#[inline]
pub fn order_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The value whose [`order_key`] is `key` (`0.0` for either zero).
#[inline]
fn key_value(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// Below this many values a comparison sort beats the radix passes
/// (measured: equal at 4,000, radix 2x faster at 50,000); a bucket sort
/// beats both where it applies (half the comparison sort's time at 4,000).
const RADIX_MIN: usize = 8_192;
const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: usize = 64usize.div_ceil(DIGIT_BITS as usize);
/// From this many values a bucket sort is tried before a comparison sort.
const BUCKET_MIN: usize = 256;
/// Values sampled for a bucket sort's range.
const SAMPLES: usize = 64;

/// Reusable buffers for [`RadixSorter::argsort`].
#[derive(Debug, Default, Clone)]
pub struct RadixSorter {
    keys: Vec<u64>,
    keys_tmp: Vec<u64>,
    idx_tmp: Vec<u32>,
    histograms: Vec<u32>,
    /// Each value's bucket in [`Self::bucket_sort`].
    buckets: Vec<u32>,
    /// Top half of a key above the entry's place in `keys`.
    packed: Vec<u64>,
    /// One run of keys sharing their top half, with positions.
    run: Vec<(u64, u32)>,
}

impl RadixSorter {
    /// Sorts `(keys, idx)` pairs by key, stably; afterwards `keys()` holds the sorted
    /// keys and `idx` the original positions in that order.
    ///
    /// `values` are `(position, value)` pairs of finite-or-infinite, non-NaN values.
    pub fn argsort(&mut self, values: impl Iterator<Item = (u32, f64)>, idx: &mut Vec<u32>) {
        self.keys.clear();
        idx.clear();
        for (i, v) in values {
            self.keys.push(order_key(v));
            idx.push(i);
        }
        let n = self.keys.len();
        if n < RADIX_MIN {
            if n < BUCKET_MIN || !self.bucket_sort(idx) {
                self.comparison_sort(idx);
            }
            return;
        }
        self.histograms.clear();
        self.histograms.resize(BUCKETS * PASSES, 0);
        for &k in &self.keys {
            for p in 0..PASSES {
                let digit = ((k >> (p as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1);
                self.histograms[p * BUCKETS + digit] += 1;
            }
        }
        self.keys_tmp.resize(n, 0);
        self.idx_tmp.resize(n, 0);
        for p in 0..PASSES {
            let hist = &mut self.histograms[p * BUCKETS..(p + 1) * BUCKETS];
            let shift = p as u32 * DIGIT_BITS;
            let first_digit = ((self.keys[0] >> shift) as usize) & (BUCKETS - 1);
            if hist[first_digit] as usize == n {
                continue; // every key shares this digit: the pass would not move anything
            }
            let mut offset = 0u32;
            for h in hist.iter_mut() {
                let c = *h;
                *h = offset;
                offset += c;
            }
            for (&k, &i) in self.keys.iter().zip(idx.iter()) {
                let digit = ((k >> shift) as usize) & (BUCKETS - 1);
                let dst = hist[digit] as usize;
                hist[digit] += 1;
                self.keys_tmp[dst] = k;
                self.idx_tmp[dst] = i;
            }
            std::mem::swap(&mut self.keys, &mut self.keys_tmp);
            std::mem::swap(idx, &mut self.idx_tmp);
        }
    }

    /// Sorts by `(key, position)` through about `n` buckets evenly spaced in
    /// value between the second least and the second greatest of 64 sampled
    /// values (the few values outside share the end buckets instead of
    /// stretching every bucket, even where one outlier is sampled), in one
    /// counting pass; the buckets then lie in order, the two end buckets are
    /// sorted by comparison and one insertion pass orders the few values
    /// within each other bucket (the value is read back from its key: either
    /// zero lands in the same bucket). Returns false, sorting nothing, where
    /// the sampled range is empty or not finite, or where a bucket between
    /// the ends holds more than a sixteenth of the values (ties, or a
    /// clump): the insertion pass would be slow. The ends hold ~3% of the
    /// values each, but the sample's second least or greatest value falls
    /// often enough for one end to take more than a sixteenth (a seventh of
    /// a backfill's cross-sections fell back to the comparison sort when the
    /// ends counted too, after the buckets were counted).
    fn bucket_sort(&mut self, idx: &mut Vec<u32>) -> bool {
        let n = self.keys.len();
        let mut sample = [0u64; SAMPLES];
        for (s, k) in sample.iter_mut().enumerate() {
            *k = self.keys[s * n / SAMPLES];
        }
        sample.sort_unstable();
        let (lo, hi) = (key_value(sample[1]), key_value(sample[SAMPLES - 2]));
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            return false;
        }
        let buckets = n + 2;
        let scale = n as f64 / (hi - lo);
        let top = (buckets - 1) as f64;
        // Monotone in the value: a subtraction, a product by a positive
        // number and an addition (each rounded) never reverse two values.
        self.buckets.clear();
        self.buckets.extend(self.keys.iter().map(|&k| {
            let v = key_value(k);
            ((v - lo) * scale + 1.0).clamp(0.0, top) as u32
        }));
        self.histograms.clear();
        self.histograms.resize(buckets, 0);
        for &b in &self.buckets {
            self.histograms[b as usize] += 1;
        }
        let most = (n / 16).max(64) as u32;
        if self.histograms[1..buckets - 1].iter().any(|&c| c > most) {
            return false;
        }
        let below = self.histograms[0] as usize;
        let above = self.histograms[buckets - 1] as usize;
        let mut offset = 0u32;
        for h in self.histograms.iter_mut() {
            let c = *h;
            *h = offset;
            offset += c;
        }
        self.keys_tmp.resize(n, 0);
        self.idx_tmp.resize(n, 0);
        for ((&b, &k), &i) in self.buckets.iter().zip(&self.keys).zip(idx.iter()) {
            let dst = self.histograms[b as usize] as usize;
            self.histograms[b as usize] += 1;
            self.keys_tmp[dst] = k;
            self.idx_tmp[dst] = i;
        }
        std::mem::swap(&mut self.keys, &mut self.keys_tmp);
        std::mem::swap(idx, &mut self.idx_tmp);
        self.sort_range(0..below, idx);
        self.sort_range(n - above..n, idx);
        insertion_sort(&mut self.keys, idx);
        true
    }

    /// Sorts `keys[range]` and `idx[range]` together by `(key, position)`.
    fn sort_range(&mut self, range: Range<usize>, idx: &mut [u32]) {
        if range.len() < 2 {
            return;
        }
        self.run.clear();
        self.run.extend(
            self.keys[range.clone()]
                .iter()
                .copied()
                .zip(idx[range.clone()].iter().copied()),
        );
        self.run.sort_unstable();
        for (k, &(key, i)) in self.run.iter().enumerate() {
            self.keys[range.start + k] = key;
            idx[range.start + k] = i;
        }
    }

    /// Sorts by `(key, position)`: first plain `u64`s (a key's top 32 bits
    /// above its entry's place, which the standard sort orders without
    /// branching on a second field), then, within each run sharing the top
    /// 32 bits, by the whole key and the position.
    fn comparison_sort(&mut self, idx: &mut Vec<u32>) {
        let n = self.keys.len();
        self.packed.clear();
        self.packed.extend(
            self.keys
                .iter()
                .enumerate()
                .map(|(k, &key)| ((key >> 32) << 32) | k as u64),
        );
        self.packed.sort_unstable();
        // sized first, then filled by position (pushes would store and
        // reload each vector's length around every gathered load)
        self.keys_tmp.resize(n, 0);
        self.idx_tmp.resize(n, 0);
        let gathered = self.keys_tmp.iter_mut().zip(self.idx_tmp.iter_mut());
        for ((key, i), &p) in gathered.zip(&self.packed) {
            let k = (p & u64::from(u32::MAX)) as usize;
            *key = self.keys[k];
            *i = idx[k];
        }
        std::mem::swap(&mut self.keys, &mut self.keys_tmp);
        std::mem::swap(idx, &mut self.idx_tmp);
        let mut start = 0;
        while start < n {
            let top = self.keys[start] >> 32;
            let end = start
                + self.keys[start..]
                    .iter()
                    .take_while(|&&key| key >> 32 == top)
                    .count();
            self.sort_range(start..end, idx);
            start = end;
        }
    }

    /// The sorted keys of the last [`argsort`](Self::argsort).
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }
}

/// Sorts the parallel slices by `(key, position)`, stably: quick where each
/// entry is near its place (after [`RadixSorter::bucket_sort`]'s scatter).
fn insertion_sort(keys: &mut [u64], idx: &mut [u32]) {
    for j in 1..keys.len() {
        let (key, i) = (keys[j], idx[j]);
        if (keys[j - 1], idx[j - 1]) <= (key, i) {
            continue;
        }
        let mut at = j;
        while at > 0 && (keys[at - 1], idx[at - 1]) > (key, i) {
            keys[at] = keys[at - 1];
            idx[at] = idx[at - 1];
            at -= 1;
        }
        keys[at] = key;
        idx[at] = i;
    }
}

/// The comparison-sort baseline the radix sort is benchmarked against.
pub fn argsort_comparison(values: &[f64]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..values.len() as u32)
        .filter(|&i| !values[i as usize].is_nan())
        .collect();
    idx.sort_unstable_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_preserves_order() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -1e-310,
            -0.0,
            0.0,
            1e-310,
            3.0,
            1e300,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]), "{} {}", w[0], w[1]);
        }
        assert_eq!(order_key(-0.0), order_key(0.0));
    }

    /// The positions of `xs` in a stable sort by `(key, position)`.
    fn by_key_then_position(xs: &[f64]) -> Vec<u32> {
        let mut exp: Vec<u32> = (0..xs.len() as u32).collect();
        exp.sort_by_key(|&i| (order_key(xs[i as usize]), i));
        exp
    }

    /// Argsorts `pairs` (positions into `xs`, in any order) and checks the
    /// positions and keys against a stable sort by `(key, position)`.
    fn sorts_by_key_then_position(xs: &[f64], pairs: Vec<(u32, f64)>, what: &str) {
        let n = xs.len();
        let mut sorter = RadixSorter::default();
        let mut idx = Vec::new();
        sorter.argsort(pairs.into_iter(), &mut idx);
        let exp = by_key_then_position(xs);
        assert_eq!(idx, exp, "{what} n={n}");
        let keys: Vec<u64> = exp.iter().map(|&i| order_key(xs[i as usize])).collect();
        assert_eq!(sorter.keys(), keys, "{what} n={n}");
    }

    /// [`sorts_by_key_then_position`] with the positions arriving rising,
    /// then falling.
    fn sorts_rising_and_falling(xs: &[f64], what: &str) {
        for falling in [false, true] {
            let mut pairs: Vec<(u32, f64)> =
                xs.iter().enumerate().map(|(i, &v)| (i as u32, v)).collect();
            if falling {
                pairs.reverse();
            }
            sorts_by_key_then_position(xs, pairs, &format!("{what} falling={falling}"));
        }
    }

    #[test]
    fn key_value_inverts_order_key() {
        for x in [
            f64::NEG_INFINITY,
            -2.5,
            -1e-310,
            0.0,
            1e-310,
            3.0,
            f64::INFINITY,
        ] {
            assert_eq!(key_value(order_key(x)).to_bits(), x.to_bits());
        }
        assert_eq!(key_value(order_key(-0.0)).to_bits(), 0.0f64.to_bits());
    }

    /// The bucket sort (and its fallback) on shapes real cross-sections
    /// take: even, bell-shaped, with far outliers, a third tied, infinities
    /// and signed zeros, clusters, one sharp peak; positions rising or
    /// falling.
    #[test]
    fn bucket_sort_orders_every_shape() {
        let mut state = 777u64;
        let mut unit = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let shapes: [&dyn Fn(f64, f64, usize) -> f64; 7] = [
            &|u, _, _| u * 200.0 - 100.0,
            &|u, v, _| (u + v - 1.0) * 0.02,
            &|u, _, k| match k % 499 {
                0 => 1e12,
                1 => -1e12,
                _ => (u - 0.5) * 0.1,
            },
            &|u, _, k| if k % 3 == 0 { 0.0 } else { u },
            &|u, _, k| match k % 97 {
                0 => f64::INFINITY,
                1 => f64::NEG_INFINITY,
                2 => -0.0,
                3 => 0.0,
                _ => u - 0.5,
            },
            &|u, _, k| (k % 50) as f64 + u * 1e-9,
            &|u, _, _| (u - 0.5).powi(5),
        ];
        // which shapes the buckets take at 4,000 (ties and a sharp peak fall
        // back; the clusters the sample misses go to the end bucket above)
        let bucketed = [true, true, true, false, true, true, false];
        for (s, shape) in shapes.iter().enumerate() {
            for n in [256usize, 300, 1_000, 4_000, 8_191] {
                let xs: Vec<f64> = (0..n).map(|k| shape(unit(), unit(), k)).collect();
                if n == 4_000 {
                    let mut sorter = RadixSorter {
                        keys: xs.iter().map(|&x| order_key(x)).collect(),
                        ..RadixSorter::default()
                    };
                    let mut idx = (0..n as u32).collect();
                    assert_eq!(sorter.bucket_sort(&mut idx), bucketed[s], "shape {s}");
                }
                sorts_rising_and_falling(&xs, &format!("shape {s}"));
            }
        }
    }

    /// Values beyond the sampled range at far more than a sixteenth of the
    /// positions each side (the sample lands on moderate ones), with ties
    /// among them: the end buckets take them and the bucket sort still
    /// applies.
    #[test]
    fn full_end_buckets_are_sorted() {
        for n in [256usize, 1_000, 4_000] {
            let sampled: Vec<usize> = (0..SAMPLES).map(|s| s * n / SAMPLES).collect();
            let xs: Vec<f64> = (0..n)
                .map(|k| match (sampled.contains(&k), k % 5) {
                    (false, 0) => -1e6 - (k * 7_919 % 100) as f64,
                    (false, 1) => 1e6 + (k * 104_729 % 100) as f64,
                    _ => (k % 97) as f64 * 0.01 + k as f64 * 1e-7,
                })
                .collect();
            let mut sorter = RadixSorter {
                keys: xs.iter().map(|&x| order_key(x)).collect(),
                ..RadixSorter::default()
            };
            let mut idx: Vec<u32> = (0..n as u32).collect();
            assert!(sorter.bucket_sort(&mut idx), "n={n}");
            assert_eq!(idx, by_key_then_position(&xs), "n={n}");
            sorts_rising_and_falling(&xs, "ends");
        }
    }

    #[test]
    fn equal_keys_keep_position_order() {
        // Keys that share their top 32 bits but not the rest, exact ties;
        // below the radix threshold positions may also arrive falling.
        let base = [1.0, 1.0 + 1e-12, 1.0 - 1e-12, -2.0, 1.0, 1e-300, 0.0, -0.0];
        for (n, falling) in [(8usize, true), (100, true), (5_000, true), (9_000, false)] {
            let xs: Vec<f64> = (0..n).map(|k| base[(k * 7 + k / 8) % base.len()]).collect();
            let pairs: Vec<(u32, f64)> = match falling {
                true => (0..n).rev().map(|i| (i as u32, xs[i])).collect(),
                false => (0..n).map(|i| (i as u32, xs[i])).collect(),
            };
            sorts_by_key_then_position(&xs, pairs, "base");
        }
    }

    #[test]
    fn sorts_like_a_comparison_sort() {
        let mut state = 12345u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [0usize, 1, 5, 63, 64, 1000, 5000] {
            let xs: Vec<f64> = (0..n)
                .map(|_| {
                    let r = next();
                    match r % 5 {
                        0 => ((r >> 8) % 7) as f64 - 3.0, // many ties, some negative
                        _ => (r >> 11) as f64 / (1u64 << 53) as f64 * 2e6 - 1e6,
                    }
                })
                .collect();
            let mut sorter = RadixSorter::default();
            let mut idx = Vec::new();
            sorter.argsort(xs.iter().enumerate().map(|(i, &v)| (i as u32, v)), &mut idx);
            let got: Vec<f64> = idx.iter().map(|&i| xs[i as usize]).collect();
            let mut exp = xs.clone();
            exp.sort_by(f64::total_cmp);
            assert_eq!(got, exp, "n={n}");
        }
    }
}
