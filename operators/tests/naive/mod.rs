//! A naive, from-scratch batch recompute of the standard feature set
//! (`shared/spec/features.md`), used as the oracle of `incremental_vs_naive`.
//!
//! Deliberately shares no code with `tickflow_operators` and uses only std:
//!
//! - windowed quantities are recomputed from the whole window at every index
//!   (direct sums, direct max/min scans, two-pass mean/variance), so there is
//!   no running state that could drift or be carried wrongly;
//! - the recursive TA-Lib indicators (EMA, RSI, MACD, KAMA, ATR, ADX/DI) run
//!   their recursion plainly over the array with TA-Lib's seeds and lookbacks
//!   (TA-Lib C 0.8.1, unstable period 0; thresholds as in 0.8.1). Where TA-Lib
//!   0.8.1 itself fuses a step (EMA, MACD, KAMA) `mul_add` is used so that
//!   differences of two nearly equal EMAs are not swamped by rounding (with
//!   plain arithmetic MACD fails 1e-9: e.g. a line of 0.9 on a 1.4e7 price); everything else is plain arithmetic in the textbook
//!   form (e.g. Wilder `(prev * (n - 1) + x) / n`), which the tolerance absorbs;
//! - one deliberate exception to "most direct": CCI sums its window in
//!   TA-Lib's buffer order, because `tp - mean` cancels (see [`cci`]).
//!
//! Every output is a `Vec<f64>` as long as the input, NaN for null.

// Index loops on purpose: each function reads as its textbook definition.
#![allow(dead_code, clippy::needless_range_loop, clippy::manual_memcpy)]

/// One symbol's bars as columns.
#[derive(Debug, Clone, Default)]
pub struct Bars {
    /// Opening prices.
    pub open: Vec<f64>,
    /// Highs.
    pub high: Vec<f64>,
    /// Lows.
    pub low: Vec<f64>,
    /// Closes.
    pub close: Vec<f64>,
    /// Volumes.
    pub volume: Vec<f64>,
}

impl Bars {
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.close.len()
    }
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// A column of `n` nulls.
fn nulls(n: usize) -> Vec<f64> {
    vec![f64::NAN; n]
}

/// TA-Lib `TA_IS_ZERO`: strictly inside (-1e-14, 1e-14).
fn ta_is_zero(v: f64) -> bool {
    -1e-14 < v && v < 1e-14
}

/// TA-Lib 0.8 `TA_IS_ZERO_SCALED`: `|v| <= 1e-14 * scale`.
fn ta_is_zero_scaled(v: f64, scale: f64) -> bool {
    v.abs() <= 1e-14 * scale
}

/// Arithmetic mean: a straight left-to-right sum divided by the count.
fn mean(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in xs {
        s += x;
    }
    s / xs.len() as f64
}

/// Sum of squared deviations from the mean by the corrected two-pass
/// algorithm (Chan, Golub & LeVeque): `sum (x - m)^2 - (sum (x - m))^2 / n`;
/// the second term cancels the rounding error of `m` (a window of equal
/// values gives 0 up to ~eps * ulp(x)^2, not ulp(x)^2).
fn sum_sq_dev(xs: &[f64]) -> f64 {
    let m = mean(xs);
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in xs {
        let d = x - m;
        s1 += d;
        s2 += d * d;
    }
    (s2 - s1 * s1 / xs.len() as f64).max(0.0)
}

/// Population variance (divides by n).
fn population_variance(xs: &[f64]) -> f64 {
    sum_sq_dev(xs) / xs.len() as f64
}

/// Sample variance (divides by n - 1).
fn sample_variance(xs: &[f64]) -> f64 {
    sum_sq_dev(xs) / (xs.len() as f64 - 1.0)
}

/// True when every value of `xs` equals the first.
fn all_equal(xs: &[f64]) -> bool {
    xs.iter().all(|&x| x == xs[0])
}

