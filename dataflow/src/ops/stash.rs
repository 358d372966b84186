//! Holding a time's input until the frontier passes it.

use std::collections::BTreeMap;
use timely::dataflow::operators::{Capability, InputCapability};
use timely::progress::frontier::MutableAntichain;

/// Input batches and an output capability per time.
pub type Stash<D> = BTreeMap<u64, (Capability<u64>, Vec<D>)>;

/// Holds an input time's batches (and a capability for `output`).
pub fn stash_batches<D>(
    stash: &mut Stash<D>,
    time: &InputCapability<u64>,
    output: usize,
    data: std::slice::IterMut<'_, Vec<D>>,
) {
    let entry = stash
        .entry(*time.time())
        .or_insert_with(|| (time.retain(output), Vec::new()));
    for batch in data {
        entry.1.append(batch);
    }
}

/// The stashed times the frontier has passed, oldest first.
pub fn ready<D>(
    stash: &mut Stash<D>,
    frontier: &MutableAntichain<u64>,
) -> Vec<(Capability<u64>, Vec<D>)> {
    passed(stash, frontier)
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

/// Removes the entries of the times the frontier has passed, oldest first.
pub fn passed<V>(held: &mut BTreeMap<u64, V>, frontier: &MutableAntichain<u64>) -> Vec<(u64, V)> {
    let mut out = Vec::new();
    while let Some((&t, _)) = held.first_key_value() {
        if frontier.less_equal(&t) {
            break;
        }
        out.push(held.pop_first().expect("non-empty"));
    }
    out
}
