//! A correction arriving on the live topic while the run goes on, against
//! a real broker: a bar of one S&P 500 symbol 30 bars behind the frontier,
//! revised. Worker 0 pauses the run (`--corrections-interval`), the store
//! is revised and the run resumes from the corrected states; the bars after
//! it continue from the corrected past. The latest view equals a rebuild
//! from the corrected bars, the view as of before the correction equals
//! the rows first published, and the rows given a new version are exactly
//! the rows a rebuild changes (the symbol's from the corrected bar on and
//! the cross-sections they move), counted independently. Reference files
//! replaced while the run goes on (a sector change, a symbol leaving the
//! universe, a split) revise the store the same way.

mod common;

use common::daily::{self, publish, write_csv, Bar};
use common::kafka::{brokers, live, produce, start, unique, wait_ok};
use common::{args, data, date_of, versions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tickflow::backfill;
use tickflow::durable::Manifest;
use tickflow_connectors::kafka::TopicProducer;

/// The reference files of a run: sectors, and optionally a universe and
/// corporate actions.
#[derive(Clone, Default)]
struct References {
    sectors: Option<PathBuf>,
    universe: Option<PathBuf>,
    actions: Option<PathBuf>,
}

fn rebuild(dir: &Path, name: &str, bars: &[Bar]) -> PathBuf {
    let sectors = Some(data("sp500_sectors.csv"));
    rebuild_with(
        dir,
        name,
        bars,
        &References {
            sectors,
            ..Default::default()
        },
    )
}

fn rebuild_with(dir: &Path, name: &str, bars: &[Bar], r: &References) -> PathBuf {
    let input = dir.join(format!("{name}.csv"));
    write_csv(&input, bars);
    let out = dir.join(name);
    let mut a = args(&input, &out, 1);
    a.sectors = r.sectors.clone();
    a.universe = r.universe.clone();
    a.actions = r.actions.clone();
    backfill::run(&a).unwrap();
    out
}

/// The days from 2017 of every 25th S&P 500 symbol, in time order, and
/// their days.
fn panel(dir: &Path) -> (Vec<Bar>, Vec<i64>) {
    let bars = daily::panel_bars(dir, 25, (common::days("2017-01-01"), i64::MAX));
    let days = daily::days(&bars);
    (bars, days)
}

/// Writes `text` to `path` as a reader never sees half of it.
fn replace(path: &Path, text: &str) {
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

/// Waits up to two minutes for `done`; else stops `run` and fails with
/// its output.
fn wait_for(run: &mut std::process::Child, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(120) || run.try_wait().unwrap().is_some() {
            let _ = run.kill();
            let mut err = String::new();
            use std::io::Read;
            run.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            run.stdout.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("waited for {what}; live said:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The mid-run tests' `--idle-exit`: the run must outlast the test's
/// steps between its first stretch and the change (waiting for the store,
/// then publishing) with four tests on two loaded cores, or it would end
/// first and apply the change at its end instead. 15 s was not enough
/// there (the steps took longer under CI's load).
const IDLE_EXIT: &str = "40";

fn manifest(store: &Path) -> Option<Manifest> {
    Manifest::load(store).ok().flatten()
}

#[test]
fn a_correction_on_the_topic_mid_run_pauses_the_run_revises_the_store_and_resumes() {
    correction_mid_run(1);
}

#[test]
fn a_two_process_cluster_pauses_for_a_correction_and_reconnects() {
    correction_mid_run(2);
}

/// The scenario on `processes` processes (2 workers in one, 1 worker
/// each in a cluster).
fn correction_mid_run(processes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (bars, days) = panel(dir.path());
    // The first stretch ends at `end`; the correction is 30 bars before it.
    let (end, fixed) = (days[199], days[169]);
    let at = bars.iter().position(|b| b.1 == fixed).unwrap();
    let mut correction = bars[at].clone();
    correction.2[3] *= 1.01;
    correction.2[1] = correction.2[1].max(correction.2[3]);
    let mut corrected = bars.clone();
    corrected[at] = correction.clone();
    let split = bars.iter().position(|b| b.1 > end).unwrap();

    let (topic, group) = (unique("corr"), unique("g"));
    let store = dir.path().join("live");
    publish(&topic, &bars[..split]);
    let hosts = common::cluster::hostfile(dir.path());
    let member = |id: usize| {
        let mut c = live(&brokers(), &topic, &group, &store);
        c.args(["--idle-exit", IDLE_EXIT, "--metrics-addr", "off"])
            .args(["--corrections-interval", "1s", "--checkpoint-every", "1"])
            .arg("--sectors")
            .arg(data("sp500_sectors.csv"));
        match processes {
            1 => c.args(["--workers", "2"]),
            _ => c
                .args(["--workers", "1", "--processes", "2"])
                .args(["--process-id", &id.to_string(), "--hostfile"])
                .arg(&hosts),
        };
        start(&mut c)
    };
    let others: Vec<_> = (1..processes).map(member).collect();
    let mut run = member(0);
    // Once the day before `end` is in the store (a checkpoint per bar
    // time), the corrected bar is late.
    wait_for(&mut run, "the first stretch in the store", || {
        manifest(&store)
            .and_then(|m| m.checkpoint?.last_ts)
            .is_some_and(|t| t >= days[198])
    });
    publish(&topic, std::slice::from_ref(&correction));
    wait_for(&mut run, "the correction applied", || {
        manifest(&store).is_some_and(|m| !m.late_applied.is_empty())
    });
    publish(&topic, &bars[split..]);
    let out = wait_ok(run, "live");
    for (i, other) in others.into_iter().enumerate() {
        wait_ok(other, &format!("live process {}", i + 1));
    }

    let m = manifest(&store).unwrap();
    assert!(
        m.runs.len() >= 2,
        "the run paused: {} stretches",
        m.runs.len()
    );
    let revised = m.runs[1].revisions.expect("the second stretch applied it");
    assert_eq!(revised.bars, 1);
    if processes == 1 {
        assert!(out.contains("1 late"), "{out}");
    }

    // The latest view: a rebuild from the corrected bars.
    let rebuilt = rebuild(dir.path(), "rebuilt", &corrected);
    versions::assert_same(
        &versions::rows(&store, None, None),
        &versions::rows(&rebuilt, None, None),
        "latest view against a rebuild",
    );
    // As of before the correction, up to the first stretch's end: the rows
    // as first published (a rebuild of the original bars).
    let original = rebuild(dir.path(), "original", &bars[..split]);
    let before = versions::rows(&original, None, None);
    let to = date_of(end);
    versions::assert_same(
        &versions::rows(&store, Some("2019-01-01"), Some(&to)),
        &before,
        "as of before the correction",
    );
    // The rows given a new version are those a rebuild changes: the
    // symbol's from the corrected bar on and the cross-sections they move.
    let after = versions::rows(
        &rebuild(dir.path(), "fixed", &corrected[..split]),
        None,
        None,
    );
    let (a, b) = (versions::values(&before), versions::values(&after));
    let changed: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
    assert!(changed.iter().all(|(x, _)| x.1 >= fixed));
    assert!(changed.iter().any(|(x, _)| x.0 != correction.0));
    assert_eq!(revised.rows, changed.len() as u64, "{out}");
    assert!(
        out.contains(&format!(
            "corrections: 1 late bars applied, {} rows have a new version",
            changed.len()
        )),
        "{out}"
    );
}

#[test]
fn reference_files_replaced_mid_run_revise_the_store_point_in_time() {
    references_mid_run(false);
}

#[test]
fn reference_topics_that_grow_mid_run_revise_the_store_point_in_time() {
    references_mid_run(true);
}

/// Reference topics of the files' lines (actions as JSON), created before
/// the run; returns the `kafka:TOPIC` names and a function that publishes
/// the changes to all three at once.
fn reference_topics(
    [sectors, universe, actions]: [&str; 3],
    changes: [String; 3],
) -> ([String; 3], impl FnOnce()) {
    let topics = ["sectors", "universe", "actions"].map(unique);
    for (topic, text) in topics.iter().zip([sectors, universe, actions]) {
        let lines: Vec<(&str, Vec<u8>)> = (text.lines().skip(1))
            .map(|l| (l.split(',').next().unwrap(), l.as_bytes().to_vec()))
            .collect();
        produce(topic, 1, &lines);
    }
    let names = topics.clone().map(|t| format!("kafka:{t}"));
    let publish = move || {
        let config = common::kafka::config(&topics[0], None);
        let mut producers: Vec<_> = (topics.iter())
            .map(|t| TopicProducer::new(&config, t).unwrap())
            .collect();
        for (p, change) in producers.iter_mut().zip(&changes) {
            p.send("k", change.as_bytes()).unwrap();
        }
        for p in &mut producers {
            p.flush(Duration::from_secs(30)).unwrap();
        }
    };
    (names, publish)
}

/// A sector change, a symbol leaving the universe and a split, made while
/// a live run goes on: to its files, or to its topics.
fn references_mid_run(via_topics: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (bars, days) = panel(dir.path());
    let end = days[199];
    let split = bars.iter().position(|b| b.1 > end).unwrap();
    let mut symbols: Vec<&str> = bars.iter().map(|b| b.0.as_str()).collect();
    symbols.sort();
    symbols.dedup();
    // Before: the S&P sectors, every symbol a member, no action. After: one
    // symbol in another sector from day 120, another out of the universe
    // from day 150, a third split 2-for-1 at day 100.
    let base = std::fs::read_to_string(data("sp500_sectors.csv")).unwrap();
    let sectors_before: String = std::iter::once("symbol,sector,from".to_string())
        .chain(base.lines().skip(1).map(|l| format!("{l},")))
        .map(|l| l + "\n")
        .collect();
    let sectors_after = format!(
        "{sectors_before}{},Utilities,{}\n",
        symbols[1],
        date_of(days[120])
    );
    let universe_before: String = std::iter::once("symbol,from,to\n".to_string())
        .chain(symbols.iter().map(|s| format!("{s},,\n")))
        .collect();
    let universe_after = universe_before.replace(
        &format!("{},,\n", symbols[2]),
        &format!("{},,{}\n", symbols[2], date_of(days[150])),
    );
    let actions_before = "symbol,date,kind,factor\n".to_string();
    let actions_after = format!(
        "{actions_before}{},{},split,0.5\n",
        symbols[3],
        date_of(days[100])
    );
    let files = |tag: &str, texts: [&str; 3]| {
        let paths =
            ["sectors", "universe", "actions"].map(|n| dir.path().join(format!("{n}-{tag}.csv")));
        for (p, t) in paths.iter().zip(texts) {
            std::fs::write(p, t).unwrap();
        }
        let [sectors, universe, actions] = paths;
        References {
            sectors: Some(sectors),
            universe: Some(universe),
            actions: Some(actions),
        }
    };
    let before = files(
        "before",
        [&sectors_before, &universe_before, &actions_before],
    );
    let after = files("after", [&sectors_after, &universe_after, &actions_after]);
    let live_files = files("live", [&sectors_before, &universe_before, &actions_before]);
    let moved = format!("{},Utilities,{}", symbols[1], date_of(days[120]));
    let left = format!("{},,{}", symbols[2], date_of(days[150]));
    let split_json = format!(
        r#"{{"symbol":"{}","date":"{}","kind":"split","factor":0.5}}"#,
        symbols[3],
        date_of(days[100])
    );
    let (names, publish_changes) = reference_topics(
        [&sectors_before, &universe_before, &actions_before],
        [moved, left, split_json],
    );
    let inputs: [String; 3] = match via_topics {
        true => names,
        false => [
            &live_files.sectors,
            &live_files.universe,
            &live_files.actions,
        ]
        .map(|p| p.as_ref().unwrap().display().to_string()),
    };

    let (topic, group) = (unique("refs"), unique("g"));
    let store = dir.path().join("live");
    publish(&topic, &bars[..split]);
    let mut c = live(&brokers(), &topic, &group, &store);
    c.args([
        "--idle-exit",
        IDLE_EXIT,
        "--metrics-addr",
        "off",
        "--workers",
        "2",
    ])
    .args(["--corrections-interval", "1s", "--checkpoint-every", "1"]);
    for (flag, input) in ["--sectors", "--universe", "--actions"].iter().zip(&inputs) {
        c.arg(flag).arg(input);
    }
    let mut run = start(&mut c);
    wait_for(&mut run, "the first stretch in the store", || {
        manifest(&store)
            .and_then(|m| m.checkpoint?.last_ts)
            .is_some_and(|t| t >= days[198])
    });
    if via_topics {
        publish_changes();
    } else {
        replace(live_files.sectors.as_ref().unwrap(), &sectors_after);
        replace(live_files.universe.as_ref().unwrap(), &universe_after);
        replace(live_files.actions.as_ref().unwrap(), &actions_after);
    }
    wait_for(&mut run, "the new reference data applied", || {
        manifest(&store).is_some_and(|m| !m.actions.is_empty())
    });
    publish(&topic, &bars[split..]);
    let out = wait_ok(run, "live");

    // The latest view: a rebuild of every bar under the new files.
    let rebuilt = rebuild_with(dir.path(), "rebuilt", &bars, &after);
    versions::assert_same(
        &versions::rows(&store, None, None),
        &versions::rows(&rebuilt, None, None),
        "latest view against a rebuild under the new reference data",
    );
    // As of before: the first stretch as first published.
    let first = rebuild_with(dir.path(), "first", &bars[..split], &before);
    let first = versions::rows(&first, None, None);
    versions::assert_same(
        &versions::rows(&store, Some("2019-01-01"), Some(&date_of(end))),
        &first,
        "as of before the new reference data",
    );
    // New versions for exactly the rows the new files change.
    let fixed = rebuild_with(dir.path(), "fixed", &bars[..split], &after);
    let fixed = versions::rows(&fixed, None, None);
    let (a, b) = (versions::values(&first), versions::values(&fixed));
    let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(
        out.contains(&format!(
            "corrections: 1 corporate actions and a changed sector schedule and a changed universe, {changed} rows have a new version"
        )),
        "{out}"
    );
}