/// Largest value of a window by a direct scan.
fn max_of(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Smallest value of a window by a direct scan.
fn min_of(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

/// The window of `p` values ending at index `i` (inclusive).
fn window(x: &[f64], i: usize, p: usize) -> &[f64] {
    &x[i + 1 - p..=i]
}

/// True range of bar `i >= 1`: max(high - low, |high - prev close|, |low - prev close|).
fn true_range(b: &Bars, i: usize) -> f64 {
    let pc = b.close[i - 1];
    (b.high[i] - b.low[i])
        .max((b.high[i] - pc).abs())
        .max((b.low[i] - pc).abs())
}

/// Directional movements of bar `i >= 1` (Wilder, as TA-Lib selects them):
/// up = high_i - high_{i-1}, down = low_{i-1} - low_i; +DM = up when up > 0 and
/// up > down, -DM = down when down > 0 and down > up, else 0 (ties give 0/0).
fn directional_movement(b: &Bars, i: usize) -> (f64, f64) {
    let up = b.high[i] - b.high[i - 1];
    let down = b.low[i - 1] - b.low[i];
    let plus = if up > 0.0 && up > down { up } else { 0.0 };
    let minus = if down > 0.0 && down > up { down } else { 0.0 };
    (plus, minus)
}

/// Typical price ((high + low) + close) / 3.
fn typical_price(b: &Bars, i: usize) -> f64 {
    ((b.high[i] + b.low[i]) + b.close[i]) / 3.0
}

// ---------------------------------------------------------------------------
// Returns and simple windows
// ---------------------------------------------------------------------------

/// `ln(x_i / x_{i-k})` from index k.
pub fn log_return(x: &[f64], k: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in k..x.len() {
        out[i] = (x[i] / x[i - k]).ln();
    }
    out
}

/// `x_i / x_{i-k} - 1` from index k.
pub fn pct_return(x: &[f64], k: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in k..x.len() {
        out[i] = x[i] / x[i - k] - 1.0;
    }
    out
}

/// The value k bars ago, from index k.
pub fn lag(x: &[f64], k: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in k..x.len() {
        out[i] = x[i - k];
    }
    out
}

/// Mean close * volume of the last p bars, from index p - 1.
pub fn adv(b: &Bars, p: usize) -> Vec<f64> {
    let dv: Vec<f64> = b.close.iter().zip(&b.volume).map(|(c, v)| c * v).collect();
    sma(&dv, p)
}

/// TA-Lib ROC: `((x_i / x_{i-p}) - 1) * 100` from index p; 0 when x_{i-p} is 0.
pub fn roc(x: &[f64], p: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in p..x.len() {
        let base = x[i - p];
        out[i] = if base != 0.0 {
            (x[i] / base - 1.0) * 100.0
        } else {
            0.0
        };
    }
    out
}

/// TA-Lib SMA: mean of the last p values, from index p - 1.
pub fn sma(x: &[f64], p: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in p.saturating_sub(1)..x.len() {
        out[i] = mean(window(x, i, p));
    }
    out
}

/// TA-Lib STDDEV: population standard deviation of the last p values times
/// `nbdev`, from index p - 1.
pub fn stddev(x: &[f64], p: usize, nbdev: f64) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in p.saturating_sub(1)..x.len() {
        out[i] = population_variance(window(x, i, p)).sqrt() * nbdev;
    }
    out
}

/// Bollinger bands with an SMA middle (TA-Lib BBANDS(p, up, dn, SMA)) plus the
/// spec's %b and width. From index p - 1:
/// middle = SMA, sd = population std of the window,
/// upper = middle + up * sd, lower = middle - dn * sd,
/// pctb = (x - lower) / (upper - lower), null when the window's values are all equal,
/// width = (upper - lower) / middle, null when middle is 0.
/// Returns [upper, middle, lower, pctb, width].
pub fn bbands(x: &[f64], p: usize, up: f64, dn: f64) -> [Vec<f64>; 5] {
    let n = x.len();
    let [mut upper, mut middle, mut lower, mut pctb, mut width] =
        [nulls(n), nulls(n), nulls(n), nulls(n), nulls(n)];
    for i in p.saturating_sub(1)..n {
        let w = window(x, i, p);
        let mid = mean(w);
        let sd = population_variance(w).sqrt();
        let (u, l) = (mid + up * sd, mid - dn * sd);
        upper[i] = u;
        middle[i] = mid;
        lower[i] = l;
        if !all_equal(w) {
            pctb[i] = (x[i] - l) / (u - l);
        }
        if mid != 0.0 {
            width[i] = (u - l) / mid;
        }
    }
    [upper, middle, lower, pctb, width]
}

/// Sample (n - 1) standard deviation of the last p values of a column that
/// may start with nulls; defined where all p values are.
pub fn rolling_sample_std(x: &[f64], p: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in p.saturating_sub(1)..x.len() {
        let w = window(x, i, p);
        if w.iter().all(|v| !v.is_nan()) {
            out[i] = sample_variance(w).sqrt();
        }
    }
    out
}

/// `(x_i - mean) / std` over the last p values including x_i, population std;
/// null when those p values are all equal. From index p - 1.
pub fn zscore(x: &[f64], p: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    for i in p.saturating_sub(1)..x.len() {
        let w = window(x, i, p);
        if !all_equal(w) {
            out[i] = (x[i] - mean(w)) / population_variance(w).sqrt();
        }
    }
    out
}

/// TA-Lib OBV: obv_0 = volume_0; then + volume on a higher close, - volume on
/// a lower close, unchanged on an equal close.
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    let mut out = nulls(close.len());
    if close.is_empty() {
        return out;
    }
    let mut v = volume[0];
    out[0] = v;
    for i in 1..close.len() {
        if close[i] > close[i - 1] {
            v += volume[i];
        } else if close[i] < close[i - 1] {
            v -= volume[i];
        }
        out[i] = v;
    }
    out
}

