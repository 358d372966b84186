//! True range, the building block of ATR and the directional indicators.

/// `max(high - low, |prev_close - high|, |prev_close - low|)`, compared in
/// TA-Lib's order (strict `>`).
#[inline]
pub fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let v2 = (prev_close - high).abs();
    if v2 > greatest {
        greatest = v2;
    }
    let v3 = (prev_close - low).abs();
    if v3 > greatest {
        greatest = v3;
    }
    greatest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_dominates() {
        assert_eq!(true_range(11.0, 10.0, 10.5), 1.0);
        assert_eq!(true_range(11.0, 10.0, 8.0), 3.0);
        assert_eq!(true_range(11.0, 10.0, 13.0), 3.0);
    }
}
