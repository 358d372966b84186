//! Corporate actions on real S&P 500 data, point in time: a store of the
//! panel but its last ten days, then appends that bring those days with a
//! 2-for-1 AAPL split and a MSFT dividend dated inside the store. The
//! latest view equals a rebuild over prices adjusted beforehand (the
//! split: prices halved and volume doubled before its date); the view as
//! of a time before the append equals the original store; appending again
//! with the same actions file changes nothing it already adjusted. The
//! store runs with a sector schedule and a universe that AAPL leaves and
//! rejoins, so the recomputed cross-sections follow both.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;
use common::data;
use common::versions::{assert_known_before, assert_same, rows, values};
use std::path::{Path, PathBuf};
use tickflow::backfill::{self, BackfillArgs};
use tickflow::durable::Manifest;

/// The first of the panel's last ten days.
const CUT: &str = "2018-01-25";
/// The first of its last five days: the second append.
const CUT2: &str = "2018-02-01";
/// (symbol, ex-date, kind, factor).
const ACTIONS: [(&str, &str, &str, f64); 2] = [
    ("AAPL", "2016-06-01", "split", 0.5),
    ("MSFT", "2017-11-15", "dividend", 0.97),
];

/// The panel's line `line` with its bar adjusted for every action of its
/// symbol dated after it, as a vendor's adjusted file would have it.
fn adjusted(line: &str) -> String {
    let f: Vec<&str> = line.split(',').collect();
    let mut v: Vec<f64> = match f[1..6].iter().map(|x| x.parse()).collect() {
        Ok(v) => v,
        Err(_) => return line.to_string(), // an invalid row stays as it is
    };
    for (symbol, date, kind, factor) in ACTIONS {
        if f[6] == symbol && f[0] < date {
            for p in &mut v[..4] {
                *p *= factor;
            }
            if kind == "split" {
                v[4] /= factor;
            }
        }
    }
    format!(
        "{},{},{},{},{},{},{}",
        f[0], v[0], v[1], v[2], v[3], v[4], f[6]
    )
}

struct Files {
    old: PathBuf,
    append: PathBuf,
    append2: PathBuf,
    adjusted: PathBuf,
    actions: PathBuf,
    sectors: PathBuf,
    universe: PathBuf,
}

fn files(dir: &Path) -> Files {
    let text = common::sp500_text();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut parts = [(); 4].map(|()| format!("{header}\n"));
    for line in lines {
        let k = match &line[..10] {
            d if d < CUT => 0,
            d if d < CUT2 => 1,
            _ => 2,
        };
        parts[k].push_str(line);
        parts[k].push('\n');
        parts[3].push_str(&adjusted(line));
        parts[3].push('\n');
    }
    let mut actions = String::from("symbol,date,kind,factor\n");
    for (symbol, date, kind, factor) in ACTIONS {
        actions.push_str(&format!("{symbol},{date},{kind},{factor}\n"));
    }
    // the real sector file with AAPL moving sector before its split
    let mut sectors = String::from("symbol,sector,from\n");
    for line in std::fs::read_to_string(data("sp500_sectors.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        sectors.push_str(&format!("{line},\n"));
    }
    sectors.push_str("AAPL,Telecommunication Services,2016-01-04\n");
    // every symbol a member, AAPL out for the first half of 2015
    let mut universe = String::from("symbol,from,to\nAAPL,,2015-01-02\nAAPL,2015-06-01,\n");
    for line in text.lines().skip(1) {
        let symbol = line.rsplit(',').next().unwrap();
        if symbol != "AAPL" && !universe.contains(&format!("\n{symbol},")) {
            universe.push_str(&format!("{symbol},,\n"));
        }
    }
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let [old, append, append2, adjusted] = parts;
    Files {
        old: write("old.csv", &old),
        append: write("append.csv", &append),
        append2: write("append2.csv", &append2),
        adjusted: write("adjusted.csv", &adjusted),
        actions: write("actions.csv", &actions),
        sectors: write("sectors.csv", &sectors),
        universe: write("universe.csv", &universe),
    }
}

fn args(f: &Files, input: &Path, output: &Path) -> BackfillArgs {
    BackfillArgs {
        sectors: Some(f.sectors.clone()),
        universe: Some(f.universe.clone()),
        ..common::args(input, output, 2)
    }
}

#[test]
fn a_split_and_a_dividend_revise_the_store_point_in_time() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files(tmp.path());
    let store = tmp.path().join("store");
    backfill::run(&args(&f, &f.old, &store)).unwrap();
    let original = rows(&store, None, None);

    let first = backfill::run(&BackfillArgs {
        append: true,
        actions: Some(f.actions.clone()),
        ..args(&f, &f.append, &store)
    })
    .unwrap();
    let revised = first.revisions.expect("the actions revised the store");
    assert_eq!(revised.actions, 2);
    // AAPL's bars before its split (about 3.3 years) and MSFT's before its
    // dividend
    assert!(revised.bars > 800 + 1100, "{revised:?}");
    let manifest = Manifest::load(&store).unwrap().unwrap();
    assert_eq!(manifest.actions.len(), 2);

    // the same actions again: nothing more to adjust
    let second = backfill::run(&BackfillArgs {
        append: true,
        actions: Some(f.actions.clone()),
        ..args(&f, &f.append2, &store)
    })
    .unwrap();
    assert!(second.revisions.is_none(), "{:?}", second.revisions);

    // the latest view equals a build over adjusted prices
    let rebuild = tmp.path().join("rebuild");
    backfill::run(&args(&f, &f.adjusted, &rebuild)).unwrap();
    assert_same(
        &rows(&store, None, None),
        &rows(&rebuild, None, None),
        "latest view vs a rebuild over adjusted prices",
    );

    // as of a time before the actions were known: the original rows
    assert_known_before(&store, &original, "the as-of view before the actions");

    // AAPL's close before the split is halved in the latest view, and
    // after it untouched
    let close = |batch: &RecordBatch, symbol: &str, day: &str| -> f64 {
        let v = values(batch);
        let close = batch.schema().index_of("close").unwrap();
        let floats_before: usize = (0..close)
            .filter(|&c| batch.column(c).as_primitive_opt::<Float64Type>().is_some())
            .count();
        let r = v
            .iter()
            .find(|r| r.0 == symbol && r.1 == common::days(day))
            .unwrap();
        f64::from_bits(r.3[floats_before].unwrap())
    };
    let latest = rows(&store, None, None);
    assert_eq!(
        close(&latest, "AAPL", "2016-05-31"),
        close(&original, "AAPL", "2016-05-31") * 0.5
    );
    assert_eq!(
        close(&latest, "AAPL", "2016-06-01"),
        close(&original, "AAPL", "2016-06-01")
    );
}
