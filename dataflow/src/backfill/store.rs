//! What a backfill does with the store already in its output directory:
//! build it afresh, resume an interrupted run from its last checkpoint, or
//! append new bars after its end (refusing when the config changed, and
//! saying what changed and how to rebuild). See [`crate::durable`].

use super::BackfillArgs;
use crate::durable::manifest::{prune, store_error, CheckpointRef, Manifest, RunKind, RunRecord};
use crate::durable::restore::{restore_states, Restored};
use crate::durable::{describe_differences, InputFingerprint};
use crate::error::Result;
use crate::reference::Action;
use crate::revise::reference::fixed_part;
use std::path::Path;
use tickflow_operators::FeatureEngine;

/// The store, opened for this run.
pub struct Opened {
    /// The manifest this run extends (its last run is this one).
    pub manifest: Manifest,
    /// Bars at or before this time are already in the store: skipped.
    pub after: Option<i64>,
    /// Indicator states (and kept histories) to continue from, by symbol
    /// (an append's are read once it is known what it needs: see `lazy`).
    pub restored: Restored,
    /// An append's checkpoint, whose states are not read yet.
    pub lazy: Option<CheckpointRef>,
    /// An append's: the identity the store had (its sector and universe
    /// files may differ from this run's: each revises the store, and the
    /// manifest takes the new identity with the revision).
    pub stored_identity: Option<serde_json::Value>,
    /// This run's first checkpoint number.
    pub first_epoch: u64,
    /// How the run relates to the store, for the log.
    pub note: Option<String>,
    /// The store is complete and was built from exactly these inputs under
    /// these settings: nothing to do.
    pub up_to_date: bool,
}

/// What the rows of a store depend on besides the bars: the features, the
/// cross-sections, the output types, how input columns and times are read,
/// the sector file's content and the universe file's (when there is one).
/// The actions and the market series are not in it, and an append may
/// change the sector and universe files
/// ([`crate::revise::reference::REVISABLE`]): each revises the
/// store.
pub fn identity(
    args: &BackfillArgs,
    engine: &FeatureEngine,
    sectors: Option<&InputFingerprint>,
    universe: Option<&InputFingerprint>,
) -> serde_json::Value {
    crate::durable::identity(
        &args.config,
        engine,
        args.tz.as_deref(),
        (sectors, universe),
        serde_json::json!({
            "mapping": args.mapping,
            "default_symbol": args.default_symbol,
        }),
    )
}

/// The same actions, in any order.
fn same_actions(a: &[Action], b: &[Action]) -> bool {
    a.len() == b.len() && a.iter().all(|x| x.is_in(b))
}

fn same_inputs(a: &[InputFingerprint], b: &[InputFingerprint]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_content(y))
}

