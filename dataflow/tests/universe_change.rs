//! A changed universe on append, point in time: every 20th symbol of the
//! S&P 500 panel, built without its last ten days with every symbol a
//! member throughout; then an append of those days under a universe in
//! which one symbol leaves at a date inside the store and another is out
//! for a spell before it. The latest view equals a rebuild under the new
//! universe; the view as of a time before the append equals the original
//! store; rows before the first change are untouched; after it the leaver's
//! cross-sectional columns are null and the members' `cs_z_ret_1` equals a
//! z-score recomputed here from the stored `ret_1` of the members.

mod common;

use common::cross::{at, cells, close, z_scores};
use common::versions::{assert_same, rows, values};
use common::{panel_slice, sp500_args};
use std::collections::HashMap;
use tickflow::backfill::{self, BackfillArgs};

#[test]
fn a_universe_change_revises_the_cross_sections_it_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(panel_slice(tmp.path(), 20)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let lines: Vec<&str> = lines.collect();
    let mut dates: Vec<&str> = lines.iter().map(|l| &l[..10]).collect();
    dates.sort_unstable();
    dates.dedup();
    let cut = dates[dates.len() - 10];
    // the leaver's date, and the other symbol's spell out
    let (leaves, out_from, out_to) = (
        dates[dates.len() - 60],
        dates[dates.len() - 200],
        dates[dates.len() - 150],
    );
    let write = |name: &str, body: String| {
        let path = tmp.path().join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let part = |keep: &dyn Fn(&str) -> bool| {
        let kept: Vec<&str> = lines.iter().copied().filter(|l| keep(&l[..10])).collect();
        format!("{header}\n{}\n", kept.join("\n"))
    };
    let old = write("old.csv", part(&|d| d < cut));
    let new = write("new.csv", part(&|d| d >= cut));
    let all = write("all.csv", part(&|_| true));
    let mut symbols: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    symbols.dedup();
    let (leaver, outsider) = (symbols[1], symbols[2]);
    let mut everyone = String::from("symbol,from,to\n");
    for s in &symbols {
        everyone.push_str(&format!("{s},,\n"));
    }
    let mut changed = String::from("symbol,from,to\n");
    for s in &symbols {
        match *s {
            s if s == leaver => changed.push_str(&format!("{s},,{leaves}\n")),
            s if s == outsider => changed.push_str(&format!("{s},,{out_from}\n{s},{out_to},\n")),
            s => changed.push_str(&format!("{s},,\n")),
        }
    }
    let (old_universe, new_universe) = (
        write("universe_old.csv", everyone),
        write("universe_new.csv", changed),
    );

    let store = tmp.path().join("store");
    let args = |input, universe| BackfillArgs {
        universe: Some(universe),
        ..sp500_args(input, &store, 2)
    };
    backfill::run(&args(&old, old_universe)).unwrap();
    let original = rows(&store, None, None);
    let run = backfill::run(&BackfillArgs {
        append: true,
        ..args(&new, new_universe.clone())
    })
    .unwrap();
    let revised = run.revisions.expect("the universe revised the store");
    assert!(revised.universe && revised.bars == 0, "{revised:?}");

    // the latest view equals a rebuild under the new universe
    let rebuild = tmp.path().join("rebuild");
    backfill::run(&BackfillArgs {
        universe: Some(new_universe),
        ..sp500_args(&all, &rebuild, 2)
    })
    .unwrap();
    let latest = rows(&store, None, None);
    assert_same(&latest, &rows(&rebuild, None, None), "latest vs rebuild");

    // as of before the append: the original rows
    let last_old = tickflow::query::ts_values(original.column(1))
        .into_iter()
        .max()
        .unwrap();
    let before = rows(&store, Some("2020-01-01"), Some(&common::date_of(last_old)));
    assert_eq!(before, original, "the as-of view before the change");

    // nothing before the first change moved, and rows moved only where the
    // members changed
    let (first, spell) = (common::days(out_from), common::days(out_to));
    let gone = common::days(leaves);
    let was: HashMap<(String, i64), _> = values(&original)
        .into_iter()
        .map(|r| ((r.0.clone(), r.1), r))
        .collect();
    let mut moved = 0;
    for row in values(&latest) {
        let Some(old) = was.get(&(row.0.clone(), row.1)) else {
            continue;
        };
        if *old != row {
            let t = row.1;
            assert!(
                (first..spell).contains(&t) || t >= gone,
                "{} at {t} changed outside the changed spells",
                row.0
            );
            moved += 1;
        }
    }
    assert!(
        moved > 0 && moved as u64 == revised.rows,
        "{moved} {revised:?}"
    );

    // members' z-scores recomputed from ret_1; the leaver's are null
    let table = cells(&latest, "ret_1", "cs_z_ret_1");
    let mut checked = 0;
    for t in [gone, last_old, first] {
        let member = |s: &str| s != leaver || t < gone;
        let member = |s: &str| member(s) && (s != outsider || !(first..spell).contains(&t));
        let rows: Vec<(&String, f64)> = at(&table, t)
            .filter(|(s, _)| member(s))
            .filter_map(|(s, c)| c.1.map(|v| (s, v)))
            .collect();
        for (s, c) in at(&table, t).filter(|(s, _)| !member(s)) {
            assert_eq!(c.2, None, "{s} at {t} is not a member");
        }
        let ret: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let z = z_scores(&ret).expect("members with spread");
        for ((s, _), want) in rows.iter().zip(z) {
            let got = table[&(t, s.to_string())].2.expect("a z-score");
            close(got, want, &format!("{s} at {t}"));
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} z-scores checked");
}
