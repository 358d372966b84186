//! Which bar times a query wants: `--from` and `--to` (both inclusive; a
//! date as `--to` or `--as-of` means the whole of that day), and which
//! partitions can hold them.

use crate::TickflowError;
use tickflow_connectors::{days_from_civil, TsKind, TsParser};

const DAY_MICROS: i64 = 86_400_000_000;

/// An inclusive range of bar times in the store's unit (days for a daily
/// store, microseconds for an intraday one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first bar time wanted.
    pub lo: i64,
    /// The last bar time wanted.
    pub hi: i64,
}

fn bad(flag: &str, message: String) -> TickflowError {
    TickflowError::Config {
        path: flag.into(),
        message,
    }
}

/// `text` as a bar time of a `kind` store: the first (`end == false`) or
/// the last (`end == true`) instant it names.
pub(crate) fn bound(flag: &str, text: &str, kind: TsKind, end: bool) -> Result<i64, TickflowError> {
    let (given, v) = TsParser::default().parse(text).ok_or_else(|| {
        bad(
            flag,
            format!("`{text}` is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM[:SS][Z])"),
        )
    })?;
    Ok(match (kind, given) {
        (TsKind::Date, TsKind::Date) => v,
        // A daily store's bar on a day is known from that day on.
        (TsKind::Date, TsKind::Micros) => v.div_euclid(DAY_MICROS),
        (TsKind::Micros, TsKind::Micros) => v,
        (TsKind::Micros, TsKind::Date) if end => (v + 1) * DAY_MICROS - 1,
        (TsKind::Micros, TsKind::Date) => v * DAY_MICROS,
    })
}

impl Window {
    /// The window of `--from`, `--to` and `--as-of` over a `kind` store
    /// (no row is known before its bar time, so `--as-of T` ends the window
    /// at T; which versions were known is the [`super::Selection`]'s part).
    ///
    /// ```
    /// use tickflow::query::Window;
    /// use tickflow_connectors::TsKind;
    /// let w = Window::parse(TsKind::Date, Some("2014-01-02"), Some("2014-01-31"), None).unwrap();
    /// assert_eq!(w.hi - w.lo, 29);
    /// let w = Window::parse(TsKind::Micros, Some("2020-12-01"), Some("2020-12-01"), None).unwrap();
    /// assert_eq!(w.hi - w.lo, 86_400_000_000 - 1);
    /// assert!(Window::parse(TsKind::Date, Some("2014-02-01"), Some("2014-01-01"), None).is_err());
    /// ```
    pub fn parse(
        kind: TsKind,
        from: Option<&str>,
        to: Option<&str>,
        as_of: Option<&str>,
    ) -> Result<Self, TickflowError> {
        let lo = match from {
            Some(t) => bound("--from", t, kind, false)?,
            None => i64::MIN,
        };
        let mut hi = match to {
            Some(t) => bound("--to", t, kind, true)?,
            None => i64::MAX,
        };
        if let Some(t) = as_of {
            hi = hi.min(bound("--as-of", t, kind, true)?);
        }
        if lo > hi {
            return Err(bad(
                "--from",
                format!(
                    "the window is empty: --from {} is after --to{}",
                    from.unwrap_or_default(),
                    if as_of.is_some() { " or --as-of" } else { "" }
                ),
            ));
        }
        Ok(Self { lo, hi })
    }

    /// Whether a bar time is in the window.
    pub fn contains(&self, ts: i64) -> bool {
        self.lo <= ts && ts <= self.hi
    }

    /// Whether any bar time of `lo..=hi` is in the window.
    pub fn overlaps(&self, lo: i64, hi: i64) -> bool {
        lo <= self.hi && self.lo <= hi
    }

    /// Whether the partition directory `partition` (`year=YYYY` or
    /// `year=YYYY/month=MM`) can hold rows of the window; an unknown name
    /// is read.
    pub fn may_hold(&self, kind: TsKind, partition: &str) -> bool {
        match partition_range(kind, partition) {
            Some((lo, hi)) => self.overlaps(lo, hi),
            None => true,
        }
    }
}

/// The bar times a partition directory holds, inclusive.
fn partition_range(kind: TsKind, partition: &str) -> Option<(i64, i64)> {
    let mut year = None;
    let mut month = None;
    for part in partition.split('/') {
        if let Some(y) = part.strip_prefix("year=") {
            year = y.parse::<i64>().ok();
        } else if let Some(m) = part.strip_prefix("month=") {
            month = m.parse::<i64>().ok().filter(|m| (1..=12).contains(m));
        }
    }
    let y = year?;
    let (first, next) = match month {
        Some(12) => (days_from_civil(y, 12, 1), days_from_civil(y + 1, 1, 1)),
        Some(m) => (days_from_civil(y, m, 1), days_from_civil(y, m + 1, 1)),
        None => (days_from_civil(y, 1, 1), days_from_civil(y + 1, 1, 1)),
    };
    Some(match kind {
        TsKind::Date => (first, next - 1),
        TsKind::Micros => (first * DAY_MICROS, next * DAY_MICROS - 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_pruned_by_their_range() {
        let w = Window::parse(TsKind::Date, Some("2015-12-31"), Some("2016-01-01"), None).unwrap();
        assert!(w.may_hold(TsKind::Date, "year=2015"));
        assert!(w.may_hold(TsKind::Date, "year=2016"));
        assert!(!w.may_hold(TsKind::Date, "year=2014"));
        assert!(!w.may_hold(TsKind::Date, "year=2017"));
        assert!(w.may_hold(TsKind::Date, "odd"));
        let w = Window::parse(TsKind::Micros, Some("2020-12-31T23:59:00Z"), None, None).unwrap();
        assert!(w.may_hold(TsKind::Micros, "year=2020/month=12"));
        assert!(!w.may_hold(TsKind::Micros, "year=2020/month=11"));
        assert!(w.may_hold(TsKind::Micros, "year=2021/month=01"));
    }

    #[test]
    fn as_of_cuts_the_window_and_bad_text_is_named() {
        let w = Window::parse(TsKind::Date, None, Some("2016-01-01"), Some("2015-06-30")).unwrap();
        assert_eq!(w.hi, days_from_civil(2015, 6, 30));
        assert_eq!(w.lo, i64::MIN);
        let e = Window::parse(TsKind::Date, Some("yesterday"), None, None).unwrap_err();
        assert!(e.to_string().contains("--from"), "{e}");
        assert!(e.to_string().contains("yesterday"), "{e}");
    }
}
