//! What process 0 hands every live worker before the dataflows are built
//! ([`crate::cluster::relay::hand_out`]): whether to run, the store's
//! identity (every process must run under the same settings), where the
//! store and the topic stand, the symbol names behind the restored ids,
//! and the worker's share of restored indicator states. From its start
//! each process builds, once, what its workers share ([`Begun`]).

use super::feed::FeedShared;
use super::side::{side_file, ReadBefore, SideOutputs};
use super::{DeadLetterTarget, LiveArgs};
use crate::durable::manifest::LivePositions;
use crate::durable::restore::Share;
use crate::error::{Result, TickflowError};
use crate::names::Names;
use crate::reference::{Action, Actions, SectorSchedule};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use tickflow_connectors::{Interner, TsKind, TsParser};

/// One worker's start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveStart {
    /// Process 0 could not start the run: its error.
    pub failed: Option<String>,
    /// Process 0's store identity, as JSON.
    pub identity: String,
    /// Worker threads per process.
    pub workers: usize,
    /// The topic's partitions.
    pub partitions: i32,
    /// The store's timestamp kind, once it has rows: microseconds or dates.
    pub micros: Option<bool>,
    /// Symbol names by run id (those of the restored states).
    pub symbols: Vec<String>,
    /// The store's next data file number.
    pub first_seq: u64,
    /// This run's first checkpoint number.
    pub first_epoch: u64,
    /// Where the resumed checkpoint left the topic.
    pub positions: Option<LivePositions>,
    /// The corporate actions the store knows: bars before their dates are
    /// adjusted as they are read.
    pub actions: Vec<Action>,
    /// The market symbol's log close at its last bar before the
    /// checkpoint (`--market-symbol`).
    pub market_level: Option<f64>,
    /// A pause for corrections closed the bar times from this one on
    /// before every partition's watermark passed them: a bar of one that
    /// arrives now is late because of the pause, and calls for no other.
    pub forced_from: Option<i64>,
    /// This worker's restored states and histories, by run id.
    pub restored: Share,
}

impl LiveStart {
    /// A start that tells every worker that process 0 failed.
    pub fn failed(message: String) -> Self {
        Self {
            failed: Some(message),
            identity: String::new(),
            workers: 0,
            partitions: 0,
            micros: None,
            symbols: Vec::new(),
            first_seq: 0,
            first_epoch: 0,
            positions: None,
            actions: Vec::new(),
            market_level: None,
            forced_from: None,
            restored: Share::default(),
        }
    }
}

/// What a process's workers share once the run has started.
pub struct Begun {
    /// The run's symbol ids (those in the chunks).
    pub names: Arc<Names>,
    /// The feeds' shared part (with the process's provisional ids).
    pub shared: Arc<FeedShared>,
}

/// Builds process `process`'s shared part from a start: the run's symbol
/// table, the side outputs (resumed at the start's positions) and the
/// timestamp kind the store fixed.
pub fn begin(
    args: &LiveArgs,
    process: usize,
    start: &LiveStart,
    schedule: &SectorSchedule,
    ts_kind: &Arc<OnceLock<TsKind>>,
) -> Result<Begun> {
    let mut sectors = Interner::default();
    for s in schedule.sectors() {
        sectors.intern(s);
    }
    let sectors = sectors.sorted();
    let names = Arc::new(Names::new(Interner::of(&start.symbols), sectors.clone()));
    let provisional = Arc::new(Names::new(Interner::default(), sectors));
    if let Some(micros) = start.micros {
        let kind = if micros { TsKind::Micros } else { TsKind::Date };
        ts_kind.get_or_init(|| kind);
    }
    let dead_letter = match &args.dead_letter {
        DeadLetterTarget::File(p) if p.is_relative() && p.parent() == Some("".as_ref()) => {
            DeadLetterTarget::File(side_file(&args.output.join(p), process))
        }
        DeadLetterTarget::File(p) => DeadLetterTarget::File(side_file(p, process)),
        other => other.clone(),
    };
    let read_before: Option<ReadBefore> = start.positions.as_ref().map(|p| {
        p.partitions
            .iter()
            .map(|(&part, at)| (part, at.consumed))
            .collect()
    });
    let (side, late_before) = SideOutputs::open(
        &side_file(&args.output.join("_late_bars.csv"), process),
        &dead_letter,
        &args.kafka,
        read_before.as_ref(),
    )?;
    let shared = Arc::new(FeedShared {
        format: args.format.clone(),
        ts: TsParser::new(args.tz.as_deref())?,
        names: provisional,
        sectors: schedule.clone(),
        ts_kind: ts_kind.clone(),
        side,
        lateness: args.lateness,
        late_before,
        actions: Actions::new(start.actions.iter().cloned()),
        forced_from: start.forced_from,
    });
    Ok(Begun { names, shared })
}

/// Checks a follower's settings against process 0's.
pub fn check_identity(own: &serde_json::Value, start: &LiveStart) -> Result<()> {
    let theirs: serde_json::Value =
        serde_json::from_str(&start.identity).map_err(|e| TickflowError::Runtime(e.to_string()))?;
    let differences = crate::durable::describe_differences(&theirs, own);
    if differences.is_empty() {
        return Ok(());
    }
    Err(TickflowError::Config {
        path: "cluster".into(),
        message: format!(
            "this process runs under other settings than process 0 (every process needs the same ones):\n  {}",
            differences.join("\n  ")
        ),
    })
}
