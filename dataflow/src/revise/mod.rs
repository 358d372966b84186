//! Revisions of bars already in a store: a bar at or before the store's
//! last bar time, read by `backfill --append`, that differs from the stored
//! one (a vendor's correction) or that the symbol did not have (a missing
//! bar arriving late).
//!
//! The revised symbols' rows are read back from the store and their bars,
//! revisions applied, go through the feature engine (the same arithmetic
//! as the run that wrote them, so the unrevised history reproduces bit for
//! bit and a path-dependent indicator sees its whole past): from the
//! newest kept copy of the symbol's state before its first revision
//! ([`crate::durable::history`]; only the store's rows after it are read),
//! or from its first bar when no copy is that old. Every bar time at which
//! a revised symbol's row changed gets its cross-sections recomputed over
//! all of that time's rows, summed in symbol name order as the dataflow
//! does ([`recompute`]). A row whose values
//! changed gets a new version known from when the revision was processed;
//! the file holding its old version is rewritten with the new one in its
//! place, and the old version moves to `_history/` with `superseded_at`
//! ([`rewrite`]). The revised symbols' final states go into a new
//! checkpoint, so bars appended after the revision continue from the
//! corrected past. New files, history and checkpoint count once the
//! manifest lists them, and it is written last: a crash before leaves the
//! store as it was, and the same command applies the revisions again (one
//! equal to the stored bar is nothing to do).
//!
//! A corporate action new to the store (`--actions`) is a revision of every
//! stored bar of its symbol before its date, adjusted by its factor; with a
//! universe, a non-member's row takes no part in a recomputed cross-section.
//!
//! A market series (`--market`) that differs from the one the store was
//! computed with (a corrected or late market bar) replays every stored
//! symbol against the new series: the rows whose values change get new
//! versions, and every symbol's state continues from the new series.
//!
//! A sector schedule (`--sectors`) that differs from the store's moves the
//! stored rows whose sector it now says otherwise ([`sectors`]): their
//! symbols are replayed under it, each such row gets a new version with its
//! new sector, and the cross-sections of its time are recomputed. A
//! universe that differs from the store's recomputes the cross-sections of
//! every bar time at which a symbol's membership changed ([`universe`]).
//!
//! A plain glob of the partitions keeps reading the latest versions only;
//! `tickflow query --as-of T` reads the versions known at T.

mod collect;
pub mod recompute;
pub mod reference;
pub mod rewrite;
pub mod sectors;
pub mod universe;

pub use collect::collect;

use crate::config::{PipelineConfig, SinkConfig};
use crate::durable::history::History;
use crate::durable::manifest::{Manifest, RevisionRecord};
use crate::durable::restore::Restored;
use crate::error::Result;
use crate::reference::{Action, Market, SectorSchedule, Universe};
use std::collections::HashMap;
use std::path::Path;
use tickflow_connectors::TsKind;
use tickflow_operators::cross_section::CrossSectionOptions;
use tickflow_operators::{Bar, FeatureEngine};

/// The column of a history file saying until when its row was current
/// (UTC microseconds, exclusive).
pub const SUPERSEDED_AT: &str = "superseded_at";

/// Symbols replayed whole per read of the store.
const WHOLE_GROUP: usize = 256;

/// A bar for a time at or before the store's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Its symbol.
    pub symbol: String,
    /// Its bar time (the store's unit).
    pub ts: i64,
    /// The bar.
    pub bar: Bar,
    /// Its sector (input column or sector file), for a bar the store lacks.
    pub sector: Option<String>,
}

/// What an append revises.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The input's bars at or before the store's end (adjusted for every
    /// action the store knows, these included).
    pub revisions: Vec<Revision>,
    /// Corporate actions new to the store.
    pub actions: Vec<Action>,
    /// Symbols replayed whole, every row compared: every stored symbol
    /// when the market series changed, those a changed sector schedule
    /// moves.
    pub whole: Vec<String>,
    /// The market series changed.
    pub market: bool,
    /// The sector schedule changed.
    pub sectors: bool,
    /// Bar times whose cross-sections are recomputed whatever the replays
    /// change (those at which a changed universe changes the members).
    pub times: std::collections::BTreeSet<i64>,
    /// The universe changed.
    pub universe: bool,
}

