//! The closed set of indicator states the engine drives, behind one `match`.

use super::share::{Back, View};
use crate::indicators::*;
use crate::prefetch;
use crate::rolling::Ring;
use crate::Bar;
use serde::{Deserialize, Serialize};

/// One indicator's state inside a [`SymbolState`](super::SymbolState).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Kernel {
    Return(Return),
    Roc(Roc),
    Sma(Sma),
    Ema(Ema),
    Kama(Box<Kama>),
    Rsi(Rsi),
    Macd(Box<Macd>),
    Stoch(Box<Stoch>),
    Willr(Box<Willr>),
    Cci(Box<Cci>),
    Aroon(Box<Aroon>),
    Adx(Box<Adx>),
    Atr(Atr),
    Bbands(Box<Bbands>),
    StdDev(Box<StdDev>),
    Volatility(Box<Volatility>),
    Obv(Obv),
    Mfi(Box<Mfi>),
    ZScore(Box<ZScore>),
    ConnorsRsi(Box<ConnorsRsi>),
    Vidya(Box<Vidya>),
    FracDiff(Box<FracDiff>),
    Lag(Lag),
    Adv(AvgDollarVolume),
    Beta(Box<Beta>),
    Corr(Box<Corr>),
}

/// A [`View::Back`] of `window`, whose newest value is `x`.
#[inline]
fn back(window: &Ring, k: usize, of: Back, x: f64) -> Option<f64> {
    window.back(k).map(|base| match of {
        Back::Return(kind) => kind.of(x, base),
        Back::Roc => rate_of_change(x, base),
        Back::Lag => base,
    })
}

#[inline]
fn put(out: &mut [f64], i: usize, v: Option<f64>) {
    out[i] = v.unwrap_or(f64::NAN);
}

impl Kernel {
    /// Feeds one bar (`x` is the node's input column for single-series
    /// indicators, `market` the market's log level for paired ones) and
    /// writes this node's outputs (NaN = null).
    #[inline]
    pub(crate) fn step(&mut self, bar: &Bar, x: f64, market: f64, out: &mut [f64]) {
        match self {
            Kernel::Return(k) => put(out, 0, k.update(x)),
            Kernel::Roc(k) => put(out, 0, k.update(x)),
            Kernel::Sma(k) => put(out, 0, k.update(x)),
            Kernel::Ema(k) => put(out, 0, k.update(x)),
            Kernel::Kama(k) => put(out, 0, k.update(x)),
            Kernel::Rsi(k) => put(out, 0, k.update(x)),
            Kernel::Macd(k) => {
                let v = k.update(x);
                put(out, 0, v.map(|m| m.macd));
                put(out, 1, v.map(|m| m.signal));
                put(out, 2, v.map(|m| m.hist));
            }
            Kernel::Stoch(k) => {
                let v = k.update(bar.high, bar.low, bar.close);
                put(out, 0, v.map(|s| s.k));
                put(out, 1, v.map(|s| s.d));
            }
            Kernel::Willr(k) => put(out, 0, k.update(bar.high, bar.low, bar.close)),
            Kernel::Cci(k) => put(out, 0, k.update(bar.high, bar.low, bar.close)),
            Kernel::Aroon(k) => {
                let v = k.update(bar.high, bar.low);
                put(out, 0, v.map(|a| a.up));
                put(out, 1, v.map(|a| a.down));
            }
            Kernel::Adx(k) => {
                let v = k.update(bar.high, bar.low, bar.close);
                put(out, 0, v.adx);
                put(out, 1, v.plus_di);
                put(out, 2, v.minus_di);
            }
            Kernel::Atr(k) => {
                let v = k.update(bar.high, bar.low, bar.close);
                put(out, 0, v.map(|a| a.atr));
                put(out, 1, v.and_then(|a| a.natr));
            }
            Kernel::Bbands(k) => {
                let v = k.update(x);
                put(out, 0, v.map(|b| b.upper));
                put(out, 1, v.map(|b| b.middle));
                put(out, 2, v.map(|b| b.lower));
                put(out, 3, v.and_then(|b| b.pctb));
                put(out, 4, v.and_then(|b| b.width));
            }
            Kernel::StdDev(k) => put(out, 0, k.update(x)),
            Kernel::Volatility(k) => put(out, 0, k.update(x)),
            Kernel::Obv(k) => put(out, 0, k.update(bar.close, bar.volume)),
            Kernel::Mfi(k) => put(out, 0, k.update(bar.high, bar.low, bar.close, bar.volume)),
            Kernel::ZScore(k) => put(out, 0, k.update(x)),
            Kernel::ConnorsRsi(k) => put(out, 0, k.update(x)),
            Kernel::Vidya(k) => put(out, 0, k.update(x)),
            Kernel::FracDiff(k) => put(out, 0, k.update(x)),
            Kernel::Lag(k) => put(out, 0, k.update(x)),
            Kernel::Adv(k) => put(out, 0, k.update(bar.close, bar.volume)),
            Kernel::Beta(k) => put(out, 0, k.update(x, market)),
            Kernel::Corr(k) => put(out, 0, k.update(x, market)),
        }
    }

