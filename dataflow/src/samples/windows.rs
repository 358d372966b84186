//! Which windows become samples: a window of `L` bars ending at bar `e` of a
//! symbol needs `L` bars of history, bar `e + h` for every label horizon,
//! and no gap between consecutive bars longer than the limit anywhere from
//! its first bar to its last label bar. Its split is that of its end time;
//! a split followed by another keeps only windows whose bar `e + embargo`
//! (embargo at least the longest horizon) is still inside it, so no label
//! of one split reaches into the next. Sampling N of them is Knuth's
//! selection sampling with a seeded generator: deterministic, in order,
//! and without memory for the choice.

use super::load::Series;

/// Where a window goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Split {
    /// Ends at or before the training end (or: no split asked for).
    Train,
    /// After the training end, at or before the validation end.
    Valid,
    /// After the last split end.
    Test,
}

impl Split {
    /// The output file's stem.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }
}

/// The rules.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Bars per window.
    pub length: usize,
    /// The longest label horizon, in bars.
    pub horizon: usize,
    /// The longest allowed step between consecutive bars (in the bar time unit).
    pub max_gap: i64,
    /// The training end (inclusive), if the windows are split.
    pub train_end: Option<i64>,
    /// The validation end (inclusive), if there is a validation split.
    pub valid_end: Option<i64>,
    /// Bars after a window's end that must stay in its split.
    pub embargo: usize,
}

/// A window: its symbol (index into the series) and its last bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The series.
    pub series: u32,
    /// Its last bar.
    pub end: u32,
    /// Its split.
    pub split: Split,
}

/// Windows left out, by reason (each bar end counted once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Dropped {
    /// Fewer than `L` bars before it.
    pub short_history: u64,
    /// A label bar has not arrived.
    pub no_label: u64,
    /// A gap in the bars longer than the limit.
    pub gap: u64,
    /// Its embargo reaches into the next split.
    pub embargo: u64,
}

impl Rules {
    fn split_of(&self, ts: i64) -> Split {
        match (self.train_end, self.valid_end) {
            (Some(t), _) if ts <= t => Split::Train,
            (Some(_), Some(v)) if ts <= v => Split::Valid,
            (Some(_), _) => Split::Test,
            (None, _) => Split::Train,
        }
    }

    /// The end of `split`'s period when another split follows it.
    fn boundary(&self, split: Split) -> Option<i64> {
        match split {
            Split::Train => self.train_end,
            Split::Valid => self.valid_end,
            Split::Test => None,
        }
    }

    /// Every eligible window of `series`, in (series, end) order.
    pub fn windows(&self, series: &[Series]) -> (Vec<Window>, Dropped) {
        let mut out = Vec::new();
        let mut dropped = Dropped::default();
        let (l, h) = (self.length, self.horizon);
        for (si, s) in series.iter().enumerate() {
            let n = s.len();
            // breaks[j]: gaps among bars 1..=j (a gap at j is between j-1 and j)
            let mut breaks = vec![0u32; n];
            for j in 1..n {
                breaks[j] = breaks[j - 1] + u32::from(s.ts[j] - s.ts[j - 1] > self.max_gap);
            }
            for e in 0..n {
                if e + 1 < l {
                    dropped.short_history += 1;
                    continue;
                }
                if e + h >= n {
                    dropped.no_label += 1;
                    continue;
                }
                if breaks[e + h] != breaks[e + 1 - l] {
                    dropped.gap += 1;
                    continue;
                }
                let split = self.split_of(s.ts[e]);
                if let Some(b) = self.boundary(split) {
                    if s.ts[(e + self.embargo).min(n - 1)] > b {
                        dropped.embargo += 1;
                        continue;
                    }
                }
                out.push(Window {
                    series: si as u32,
                    end: e as u32,
                    split,
                });
            }
        }
        (out, dropped)
    }
}

/// Keeps `count` of the windows, chosen uniformly with `seed`, in order.
///
/// ```
/// use tickflow::samples::{sample, Split, Window};
/// let all: Vec<Window> = (0..1000).map(|e| Window { series: 0, end: e, split: Split::Train }).collect();
/// let a = sample(all.clone(), 100, 7);
/// assert_eq!(a.len(), 100);
/// assert_eq!(a, sample(all.clone(), 100, 7));
/// assert_ne!(a, sample(all.clone(), 100, 8));
/// assert!(a.windows(2).all(|w| w[0].end < w[1].end));
/// ```
pub fn sample(windows: Vec<Window>, count: usize, seed: u64) -> Vec<Window> {
    if count >= windows.len() {
        return windows;
    }
    let mut rng = SplitMix(seed);
    let total = windows.len();
    let mut left = count;
    let mut out = Vec::with_capacity(count);
    for (i, w) in windows.into_iter().enumerate() {
        if left == 0 {
            break;
        }
        // keep with probability left / (total - i)
        if (rng.next() % (total - i) as u64) < left as u64 {
            out.push(w);
            left -= 1;
        }
    }
    out
}

/// splitmix64.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(ts: &[i64]) -> Series {
        Series {
            symbol: "A".into(),
            ts: ts.to_vec(),
            ..Default::default()
        }
    }

    fn rules() -> Rules {
        Rules {
            length: 3,
            horizon: 1,
            max_gap: 3,
            train_end: None,
            valid_end: None,
            embargo: 1,
        }
    }

    #[test]
    fn windows_need_history_labels_and_no_gap() {
        // a gap of 5 between bars 4 (t=4) and 5 (t=9)
        let s = series(&[0, 1, 2, 3, 4, 9, 10, 11, 12]);
        let (w, d) = rules().windows(&[s]);
        let ends: Vec<u32> = w.iter().map(|w| w.end).collect();
        // end 4's label bar is 5, across the gap; ends 5 and 6 span it
        assert_eq!(ends, [2, 3, 7]);
        assert_eq!(
            d,
            Dropped {
                short_history: 2,
                no_label: 1,
                gap: 3,
                embargo: 0
            }
        );
    }

    #[test]
    fn no_label_crosses_a_split_boundary() {
        let s = series(&(0..20).collect::<Vec<_>>());
        let r = Rules {
            train_end: Some(9),
            valid_end: Some(14),
            embargo: 2,
            ..rules()
        };
        let (w, d) = r.windows(&[s]);
        let by = |sp| {
            w.iter()
                .filter(|w| w.split == sp)
                .map(|w| w.end)
                .collect::<Vec<_>>()
        };
        assert_eq!(by(Split::Train), [2, 3, 4, 5, 6, 7]);
        assert_eq!(by(Split::Valid), [10, 11, 12]);
        assert_eq!(by(Split::Test), (15..19).collect::<Vec<_>>());
        assert_eq!(d.embargo, 4);
    }

    #[test]
    fn sampling_everything_keeps_everything() {
        let all: Vec<Window> = (0..10)
            .map(|e| Window {
                series: 0,
                end: e,
                split: Split::Train,
            })
            .collect();
        assert_eq!(sample(all.clone(), 10, 1), all);
        assert_eq!(sample(all.clone(), 50, 1), all);
        assert!(sample(all, 0, 1).is_empty());
    }
}