/// Fixed-width fractional difference of ln(x): w_0 = 1,
/// w_k = -w_{k-1} (d - k + 1) / k, K = the first k with |w_k| < threshold;
/// ffd_i = sum_{k<K} w_k ln(x_{i-k}) for i >= K - 1.
pub fn ffd(x: &[f64], d: f64, threshold: f64) -> Vec<f64> {
    let mut w = vec![1.0f64];
    loop {
        let k = w.len() as f64;
        let next = -w[w.len() - 1] * (d - k + 1.0) / k;
        if next.abs() < threshold {
            break;
        }
        w.push(next);
    }
    let taps = w.len();
    let mut out = nulls(x.len());
    for i in taps - 1..x.len() {
        let mut s = 0.0;
        for (k, wk) in w.iter().enumerate() {
            s += wk * x[i - k].ln();
        }
        out[i] = s;
    }
    out
}

// ---------------------------------------------------------------------------
// Recursive TA-Lib indicators on one series
// ---------------------------------------------------------------------------

/// TA-Lib EMA: out_{p-1} = mean(x_0..x_{p-1}), then
/// ema = ema + k (x - ema) with k = 2 / (p + 1); period 1 copies the input.
pub fn ema(x: &[f64], p: usize) -> Vec<f64> {
    if p == 1 {
        return x.to_vec();
    }
    let mut out = nulls(x.len());
    if x.len() < p {
        return out;
    }
    let k = 2.0 / (p as f64 + 1.0);
    let mut e = mean(&x[..p]);
    out[p - 1] = e;
    for i in p..x.len() {
        e = (x[i] - e).mul_add(k, e);
        out[i] = e;
    }
    out
}