    /// A feature read from this state as of its last update (NaN = null):
    /// `x` is that update's input. The plan makes views only of the states
    /// that hold what they read ([`super::share`]).
    #[inline]
    pub(crate) fn view(&self, view: View, x: f64, bar: &Bar) -> f64 {
        let value = match (view, self) {
            (View::Mean, Kernel::Bbands(k)) => k.mean(),
            (View::StdDev { nbdev }, Kernel::Bbands(k)) => {
                k.variance().map(|v| scaled_deviation(v, nbdev))
            }
            (View::Willr, Kernel::Stoch(k)) => {
                k.extremes().map(|(hi, lo)| williams_r(hi, lo, bar.close))
            }
            (View::Back { k, of }, Kernel::Sma(s)) => back(s.window(), k, of, x),
            (View::Back { k, of }, Kernel::Bbands(b)) => back(b.window(), k, of, x),
            (view, kernel) => unreachable!("the plan made a {view:?} view of {kernel:?}"),
        };
        value.unwrap_or(f64::NAN)
    }

    /// Hints the lines this indicator's next updates touch: a boxed
    /// state's own lines, then its buffers' (see [`crate::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self) {
        fn boxed<T>(k: &T, buffers: fn(&T)) {
            prefetch::lines(k);
            buffers(k);
        }
        match self {
            Kernel::Return(k) => k.prefetch(),
            Kernel::Roc(k) => k.prefetch(),
            Kernel::Sma(k) => k.prefetch(),
            Kernel::Lag(k) => k.prefetch(),
            Kernel::Adv(k) => k.prefetch(),
            Kernel::Ema(_) | Kernel::Rsi(_) | Kernel::Atr(_) | Kernel::Obv(_) => {}
            Kernel::Kama(k) => boxed(&**k, Kama::prefetch),
            Kernel::Macd(k) => prefetch::lines(&**k),
            Kernel::Stoch(k) => boxed(&**k, Stoch::prefetch),
            Kernel::Willr(k) => boxed(&**k, Willr::prefetch),
            Kernel::Cci(k) => boxed(&**k, Cci::prefetch),
            Kernel::Aroon(k) => boxed(&**k, Aroon::prefetch),
            Kernel::Adx(k) => prefetch::lines(&**k),
            Kernel::Bbands(k) => boxed(&**k, Bbands::prefetch),
            Kernel::StdDev(k) => boxed(&**k, StdDev::prefetch),
            Kernel::Volatility(k) => boxed(&**k, Volatility::prefetch),
            Kernel::Mfi(k) => boxed(&**k, Mfi::prefetch),
            Kernel::ZScore(k) => boxed(&**k, ZScore::prefetch),
            Kernel::ConnorsRsi(k) => boxed(&**k, ConnorsRsi::prefetch),
            Kernel::Vidya(k) => boxed(&**k, Vidya::prefetch),
            Kernel::FracDiff(k) => boxed(&**k, FracDiff::prefetch),
            Kernel::Beta(k) => boxed(&**k, Beta::prefetch),
            Kernel::Corr(k) => boxed(&**k, Corr::prefetch),
        }
    }

    /// Builds the state for `kind` from validated parameters (looked up by name).
    pub(crate) fn build(kind: &str, p: &dyn Fn(&str) -> f64) -> Kernel {
        let n = |name: &str| p(name) as usize;
        match kind {
            "log_return" => Kernel::Return(Return::new(ReturnKind::Log, n("period"))),
            "pct_return" => Kernel::Return(Return::new(ReturnKind::Simple, n("period"))),
            "roc" => Kernel::Roc(Roc::new(n("period"))),
            "sma" => Kernel::Sma(Sma::new(n("period"))),
            "ema" => Kernel::Ema(Ema::new(n("period"))),
            "kama" => Kernel::Kama(Box::new(Kama::new(n("period")))),
            "rsi" => Kernel::Rsi(Rsi::new(n("period"))),
            "macd" => Kernel::Macd(Box::new(Macd::new(n("fast"), n("slow"), n("signal")))),
            "stoch" => Kernel::Stoch(Box::new(Stoch::new(
                n("fastk_period"),
                n("slowk_period"),
                n("slowd_period"),
            ))),
            "willr" => Kernel::Willr(Box::new(Willr::new(n("period")))),
            "cci" => Kernel::Cci(Box::new(Cci::new(n("period")))),
            "aroon" => Kernel::Aroon(Box::new(Aroon::new(n("period")))),
            "adx" => Kernel::Adx(Box::new(Adx::new(n("period")))),
            "atr" => Kernel::Atr(Atr::new(n("period"))),
            "bbands" => Kernel::Bbands(Box::new(Bbands::new(
                n("period"),
                p("nbdev_up"),
                p("nbdev_dn"),
            ))),
            "stddev" => Kernel::StdDev(Box::new(StdDev::new(n("period"), p("nbdev")))),
            "vol" => Kernel::Volatility(Box::new(Volatility::new(n("period")))),
            "obv" => Kernel::Obv(Obv::new()),
            "mfi" => Kernel::Mfi(Box::new(Mfi::new(n("period")))),
            "zscore" => Kernel::ZScore(Box::new(ZScore::new(n("period")))),
            "crsi" => Kernel::ConnorsRsi(Box::new(ConnorsRsi::new(
                n("rsi_period"),
                n("streak_period"),
                n("rank_period"),
            ))),
            "vidya" => Kernel::Vidya(Box::new(Vidya::new(n("period"), n("cmo_period")))),
            "ffd" => Kernel::FracDiff(Box::new(FracDiff::new(p("d"), p("threshold")))),
            "lag" => Kernel::Lag(Lag::new(n("k"))),
            "adv" => Kernel::Adv(AvgDollarVolume::new(n("period"))),
            "beta" => Kernel::Beta(Box::new(Beta::new(n("period")))),
            "corr" => Kernel::Corr(Box::new(Corr::new(n("period")))),
            other => unreachable!("catalog kind `{other}` has no kernel"),
        }
    }
}
