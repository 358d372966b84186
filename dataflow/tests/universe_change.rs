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
use common::slice::{append_equals_rebuild, Slice};
use common::sp500_args;
use tickflow::backfill::BackfillArgs;

#[test]
fn a_universe_change_revises_the_cross_sections_it_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let slice = Slice::new(tmp.path(), 20);
    let cut = slice.date_back(10);
    // the leaver's date, and the other symbol's spell out
    let (leaves, out_from, out_to) = (
        slice.date_back(60),
        slice.date_back(200),
        slice.date_back(150),
    );
    let old = slice.write_part("old.csv", |d| d < cut);
    let new = slice.write_part("new.csv", |d| d >= cut);
    let all = slice.write_part("all.csv", |_| true);
    let symbols = slice.symbols();
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
    let old_universe = slice.write("universe_old.csv", everyone);
    let new_universe = slice.write("universe_new.csv", changed);

    let appended = append_equals_rebuild(tmp.path(), [&old, &new, &all], |input, output, after| {
        BackfillArgs {
            universe: Some(if after { &new_universe } else { &old_universe }.clone()),
            ..sp500_args(input, output, 2)
        }
    });
    let (revised, last_old) = (appended.revised, appended.last_old);
    assert!(revised.universe && revised.bars == 0, "{revised:?}");

    // rows moved only where the members changed, each a new version
    let (first, spell) = (common::days(out_from), common::days(out_to));
    let gone = common::days(leaves);
    let changed = appended.changed();
    assert!(!changed.is_empty() && changed.len() as u64 == revised.rows);
    for row in &changed {
        let t = row.1;
        assert!(
            (first..spell).contains(&t) || t >= gone,
            "{} at {t} changed outside the changed spells",
            row.0
        );
    }

    // members' z-scores recomputed from ret_1; the leaver's are null
    let table = cells(&appended.latest, "ret_1", "cs_z_ret_1");
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
