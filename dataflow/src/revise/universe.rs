//! A changed universe on append: which stored bar times it changes the
//! members of. The store keeps a copy of each universe file it was
//! computed under (`_reference/universe-CRC.csv`, by content), so that an
//! append under another file can tell which cross-sections move.

use crate::durable::manifest::{store_error, write_atomic};
use crate::durable::InputFingerprint;
use crate::error::Result;
use crate::query::{scan, ts_values, QueryArgs};
use crate::reference::Universe;
use crate::schema::ts_micros;
use arrow_array::cast::AsArray;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tickflow_connectors::TsKind;

/// The store's directory of reference file copies.
pub const REFERENCE: &str = "_reference";

/// The copy of the universe file with content CRC `crc32` (hex) in the
/// store at `root`.
pub fn kept_copy(root: &Path, crc32: &str) -> PathBuf {
    root.join(REFERENCE).join(format!("universe-{crc32}.csv"))
}

/// Keeps a copy of the universe file `path` (fingerprint `print`) in the
/// store, once.
pub fn keep(root: &Path, path: &Path, print: &InputFingerprint) -> Result<()> {
    let copy = kept_copy(root, &print.crc32);
    if copy.exists() {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| store_error(path, e.to_string()))?;
    let dir = root.join(REFERENCE);
    std::fs::create_dir_all(&dir).map_err(|e| store_error(&dir, e.to_string()))?;
    write_atomic(&copy, &bytes)
}

/// Whether `symbol` is a member at `micros` (everyone without a universe).
fn member(universe: Option<&Universe>, symbol: &str, micros: i64) -> bool {
    universe.is_none_or(|u| u.contains(symbol, micros))
}

/// The bar times of the store at `root` (of `kind`) at which a symbol with
/// a row is a member under one of `old` and `new` and not the other.
pub fn moved_times(
    root: &Path,
    (old, new): (Option<&Universe>, Option<&Universe>),
    kind: TsKind,
) -> Result<BTreeSet<i64>> {
    let scanned = scan(&QueryArgs {
        store: root.to_path_buf(),
        columns: Some(Vec::new()),
        ..Default::default()
    })?;
    let mut out = BTreeSet::new();
    for batch in &scanned.batches {
        let symbol = batch.column(0).as_string::<i32>();
        for (r, t) in ts_values(batch.column(1)).into_iter().enumerate() {
            if out.contains(&t) {
                continue;
            }
            let (name, micros) = (symbol.value(r), ts_micros(kind, t));
            if member(old, name, micros) != member(new, name, micros) {
                out.insert(t);
            }
        }
    }
    Ok(out)
}
