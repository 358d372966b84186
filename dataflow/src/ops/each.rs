//! An exchange that ships every chunk as a message of its own, at once.
//!
//! Timely's default exchange gathers records into containers of about 8
//! KiB per destination and ships a partial one only when its sender's time
//! changes or the sender is done. A live feed's chunks sent ahead of the
//! frontier ([`crate::chunks::BarChunk::at`]) then waited in the exchange
//! for the feed's next frontier advance, a whole bar time, so about half
//! of each time's bars were computed only after the frontier had passed
//! it. Flushing the input handle does not help there: it hands the
//! partial container to the exchange, which keeps it, and once the
//! handle's counts have been read the handle's next `done` no longer
//! reaches the exchange (timely's `Counter` forwards it only with counts
//! pending), so the chunks waited for good and the run never ended (seen).
//! A chunk is one worker's batch of bars (a bar time's in live, thousands
//! of rows in a backfill), so one message per chunk costs nothing.

use std::collections::VecDeque;
use timely::container::{
    ContainerBuilder, DrainContainer, LengthPreservingContainerBuilder, PushInto,
};
use timely::dataflow::channels::pact::ExchangeCore;

/// Builds one container per pushed item.
pub(crate) struct Each<T> {
    ready: VecDeque<Vec<T>>,
    shipped: Option<Vec<T>>,
}

impl<T> Default for Each<T> {
    fn default() -> Self {
        Self {
            ready: VecDeque::new(),
            shipped: None,
        }
    }
}

impl<T> PushInto<T> for Each<T> {
    fn push_into(&mut self, item: T) {
        self.ready.push_back(vec![item]);
    }
}

impl<T: 'static> ContainerBuilder for Each<T> {
    type Container = Vec<T>;

    fn extract(&mut self) -> Option<&mut Vec<T>> {
        self.shipped = self.ready.pop_front();
        self.shipped.as_mut()
    }

    fn finish(&mut self) -> Option<&mut Vec<T>> {
        self.extract()
    }
}

impl<T: 'static> LengthPreservingContainerBuilder for Each<T> {}

/// An exchange by `route` that ships each item as soon as it is sent.
pub(crate) fn exchange_each<T: 'static, F>(route: F) -> ExchangeCore<Each<T>, F>
where
    for<'a> F: FnMut(&<Vec<T> as DrainContainer>::Item<'a>) -> u64 + 'static,
{
    ExchangeCore::<Each<T>, F>::new_core(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_ready_at_once_and_in_order() {
        let mut b = Each::default();
        b.push_into(1);
        b.push_into(2);
        assert_eq!(b.extract().cloned(), Some(vec![1]));
        assert_eq!(b.finish().cloned(), Some(vec![2]));
        assert_eq!(b.finish(), None);
    }
}
