//! Reading a checkpoint's indicator states back and handing each worker
//! the states of the symbols it owns (the worker count may differ from the
//! run that wrote them).

use super::manifest::{state_path, CheckpointRef};
use super::state_file;
use crate::chunks::symbol_owner;
use crate::error::{Result, TickflowError};
use std::collections::HashMap;
use std::path::Path;
use tickflow_operators::{FeatureEngine, SymbolState};

/// Every symbol's state in checkpoint `c` of the store at `root`, checked
/// against `engine` (a state of another feature config is an error).
pub fn restore_states(
    root: &Path,
    c: &CheckpointRef,
    engine: &FeatureEngine,
) -> Result<HashMap<String, SymbolState>> {
    let error = |message: String| TickflowError::Store {
        path: root.display().to_string(),
        message,
    };
    let mut states = HashMap::new();
    for worker in 0..c.workers {
        let file = state_file::read(&state_path(root, c.epoch, worker))
            .map_err(|e| error(format!("damaged checkpoint: {e}")))?;
        for (symbol, state) in file.states {
            engine.check_state(&state).map_err(|e| {
                error(format!(
                    "the checkpoint belongs to another feature config: {e}"
                ))
            })?;
            states.insert(symbol, state);
        }
    }
    Ok(states)
}

/// Splits restored states among `workers` by symbol owner, each worker's
/// indexed by symbol id (`id_of` gives a restored symbol's id).
pub fn distribute(
    restored: HashMap<String, SymbolState>,
    workers: usize,
    id_of: impl Fn(&str) -> u32,
) -> Vec<Vec<Option<SymbolState>>> {
    let mut out: Vec<Vec<Option<SymbolState>>> = vec![Vec::new(); workers];
    for (symbol, state) in restored {
        let id = id_of(&symbol);
        let mine = &mut out[symbol_owner(id, workers)];
        if mine.len() <= id as usize {
            mine.resize(id as usize + 1, None);
        }
        mine[id as usize] = Some(state);
    }
    out
}
