//! Features that read another feature's state instead of keeping their own.
//!
//! Some indicators keep a window that another one of the same set already
//! keeps over the same input: `sma(p)` and `stddev(p)` are parts of
//! `bbands(p)`, `willr(p)` uses the extremes of `stoch` with
//! `fastk_period = p`, and a k-bar return, `roc(k)` or `lag(k)` needs only
//! the value k bars back, which a longer `sma` (or `bbands`) window still
//! holds. Such a feature becomes a [`View`] of that owner: the owner's node
//! writes the feature's column right after its own update, from the numbers
//! the feature's own state would have held, so the values are the same to
//! the bit, while each symbol's state is smaller and each bar touches fewer
//! cache lines.

use super::plan::Source;
use crate::indicators::ReturnKind;
use std::collections::BTreeMap;
use std::ops::Range;

/// What a view computes from its owner's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum View {
    /// `sma(p)`: the mean of a `bbands(p)` window.
    Mean,
    /// `stddev(p, nbdev)`: from the variance of a `bbands(p)` window.
    StdDev { nbdev: f64 },
    /// `willr(p)`: from the extremes of a `stoch` with `fastk_period = p`.
    Willr,
    /// From the value `k` bars back in an owner's window of the input.
    Back { k: usize, of: Back },
}

/// What a [`View::Back`] makes of the value `k` bars back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Back {
    /// A log or simple k-bar return.
    Return(ReturnKind),
    /// TA-Lib ROC.
    Roc,
    /// The value itself.
    Lag,
}

/// One compiled feature, as sharing sees it.
pub(super) struct Feature<'a> {
    pub kind: &'static str,
    pub params: &'a BTreeMap<&'static str, f64>,
    pub source: Source,
    pub columns: Range<usize>,
}

impl Feature<'_> {
    fn param(&self, name: &str) -> f64 {
        self.params.get(name).copied().unwrap_or(f64::NAN)
    }
}

/// For each feature, the owner whose state it reads and how (`None`: the
/// feature keeps its own state). An owner is never itself a view, and it
/// runs before every feature that reads the view's column.
pub(super) fn plan(features: &[Feature<'_>]) -> Vec<Option<(usize, View)>> {
    let mut shared = vec![None; features.len()];
    // Parts of a bbands or a stoch.
    for (i, f) in features.iter().enumerate() {
        let (owner_kind, key, view) = match f.kind {
            "sma" => ("bbands", "period", View::Mean),
            "stddev" => (
                "bbands",
                "period",
                View::StdDev {
                    nbdev: f.param("nbdev"),
                },
            ),
            "willr" => ("stoch", "fastk_period", View::Willr),
            _ => continue,
        };
        shared[i] = features
            .iter()
            .enumerate()
            .position(|(j, o)| {
                o.kind == owner_kind
                    && o.source == f.source
                    && o.param(key) == f.param("period")
                    && read_after(features, i, j)
            })
            .map(|j| (j, view));
    }
    // Values k bars back, from a window that stayed a state of its own.
    for (i, f) in features.iter().enumerate() {
        let (k, of) = match f.kind {
            "log_return" => (f.param("period"), Back::Return(ReturnKind::Log)),
            "pct_return" => (f.param("period"), Back::Return(ReturnKind::Simple)),
            "roc" => (f.param("period"), Back::Roc),
            "lag" => (f.param("k"), Back::Lag),
            _ => continue,
        };
        let owner = (0..features.len()).find(|&j| {
            let o = &features[j];
            matches!(o.kind, "sma" | "bbands")
                && shared[j].is_none()
                && o.source == f.source
                && o.param("period") > k
                && read_after(features, i, j)
        });
        shared[i] = owner.map(|j| (j, View::Back { k: k as usize, of }));
    }
    shared
}

/// True when every feature that reads a column of feature `i` comes after
/// feature `j` (so `j`, writing that column, runs before its readers).
fn read_after(features: &[Feature<'_>], i: usize, j: usize) -> bool {
    features
        .iter()
        .enumerate()
        .all(|(r, reader)| match reader.source {
            Source::Column(c) if features[i].columns.contains(&c) => r > j,
            _ => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature<'a>(
        kind: &'static str,
        params: &'a BTreeMap<&'static str, f64>,
        source: Source,
        at: usize,
    ) -> Feature<'a> {
        Feature {
            kind,
            params,
            source,
            columns: at..at + 1,
        }
    }

    #[test]
    fn a_view_needs_its_owner_before_its_readers() {
        let p20: BTreeMap<_, _> = [("period", 20.0)].into();
        let bb: BTreeMap<_, _> = [("period", 20.0), ("nbdev_up", 2.0), ("nbdev_dn", 2.0)].into();
        let rsi: BTreeMap<_, _> = [("period", 14.0)].into();
        // sma_20 (column 0) read by an rsi (node 1) before the bbands (node 2):
        // the bbands would write the column too late, so sma keeps its state.
        let read_early = [
            feature("sma", &p20, Source::Close, 0),
            feature("rsi", &rsi, Source::Column(0), 1),
            feature("bbands", &bb, Source::Close, 2),
        ];
        assert_eq!(plan(&read_early), vec![None, None, None]);
        // Read after the bbands: a view.
        let read_late = [
            feature("sma", &p20, Source::Close, 0),
            feature("bbands", &bb, Source::Close, 1),
            feature("rsi", &rsi, Source::Column(0), 6),
        ];
        assert_eq!(plan(&read_late), vec![Some((1, View::Mean)), None, None]);
    }

    #[test]
    fn windows_are_shared_only_over_the_same_input_and_a_long_enough_window() {
        let p5: BTreeMap<_, _> = [("period", 5.0)].into();
        let p20: BTreeMap<_, _> = [("period", 20.0)].into();
        let sma5 = [("period", 5.0)].into();
        let features = [
            feature("sma", &sma5, Source::Close, 0),
            feature("pct_return", &p5, Source::Close, 1),
            feature("pct_return", &p5, Source::Volume, 2),
            feature("roc", &p20, Source::Close, 3),
        ];
        // a 5-bar return needs 6 values: a 5-value window is too short
        assert_eq!(plan(&features), vec![None; 4]);
        let sma21 = [("period", 21.0)].into();
        let features = [
            feature("pct_return", &p5, Source::Close, 0),
            feature("sma", &sma21, Source::Close, 1),
            feature("pct_return", &p5, Source::Volume, 2),
            feature("roc", &p20, Source::Close, 3),
        ];
        let back = |k, of| Some((1, View::Back { k, of }));
        assert_eq!(
            plan(&features),
            vec![
                back(5, Back::Return(ReturnKind::Simple)),
                None,
                None,
                back(20, Back::Roc)
            ]
        );
    }
}
