//! A changed sector schedule on append, point in time: every 20th symbol
//! of the S&P 500 panel, built without its last ten days under the S&P
//! sector file; then an append of those days under a schedule that also
//! moves one symbol to another sector from a date inside the store. The
//! latest view equals a rebuild under the new schedule; the view as of a
//! time before the append equals the original store; rows before the move
//! are untouched; and after it the moved symbol's new sector's `sector_z`
//! equals a z-score recomputed here from the stored `ret_1` of that
//! sector's members (the moved symbol among them), its old sector's
//! without it.

mod common;

use common::cross::{at, cells, close, z_scores};
use common::versions::{assert_same, rows, values};
use common::{panel_slice, sp500_args};
use std::collections::{BTreeMap, HashMap};
use tickflow::backfill::{self, BackfillArgs};

#[test]
fn a_sector_move_revises_the_cross_sections_from_its_date_on() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(panel_slice(tmp.path(), 20)).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let lines: Vec<&str> = lines.collect();
    let mut dates: Vec<&str> = lines.iter().map(|l| &l[..10]).collect();
    dates.sort_unstable();
    dates.dedup();
    let cut = dates[dates.len() - 10];
    let moved_from = dates[dates.len() - 120];
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

    // the slice's sectors; the symbol that moves, to the largest other sector
    let sector_file = std::fs::read_to_string(common::data("sp500_sectors.csv")).unwrap();
    let sector_of: HashMap<&str, &str> = sector_file
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .collect();
    let mut symbols: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    symbols.dedup();
    let mut size: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &symbols {
        *size.entry(sector_of[s]).or_default() += 1;
    }
    let mover = symbols[0];
    let (from_sector, to_sector) = (sector_of[mover], {
        let others = size.iter().filter(|(s, _)| **s != sector_of[mover]);
        *others.max_by_key(|(_, n)| **n).unwrap().0
    });
    let old_sectors = write("sectors_old.csv", sector_file.clone());
    let mut moved = String::from("symbol,sector,from\n");
    for l in sector_file.lines().skip(1) {
        moved.push_str(&format!("{l},\n"));
    }
    moved.push_str(&format!("{mover},{to_sector},{moved_from}\n"));
    let new_sectors = write("sectors_new.csv", moved);

    let store = tmp.path().join("store");
    let args = |input, sectors| BackfillArgs {
        sectors: Some(sectors),
        ..sp500_args(input, &store, 2)
    };
    backfill::run(&args(&old, old_sectors.clone())).unwrap();
    let original = rows(&store, None, None);
    let run = backfill::run(&BackfillArgs {
        append: true,
        ..args(&new, new_sectors.clone())
    })
    .unwrap();
    let revised = run.revisions.expect("the move revised the store");
    assert!(revised.sectors && revised.bars == 0, "{revised:?}");

    // the latest view equals a rebuild under the new schedule
    let rebuild = tmp.path().join("rebuild");
    backfill::run(&BackfillArgs {
        sectors: Some(new_sectors),
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
    assert_eq!(before, original, "the as-of view before the move");

    // nothing before the move changed; after it, the mover's row says its
    // new sector
    let day = common::days(moved_from);
    let was: HashMap<(String, i64), _> = values(&original)
        .into_iter()
        .map(|r| ((r.0.clone(), r.1), r))
        .collect();
    let mut changed = 0;
    for row in values(&latest) {
        let Some(old) = was.get(&(row.0.clone(), row.1)) else {
            continue;
        };
        if *old != row {
            assert!(
                row.1 >= day,
                "{} at {} changed before the move",
                row.0,
                row.1
            );
            changed += 1;
        }
        if row.0 == mover {
            let expect = if row.1 >= day { to_sector } else { from_sector };
            assert_eq!(row.2.as_deref(), Some(expect), "{} at {}", row.0, row.1);
        }
    }
    assert!(changed as u64 <= revised.rows && changed > 0);

    // sector z-scores after the move, recomputed from ret_1
    let table = cells(&latest, "ret_1", "sector_z_ret_1");
    let mut checked = 0;
    for &t in &[day, last_old] {
        for sector in [to_sector, from_sector] {
            let members: Vec<(&String, f64)> = at(&table, t)
                .filter(|(_, c)| c.0.as_deref() == Some(sector))
                .filter_map(|(s, c)| c.1.map(|v| (s, v)))
                .collect();
            let has_mover = members.iter().any(|(s, _)| s.as_str() == mover);
            assert_eq!(has_mover, sector == to_sector, "{sector} at {t}");
            let ret: Vec<f64> = members.iter().map(|m| m.1).collect();
            let Some(z) = z_scores(&ret) else { continue };
            for ((s, _), want) in members.iter().zip(z) {
                let got = table[&(t, s.to_string())].2.expect("a z-score");
                close(got, want, &format!("{s} at {t}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "{checked} z-scores checked");
}
