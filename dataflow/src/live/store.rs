//! What a live run does with the store in its output directory: start a
//! new one, or resume its own from the last checkpoint (states, topic
//! positions, the files it lists), refusing a store computed under other
//! settings or built by a backfill. See [`crate::durable`].

use super::corrections::{Corrected, Corrector};
use super::LiveArgs;
use crate::durable::manifest::{prune, store_error, LivePositions, Manifest, RunKind, RunRecord};
use crate::durable::restore::{restore_states, Restored};
use crate::durable::{describe_differences, InputFingerprint};
use crate::error::Result;
use crate::revise::reference::fixed_part;
use std::path::Path;
use tickflow_operators::FeatureEngine;

/// The store, opened for this run.
pub struct Opened {
    /// The manifest this run extends (its last run is this one).
    pub manifest: Manifest,
    /// Indicator states to continue from, by symbol.
    pub restored: Restored,
    /// Where the topic's partitions resume.
    pub positions: Option<LivePositions>,
    /// This run's first checkpoint number.
    pub first_epoch: u64,
    /// How the run relates to the store, for the log.
    pub note: Option<String>,
    /// The late bars applied before the run.
    pub corrected: Option<Corrected>,
}

/// What a live store's rows depend on besides the bars: the features, the
/// cross-sections, the output types, the topic and how its messages and
/// times are read, the market symbol, the sector file's content and the
/// universe file's.
pub fn identity(
    args: &LiveArgs,
    engine: &FeatureEngine,
    topic: &str,
    references: (Option<&InputFingerprint>, Option<&InputFingerprint>),
) -> serde_json::Value {
    let mut extra = serde_json::json!({
        "topic": topic,
        "message_format": format!("{:?}", args.format),
    });
    if let Some(s) = &args.market_symbol {
        extra["market_symbol"] = s.as_str().into();
    }
    crate::durable::identity(&args.config, engine, args.tz.as_deref(), references, extra)
}

/// Opens the store at `root` for a live run, records the run in its
/// manifest before anything is written, and applies the late bars an
/// earlier stretch or run read and did not apply (see
/// [`super::corrections`]): the states restored are the corrected ones.
pub fn open(
    root: &Path,
    identity: serde_json::Value,
    engine: &FeatureEngine,
    corrector: &Corrector<'_>,
) -> Result<Opened> {
    std::fs::create_dir_all(root).map_err(|e| crate::backfill::output_error(root, e))?;
    let Some(mut manifest) = Manifest::load(root)? else {
        let manifest = Manifest::new(identity, RunRecord::new(RunKind::Live, Vec::new()));
        // The manifest first: a crash after it leaves a store that starts
        // over, never one that lists removed files.
        manifest.save(root)?;
        prune(root, Some(&manifest))?;
        return Ok(Opened {
            manifest,
            restored: Restored::default(),
            positions: None,
            first_epoch: 0,
            note: None,
            corrected: None,
        });
    };
    if manifest.runs.iter().any(|r| r.kind != RunKind::Live) {
        return Err(store_error(
            root,
            "this store was built by `tickflow backfill`; give the live run its own --output directory",
        ));
    }
    // The sector and universe files may change: the corrections revise
    // the store for them.
    let differences = describe_differences(&fixed_part(&manifest.identity), &fixed_part(&identity));
    if !differences.is_empty() {
        return Err(store_error(
            root,
            format!(
                "refusing to resume: the store was computed under other settings, and rows of two configs never mix.\n  {}\nRun with another --output directory (or remove this one to start over).",
                differences.join("\n  ")
            ),
        ));
    }
    let removed = prune(root, Some(&manifest))?;
    manifest.complete = false;
    manifest
        .runs
        .push(RunRecord::new(RunKind::Live, Vec::new()));
    manifest.save(root)?;
    // Late bars read before the checkpoint and not applied yet (a run
    // paused for them, or one that crashed first).
    let corrected = corrector.apply(root, &mut manifest)?;
    let restored = match &manifest.checkpoint {
        Some(c) => restore_states(root, c, engine)?,
        None => Restored::default(),
    };
    let first_epoch = manifest.checkpoint.map_or(0, |c| c.epoch + 1);
    let note = manifest.checkpoint.map(|c| {
        format!(
            "resuming from checkpoint {} ({} files kept, {} leftovers removed)",
            c.epoch,
            manifest.files.len(),
            removed.len()
        )
    });
    Ok(Opened {
        positions: manifest.positions.clone(),
        manifest,
        restored,
        first_epoch,
        note,
        corrected,
    })
}
