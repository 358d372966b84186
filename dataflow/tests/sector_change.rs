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
use common::slice::{append_equals_rebuild, Slice};
use common::sp500_args;
use common::versions::values;
use std::collections::{BTreeMap, HashMap};
use tickflow::backfill::BackfillArgs;

#[test]
fn a_sector_move_revises_the_cross_sections_from_its_date_on() {
    let tmp = tempfile::tempdir().unwrap();
    let slice = Slice::new(tmp.path(), 20);
    let (cut, moved_from) = (slice.date_back(10), slice.date_back(120));
    let old = slice.write_part("old.csv", |d| d < cut);
    let new = slice.write_part("new.csv", |d| d >= cut);
    let all = slice.write_part("all.csv", |_| true);

    // the slice's sectors; the symbol that moves, to the largest other sector
    let sector_file = std::fs::read_to_string(common::data("sp500_sectors.csv")).unwrap();
    let sector_of: HashMap<&str, &str> = sector_file
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .collect();
    let symbols = slice.symbols();
    let mut size: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &symbols {
        *size.entry(sector_of[s]).or_default() += 1;
    }
    let mover = symbols[0];
    let (from_sector, to_sector) = (sector_of[mover], {
        let others = size.iter().filter(|(s, _)| **s != sector_of[mover]);
        *others.max_by_key(|(_, n)| **n).unwrap().0
    });
    let old_sectors = slice.write("sectors_old.csv", sector_file.clone());
    let mut moved = String::from("symbol,sector,from\n");
    for l in sector_file.lines().skip(1) {
        moved.push_str(&format!("{l},\n"));
    }
    moved.push_str(&format!("{mover},{to_sector},{moved_from}\n"));
    let new_sectors = slice.write("sectors_new.csv", moved);

    let appended = append_equals_rebuild(tmp.path(), [&old, &new, &all], |input, output, after| {
        BackfillArgs {
            sectors: Some(if after { &new_sectors } else { &old_sectors }.clone()),
            ..sp500_args(input, output, 2)
        }
    });
    let (revised, last_old) = (appended.revised, appended.last_old);
    assert!(revised.sectors && revised.bars == 0, "{revised:?}");

    // nothing before the move changed; the mover's rows say their sector
    let day = common::days(moved_from);
    let changed = appended.changed();
    assert!(changed.len() as u64 <= revised.rows && !changed.is_empty());
    for row in &changed {
        assert!(
            row.1 >= day,
            "{} at {} changed before the move",
            row.0,
            row.1
        );
    }
    for row in values(&appended.latest).iter().filter(|r| r.0 == mover) {
        let expect = if row.1 >= day { to_sector } else { from_sector };
        assert_eq!(row.2.as_deref(), Some(expect), "{} at {}", row.0, row.1);
    }

    // sector z-scores after the move, recomputed from ret_1
    let table = cells(&appended.latest, "ret_1", "sector_z_ret_1");
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
