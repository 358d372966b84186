//! A fixed-capacity ring buffer of `f64`.

use crate::prefetch;
use serde::{Deserialize, Serialize};

/// Keeps the last `capacity` values pushed, oldest first, in one fixed
/// allocation (no growth, no per-push bookkeeping beyond an index).
/// A snapshot whose indices do not fit its buffer is refused when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RingParts")]
pub struct Ring {
    buf: Vec<f64>,
    /// Next slot to write; when full, also the oldest value's slot.
    next: usize,
    len: usize,
}

/// A ring as a snapshot holds it, before its indices are checked.
#[derive(Deserialize)]
struct RingParts {
    buf: Vec<f64>,
    next: usize,
    len: usize,
}

impl TryFrom<RingParts> for Ring {
    type Error = String;

    fn try_from(p: RingParts) -> Result<Self, String> {
        let cap = p.buf.len();
        if cap == 0 || p.next >= cap || p.len > cap {
            return Err(format!(
                "ring snapshot out of range: capacity {cap}, next {}, len {}",
                p.next, p.len
            ));
        }
        Ok(Self {
            buf: p.buf,
            next: p.next,
            len: p.len,
        })
    }
}

impl Ring {
    /// A ring that keeps `capacity` (>= 1) values.
    pub fn new(capacity: usize) -> Self {
        assert!(capacity >= 1, "ring capacity must be at least 1");
        Self {
            buf: vec![0.0; capacity],
            next: 0,
            len: 0,
        }
    }

    /// Appends `x`; returns the value that fell out when the ring was full.
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let cap = self.buf.len();
        let slot = &mut self.buf[self.next];
        let evicted = if self.len == cap {
            Some(*slot)
        } else {
            self.len += 1;
            None
        };
        *slot = x;
        self.next += 1;
        if self.next == cap {
            self.next = 0;
        }
        evicted
    }

    /// Hints the slots the next pushes write and evict (the next eight).
    #[inline]
    pub fn prefetch_next(&self) {
        prefetch::at(&self.buf, self.next);
        let ahead = self.next + 7;
        prefetch::at(&self.buf, if ahead < self.buf.len() { ahead } else { 0 });
    }

    /// Hints every slot (for a ring its updates read whole).
    #[inline]
    pub fn prefetch_all(&self) {
        prefetch::slice(&self.buf);
    }

    /// Number of values held (at most the capacity).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been pushed since creation or reset.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the ring holds `capacity` values.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// The capacity given at creation.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The value pushed `age` pushes ago (0 = the newest).
    #[inline]
    pub fn back(&self, age: usize) -> Option<f64> {
        if age >= self.len {
            return None;
        }
        let cap = self.buf.len();
        let i = if self.next > age {
            self.next - 1 - age
        } else {
            self.next + cap - 1 - age
        };
        Some(self.buf[i])
    }

    /// The oldest value held.
    #[inline]
    pub fn front(&self) -> Option<f64> {
        match self.len {
            0 => None,
            n if n < self.buf.len() => Some(self.buf[0]),
            _ => Some(self.buf[self.next]),
        }
    }

    /// The held values, oldest first, as two contiguous slices.
    #[inline]
    pub fn as_slices(&self) -> (&[f64], &[f64]) {
        if self.len < self.buf.len() {
            (&self.buf[..self.len], &[])
        } else {
            let (newer, older) = self.buf.split_at(self.next);
            (older, newer)
        }
    }

    /// Iterates over the held values, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let (a, b) = self.as_slices();
        a.iter().chain(b).copied()
    }

    /// Empties the ring.
    pub fn clear(&mut self) {
        self.next = 0;
        self.len = 0;
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

    #[test]
    fn snapshots_with_indices_outside_the_buffer_are_refused() {
        let mut r = Ring::new(3);
        r.push(1.0);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Ring>(&json).unwrap(), r);
        for bad in [
            r#"{"buf":[1.0,0.0,0.0],"next":3,"len":1}"#,
            r#"{"buf":[1.0,0.0,0.0],"next":1,"len":4}"#,
            r#"{"buf":[],"next":0,"len":0}"#,
        ] {
            let e = serde_json::from_str::<Ring>(bad).unwrap_err().to_string();
            assert!(e.contains("ring snapshot out of range"), "{e}");
        }
    }
}
