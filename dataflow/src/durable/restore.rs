//! Reading a checkpoint's indicator states (and their kept histories)
//! back and handing each worker those of the symbols it owns (the worker
//! count may differ from the run that wrote them).

use super::history::{self, History};
use super::manifest::{revised_state_path, state_path, CheckpointRef};
use super::state_file;
use crate::chunks::symbol_owner;
use crate::error::{Result, TickflowError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use tickflow_operators::{FeatureEngine, SymbolState};

/// A checkpoint's states and kept histories, by symbol name.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// Each symbol's state after its last bar.
    pub states: HashMap<String, SymbolState>,
    /// Each symbol's kept earlier states (none for an older store's).
    pub histories: HashMap<String, History>,
}

impl Restored {
    /// Takes in a revision's new states and histories.
    pub fn extend(&mut self, other: Restored) {
        self.states.extend(other.states);
        self.histories.extend(other.histories);
    }
}

/// One worker's share of restored states and histories, by symbol id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Share {
    /// States by symbol id (this worker's symbols only).
    pub states: Vec<Option<SymbolState>>,
    /// Histories by symbol id.
    pub histories: Vec<History>,
}

/// Every symbol's state and history in checkpoint `c` of the store at
/// `root`, checked against `engine` (a state of another feature config is
/// an error).
pub fn restore_states(root: &Path, c: &CheckpointRef, engine: &FeatureEngine) -> Result<Restored> {
    let error = |message: String| TickflowError::Store {
        path: root.display().to_string(),
        message,
    };
    let mut states = HashMap::new();
    let revised = revised_state_path(root, c.epoch);
    let files = (0..c.workers)
        .map(|worker| state_path(root, c.epoch, worker))
        .chain(revised.exists().then_some(revised));
    for path in files {
        let file =
            state_file::read(&path).map_err(|e| error(format!("damaged checkpoint: {e}")))?;
        for (symbol, state) in file.states {
            engine.check_state(&state).map_err(|e| {
                error(format!(
                    "the checkpoint belongs to another feature config: {e}"
                ))
            })?;
            states.insert(symbol, state);
        }
    }
    let histories = history::read_all(root, (c.epoch, c.workers), |_| true)
        .map_err(|e| error(format!("damaged checkpoint: {e}")))?;
    Ok(Restored { states, histories })
}

/// Splits restored states and histories among `workers` by symbol owner
/// (`id_of` gives a restored symbol's id).
pub fn distribute(
    mut restored: Restored,
    workers: usize,
    id_of: impl Fn(&str) -> u32,
) -> Vec<Share> {
    let mut out: Vec<Share> = vec![Share::default(); workers];
    for (symbol, state) in restored.states {
        let id = id_of(&symbol);
        let mine = &mut out[symbol_owner(id, workers)];
        if mine.states.len() <= id as usize {
            mine.states.resize(id as usize + 1, None);
            mine.histories.resize(id as usize + 1, History::default());
        }
        mine.states[id as usize] = Some(state);
        if let Some(h) = restored.histories.remove(&symbol) {
            mine.histories[id as usize] = h;
        }
    }
    out
}
