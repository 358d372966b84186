//! What process 0 hands every worker before a backfill's dataflow is
//! built ([`crate::cluster::relay::hand_out`]): whether to run at all, the
//! pipeline config (process 0's governs the whole cluster), the symbol and
//! sector names behind the ids in the chunks, where the store's numbering
//! stands, and the worker's share of restored indicator states.

use super::{resolve_cross_columns, value_column_names};
use crate::config::PipelineConfig;
use crate::durable::restore::Share;
use crate::error::{Result, TickflowError};
use crate::names::Names;
use crate::reference::universe::{Members, Universe};
use crate::reference::Market;
use crate::schema::OutputSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tickflow_connectors::{Interner, TsKind};
use tickflow_operators::cross_section::CrossSectionOptions;
use tickflow_operators::FeatureEngine;

/// Whether the workers run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Build the dataflow and run.
    Run,
    /// The store is complete and up to date: nothing to do.
    UpToDate,
    /// Process 0 could not start the run (its error).
    Failed(String),
}

/// One worker's start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Start {
    /// Whether to run.
    pub outcome: Outcome,
    /// Process 0's pipeline config, as JSON.
    pub config: String,
    /// Worker threads per process.
    pub workers: usize,
    /// Bar times are microseconds (else dates).
    pub micros: bool,
    /// Symbol names by id.
    pub symbols: Vec<String>,
    /// Sector names by id.
    pub sectors: Vec<String>,
    /// The store's next data file number.
    pub first_seq: u64,
    /// This run's first checkpoint number.
    pub first_epoch: u64,
    /// This worker's restored states and histories, by symbol id.
    pub restored: Share,
    /// The universe (`--universe`), if any.
    pub universe: Option<Universe>,
    /// The market series (`--market`), if any.
    pub market: Option<Market>,
}

impl Start {
    /// A start that tells the workers not to run.
    pub fn stop(outcome: Outcome) -> Self {
        Self {
            outcome,
            config: String::new(),
            workers: 0,
            micros: false,
            symbols: Vec::new(),
            sectors: Vec::new(),
            first_seq: 0,
            first_epoch: 0,
            restored: Share::default(),
            universe: None,
            market: None,
        }
    }
}

/// What a worker computes, built from its start.
pub struct Job {
    /// The pipeline config.
    pub config: PipelineConfig,
    /// The rolling features.
    pub engine: Arc<FeatureEngine>,
    /// The features the cross-sections rank.
    pub cs_columns: Vec<usize>,
    /// Cross-section options.
    pub cs_options: CrossSectionOptions,
    /// The store's columns.
    pub schema: OutputSchema,
    /// The names behind the ids.
    pub names: Arc<Names>,
    /// Universe membership, if the cross-sections are limited to it.
    pub members: Option<Members>,
    /// The market series, if features pair returns with it.
    pub market: Option<Arc<Market>>,
}

impl Job {
    /// The job `start` describes.
    pub fn of(start: &Start) -> Result<Self> {
        let config: PipelineConfig =
            serde_json::from_str(&start.config).map_err(|e| TickflowError::Config {
                path: "process 0's config".into(),
                message: e.to_string(),
            })?;
        let engine = Arc::new(FeatureEngine::new(&config.feature_set())?);
        let cs = &config.cross_section;
        let cs_columns = resolve_cross_columns(&engine, &cs.features)?;
        let kind = match start.micros {
            true => TsKind::Micros,
            false => TsKind::Date,
        };
        let schema = OutputSchema::new(
            kind,
            value_column_names(&engine, &cs.features),
            config.sink.float32,
        );
        Ok(Self {
            members: start
                .universe
                .clone()
                .map(|u| Members::new(Arc::new(u), Arc::new(kind.into()))),
            market: start.market.clone().map(Arc::new),
            cs_options: cs.options(),
            names: Arc::new(Names::new(
                Interner::of(&start.symbols),
                Interner::of(&start.sectors),
            )),
            config,
            engine,
            cs_columns,
            schema,
        })
    }
}