/// TA-Lib KAMA(p), fast 2 / slow 30: from index p,
/// er = |x_t - x_{t-p}| / sum_{j=t-p+1..t} |x_j - x_{j-1}| (1 when that sum
/// is 0 or x_t - x_{t-p} >= it; at most 1), sc = (er (2/3 - 2/31) + 2/31)^2,
/// kama_t = kama_{t-1} + sc (x_t - kama_{t-1}) with kama_{p-1} = x_{p-1}.
/// Period 1 copies the input (TA-Lib lookback 0).
pub fn kama(x: &[f64], p: usize) -> Vec<f64> {
    if p == 1 {
        return x.to_vec();
    }
    let mut out = nulls(x.len());
    if x.len() <= p {
        return out;
    }
    let slowest = 2.0 / (30.0 + 1.0);
    let diff = 2.0 / (2.0 + 1.0) - slowest;
    let mut k = x[p - 1];
    for t in p..x.len() {
        let change = x[t] - x[t - p];
        let mut noise = 0.0;
        for j in t + 1 - p..=t {
            noise += (x[j] - x[j - 1]).abs();
        }
        let er = if noise <= 0.0 || change >= noise {
            1.0
        } else {
            (change / noise).abs().min(1.0)
        };
        let sc = er.mul_add(diff, slowest);
        let sc = sc * sc;
        k = sc.mul_add(x[t] - k, k);
        out[t] = k;
    }
    out
}

/// TA-Lib RSI(p) (Wilder): from index p, average gain/loss seeded with the
/// plain mean of the first p changes, then avg = (avg (p - 1) + new) / p;
/// rsi = 100 gain / (gain + loss), 0 when gain + loss is 0.
pub fn rsi(x: &[f64], p: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    if x.len() <= p {
        return out;
    }
    let pf = p as f64;
    let value = |g: f64, l: f64| {
        if g + l > 0.0 {
            100.0 * (g / (g + l))
        } else {
            0.0
        }
    };
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in 1..=p {
        let d = x[i] - x[i - 1];
        gain += d.max(0.0);
        loss += (-d).max(0.0);
    }
    gain /= pf;
    loss /= pf;
    out[p] = value(gain, loss);
    for i in p + 1..x.len() {
        let d = x[i] - x[i - 1];
        gain = (gain * (pf - 1.0) + d.max(0.0)) / pf;
        loss = (loss * (pf - 1.0) + (-d).max(0.0)) / pf;
        out[i] = value(gain, loss);
    }
    out
}

/// TA-Lib MACD(fast, slow, signal) (periods swapped if slow < fast).
/// Both EMAs are seeded on bar slow - 1: the slow one with mean(x_0..x_{slow-1}),
/// the fast one with the mean of its own last `fast` bars x_{slow-fast}..x_{slow-1};
/// then ema += k (x - ema). line = fast - slow from bar slow - 1; the signal
/// is seeded with the mean of the first `signal` line values and follows the
/// same EMA recursion (signal 1: the line itself). All three are output from
/// bar slow + signal - 2. Returns [macd, signal, hist].
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> [Vec<f64>; 3] {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let n = x.len();
    let [mut m, mut s, mut h] = [nulls(n), nulls(n), nulls(n)];
    let first = slow + signal - 2;
    if n <= first {
        return [m, s, h];
    }
    let k = |p: usize| 2.0 / (p as f64 + 1.0);
    let (kf, ks, kg) = (k(fast), k(slow), k(signal));
    let mut line = nulls(n);
    let mut ef = mean(&x[slow - fast..slow]);
    let mut es = mean(&x[..slow]);
    line[slow - 1] = ef - es;
    for i in slow..n {
        ef = (x[i] - ef).mul_add(kf, ef);
        es = (x[i] - es).mul_add(ks, es);
        line[i] = ef - es;
    }
    let mut sig = mean(&line[slow - 1..=first]);
    for i in first..n {
        if i > first {
            sig = if signal == 1 {
                line[i]
            } else {
                (line[i] - sig).mul_add(kg, sig)
            };
        }
        m[i] = line[i];
        s[i] = sig;
        h[i] = line[i] - sig;
    }
    [m, s, h]
}

