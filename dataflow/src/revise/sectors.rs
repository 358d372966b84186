//! Which stored symbols a changed sector schedule moves: those with a
//! stored row whose sector the schedule now gives otherwise (a symbol it
//! says nothing of keeps the sectors it has).

use crate::error::Result;
use crate::query::{scan, ts_values, QueryArgs};
use crate::reference::SectorSchedule;
use crate::schema::ts_micros;
use arrow_array::cast::AsArray;
use arrow_array::Array;
use std::collections::BTreeSet;
use std::path::Path;
use tickflow_connectors::TsKind;

/// The symbols of the store at `root` (bar times of `kind`) with a row
/// whose sector `schedule` gives otherwise, in name order.
pub fn moved(root: &Path, schedule: &SectorSchedule, kind: TsKind) -> Result<Vec<String>> {
    let scanned = scan(&QueryArgs {
        store: root.to_path_buf(),
        columns: Some(vec!["sector".into()]),
        ..Default::default()
    })?;
    let mut out = BTreeSet::new();
    for batch in &scanned.batches {
        let symbol = batch.column(0).as_string::<i32>();
        let ts = ts_values(batch.column(1));
        let sector = batch.column(2).as_string::<i32>();
        for (r, &t) in ts.iter().enumerate() {
            let name = symbol.value(r);
            if out.contains(name) {
                continue;
            }
            let stored = (!sector.is_null(r)).then(|| sector.value(r));
            let given = schedule.at(name, ts_micros(kind, t));
            if given.is_some_and(|g| Some(g) != stored) {
                out.insert(name.to_string());
            }
        }
    }
    Ok(out.into_iter().collect())
}
