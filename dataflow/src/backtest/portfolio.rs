//! The quantile portfolio, day by day.
//!
//! Every `rebalance` bars (from the first bar of the window) the eligible
//! names with a signal value are sorted by (value, symbol) and cut into
//! `quantiles` buckets of equal count (position `p` of `n` goes to bucket
//! `p * quantiles / n`): the [`targets`] the live pipeline publishes too.
//! The portfolio formed at bar `t` buys the top bucket (and sells the
//! bottom one) at the close of bar `t + 1`, equal weights within a side
//! (a pick without a bar at `t + 1` cannot be bought: its weight stays in
//! cash), and holds the weights constant for `holding` bars: it earns the returns of bars `t + 2 ..= t + 1 + holding` and is
//! sold at that bar's close. Overlapping portfolios (`holding` longer than
//! `rebalance`) each carry `1 / ceil(holding / rebalance)` of the capital.
//! A bar's cost is `cost_bps` of the notional traded at its close: the sum
//! of absolute weight changes between the weights held over it and over the
//! next bar. A bar's return is the weighted sum of the held names' bar
//! returns (a name without a bar earns nothing that bar and catches up at
//! its next one).

use super::config::{Side, SignalConfig};

/// Per-bar series of a simulation (index: calendar position).
#[derive(Debug, Clone, Default)]
pub struct Daily {
    /// Return before costs.
    pub gross: Vec<f64>,
    /// Cost of the trades at the bar's close.
    pub cost: Vec<f64>,
    /// `gross - cost`.
    pub net: Vec<f64>,
    /// Sum of absolute weight changes at the bar's close.
    pub turnover: Vec<f64>,
    /// Names held long over the bar.
    pub longs: Vec<u32>,
    /// Names held short over the bar.
    pub shorts: Vec<u32>,
}

/// Mean return of each quantile bucket over one holding period from the
/// execution close, averaged over the rebalances that had one.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct QuantileReturns {
    /// Bucket 0 (lowest signal) first.
    pub mean: Vec<f64>,
    /// Rebalances averaged.
    pub periods: usize,
}

/// A simulation's results.
#[derive(Debug, Clone, Default)]
pub struct Simulation {
    /// The per-bar series.
    pub daily: Daily,
    /// Returns by signal quantile.
    pub quantiles: QuantileReturns,
    /// The first bar with holdings (none: the signal never formed a
    /// portfolio).
    pub first_held: Option<usize>,
}

/// Weights below this are rounding left over from overlapping portfolios
/// whose sum is zero.
const ZERO: f64 = 1e-12;

/// One rebalance's portfolio: the bars it earns and its weights.
struct Tranche {
    first: usize,
    last: usize,
    members: Vec<(usize, f64)>,
}

/// Runs the portfolio of `config` over `signal` (a panel of `width` names).
pub fn simulate(
    config: &SignalConfig,
    width: usize,
    signal: &[f64],
    eligible: &[bool],
    returns: &[f64],
    close: &[f64],
) -> Simulation {
    let times = signal.len() / width.max(1);
    let (tranches, quantiles) = form(config, width, times, signal, eligible, close);
    let mut daily = Daily {
        gross: vec![0.0; times],
        cost: vec![0.0; times],
        net: vec![0.0; times],
        turnover: vec![0.0; times],
        longs: vec![0; times],
        shorts: vec![0; times],
    };
    let mut held = vec![0.0f64; width];
    let mut delta = vec![0.0f64; width];
    let mut touched: Vec<usize> = Vec::new();
    let (mut longs, mut shorts) = (0u32, 0u32);
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut first_held = None;
    for d in 0..times {
        // The weights change at the close of d - 1: portfolios starting at d
        // are bought, those that ended at d - 1 are sold.
        while hi < tranches.len() && tranches[hi].first == d {
            for &(i, w) in &tranches[hi].members {
                mark(&mut delta, &mut touched, i, w);
            }
            hi += 1;
        }
        while lo < hi && tranches[lo].last < d {
            for &(i, w) in &tranches[lo].members {
                mark(&mut delta, &mut touched, i, -w);
            }
            lo += 1;
        }
        if !touched.is_empty() {
            let mut traded = 0.0;
            for &i in &touched {
                let before = held[i];
                let mut after = before + delta[i];
                if after.abs() < ZERO {
                    after = 0.0;
                }
                traded += (after - before).abs();
                longs = longs + u32::from(after > 0.0) - u32::from(before > 0.0);
                shorts = shorts + u32::from(after < 0.0) - u32::from(before < 0.0);
                held[i] = after;
                delta[i] = 0.0;
            }
            touched.clear();
            if d > 0 {
                daily.turnover[d - 1] = traded;
                daily.cost[d - 1] = traded * config.cost_bps / 1e4;
            }
        }
        let row = d * width;
        let mut gross = 0.0;
        for tranche in &tranches[lo..hi] {
            for &(i, w) in &tranche.members {
                let r = returns[row + i];
                if r.is_finite() {
                    gross += w * r;
                }
            }
        }
        if first_held.is_none() && longs + shorts > 0 {
            first_held = Some(d);
        }
        daily.gross[d] = gross;
        daily.longs[d] = longs;
        daily.shorts[d] = shorts;
    }
    for d in 0..times {
        daily.net[d] = daily.gross[d] - daily.cost[d];
    }
    Simulation {
        daily,
        quantiles,
        first_held,
    }
}