// ---------------------------------------------------------------------------
// Bar indicators (high, low, close, volume)
// ---------------------------------------------------------------------------

/// TA-Lib STOCH(fastk, slowk SMA, slowd SMA): fast %K_t over the last fastk
/// bars = ((close - lowest low) / (highest high - lowest low)) * 100, 0 when
/// the range is zero relative to |hh| + |ll|; slow %K = SMA(fast %K, slowk),
/// slow %D = SMA(slow %K, slowd); both output from bar fastk + slowk + slowd - 3.
/// Returns [slow_k, slow_d].
pub fn stoch(b: &Bars, fastk: usize, slowk: usize, slowd: usize) -> [Vec<f64>; 2] {
    let n = b.len();
    let mut fk = nulls(n);
    for t in fastk - 1..n {
        let hh = max_of(window(&b.high, t, fastk));
        let ll = min_of(window(&b.low, t, fastk));
        let range = hh - ll;
        fk[t] = if ta_is_zero_scaled(range, hh.abs() + ll.abs()) {
            0.0
        } else {
            ((b.close[t] - ll) / range) * 100.0
        };
    }
    let mut sk = nulls(n);
    for t in fastk + slowk - 2..n {
        sk[t] = mean(window(&fk, t, slowk));
    }
    let first = fastk + slowk + slowd - 3;
    let [mut k, mut d] = [nulls(n), nulls(n)];
    for t in first..n {
        k[t] = sk[t];
        d[t] = mean(window(&sk, t, slowd));
    }
    [k, d]
}

/// TA-Lib WILLR(p) (0.8.1): ((hh - close) / (hh - ll)) * -100 over the last p
/// bars, clamped to [-100, 0]; 0 when the range is zero relative to |hh| + |ll|.
pub fn willr(b: &Bars, p: usize) -> Vec<f64> {
    let mut out = nulls(b.len());
    for t in p - 1..b.len() {
        let hh = max_of(window(&b.high, t, p));
        let ll = min_of(window(&b.low, t, p));
        let range = hh - ll;
        out[t] = if ta_is_zero_scaled(range, hh.abs() + ll.abs()) {
            0.0
        } else {
            (((hh - b.close[t]) / range) * -100.0).clamp(-100.0, 0.0)
        };
    }
    out
}

/// TA-Lib CCI(p) (0.8.1): over the last p typical prices, avg = their mean,
/// md = mean |tp - avg|; cci = (tp_t - avg) / (0.015 md), 0 when tp_t - avg or
/// md is zero relative to |avg|.
///
/// The sums run in TA-Lib's order, which is part of its definition here:
/// TA-Lib keeps the window in a circular buffer where bar j sits in slot
/// j mod p and sums slots 0..p-1. `tp_t - avg` cancels catastrophically on a
/// nearly flat window, so the summation order shows: 19 equal typical prices
/// and a 20th 1e-6 lower give exactly -666.666..., TA-Lib (and the crate)
/// -666.6666689, a chronological sum -666.6666682. Either is a rounding of the
/// same definition; only TA-Lib's order agrees with TA-Lib within 1e-9.
pub fn cci(b: &Bars, p: usize) -> Vec<f64> {
    let n = b.len();
    let tp: Vec<f64> = (0..n).map(|i| typical_price(b, i)).collect();
    let mut out = nulls(n);
    for t in p - 1..n {
        // The window's bars in slot order: slot s holds the bar j of the
        // window with j mod p == s.
        let first = t + 1 - p;
        let in_slot_order: Vec<f64> = (0..p)
            .map(|s| tp[first + (s + p - first % p) % p])
            .collect();
        let avg = mean(&in_slot_order);
        let mut md = 0.0;
        for v in &in_slot_order {
            md += (v - avg).abs();
        }
        md /= p as f64;
        let diff = tp[t] - avg;
        out[t] = if ta_is_zero_scaled(diff, avg.abs()) || ta_is_zero_scaled(md, avg.abs()) {
            0.0
        } else {
            diff / (0.015 * md)
        };
    }
    out
}

