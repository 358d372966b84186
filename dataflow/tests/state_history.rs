//! The kept copies of each symbol's state that revisions replay from
//! (`[revisions] state_history`), on every 20th symbol of the S&P 500
//! panel: a store without the panel's last 20 days, then an append of one
//! revised bar only (before the newest kept copy of its symbol: replayed
//! from the older one, the newer recomputed), then an append of those 20
//! days with a second revision of the same symbol just after the newest
//! copy (replayed from the copy the first revision wrote) and one of
//! another symbol 250 bars back (beyond every copy: replayed from its first
//! bar). With copies every 100 bars the store equals a rebuild from the
//! corrected panel, and so does one that keeps no copies (every revision
//! replayed from the first bar). The stores checkpoint every 37 bar times,
//! so most checkpoints link the history files of the one before.

mod common;

use common::slice::Slice;
use common::sp500_args;
use common::versions::{assert_same, rows};
use tickflow::backfill::{self, BackfillArgs, CheckpointPolicy};
use tickflow::config::PipelineConfig;
use tickflow::durable::history;
use tickflow::durable::Manifest;

const EVERY: u64 = 100;
const DAYS_AFTER: usize = 20;

/// A line with its close moved by `factor` (the high and low widened to
/// hold it).
fn revised(line: &str, factor: f64) -> String {
    let mut f: Vec<String> = line.split(',').map(String::from).collect();
    let close = f[4].parse::<f64>().unwrap() * factor;
    let high = f[2].parse::<f64>().unwrap().max(close);
    let low = f[3].parse::<f64>().unwrap().min(close);
    f[4] = format!("{close}");
    f[2] = format!("{high}");
    f[3] = format!("{low}");
    f.join(",")
}

fn valid(line: &str) -> bool {
    (line.split(',').take(6).skip(1)).all(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
}

#[test]
fn revisions_from_kept_states_equal_a_rebuild_and_a_replay_from_the_first_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let slice = Slice::new(tmp.path(), 20);
    let lines = &slice.lines;
    let cut = slice.date_back(DAYS_AFTER);
    let before = |symbol: &str| -> Vec<usize> {
        (0..lines.len())
            .filter(|&i| lines[i].ends_with(&format!(",{symbol}")) && &lines[i][..10] < cut)
            .filter(|&i| valid(&lines[i]))
            .collect()
    };
    let symbols = slice.symbols();
    // a symbol whose newest copy is a few bars before its last bar
    let (first, mine) = symbols
        .iter()
        .map(|s| (*s, before(s)))
        .find(|(_, b)| (2..50).contains(&(b.len() as u64 % EVERY)))
        .expect("a symbol with a copy 2..50 bars before the cut");
    let newest = (mine.len() as u64 / EVERY * EVERY) as usize - 1;
    let other = symbols.iter().find(|s| **s != first).unwrap();
    let theirs = before(other);
    let revisions = [
        (mine[newest - 10], 1.05),
        (mine[newest + 1], 0.97),
        (theirs[theirs.len() - 250], 1.04),
    ];
    let line = |i: usize| match revisions.iter().find(|(r, _)| *r == i) {
        Some(&(_, f)) => revised(&lines[i], f),
        None => lines[i].clone(),
    };
    let old = slice.write_part("old.csv", |d| d < cut);
    let first_revision = slice.write_rows("rev1.csv", &[line(revisions[0].0)]);
    let mut rest: Vec<String> = revisions[1..].iter().map(|&(i, _)| line(i)).collect();
    rest.extend(lines.iter().filter(|l| &l[..10] >= cut).cloned());
    let later = slice.write_rows("rev2.csv", &rest);
    let corrected: Vec<String> = (0..lines.len()).map(line).collect();
    let corrected = slice.write_rows("corrected.csv", &corrected);

    let rebuild = tmp.path().join("rebuild");
    backfill::run(&sp500_args(&corrected, &rebuild, 2)).unwrap();
    let expected = rows(&rebuild, None, None);
    for every in [EVERY, 0] {
        let store = tmp.path().join(format!("store-{every}"));
        let config = |input| {
            let mut args = sp500_args(input, &store, 2);
            args.config = PipelineConfig::default();
            args.config.revisions.state_history = every;
            // a checkpoint every 37 bar times: most keep no new copy, and
            // link the history files of the one before
            args.checkpoint = CheckpointPolicy {
                interval: std::time::Duration::from_secs(3600),
                every_times: 37,
            };
            args.tuning.block_rows = 300;
            args
        };
        backfill::run(&config(&old)).unwrap();
        // every symbol's last two copies reached the final checkpoint,
        // through the links
        let manifest = Manifest::load(&store).unwrap().unwrap();
        let c = manifest.checkpoint.unwrap();
        let kept = history::read_all(&store, (c.epoch, c.workers), |_| true).unwrap();
        let copies = |s: &str| kept.get(s).map_or(0, |h| h.kept().len());
        let want = if every > 0 { 2 } else { 0 };
        assert!(symbols.iter().all(|s| copies(s) == want), "every {every}");
        for (input, bars) in [(&first_revision, 1), (&later, 2)] {
            let run = backfill::run(&BackfillArgs {
                append: true,
                ..config(input)
            })
            .unwrap();
            assert_eq!(run.revisions.map(|r| r.bars), Some(bars), "every {every}");
        }
        assert_same(
            &rows(&store, None, None),
            &expected,
            &format!("copies every {every} bars vs the rebuild"),
        );
    }
}
