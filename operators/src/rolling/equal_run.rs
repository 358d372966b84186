//! Length of the current run of equal consecutive values.

use serde::{Deserialize, Serialize};

/// Counts how many of the latest values are equal to the newest one, so
/// "the last n values are all equal" is an O(1) question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EqualRun {
    last: Option<f64>,
    run: usize,
}

impl EqualRun {
    /// Pushes `x`.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if self.last == Some(x) {
            self.run += 1;
        } else {
            self.last = Some(x);
            self.run = 1;
        }
    }

    /// True when the last `n` values pushed are all equal.
    #[inline]
    pub fn last_all_equal(&self, n: usize) -> bool {
        self.run >= n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_runs() {
        let mut r = EqualRun::default();
        for x in [1.0, 2.0, 2.0, 2.0] {
            r.push(x);
        }
        assert!(r.last_all_equal(3));
        assert!(!r.last_all_equal(4));
        r.push(1.0);
        assert!(r.last_all_equal(1));
        assert!(!r.last_all_equal(2));
    }
}