/// TA-Lib AROON(p): over the p + 1 bars t-p..t, with hi/lo = the index of the
/// highest high / lowest low (the most recent one on ties),
/// up = (100 / p) (p - (t - hi)), down = (100 / p) (p - (t - lo)); from bar p.
/// Returns [up, down].
pub fn aroon(b: &Bars, p: usize) -> [Vec<f64>; 2] {
    let n = b.len();
    let [mut up, mut down] = [nulls(n), nulls(n)];
    let factor = 100.0 / p as f64;
    for t in p..n {
        let (mut hi, mut lo) = (t - p, t - p);
        for j in t - p..=t {
            if b.high[j] >= b.high[hi] {
                hi = j;
            }
            if b.low[j] <= b.low[lo] {
                lo = j;
            }
        }
        up[t] = factor * (p - (t - hi)) as f64;
        down[t] = factor * (p - (t - lo)) as f64;
    }
    [up, down]
}

/// TA-Lib ATR(p) and NATR(p): from bar p, atr_p = mean of the true ranges of
/// bars 1..=p, then Wilder's atr = (atr (p - 1) + tr) / p;
/// natr = (atr / close) * 100 (0 for a zero close; period 1: the raw true range).
/// Returns [atr, natr].
pub fn atr(b: &Bars, p: usize) -> [Vec<f64>; 2] {
    let n = b.len();
    let [mut a, mut na] = [nulls(n), nulls(n)];
    if n <= p {
        return [a, na];
    }
    let pf = p as f64;
    let mut v = (1..=p).map(|i| true_range(b, i)).sum::<f64>() / pf;
    for t in p..n {
        if t > p {
            v = (v * (pf - 1.0) + true_range(b, t)) / pf;
        }
        a[t] = v;
        na[t] = if p == 1 {
            true_range(b, t)
        } else if b.close[t] != 0.0 {
            (v / b.close[t]) * 100.0
        } else {
            0.0
        };
    }
    [a, na]
}

/// TA-Lib ADX(p), PLUS_DI(p), MINUS_DI(p) (p >= 2). Smoothed +DM, -DM and TR
/// are seeded with the plain sums over bars 1..p-1 (TA-Lib's p - 1 quirk) and
/// from bar p follow Wilder's s = s - s / p + new. From bar p:
/// +DI = 100 +DM / TR, -DI = 100 -DM / TR (both 0 when TR is not positive);
/// DX = 100 |(-DI) - (+DI)| / ((-DI) + (+DI)), undefined when TR is not
/// positive or the DI sum is TA_IS_ZERO. ADX at bar 2p - 1 = (sum of the DX of
/// bars p..2p-1, undefined ones counting 0) / p; later
/// ADX = (ADX (p - 1) + DX) / p, carried unchanged when DX is undefined.
/// Returns [adx, plus_di, minus_di].
pub fn adx(b: &Bars, p: usize) -> [Vec<f64>; 3] {
    let n = b.len();
    let [mut adx, mut pdi, mut mdi] = [nulls(n), nulls(n), nulls(n)];
    if n <= p {
        return [adx, pdi, mdi];
    }
    let pf = p as f64;
    let (mut sp, mut sm, mut st) = (0.0, 0.0, 0.0);
    for i in 1..p {
        let (dp, dm) = directional_movement(b, i);
        sp += dp;
        sm += dm;
        st += true_range(b, i);
    }
    let mut sum_dx = 0.0;
    let mut a = 0.0;
    for t in p..n {
        let (dp, dm) = directional_movement(b, t);
        sp = sp - sp / pf + dp;
        sm = sm - sm / pf + dm;
        st = st - st / pf + true_range(b, t);
        let (plus, minus) = if st > 0.0 {
            (100.0 * (sp / st), 100.0 * (sm / st))
        } else {
            (0.0, 0.0)
        };
        pdi[t] = plus;
        mdi[t] = minus;
        let dx = (st > 0.0 && !ta_is_zero(plus + minus))
            .then(|| 100.0 * ((minus - plus).abs() / (minus + plus)));
        if t < 2 * p - 1 {
            sum_dx += dx.unwrap_or(0.0);
        } else if t == 2 * p - 1 {
            sum_dx += dx.unwrap_or(0.0);
            a = sum_dx / pf;
            adx[t] = a;
        } else {
            if let Some(dx) = dx {
                a = (a * (pf - 1.0) + dx) / pf;
            }
            adx[t] = a;
        }
    }
    [adx, pdi, mdi]
}

