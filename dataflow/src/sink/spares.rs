//! Buffers kept from one file for the next: fresh memory is faulted in
//! (and zeroed) page by page, reused memory is not.

use std::sync::Mutex;

/// At most `cap` buffers kept for reuse, shared by every file of the
/// process.
pub struct Spares<T> {
    kept: Mutex<Vec<T>>,
    cap: usize,
}

impl<T> Spares<T> {
    /// An empty store keeping at most `cap` buffers.
    pub const fn new(cap: usize) -> Self {
        Self {
            kept: Mutex::new(Vec::new()),
            cap,
        }
    }

    /// A kept buffer, if there is one.
    pub fn take(&self) -> Option<T> {
        self.kept.lock().ok().and_then(|mut kept| kept.pop())
    }

    /// Keeps `buffers` while there is room; the others are dropped.
    pub fn give(&self, buffers: impl IntoIterator<Item = T>) {
        if let Ok(mut kept) = self.kept.lock() {
            let room = self.cap.saturating_sub(kept.len());
            kept.extend(buffers.into_iter().take(room));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_its_cap_and_hands_them_back() {
        let spares = Spares::new(2);
        assert_eq!(spares.take(), None::<u8>);
        spares.give([1, 2, 3]);
        spares.give([4]);
        assert_eq!(
            (spares.take(), spares.take(), spares.take()),
            (Some(2), Some(1), None)
        );
    }
}