/// The command that rebuilds the store from every input it was built from
/// plus `inputs`: this command without `--append`, its inputs replaced.
fn rebuild_command(stored: &Manifest, inputs: &[InputFingerprint], output: &Path) -> String {
    let all: Vec<String> = stored
        .all_inputs()
        .into_iter()
        .chain(inputs)
        .map(|f| shell_word(&f.path))
        .collect();
    let argv: Vec<String> = std::env::args().collect();
    let mut cmd = vec!["tickflow".to_string(), "backfill".into(), "--input".into()];
    cmd.extend(all);
    if argv.get(1).map(String::as_str) == Some("backfill") {
        let mut i = 2;
        while i < argv.len() {
            match argv[i].as_str() {
                "--append" => i += 1,
                "--input" => {
                    i += 1;
                    while i < argv.len() && !argv[i].starts_with("--") {
                        i += 1;
                    }
                }
                a if a.starts_with("--input=") => i += 1,
                a => {
                    cmd.push(shell_word(a));
                    i += 1;
                }
            }
        }
    } else {
        cmd.extend(["--output".into(), shell_word(&output.display().to_string())]);
    }
    cmd.join(" ")
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Opens the store at `args.output` for this run (see the module docs) and
/// records the run in its manifest before anything is written.
pub fn open(
    args: &BackfillArgs,
    identity: serde_json::Value,
    inputs: Vec<InputFingerprint>,
    engine: &FeatureEngine,
    (actions, market): (&[Action], Option<&InputFingerprint>),
) -> Result<Opened> {
    let same_market = |m: &Manifest| InputFingerprint::same_optional(m.market.as_ref(), market);
    let root = &args.output;
    std::fs::create_dir_all(root).map_err(|e| super::output_error(root, e))?;
    let stored = match (Manifest::load(root), args.append) {
        (Ok(m), _) => m,
        (Err(e), true) => return Err(e),
        (Err(_), false) => None,
    };
    let opened = match (stored, args.append) {
        (None, true) => {
            return Err(store_error(
                root,
                "no tickflow store here to append to; build it first (the same command without --append)",
            ))
        }
        (None, false) => fresh(root, identity, inputs, None)?,
        (Some(m), false)
            if m.complete
                && m.identity == identity
                && m.runs.len() == 1
                && same_inputs(&m.runs[0].inputs, &inputs)
                && same_actions(&m.actions, actions)
                && same_market(&m) =>
        {
            Opened {
                manifest: m,
                after: None,
                restored: Restored::default(),
                lazy: None,
                stored_identity: None,
                first_epoch: 0,
                note: Some("the store is complete and up to date with these inputs and settings: nothing to do".into()),
                up_to_date: true,
            }
        }
        (Some(m), false) => {
            let run = m.runs.last();
            let resumable = !m.complete
                && m.identity == identity
                && same_actions(&m.actions, actions)
                && same_market(&m)
                && run.is_some_and(|r| r.kind == RunKind::Build && same_inputs(&r.inputs, &inputs));
            match (resumable, m.checkpoint) {
                (true, Some(c)) => match restore_states(root, &c, engine) {
                    Ok(restored) => resume(root, m, c, restored)?,
                    Err(e) => fresh(root, identity, inputs, Some(format!("{e}; rebuilding")))?,
                },
                (true, None) => fresh(root, identity, inputs, Some("resuming an interrupted build that had no checkpoint yet: starting over".into()))?,
                (false, _) => fresh(root, identity, inputs, Some("replacing the store in the output directory".into()))?,
            }
        }
        (Some(m), true) => {
            // new sector or universe files revise the store, anything else
            // refuses
            let stored_identity = Some(m.identity.clone());
            let differences =
                describe_differences(&fixed_part(&m.identity), &fixed_part(&identity));
            if !differences.is_empty() {
                return Err(store_error(
                    root,
                    format!(
                        "refusing to append: the store was computed under other settings, and rows of two configs never mix.\n  {}\nTo rebuild the whole store under the new settings (every input must be present):\n  {}",
                        differences.join("\n  "),
                        rebuild_command(&m, &inputs, root)
                    ),
                ));
            }
            let run = m.runs.last().expect("a manifest has a run");
            if !m.complete {
                if run.kind == RunKind::Append && same_inputs(&run.inputs, &inputs) {
                    let c = m.checkpoint.expect("an append starts from a checkpoint");
                    let restored = restore_states(root, &c, engine)?;
                    let resumed = resume(root, m, c, restored)?;
                    return Ok(Opened {
                        stored_identity,
                        ..resumed
                    });
                }
                let what: Vec<&str> = run.inputs.iter().map(|f| f.path.as_str()).collect();
                return Err(store_error(
                    root,
                    format!(
                        "the store's last run ({:?} of {}) did not complete: run that command again to finish it, then append",
                        run.kind,
                        what.join(" ")
                    ),
                ));
            }
            for new in &inputs {
                if let Some(old) = m.all_inputs().into_iter().find(|old| old.same_content(new)) {
                    return Err(store_error(
                        root,
                        format!("{} is already in the store (same content as {})", new.path, old.path),
                    ));
                }
            }
            Opened {
                stored_identity,
                ..append(root, m, inputs)?
            }
        }
    };
    Ok(opened)
}

fn fresh(
    root: &Path,
    identity: serde_json::Value,
    inputs: Vec<InputFingerprint>,
    note: Option<String>,
) -> Result<Opened> {
    let manifest = Manifest::new(identity, RunRecord::new(RunKind::Build, inputs));
    // The new manifest first: a crash after it leaves a store that restarts
    // from scratch, never one that lists removed files.
    manifest.save(root)?;
    prune(root, Some(&manifest))?;
    Ok(Opened {
        manifest,
        after: None,
        restored: Restored::default(),
        lazy: None,
        stored_identity: None,
        first_epoch: 0,
        note,
        up_to_date: false,
    })
}

fn resume(root: &Path, manifest: Manifest, c: CheckpointRef, restored: Restored) -> Result<Opened> {
    let removed = prune(root, Some(&manifest))?;
    Ok(Opened {
        after: c.last_ts,
        restored,
        lazy: None,
        stored_identity: None,
        first_epoch: c.epoch + 1,
        note: Some(format!(
            "resuming from checkpoint {} ({} files kept, {} leftovers removed)",
            c.epoch,
            manifest.files.len(),
            removed.len()
        )),
        up_to_date: false,
        manifest,
    })
}

fn append(root: &Path, mut manifest: Manifest, inputs: Vec<InputFingerprint>) -> Result<Opened> {
    let c = manifest.checkpoint;
    manifest.complete = false;
    manifest.runs.push(RunRecord::new(RunKind::Append, inputs));
    manifest.save(root)?;
    prune(root, Some(&manifest))?;
    Ok(Opened {
        after: c.and_then(|c| c.last_ts),
        restored: Restored::default(),
        lazy: c,
        stored_identity: None,
        first_epoch: c.map_or(0, |c| c.epoch + 1),
        note: None,
        up_to_date: false,
        manifest,
    })
}