/// TA-Lib MFI(p) (0.8.1): with tp the typical price, bar i >= 1 has money flow
/// tp_i * volume_i, counted positive when tp_i > tp_{i-1}, negative when
/// tp_i < tp_{i-1}, and not at all when the change is zero relative to
/// |tp_i| + |tp_{i-1}|. From bar p, with pos/neg the sums over bars t-p+1..t:
/// mfi = 100 pos / (pos + neg), 0 when pos + neg is 0.
pub fn mfi(b: &Bars, p: usize) -> Vec<f64> {
    let n = b.len();
    let mut pos = vec![0.0; n];
    let mut neg = vec![0.0; n];
    for i in 1..n {
        let (tp, prev) = (typical_price(b, i), typical_price(b, i - 1));
        let change = tp - prev;
        if ta_is_zero_scaled(change, tp.abs() + prev.abs()) {
            continue;
        }
        let flow = tp * b.volume[i];
        if change > 0.0 {
            pos[i] = flow;
        } else {
            neg[i] = flow;
        }
    }
    let mut out = nulls(n);
    for t in p..n {
        let sp: f64 = window(&pos, t, p).iter().sum();
        let sn: f64 = window(&neg, t, p).iter().sum();
        let total = sp + sn;
        out[t] = if total > 0.0 {
            100.0 * (sp / total)
        } else {
            0.0
        };
    }
    out
}

// ---------------------------------------------------------------------------
// Composite spec features
// ---------------------------------------------------------------------------

/// Connors RSI(rsi_p, streak_p, rank_p):
/// (RSI(close, rsi_p) + RSI(streak, streak_p) + pr) / 3, each RSI over the
/// whole series as TA-Lib computes it. streak_0 = 0; streak_i =
/// max(streak_{i-1}, 0) + 1 on an up close, min(streak_{i-1}, 0) - 1 on a
/// down close, else 0. r_i = close_i / close_{i-1} - 1;
/// pr_i = 100 * #{j in [i - rank_p, i - 1] : r_j < r_i} / rank_p from i = rank_p + 1.
/// Null until all three parts are defined.
pub fn connors_rsi(close: &[f64], rsi_p: usize, streak_p: usize, rank_p: usize) -> Vec<f64> {
    let n = close.len();
    let mut streak = vec![0.0f64; n];
    for i in 1..n {
        streak[i] = if close[i] > close[i - 1] {
            streak[i - 1].max(0.0) + 1.0
        } else if close[i] < close[i - 1] {
            streak[i - 1].min(0.0) - 1.0
        } else {
            0.0
        };
    }
    let price_rsi = rsi(close, rsi_p);
    let streak_rsi = rsi(&streak, streak_p);
    let r = pct_return(close, 1);
    let mut out = nulls(n);
    for i in rank_p + 1..n {
        let below = (i - rank_p..i).filter(|&j| r[j] < r[i]).count();
        let pr = 100.0 * below as f64 / rank_p as f64;
        let parts = [price_rsi[i], streak_rsi[i], pr];
        if parts.iter().all(|v| !v.is_nan()) {
            out[i] = (parts[0] + parts[1] + parts[2]) / 3.0;
        }
    }
    out
}

