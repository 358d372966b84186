//! `tickflow demo`, the README's first command: it exits 0, and the preview
//! it prints is the store's last bar time, first symbols first, with the
//! values the store's files hold (read here directly, not through query).

mod common;

use common::read_store;
use std::process::Command;
use tickflow_connectors::{format_ts, TsKind};

#[test]
fn demo_prints_the_last_bar_time_of_the_store_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tickflow"))
        .args(["demo", "--dir"])
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("preview, the last bar time"))
        .unwrap_or_else(|| panic!("no preview in:\n{stdout}"));
    let header: Vec<&str> = lines[at + 1].split_whitespace().collect();
    let rows: Vec<Vec<&str>> = lines[at + 2..]
        .iter()
        .take_while(|l| !l.starts_with('('))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[at + 2 + rows.len()], format!("({} rows)", rows.len()));

    let (names, table) = read_store(&dir.path().join("demo/store"));
    let last = table.keys().map(|(_, t)| *t).max().unwrap();
    let mut expected: Vec<&String> = table
        .keys()
        .filter(|(_, t)| *t == last)
        .map(|(s, _)| s)
        .collect();
    expected.sort();
    expected.truncate(5);
    assert_eq!(rows.len(), expected.len());
    assert_eq!(header[..2], ["symbol", "ts"]);
    for (row, symbol) in rows.iter().zip(expected) {
        let (sector, values) = &table[&(symbol.clone(), last)];
        assert_eq!(row[0], symbol);
        assert_eq!(row[1], format_ts(TsKind::Date, last));
        // A sector name may hold spaces: the numbers are the last fields.
        let numbers = &row[row.len() - (header.len() - 3)..];
        assert_eq!(
            row[2..row.len() - numbers.len()].join(" "),
            sector.clone().unwrap()
        );
        for (name, printed) in header[3..].iter().zip(numbers) {
            let column = names.iter().position(|n| n == name).unwrap() - 3;
            let stored = values[column].unwrap();
            assert_eq!(printed.parse::<f64>().unwrap(), stored, "{symbol} {name}");
        }
    }
}
