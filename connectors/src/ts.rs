//! Bar timestamps as the spec defines them: a date (Arrow Date32, days since
//! 1970-01-01) for daily bars, or an instant (microseconds since the epoch,
//! UTC) for intraday bars; naive local times are read in a configured zone.

use crate::error::{ConnectorError, Result};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Which kind of timestamp a value is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum TsKind {
    /// A calendar date: days since 1970-01-01.
    Date,
    /// An instant: microseconds since 1970-01-01T00:00:00Z.
    Micros,
}

/// The text of a bar time as messages carry it: `YYYY-MM-DD` for a date,
/// RFC 3339 in UTC (`YYYY-MM-DDTHH:MM:SS[.ffffff]Z`) for an instant; the
/// parser reads it back to the same value.
///
/// ```
/// use tickflow_connectors::{format_ts, TsKind, TsParser};
/// assert_eq!(format_ts(TsKind::Date, 1), "1970-01-02");
/// let t = 1_608_042_600_000_123;
/// assert_eq!(format_ts(TsKind::Micros, t), "2020-12-15T14:30:00.000123Z");
/// assert_eq!(TsParser::default().parse(&format_ts(TsKind::Micros, t)), Some((TsKind::Micros, t)));
/// ```
pub fn format_ts(kind: TsKind, ts: i64) -> String {
    match kind {
        TsKind::Date => {
            let (y, m, d) = civil_from_days(ts);
            format!("{y:04}-{m:02}-{d:02}")
        }
        TsKind::Micros => {
            const DAY: i64 = 86_400_000_000;
            let (y, m, d) = civil_from_days(ts.div_euclid(DAY));
            let of_day = ts.rem_euclid(DAY);
            let (secs, micros) = (of_day / 1_000_000, of_day % 1_000_000);
            let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
            if micros == 0 {
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
            } else {
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{micros:06}Z")
            }
        }
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]` with an optional
/// `Z` or `±HH:MM` offset; times without an offset are local to the zone
/// given at construction (UTC by default).
#[derive(Debug, Clone)]
pub struct TsParser {
    zone: TimeZone,
    utc: bool,
}

impl Default for TsParser {
    fn default() -> Self {
        Self {
            zone: TimeZone::UTC,
            utc: true,
        }
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64))
}

/// Days from 1970-01-01 to a valid proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl TsParser {
    /// A parser for naive times in `zone` (an IANA name; `None` = UTC).
    pub fn new(zone: Option<&str>) -> Result<Self> {
        match zone {
            None => Ok(Self::default()),
            Some(name) => {
                let zone = TimeZone::get(name)
                    .map_err(|_| ConnectorError::UnknownTimeZone(name.to_string()))?;
                let utc = name.eq_ignore_ascii_case("utc");
                Ok(Self { zone, utc })
            }
        }
    }

    /// A naive wall-clock time (microseconds since 1970-01-01T00:00 local)
    /// as a UTC instant in this parser's zone; `None` for a local time the
    /// zone skips.
    ///
    /// ```
    /// use tickflow_connectors::TsParser;
    /// let ny = TsParser::new(Some("America/New_York")).unwrap();
    /// let local = 1_608_024_600_000_000; // 2020-12-15 09:30 as a naive time
    /// assert_eq!(ny.local_micros_to_utc(local), Some(local + 5 * 3_600_000_000));
    /// ```
    pub fn local_micros_to_utc(&self, micros: i64) -> Option<i64> {
        if self.utc {
            return Some(micros);
        }
        let days = micros.div_euclid(86_400_000_000);
        let rem = micros.rem_euclid(86_400_000_000);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / 1_000_000;
        let dt = DateTime::new(
            i16::try_from(y).ok()?,
            m as i8,
            d as i8,
            (secs / 3_600) as i8,
            (secs / 60 % 60) as i8,
            (secs % 60) as i8,
            (rem % 1_000_000 * 1_000) as i32,
        )
        .ok()?;
        let zoned = dt.to_zoned(self.zone.clone()).ok()?;
        Some(zoned.timestamp().as_microsecond())
    }

    /// Parses one field; `None` when it is not a timestamp.
    ///
    /// ```
    /// use tickflow_connectors::{TsKind, TsParser};
    /// let p = TsParser::new(Some("America/New_York")).unwrap();
    /// assert_eq!(p.parse("1970-01-02"), Some((TsKind::Date, 1)));
    /// // 09:30 in New York in December is 14:30 UTC
    /// assert_eq!(p.parse("2020-12-15 09:30"), TsParser::default().parse("2020-12-15T14:30:00Z"));
    /// assert_eq!(p.parse("2020-02-30"), None);
    /// ```
    pub fn parse(&self, s: &str) -> Option<(TsKind, i64)> {
        let b = s.trim().as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        Date::new(y as i16, m as i8, d as i8).ok()?;
        let days = days_from_civil(y, m, d);
        if b.len() == 10 {
            return Some((TsKind::Date, days));
        }
        if b[10] != b' ' && b[10] != b'T' {
            return None;
        }
        let rest = &b[11..];
        if rest.len() < 5 || rest[2] != b':' {
            return None;
        }
        let (hh, mm) = (digits(&rest[0..2])?, digits(&rest[3..5])?);
        let mut i = 5;
        let mut ss = 0;
        let mut micros = 0i64;
        if rest.len() >= i + 3 && rest[i] == b':' {
            ss = digits(&rest[i + 1..i + 3])?;
            i += 3;
            if rest.len() > i && rest[i] == b'.' {
                let start = i + 1;
                let mut end = start;
                while end < rest.len() && rest[end].is_ascii_digit() {
                    end += 1;
                }
                let frac = &rest[start..end];
                if frac.is_empty() || frac.len() > 9 {
                    return None;
                }
                let mut v = digits(frac)?;
                for _ in frac.len()..6 {
                    v *= 10;
                }
                for _ in 6..frac.len() {
                    v /= 10;
                }
                micros = v;
                i = end;
            }
        }
        if hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
        let local = (days * 86_400 + hh * 3_600 + mm * 60 + ss) * 1_000_000 + micros;
        let offset = &rest[i..];
        match offset {
            [] => {
                if self.utc {
                    Some((TsKind::Micros, local))
                } else {
                    let dt = DateTime::new(
                        y as i16,
                        m as i8,
                        d as i8,
                        hh as i8,
                        mm as i8,
                        ss as i8,
                        (micros * 1000) as i32,
                    )
                    .ok()?;
                    let zoned = dt.to_zoned(self.zone.clone()).ok()?;
                    Some((TsKind::Micros, zoned.timestamp().as_microsecond()))
                }
            }
            [b'Z'] | [b'z'] => Some((TsKind::Micros, local)),
            [sign @ (b'+' | b'-'), oh1, oh2, rest @ ..] => {
                let oh = digits(&[*oh1, *oh2])?;
                let om = match rest {
                    [] => 0,
                    [b':', a, b] | [a, b] => digits(&[*a, *b])?,
                    _ => return None,
                };
                let off = (oh * 3_600 + om * 60) * 1_000_000;
                Some((
                    TsKind::Micros,
                    if *sign == b'+' {
                        local - off
                    } else {
                        local + off
                    },
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants() {
        let p = TsParser::default();
        assert_eq!(p.parse("1970-01-01"), Some((TsKind::Date, 0)));
        assert_eq!(p.parse("2000-03-01"), Some((TsKind::Date, 11_017)));
        assert_eq!(p.parse("1969-12-31"), Some((TsKind::Date, -1)));
        assert_eq!(
            p.parse("1970-01-01 00:01"),
            Some((TsKind::Micros, 60_000_000))
        );
        assert_eq!(
            p.parse("1970-01-01T00:00:01.5Z"),
            Some((TsKind::Micros, 1_500_000))
        );
        assert_eq!(
            p.parse("1970-01-01T01:00:00+01:00"),
            Some((TsKind::Micros, 0))
        );
        assert_eq!(
            p.parse("1970-01-01T00:00:00-0130"),
            Some((TsKind::Micros, 5_400_000_000))
        );
        for bad in [
            "",
            "2020-13-01",
            "2020-1-01",
            "20200101",
            "2020-01-01 25:00",
            "2020-01-01X10:00",
            "2020-01-01 10:00+5",
            "nan",
        ] {
            assert_eq!(p.parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        for d in (-800_000..800_000).step_by(997) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m as i64, dd as i64), d);
        }
    }

    #[test]
    fn naive_times_in_a_zone_follow_dst() {
        let ny = TsParser::new(Some("America/New_York")).unwrap();
        let utc = TsParser::default();
        assert_eq!(ny.parse("2020-07-01 09:30"), utc.parse("2020-07-01 13:30"));
        assert_eq!(ny.parse("2020-12-01 09:30"), utc.parse("2020-12-01 14:30"));
        assert!(TsParser::new(Some("Mars/Olympus")).is_err());
    }
}
