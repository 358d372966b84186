//! What changed reference files revise in a store, for an append and for
//! a live run alike: the store's identity records the sector and universe
//! files' content ([`REVISABLE`]); a sector schedule other than the
//! store's moves the stored rows whose sector it now gives otherwise
//! ([`super::sectors`]), a universe other than the store's changes the
//! members of the stored cross-sections at the bar times where a symbol's
//! membership differs ([`super::universe`]).

use super::Changes;
use crate::durable::manifest::store_error;
use crate::error::Result;
use crate::reference::{SectorSchedule, Universe};
use std::path::Path;
use tickflow_connectors::{TsKind, TsParser};

/// The identity's keys of the files that may change under a store,
/// revising it: the sector schedule and the universe.
pub const REVISABLE: [&str; 2] = ["sectors", "universe"];

/// `identity` without the [`REVISABLE`] keys: what must not change.
pub fn fixed_part(identity: &serde_json::Value) -> serde_json::Value {
    let mut id = identity.clone();
    if let Some(o) = id.as_object_mut() {
        for k in REVISABLE {
            o.remove(k);
        }
    }
    id
}

/// The changes (`whole`, `sectors`, `times`, `universe` of [`Changes`])
/// that the sector schedule and universe of identity `now` make to the
/// store at `root`, computed under identity `was`.
pub fn changes(
    root: &Path,
    (was, now): (&serde_json::Value, &serde_json::Value),
    (sectors, universe): (&SectorSchedule, Option<&Universe>),
    ts: &TsParser,
    kind: TsKind,
) -> Result<Changes> {
    let differs = |key: &str| was.get(key) != now.get(key);
    let mut changes = Changes {
        sectors: differs("sectors"),
        universe: differs("universe"),
        ..Changes::default()
    };
    if changes.sectors {
        changes.whole = super::sectors::moved(root, sectors, kind)?;
    }
    if changes.universe {
        let old = stored_universe(root, was.get("universe"), ts)?;
        changes.times = super::universe::moved_times(root, (old.as_ref(), universe), kind)?;
    }
    Ok(changes)
}

/// The universe a store was computed under (its identity's `universe`
/// entry), from the copy the store keeps; `None` without one.
fn stored_universe(
    root: &Path,
    print: Option<&serde_json::Value>,
    ts: &TsParser,
) -> Result<Option<Universe>> {
    let Some(print) = print.filter(|p| !p.is_null()) else {
        return Ok(None);
    };
    let crc = print.get("crc32").and_then(|c| c.as_str()).unwrap_or("");
    let copy = super::universe::kept_copy(root, crc);
    if !copy.exists() {
        return Err(store_error(
            root,
            format!(
                "the universe changed, and the store keeps no copy of the one it was computed under ({} is missing: a store of an older tickflow); rebuild it with every input",
                copy.display()
            ),
        ));
    }
    Universe::read(&copy, ts)
        .map(Some)
        .map_err(|m| store_error(&copy, m))
}
