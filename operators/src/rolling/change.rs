//! Differences of a level between consecutive pushes.

use serde::{Deserialize, Serialize};

/// The change of a level since the previous push: a market's log level in,
/// its log return over the same interval out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    last: Option<f64>,
}

impl Change {
    /// Pushes `level` (NaN: unknown); the change since the previous push,
    /// when both are known.
    #[inline]
    pub fn push(&mut self, level: f64) -> Option<f64> {
        let known = level.is_finite().then_some(level);
        let change = self.last.zip(known).map(|(p, l)| l - p);
        self.last = known;
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_levels_break_the_chain() {
        let mut c = Change::default();
        assert_eq!(c.push(1.0), None);
        assert_eq!(c.push(1.5), Some(0.5));
        assert_eq!(c.push(f64::NAN), None);
        assert_eq!(c.push(2.0), None);
        assert_eq!(c.push(2.0), Some(0.0));
    }
}