fn mark(delta: &mut [f64], touched: &mut Vec<usize>, i: usize, w: f64) {
    if delta[i] == 0.0 && !touched.contains(&i) {
        touched.push(i);
    }
    delta[i] += w;
}

/// One ranked name of the portfolio formed at a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Its position in the row the ranking came from.
    pub index: usize,
    /// Its quantile bucket (0: lowest signal).
    pub quantile: usize,
    /// Its weight in this portfolio: `share / names` in the top bucket,
    /// `-share / names` in the bottom one (long/short), 0 elsewhere, where
    /// `share = 1 / ceil(holding / rebalance)` (overlapping portfolios
    /// split the capital).
    pub weight: f64,
}

/// The portfolio `config` forms from `ranked` (row positions sorted by
/// (signal, symbol)): every ranked name with its bucket and weight; empty
/// with fewer names than buckets.
pub fn targets(config: &SignalConfig, ranked: &[usize]) -> Vec<Target> {
    let (buckets, n) = (config.quantiles, ranked.len());
    if n < buckets {
        return Vec::new();
    }
    let share = 1.0 / config.holding.div_ceil(config.rebalance) as f64;
    let bucket = |p: usize| p * buckets / n;
    let count = |q: usize| (0..n).filter(|&p| bucket(p) == q).count();
    let long = share / count(buckets - 1) as f64;
    let short = match config.side {
        Side::LongShort => -share / count(0) as f64,
        Side::LongOnly => 0.0,
    };
    ranked
        .iter()
        .enumerate()
        .map(|(p, &index)| {
            let quantile = bucket(p);
            let weight = match quantile {
                q if q == buckets - 1 => long,
                0 => short,
                _ => 0.0,
            };
            Target {
                index,
                quantile,
                weight,
            }
        })
        .collect()
}

/// The bars at which portfolios are formed over `times` bars: every
/// `rebalance` bars from the first, while an execution bar and a bar to
/// earn on follow.
pub fn rebalances(config: &SignalConfig, times: usize) -> impl Iterator<Item = usize> {
    (0..times.saturating_sub(2)).step_by(config.rebalance)
}

/// The portfolios of every rebalance, and the quantile returns.
fn form(
    config: &SignalConfig,
    width: usize,
    times: usize,
    signal: &[f64],
    eligible: &[bool],
    close: &[f64],
) -> (Vec<Tranche>, QuantileReturns) {
    let buckets = config.quantiles;
    let mut tranches = Vec::new();
    let mut sums = vec![0.0; buckets];
    let mut periods = 0usize;
    for t in rebalances(config, times) {
        let picked = targets(config, &ranked(width, t, signal, eligible));
        let (buy, sell) = ((t + 1) * width, (t + 1 + config.holding) * width);
        let members = picked
            .iter()
            .filter(|p| p.weight != 0.0 && close[buy + p.index].is_finite())
            .map(|p| (p.index, p.weight))
            .collect();
        if !picked.is_empty() && t + 1 + config.holding < times {
            periods += 1;
            let (mut total, mut count) = (vec![0.0; buckets], vec![0usize; buckets]);
            for p in &picked {
                let r = close[sell + p.index] / close[buy + p.index] - 1.0;
                if r.is_finite() {
                    total[p.quantile] += r;
                    count[p.quantile] += 1;
                }
            }
            for ((sum, total), count) in sums.iter_mut().zip(total).zip(count) {
                if count > 0 {
                    *sum += total / count as f64;
                }
            }
        }
        tranches.push(Tranche {
            first: t + 2,
            last: (t + 1 + config.holding).min(times - 1),
            members,
        });
    }
    let mean = sums.iter().map(|s| s / periods.max(1) as f64).collect();
    (tranches, QuantileReturns { mean, periods })
}

/// The eligible names with a signal at `t`, sorted by (value, position in
/// the row: the panel's and the live cross-section's rows are in symbol
/// name order).
pub fn ranked(width: usize, t: usize, signal: &[f64], eligible: &[bool]) -> Vec<usize> {
    let row = t * width;
    let mut keyed: Vec<(u64, u32)> = (0..width)
        .filter(|&i| eligible[row + i] && signal[row + i].is_finite())
        .map(|i| (order_key(signal[row + i]), i as u32))
        .collect();
    radsort::sort_by_key(&mut keyed, |p| p.0);
    keyed.into_iter().map(|(_, i)| i as usize).collect()
}

