//! A fixed-capacity ring buffer of `f64`.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Keeps the last `capacity` values pushed, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ring {
    capacity: usize,
    values: VecDeque<f64>,
}

impl Ring {
    /// A ring that keeps `capacity` (>= 1) values.
    pub fn new(capacity: usize) -> Self {
        assert!(capacity >= 1, "ring capacity must be at least 1");
        Self {
            capacity,
            values: VecDeque::with_capacity(capacity),
        }
    }

    /// Appends `x`; returns the value that fell out when the ring was full.
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let evicted = if self.values.len() == self.capacity {
            self.values.pop_front()
        } else {
            None
        };
        self.values.push_back(x);
        evicted
    }

    /// Number of values held (at most the capacity).
    #[inline]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing has been pushed since creation or reset.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// True when the ring holds `capacity` values.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.values.len() == self.capacity
    }

    /// The capacity given at creation.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The value pushed `age` pushes ago (0 = the newest).
    #[inline]
    pub fn back(&self, age: usize) -> Option<f64> {
        let len = self.values.len();
        if age < len {
            Some(self.values[len - 1 - age])
        } else {
            None
        }
    }

    /// The oldest value held.
    #[inline]
    pub fn front(&self) -> Option<f64> {
        self.values.front().copied()
    }

    /// The held values, oldest first, as two contiguous slices.
    #[inline]
    pub fn as_slices(&self) -> (&[f64], &[f64]) {
        self.values.as_slices()
    }

    /// Iterates over the held values, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.values.iter().copied()
    }

    /// Empties the ring.
    pub fn clear(&mut self) {
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_when_full() {
        let mut r = Ring::new(3);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), None);
        assert_eq!(r.push(3.0), None);
        assert!(r.is_full());
        assert_eq!(r.push(4.0), Some(1.0));
        assert_eq!(r.back(0), Some(4.0));
        assert_eq!(r.back(2), Some(2.0));
        assert_eq!(r.back(3), None);
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn capacity_one_keeps_only_the_newest() {
        let mut r = Ring::new(1);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), Some(1.0));
        assert_eq!(r.front(), Some(2.0));
    }
}