/// VIDYA(period, m): cmo_i = (su - sd) / (su + sd) over the m changes
/// x_j - x_{j-1}, j in [i-m+1, i] (su: sum of the positive changes, sd: sum of
/// the magnitudes of the negative ones; 0 when su + sd = 0);
/// k_i = 2 / (period + 1) |cmo_i|; v_{m-1} = x_{m-1} (not emitted),
/// v_i = k_i x_i + (1 - k_i) v_{i-1} from i = m.
pub fn vidya(x: &[f64], period: usize, m: usize) -> Vec<f64> {
    let mut out = nulls(x.len());
    if x.len() <= m {
        return out;
    }
    let alpha = 2.0 / (period as f64 + 1.0);
    let mut v = x[m - 1];
    for i in m..x.len() {
        let (mut su, mut sd) = (0.0, 0.0);
        for j in i + 1 - m..=i {
            let d = x[j] - x[j - 1];
            if d > 0.0 {
                su += d;
            } else {
                sd -= d;
            }
        }
        let cmo = if su + sd == 0.0 {
            0.0
        } else {
            (su - sd) / (su + sd)
        };
        let k = alpha * cmo.abs();
        v = k * x[i] + (1.0 - k) * v;
        out[i] = v;
    }
    out
}

// ---------------------------------------------------------------------------
// The standard set
// ---------------------------------------------------------------------------

/// Every column of the standard feature set, by name, in the spec's order.
pub fn standard(b: &Bars) -> Vec<(&'static str, Vec<f64>)> {
    let c = &b.close;
    let ret_1 = log_return(c, 1);
    let [macd_line, macd_signal, macd_hist] = macd(c, 12, 26, 9);
    let [stoch_k, stoch_d] = stoch(b, 14, 3, 3);
    let [aroon_up, aroon_down] = aroon(b, 25);
    let [adx_14, plus_di, minus_di] = adx(b, 14);
    let [atr_14, natr_14] = atr(b, 14);
    let [bb_upper, bb_middle, bb_lower, bb_pctb, bb_width] = bbands(c, 20, 2.0, 2.0);
    vec![
        ("ret_1", ret_1.clone()),
        ("ret_5", pct_return(c, 5)),
        ("ret_20", pct_return(c, 20)),
        ("roc_10", roc(c, 10)),
        ("sma_5", sma(c, 5)),
        ("sma_20", sma(c, 20)),
        ("sma_60", sma(c, 60)),
        ("ema_12", ema(c, 12)),
        ("ema_26", ema(c, 26)),
        ("kama_10", kama(c, 10)),
        ("rsi_14", rsi(c, 14)),
        ("macd", macd_line),
        ("macd_signal", macd_signal),
        ("macd_hist", macd_hist),
        ("stoch_k", stoch_k),
        ("stoch_d", stoch_d),
        ("willr_14", willr(b, 14)),
        ("cci_20", cci(b, 20)),
        ("aroon_up_25", aroon_up),
        ("aroon_down_25", aroon_down),
        ("adx_14", adx_14),
        ("plus_di_14", plus_di),
        ("minus_di_14", minus_di),
        ("atr_14", atr_14),
        ("natr_14", natr_14),
        ("bb_upper", bb_upper),
        ("bb_middle", bb_middle),
        ("bb_lower", bb_lower),
        ("bb_pctb", bb_pctb),
        ("bb_width", bb_width),
        ("stddev_20", stddev(c, 20, 1.0)),
        ("vol_20", rolling_sample_std(&ret_1, 20)),
        ("vol_60", rolling_sample_std(&ret_1, 60)),
        ("obv", obv(c, &b.volume)),
        ("mfi_14", mfi(b, 14)),
        ("volume_z_20", zscore(&b.volume, 20)),
        ("crsi_3_2_100", connors_rsi(c, 3, 2, 100)),
        ("vidya_14_9", vidya(c, 14, 9)),
        ("ffd_0_4", ffd(c, 0.4, 1e-4)),
    ]
}
