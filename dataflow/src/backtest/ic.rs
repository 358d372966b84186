//! The daily rank IC: at every bar `t`, the Spearman correlation (Pearson
//! correlation of average-tie ranks) between the signal and the forward
//! return from the execution close to `h` bars later,
//! `close[t + 1 + h] / close[t + 1] - 1`, over the names the portfolio
//! could hold at `t` that have both closes. Undefined (NaN) with fewer than
//! 3 names or a constant side.

use super::portfolio::{order_key, ranked};

/// `ic[k][t]`: the rank IC at bar `t` for `horizons[k]`, computed on
/// `threads` threads (0: every core).
pub fn rank_ic(
    width: usize,
    signal: &[f64],
    eligible: &[bool],
    close: &[f64],
    horizons: &[usize],
    threads: usize,
) -> Vec<Vec<f64>> {
    let times = signal.len() / width.max(1);
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, times.max(1));
    let chunk = times.div_ceil(threads).max(1);
    let mut by_time: Vec<Vec<f64>> = vec![Vec::new(); times];
    std::thread::scope(|s| {
        for (c, out) in by_time.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                let mut scratch = Scratch::default();
                for (k, cell) in out.iter_mut().enumerate() {
                    let t = c * chunk + k;
                    let names = ranked(width, t, signal, eligible);
                    *cell = horizons
                        .iter()
                        .map(|&h| match t + 1 + h < times {
                            true => scratch.ic(width, t, h, &names, signal, close),
                            false => f64::NAN,
                        })
                        .collect();
                }
            });
        }
    });
    (0..horizons.len())
        .map(|k| by_time.iter().map(|v| v[k]).collect())
        .collect()
}

/// The per-bar IC at horizon `h` among `(horizon, IC per bar)` pairs.
pub fn at(ic: &[(usize, Vec<f64>)], h: usize) -> &[f64] {
    &ic.iter()
        .find(|(k, _)| *k == h)
        .expect("the horizon was computed")
        .1
}

#[derive(Default)]
struct Scratch {
    x: Vec<f64>,
    y: Vec<f64>,
    rank_x: Vec<f64>,
    rank_y: Vec<f64>,
    order: Vec<usize>,
    keyed: Vec<(u64, u32)>,
}

impl Scratch {
    /// The IC at `t` for horizon `h`; `names` sorted by signal.
    fn ic(
        &mut self,
        width: usize,
        t: usize,
        h: usize,
        names: &[usize],
        signal: &[f64],
        close: &[f64],
    ) -> f64 {
        let (row, buy, sell) = (t * width, (t + 1) * width, (t + 1 + h) * width);
        self.x.clear();
        self.y.clear();
        for &i in names {
            let r = close[sell + i] / close[buy + i] - 1.0;
            if r.is_finite() {
                self.x.push(signal[row + i]);
                self.y.push(r);
            }
        }
        let n = self.x.len();
        if n < 3 {
            return f64::NAN;
        }
        self.order.clear();
        self.order.extend(0..n);
        average_ranks(&self.x, &self.order, &mut self.rank_x);
        self.keyed.clear();
        let keyed = self
            .y
            .iter()
            .enumerate()
            .map(|(k, &v)| (order_key(v), k as u32));
        self.keyed.extend(keyed);
        radsort::sort_by_key(&mut self.keyed, |p| p.0);
        self.order.clear();
        self.order
            .extend(self.keyed.iter().map(|&(_, k)| k as usize));
        average_ranks(&self.y, &self.order, &mut self.rank_y);
        pearson_of_ranks(&self.rank_x, &self.rank_y)
    }
}

/// Average-tie ranks (1-based) of `values`, given `order` (indices sorted
/// by value).
pub fn average_ranks(values: &[f64], order: &[usize], out: &mut Vec<f64>) {
    out.clear();
    out.resize(values.len(), 0.0);
    let mut p = 0;
    while p < order.len() {
        let mut q = p + 1;
        while q < order.len() && values[order[q]] == values[order[p]] {
            q += 1;
        }
        let rank = (p + q + 1) as f64 / 2.0;
        for &k in &order[p..q] {
            out[k] = rank;
        }
        p = q;
    }
}

/// The Pearson correlation of two rank vectors of the same length (their
/// mean is `(n + 1) / 2`); NaN when either is constant.
pub fn pearson_of_ranks(a: &[f64], b: &[f64]) -> f64 {
    let mean = (a.len() + 1) as f64 / 2.0;
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x - mean, y - mean);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return f64::NAN;
    }
    ab / (aa * bb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        let v = [3.0, 1.0, 3.0, 2.0];
        let mut r = Vec::new();
        average_ranks(&v, &[1, 3, 0, 2], &mut r);
        assert_eq!(r, [3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn ic_is_one_when_the_signal_orders_the_forward_returns() {
        // 4 names, 4 bars; forward returns rise with the signal.
        let width = 4;
        let signal = [1.0, 2.0, 3.0, 4.0].repeat(4);
        let eligible = [true; 16];
        let mut close = vec![1.0; 16];
        for (i, c) in close[12..].iter_mut().enumerate() {
            *c = 1.0 + i as f64 / 10.0;
        }
        let ic = rank_ic(width, &signal, &eligible, &close, &[1, 2], 2);
        // t = 1, h = 1: close[3] / close[2]; t = 0, h = 2: close[3] / close[1].
        assert_eq!(ic[0][1], 1.0);
        assert_eq!(ic[1][0], 1.0);
        // t = 0, h = 1: every forward return is 0: undefined.
        assert!(ic[0][0].is_nan());
        assert!(ic[0][2].is_nan() && ic[1][1].is_nan());
    }
}
