//! The live path against a real Kafka-protocol broker (tansu, started by
//! `scripts/test.sh`): `replay` a file into a topic, `live` it into a store,
//! and compare with `backfill` of the same file, bit for bit. Late bars and
//! malformed messages are counted and kept, never mixed into the rows.

mod common;

use common::kafka::{
    brokers, consume_all, lines, live, ok, produce, spawn, start, unique, wait_ok,
};
use common::{args, bits, data, panel_slice, read_store, versions};
use std::path::Path;
use std::time::{Duration, Instant};
use tickflow::backfill;

fn backfill_bits(args: &backfill::BackfillArgs) -> Vec<common::BitRow> {
    backfill::run(args).unwrap();
    bits(&read_store(&args.output).1)
}

#[test]
fn replayed_minute_bars_live_equal_the_backfill_and_appear_before_the_replay_ends() {
    let dir = tempfile::tempdir().unwrap();
    let input = data("spy_1min_2020_12.csv");
    let (topic, group) = (unique("spy"), unique("g"));
    let store = dir.path().join("live");
    let brokers = brokers();
    let live = start(live(&brokers, &topic, &group, &store).args([
        "--idle-exit",
        "3",
        "--metrics-addr",
        "off",
    ]));
    // About four trading days at 50,000x: several seconds of replay.
    let mut replay = spawn(&[
        "replay",
        "--input",
        input.to_str().unwrap(),
        "--symbol",
        "SPY",
        "--tz",
        "America/New_York",
        "--brokers",
        &brokers,
        "--topic",
        &topic,
        "--partitions",
        "1",
        "--speed",
        "50000x",
        "-q",
        "--work-dir",
        dir.path().join("replay").to_str().unwrap(),
    ]);
    let mut early = None;
    while replay.try_wait().unwrap().is_none() {
        if early.is_none() && store.join("year=2020").exists() {
            let rows = read_store(&store).1;
            if !rows.is_empty() {
                early = Some(rows.keys().map(|k| k.1).max().unwrap());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(replay.wait().unwrap().success());
    let summary = wait_ok(live, "live");
    assert!(
        summary.contains("1564 bars in, 1564 rows out, 0 late"),
        "{summary}"
    );

    let mut a = args(&input, &dir.path().join("backfill"), 1);
    a.default_symbol = Some("SPY".into());
    a.tz = Some("America/New_York".into());
    let expected = backfill_bits(&a);
    let last = expected.iter().map(|r| r.1).max().unwrap();
    let early = early.expect("rows reached the store while the replay ran");
    assert!(
        early < last,
        "the store showed {early}, before the last bar time {last}"
    );
    assert_eq!(bits(&read_store(&store).1), expected);
}

#[test]
fn a_multi_symbol_slice_over_four_partitions_and_two_workers_equals_the_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let input = panel_slice(dir.path(), 12);
    let sectors = data("sp500_sectors.csv");
    let (topic, group, features) = (unique("sp"), unique("g"), unique("features"));
    let store = dir.path().join("live");
    let brokers = brokers();
    let replayed = common::kafka::replay(&input, &brokers, &topic, &dir.path().join("replay"));
    let out = ok(live(&brokers, &topic, &group, &store)
        .args([
            "--idle-exit",
            "2",
            "--metrics-addr",
            "off",
            "--workers",
            "2",
        ])
        .args(["--features-topic", &features, "--sectors"])
        .arg(&sectors));
    let mut a = args(&input, &dir.path().join("backfill"), 1);
    a.sectors = Some(sectors);
    let expected = backfill_bits(&a);
    assert!(
        replayed.contains(&format!("replay: {} bars", expected.len())),
        "{replayed}"
    );
    assert!(
        out.contains(&format!("{} rows out, 0 late", expected.len())),
        "{out}"
    );
    let (columns, table) = read_store(&store);
    assert_eq!(bits(&table), expected);

    // The features topic carries the same rows, by the store's column names.
    let messages = consume_all(&features, expected.len());
    assert_eq!(messages.len(), expected.len());
    for m in messages.iter().step_by(997) {
        let row: serde_json::Value = serde_json::from_str(m).unwrap();
        let symbol = row["symbol"].as_str().unwrap().to_string();
        let ts = tickflow_connectors::TsParser::default()
            .parse(row["ts"].as_str().unwrap())
            .unwrap()
            .1;
        let (sector, values) = &table[&(symbol, ts)];
        assert_eq!(row["sector"].as_str(), sector.as_deref());
        for (name, v) in columns[3..].iter().zip(values) {
            if name == "known_at" {
                let micros = v.expect("known_at is never null") as i64;
                let text =
                    tickflow_connectors::format_ts(tickflow_connectors::TsKind::Micros, micros);
                assert_eq!(row[name].as_str(), Some(text.as_str()), "{m}");
            } else {
                assert_eq!(row[name].as_f64(), *v, "{name} of {m}");
            }
        }
    }
}

fn bar_json(symbol: &str, day: u32, close: f64) -> Vec<u8> {
    format!(
        r#"{{"symbol":"{symbol}","ts":"2024-01-{day:02}","open":{close},"high":{},"low":{},"close":{close},"volume":1000}}"#,
        close + 1.0,
        close - 1.0
    )
    .into_bytes()
}

fn bars_csv(path: &Path, bars: &[(&str, u32, f64)]) {
    let mut text = String::from("symbol,date,open,high,low,close,volume\n");
    for (s, d, c) in bars {
        text += &format!("{s},2024-01-{d:02},{c},{},{},{c},1000\n", c + 1.0, c - 1.0);
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_bar_behind_the_frontier_is_late_counted_kept_and_applied_as_a_correction() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("late");
    let valid: Vec<(&str, u32, f64)> = (2..=9).map(|d| ("A", d, 100.0 + d as f64)).collect();
    let mut messages: Vec<(&str, Vec<u8>)> = valid
        .iter()
        .map(|&(s, d, c)| (s, bar_json(s, d, c)))
        .collect();
    messages.push(("A", bar_json("A", 4, 55.0))); // day 4 again, after day 9
    produce(&topic, 1, &messages);
    let store = dir.path().join("live");
    let out = ok(live(&brokers(), &topic, &unique("g"), &store).args([
        "--idle-exit",
        "2",
        "--metrics-addr",
        "off",
    ]));
    assert!(out.contains("8 bars in, 8 rows out, 1 late"), "{out}");
    // Days 4 to 9 of A changed (one symbol: its cross-sections did not).
    assert!(
        out.contains("corrections: 1 late bars applied, 6 rows have a new version"),
        "{out}"
    );
    let late = lines(&store.join("_late_bars.csv"));
    assert_eq!(late.len(), 2, "{late:?}");
    assert!(
        late[1].starts_with("0,8,A,2024-01-04,55,56,54,55,1000,2024-01-09"),
        "{late:?}"
    );
    // The latest view: a backfill with the late bar in its place (its
    // revised rows known from the correction, the rest from their bar).
    let corrected_input = dir.path().join("corrected.csv");
    let mut corrected = valid.clone();
    corrected[2] = ("A", 4, 55.0);
    bars_csv(&corrected_input, &corrected);
    let rebuilt = dir.path().join("rebuilt");
    backfill::run(&args(&corrected_input, &rebuilt, 1)).unwrap();
    versions::assert_same(
        &versions::rows(&store, None, None),
        &versions::rows(&rebuilt, None, None),
        "latest view against a rebuild",
    );
    // As of before the correction: the rows as first published.
    let input = dir.path().join("valid.csv");
    bars_csv(&input, &valid);
    let first = dir.path().join("backfill");
    backfill::run(&args(&input, &first, 1)).unwrap();
    let original = versions::rows(&first, None, None);
    versions::assert_same(
        &versions::rows(&store, Some("2025-01-01"), None),
        &original,
        "as of before the correction",
    );
    // Applied once: a restart finds nothing left to apply.
    let again = ok(live(&brokers(), &topic, &unique("g2"), &store).args([
        "--idle-exit",
        "1",
        "--metrics-addr",
        "off",
    ]));
    assert!(!again.contains("corrections"), "{again}");
}

#[test]
fn malformed_messages_are_dead_letters_and_valid_bars_are_unaffected() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("bad");
    let mut valid = Vec::new();
    let mut messages: Vec<(&str, Vec<u8>)> = Vec::new();
    let garbage: [&[u8]; 6] = [
        b"not json",
        br#"{"symbol":"A","ts":"2024-01-05","open":1,"high":2,"low":0.5,"volume":9}"#,
        br#"{"symbol":"B","ts":"2024-01-06","open":"1.5","high":2,"low":1,"close":1,"volume":9}"#,
        br#"{"symbol":"A","ts":"2024-01-07","open":1,"high":2,"low":0.5,"close":1,"volume":-9}"#,
        b"A,2024-01-08,1,2,0.5,1,9",
        b"",
    ];
    for d in 2..=20u32 {
        for s in ["A", "B"] {
            let close = if s == "A" {
                50.0 + d as f64
            } else {
                80.0 - d as f64 / 2.0
            };
            valid.push((s, d, close));
            messages.push((s, bar_json(s, d, close)));
        }
        if (5..11).contains(&d) {
            messages.push(("A", garbage[d as usize - 5].to_vec()));
        }
    }
    produce(&topic, 1, &messages);
    let store = dir.path().join("live");
    let out = ok(live(&brokers(), &topic, &unique("g"), &store).args([
        "--idle-exit",
        "2",
        "--metrics-addr",
        "off",
    ]));
    assert!(
        out.contains("38 bars in, 38 rows out, 0 late, 6 dead letters"),
        "{out}"
    );
    let dead = lines(&store.join("_dead_letter.csv"));
    let reasons: Vec<&str> = dead[1..]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "malformed_message",
            "blank_close",
            "unparseable_open",
            "negative_volume",
            "malformed_message",
            "malformed_message"
        ]
    );
    // partition 0; offsets after the valid bars of days 2..=d
    let offsets: Vec<i64> = dead[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(offsets, [8, 11, 14, 17, 20, 23]);
    let input = dir.path().join("valid.csv");
    bars_csv(&input, &valid);
    let expected = backfill_bits(&args(&input, &dir.path().join("backfill"), 1));
    assert_eq!(bits(&read_store(&store).1), expected);
}

#[test]
fn live_waits_for_a_topic_then_fails_clearly_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = live(&brokers(), &unique("absent"), "g", dir.path())
        .args(["--topic-wait", "1s", "--metrics-addr", "off"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: kafka: reading the metadata of"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_live_store_refuses_other_settings_and_a_backfill_store() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("settings");
    let messages: Vec<(&str, Vec<u8>)> = (2..=6)
        .map(|d| ("A", bar_json("A", d, 10.0 + d as f64)))
        .collect();
    produce(&topic, 1, &messages);
    let store = dir.path().join("live");
    let brokers = brokers();
    let run = |extra: &[&str], output: &Path| {
        live(&brokers, &topic, &unique("g"), output)
            .args(["--idle-exit", "1", "--metrics-addr", "off"])
            .args(extra)
            .output()
            .unwrap()
    };
    let first = run(&[], &store);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let other = run(&["--tz", "America/New_York"], &store);
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success());
    assert!(
        err.contains("refusing to resume") && err.contains(r#"tz: null -> "America/New_York""#),
        "{err}"
    );
    let input = dir.path().join("bars.csv");
    bars_csv(&input, &[("A", 2, 10.0), ("A", 3, 11.0)]);
    let built = dir.path().join("built");
    backfill::run(&args(&input, &built, 1)).unwrap();
    let onto_backfill = run(&[], &built);
    let err = String::from_utf8_lossy(&onto_backfill.stderr);
    assert!(!onto_backfill.status.success());
    assert!(err.contains("built by `tickflow backfill`"), "{err}");
}
