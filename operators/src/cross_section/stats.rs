//! Row-order mean / population-std z-scores and average-tie ranks over index lists.

/// Writes `(x - mean) / std` (population std, sums in the order of `rows`) into
/// `out` for every row in `rows`; NaN for all of them when fewer than
/// `min_count` rows or when all values are equal.
pub fn zscore_rows(values: &[f64], rows: &[u32], min_count: usize, out: &mut [f64]) {
    let n = rows.len();
    if n < min_count.max(2) {
        for &r in rows {
            out[r as usize] = f64::NAN;
        }
        return;
    }
    let first = values[rows[0] as usize];
    let mut sum = 0.0;
    let mut all_equal = true;
    for &r in rows {
        let x = values[r as usize];
        sum += x;
        all_equal &= x == first;
    }
    if all_equal {
        for &r in rows {
            out[r as usize] = f64::NAN;
        }
        return;
    }
    let mean = sum / n as f64;
    let mut ss = 0.0;
    for &r in rows {
        let d = values[r as usize] - mean;
        ss += d * d;
    }
    let std = (ss / n as f64).sqrt();
    for &r in rows {
        out[r as usize] = (values[r as usize] - mean) / std;
    }
}

/// Given row positions `sorted` in ascending value order and their sort keys,
/// writes average-tie ranks divided by the count into `out`.
pub fn average_ranks(sorted: &[u32], keys: &[u64], out: &mut [f64]) {
    let n = sorted.len();
    let count = n as f64;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && keys[end] == keys[start] {
            end += 1;
        }
        // ranks start+1 ..= end share their mean
        let rank = (start + 1 + end) as f64 / 2.0;
        for &r in &sorted[start..end] {
            out[r as usize] = rank / count;
        }
        start = end;
    }
}

/// Linear-interpolated quantile (numpy's default) of ascending `sorted` values.
pub fn quantile_sorted(sorted: impl Fn(usize) -> f64, n: usize, q: f64) -> f64 {
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    let (a, b) = (sorted(lo), sorted(hi));
    a + (b - a) * frac
}