/// What revisions are computed under.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The store.
    pub root: &'a Path,
    /// The store's features.
    pub engine: &'a FeatureEngine,
    /// The cross-sectional features (indices into the engine's columns).
    pub cross: &'a [usize],
    /// The cross-sections' options.
    pub options: CrossSectionOptions,
    /// How the store's files are written.
    pub sink: &'a SinkConfig,
    /// When the revisions are processed (UTC microseconds).
    pub known_at: i64,
    /// The store's bar times.
    pub ts_kind: TsKind,
    /// The universe the cross-sections are limited to, if any.
    pub universe: Option<&'a Universe>,
    /// The market series features are paired with, if any.
    pub market: Option<&'a Market>,
    /// A changed sector schedule: stored rows take the sector it gives.
    pub sectors: Option<&'a SectorSchedule>,
    /// The checkpoint's kept state histories, by symbol.
    pub histories: &'a HashMap<String, History>,
    /// Bars between kept copies of a state (`[revisions] state_history`).
    pub every: u64,
}

/// What revisions are computed under besides the run's config: the store's
/// time kind, its kept state histories and its reference data.
#[derive(Debug, Clone, Copy)]
pub struct Under<'a> {
    /// The store's bar times.
    pub ts_kind: TsKind,
    /// The checkpoint's kept state histories, by symbol.
    pub histories: &'a HashMap<String, History>,
    /// The universe the cross-sections are limited to, if any.
    pub universe: Option<&'a Universe>,
    /// The market series features are paired with, if any.
    pub market: Option<&'a Market>,
    /// A changed sector schedule: stored rows take the sector it gives.
    pub sectors: Option<&'a SectorSchedule>,
}

/// [`apply`] under `config`'s features, cross-sections and sink, known
/// from now: what an append and a live run's corrections both do.
pub fn apply_now(
    (root, engine, config): (&Path, &FeatureEngine, &PipelineConfig),
    under: Under<'_>,
    manifest: &mut Manifest,
    changes: Changes,
) -> Result<Applied> {
    let cs = &config.cross_section;
    let cross = crate::backfill::resolve_cross_columns(engine, &cs.features)?;
    let known_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let cx = Context {
        root,
        engine,
        cross: &cross,
        options: cs.options(),
        sink: &config.sink,
        known_at,
        ts_kind: under.ts_kind,
        universe: under.universe,
        market: under.market,
        sectors: under.sectors,
        histories: under.histories,
        every: config.revisions.state_history,
    };
    apply(&cx, manifest, changes)
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The manifest's record of it (`None`: every revision equalled the
    /// stored bar).
    pub record: Option<RevisionRecord>,
    /// The revised symbols' states after their last bar and their kept
    /// histories (also in the new checkpoint).
    pub restored: Restored,
}

/// Applies `changes` (revisions in input order: a later one for the same
/// symbol and time wins) to the store described by `manifest`, and saves it.
pub fn apply(cx: &Context<'_>, manifest: &mut Manifest, mut changes: Changes) -> Result<Applied> {
    let actions = changes.actions.len() as u64;
    // Symbols replayed whole: those with revisions or actions with them,
    // the rest a group at a time (each group's stored rows read at once).
    let mut everyone = std::mem::take(&mut changes.whole);
    let (market, sectors, universe) = (changes.market, changes.sectors, changes.universe);
    let times = std::mem::take(&mut changes.times);
    let whole: std::collections::HashSet<String> = everyone.iter().cloned().collect();
    let touched: std::collections::HashSet<&str> = (changes.revisions.iter().map(|r| &r.symbol))
        .chain(changes.actions.iter().map(|a| &a.symbol))
        .map(String::as_str)
        .collect();
    everyone.retain(|s| !touched.contains(s.as_str()));
    let mut revised = recompute::replay_symbols(cx, changes, &whole)?;
    for group in everyone.chunks(WHOLE_GROUP) {
        let group = Changes {
            whole: group.to_vec(),
            ..Changes::default()
        };
        revised.extend(recompute::replay_symbols(cx, group, &whole)?);
    }
    let bars: u64 = revised.iter().map(|r| r.bars).sum();
    if bars == 0 && !market && !sectors && !universe {
        return Ok(Applied::default());
    }
    let rows = rewrite::rewrite(cx, manifest, &revised, &times)?;
    let record = RevisionRecord {
        known_at: cx.known_at,
        bars,
        rows,
        actions,
        market,
        sectors,
        universe,
    };
    manifest.current_run().revisions = Some(record);
    manifest.save(cx.root)?;
    crate::durable::manifest::prune(cx.root, Some(manifest))?;
    Ok(Applied {
        record: Some(record),
        restored: Restored {
            histories: (revised.iter())
                .map(|r| (r.symbol.clone(), r.history.clone()))
                .collect(),
            states: revised.into_iter().map(|r| (r.symbol, r.state)).collect(),
        },
    })
}
