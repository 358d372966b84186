//! The volume scaler of training windows: the mean and standard deviation
//! of `ln(1 + volume)` over the bars of the training period only (bar times
//! up to the training end), saved as JSON beside the output and reused for
//! new data with `--scaler FILE`. Fitting never looks at a later bar.

use super::load::Series;
use crate::error::{Result, TickflowError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A fitted scaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaler {
    /// What it scales: `ln1p(volume)`.
    pub transform: String,
    /// Mean of the transformed values.
    pub mean: f64,
    /// Their population standard deviation (1 when they are all equal).
    pub std: f64,
    /// Bars it was fitted on.
    pub bars: u64,
    /// The last bar time it may have seen (`None`: the whole input).
    pub fitted_through: Option<String>,
}

const TRANSFORM: &str = "ln1p(volume)";

impl Scaler {
    /// Fits on the bars with times up to `through` (all bars when `None`);
    /// `through_text` is recorded. Two passes (mean, then centred squares),
    /// each a Neumaier-compensated sum.
    ///
    /// ```
    /// use tickflow::samples::{Scaler, Series};
    /// let s = Series { symbol: "A".into(), ts: vec![1, 2, 3], volume: vec![0.0, 0.0, 1e9],
    ///                  ..Default::default() };
    /// let sc = Scaler::fit(&[s], Some(2), Some("1970-01-03".into())).unwrap();
    /// assert_eq!((sc.mean, sc.std, sc.bars), (0.0, 1.0, 2)); // the third bar is after
    /// ```
    pub fn fit(
        series: &[Series],
        through: Option<i64>,
        through_text: Option<String>,
    ) -> Result<Self> {
        let seen = |s: &Series| {
            let n = match through {
                Some(t) => s.ts.partition_point(|&x| x <= t),
                None => s.len(),
            };
            s.volume[..n].iter().map(|v| v.ln_1p()).collect::<Vec<_>>()
        };
        let mut sum = Sum::default();
        let mut bars = 0u64;
        for s in series {
            for x in seen(s) {
                sum.add(x);
                bars += 1;
            }
        }
        if bars == 0 {
            return Err(TickflowError::Config {
                path: "--train-end".into(),
                message: "no bar is at or before the training end: nothing to fit the scaler on"
                    .into(),
            });
        }
        let mean = sum.value() / bars as f64;
        let mut squares = Sum::default();
        for s in series {
            for x in seen(s) {
                squares.add((x - mean) * (x - mean));
            }
        }
        let std = (squares.value() / bars as f64).sqrt();
        Ok(Self {
            transform: TRANSFORM.into(),
            mean,
            std: if std > 0.0 { std } else { 1.0 },
            bars,
            fitted_through: through_text,
        })
    }

    /// The scaled value of a volume.
    pub fn scale(&self, volume: f64) -> f64 {
        (volume.ln_1p() - self.mean) / self.std
    }

    /// Reads a saved scaler.
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |message: String| TickflowError::Config {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let s: Self =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a scaler file: {e}")))?;
        if s.transform != TRANSFORM || s.std.is_nan() || s.std <= 0.0 || !s.mean.is_finite() {
            return Err(bad(format!(
                "not a {TRANSFORM} scaler with a finite mean and a positive std"
            )));
        }
        Ok(s)
    }

    /// Writes it (temporary name, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("scalers serialise");
        crate::durable::manifest::write_atomic(path, text.as_bytes())
    }
}

/// A Neumaier-compensated sum.
#[derive(Default)]
struct Sum {
    sum: f64,
    carry: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.carry += (self.sum - t) + x;
        } else {
            self.carry += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.carry
    }
}