/// A key whose integer order is `f64::total_cmp`'s order. A stable radix
/// sort of (key, index) pairs built in index order breaks ties by index,
/// several times faster than a comparison sort of indices by value.
pub fn order_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> SignalConfig {
        toml::from_str(&format!("name = \"t\"\ncolumn = \"x\"\n{text}")).unwrap()
    }

    /// Two names, 5 bars: name 1 always has the higher signal.
    fn run(text: &str, returns: &[f64]) -> Simulation {
        let signal = [0.0, 1.0].repeat(5);
        let tradable = [true; 10];
        let close = [1.0; 10];
        simulate(&config(text), 2, &signal, &tradable, returns, &close)
    }

    #[test]
    fn trades_at_the_next_close_and_earns_from_the_bar_after() {
        let r = [0.0, 0.0, 0.0, 0.0, 0.01, 0.03, 0.02, -0.01, 0.05, 0.0];
        let s = run(
            "quantiles = 2\nrebalance = 5\nholding = 2\ncost_bps = 10",
            &r,
        );
        // Formed at bar 0, bought at bar 1's close, earns bars 2 and 3.
        assert_eq!(s.first_held, Some(2));
        assert_eq!(s.daily.gross, [0.0, 0.0, 0.03 - 0.01, -0.01 - 0.02, 0.0]);
        assert_eq!(s.daily.turnover, [0.0, 2.0, 0.0, 2.0, 0.0]);
        assert_eq!(s.daily.cost[1], 2.0 * 10.0 / 1e4);
        assert_eq!((s.daily.longs[2], s.daily.shorts[2]), (1, 1));
        assert_eq!((s.daily.longs[4], s.daily.shorts[4]), (0, 0));
    }

    #[test]
    fn targets_bucket_every_ranked_name_and_weigh_the_outer_ones() {
        let c = config("quantiles = 3\nholding = 2");
        // Five names: buckets 0,0,1,1,2 (p * 3 / 5); half the capital each.
        let t = targets(&c, &[4, 2, 0, 1, 3]);
        let got: Vec<(usize, usize, f64)> =
            t.iter().map(|t| (t.index, t.quantile, t.weight)).collect();
        assert_eq!(
            got,
            [
                (4, 0, -0.25),
                (2, 0, -0.25),
                (0, 1, 0.0),
                (1, 1, 0.0),
                (3, 2, 0.5)
            ]
        );
        let long = config("quantiles = 3\nside = \"long_only\"");
        assert!(targets(&long, &[4, 2, 0, 1, 3])
            .iter()
            .all(|t| t.weight >= 0.0));
        assert!(targets(&c, &[0, 1]).is_empty());
    }

    #[test]
    fn a_pick_without_an_execution_bar_is_not_bought() {
        let nan = f64::NAN;
        // Name 1 (the long pick at bar 0) has no bar 1: only the short leg trades.
        let signal = [0.0, 1.0].repeat(4);
        let close = [1.0, 1.0, 1.0, nan, 1.0, 1.0, 1.0, 1.0];
        let s = simulate(
            &config("quantiles = 2\nrebalance = 4\nholding = 1"),
            2,
            &signal,
            &[true; 8],
            &[0.0, 0.0, 0.0, 0.0, 0.1, 0.2, 0.0, 0.0],
            &close,
        );
        assert_eq!(s.daily.turnover[1], 1.0);
        assert_eq!(s.daily.gross[2], -0.1);
        assert_eq!((s.daily.longs[2], s.daily.shorts[2]), (0, 1));
    }

    #[test]
    fn order_keys_sort_like_total_cmp() {
        let mut v = [3.5, -0.0, f64::MIN, 0.0, -2.0, 1e-300, f64::MAX, -1e-300];
        let mut keys: Vec<u64> = v.iter().map(|&x| order_key(x)).collect();
        keys.sort_unstable();
        v.sort_by(f64::total_cmp);
        assert_eq!(keys, v.iter().map(|&x| order_key(x)).collect::<Vec<_>>());
        assert!(v.windows(2).all(|w| order_key(w[0]) < order_key(w[1])));
    }

    #[test]
    fn overlapping_portfolios_share_the_capital() {
        let r = [0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.0, 0.1, 0.0, 0.1];
        let s = run(
            "quantiles = 2\nrebalance = 1\nholding = 2\nside = \"long_only\"",
            &r,
        );
        // Formed at bars 0, 1 and 2: the first two earn bar 3 together.
        assert_eq!(s.daily.gross[2], 0.05);
        assert!((s.daily.gross[3] - 0.1).abs() < 1e-15);
        // Bar 1's close buys half; bar 2's close buys the other half.
        assert_eq!(s.daily.turnover[1], 0.5);
        assert_eq!(s.daily.turnover[2], 0.5);
    }
}
