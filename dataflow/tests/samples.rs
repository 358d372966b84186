//! `tickflow samples` on a slice of the S&P 500 panel against an independent
//! recompute: the raw CSV parsed here with the spec's validity rule, every
//! window's eligibility (history, labels, gaps, embargo) enumerated
//! naively, the scaler's moments summed plainly, and a sample of windows
//! and labels recomputed value by value. The scaler and the training split
//! do not change when every bar after the training end is removed or
//! altered (no look-ahead); sampling is deterministic by seed.

mod common;

use common::{days, valid_bars as parse};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tickflow::samples::{run, SamplesArgs, Scaler};

/// Every 6th symbol of the panel (a debug build keeps CI short), as
/// `slice.csv` in `dir`, and its text.
fn slice(dir: &Path) -> (std::path::PathBuf, String) {
    let path = common::panel_slice(dir, 6);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn read(path: &Path) -> Vec<RecordBatch> {
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(path).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// (symbol, window end) of every row of a samples file.
fn keys(path: &Path) -> Vec<(String, i64)> {
    read(path)
        .iter()
        .flat_map(|b| {
            let s = b.column(0).as_string::<i32>();
            let t = b.column(1).as_primitive::<Date32Type>();
            (0..b.num_rows())
                .map(|r| (s.value(r).to_string(), t.value(r) as i64))
                .collect::<Vec<_>>()
        })
        .collect()
}

const TRAIN_END: &str = "2016-06-30";
const VALID_END: &str = "2017-03-31";

fn args(input: &Path, out: &Path) -> SamplesArgs {
    SamplesArgs {
        inputs: vec![input.display().to_string()],
        output: out.to_path_buf(),
        train_end: Some(TRAIN_END.into()),
        valid_end: Some(VALID_END.into()),
        ..Default::default()
    }
}

#[test]
fn windows_labels_and_scaler_equal_an_independent_recompute() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (input, text) = slice(tmp.path());
    let summary = run(&args(&input, &out)).unwrap();
    let (bars, invalid) = parse(&text);
    assert_eq!(summary.rejected.values().sum::<u64>(), invalid as u64);

    // the scaler: plain two-pass moments of ln(1+volume) up to the training end
    let (train_end, valid_end) = (days(TRAIN_END), days(VALID_END));
    let logs: Vec<f64> = bars
        .values()
        .flat_map(|b| b.range(..=train_end).map(|(_, v)| v[4].ln_1p()))
        .collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let std = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
    let scaler = Scaler::load(&out.join("scaler.json")).unwrap();
    assert_eq!(scaler.bars, logs.len() as u64);
    assert!(
        (scaler.mean - mean).abs() < 1e-12 * mean.abs(),
        "{} {mean}",
        scaler.mean
    );
    assert!(
        (scaler.std - std).abs() < 1e-10 * std,
        "{} {std}",
        scaler.std
    );

    // eligibility, enumerated naively: 60 bars of history, bar e+20, no
    // step over 5 days from bar e-59 to bar e+20, and bar e+20 (the
    // embargo) inside the split when another split follows
    let mut want: BTreeMap<&str, BTreeSet<(String, i64)>> = BTreeMap::new();
    for (sym, b) in &bars {
        let ts: Vec<i64> = b.keys().copied().collect();
        for e in 59..ts.len() {
            if e + 20 >= ts.len() {
                continue;
            }
            if (e - 59..e + 20).any(|j| ts[j + 1] - ts[j] > 5) {
                continue;
            }
            let split = if ts[e] <= train_end {
                "train"
            } else if ts[e] <= valid_end {
                "valid"
            } else {
                "test"
            };
            let boundary = match split {
                "train" => Some(train_end),
                "valid" => Some(valid_end),
                _ => None,
            };
            if boundary.is_some_and(|b| ts[e + 20] > b) {
                continue;
            }
            want.entry(split).or_default().insert((sym.clone(), ts[e]));
        }
    }
    for split in ["train", "valid", "test"] {
        let got = keys(&out.join(format!("{split}.parquet")));
        let set: BTreeSet<_> = got.iter().cloned().collect();
        assert_eq!(set.len(), got.len(), "{split}: a window twice");
        assert_eq!(&set, &want[split], "{split}");
        assert_eq!(
            summary.written[&format!("{split}.parquet")],
            got.len() as u64
        );
    }

    // values: every 97th window of every split, recomputed
    let mut checked = 0;
    for split in ["train", "valid", "test"] {
        for batch in read(&out.join(format!("{split}.parquet"))) {
            let sym = batch.column(0).as_string::<i32>();
            let ts = batch.column(1).as_primitive::<Date32Type>();
            for r in (0..batch.num_rows()).step_by(97) {
                let b = &bars[sym.value(r)];
                let end = ts.value(r) as i64;
                let window: Vec<&[f64; 5]> = b
                    .range(..=end)
                    .rev()
                    .take(60)
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let last_close = window[59][3];
                for (c, name) in ["open", "high", "low", "close", "volume"]
                    .iter()
                    .enumerate()
                {
                    let list = batch.column_by_name(name).unwrap().as_fixed_size_list();
                    let values = list.value(r);
                    let values = values.as_primitive::<Float32Type>();
                    for (k, bar) in window.iter().enumerate() {
                        let x = bar[c];
                        let want = if c == 4 {
                            ((x.ln_1p() - scaler.mean) / scaler.std) as f32
                        } else {
                            (x / last_close) as f32
                        };
                        assert_eq!(
                            values.value(k),
                            want,
                            "{split} {} {end} {name}[{k}]",
                            sym.value(r)
                        );
                    }
                }
                let after: Vec<f64> = b.range(end + 1..).take(20).map(|(_, v)| v[3]).collect();
                for h in [1usize, 5, 20] {
                    let col = batch
                        .column_by_name(&format!("fwd_ret_{h}"))
                        .unwrap()
                        .as_primitive::<Float64Type>();
                    assert!(!col.is_null(r));
                    assert_eq!(col.value(r), after[h - 1] / last_close - 1.0);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 900, "{checked}");
}

#[test]
fn the_training_side_never_sees_a_later_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, text) = slice(tmp.path());
    let train_end = days(TRAIN_END);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut prefix, mut altered) = (format!("{header}\n"), format!("{header}\n"));
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if days(f[0]) <= train_end {
            prefix.push_str(line);
            prefix.push('\n');
            altered.push_str(line);
        } else {
            // every later bar scaled: prices x3, volume x1000
            let scale = |x: &str, k: f64| {
                x.parse::<f64>()
                    .map_or(x.to_string(), |v| (v * k).to_string())
            };
            altered.push_str(&format!(
                "{},{},{},{},{},{},{}",
                f[0],
                scale(f[1], 3.0),
                scale(f[2], 3.0),
                scale(f[3], 3.0),
                scale(f[4], 3.0),
                scale(f[5], 1000.0),
                f[6]
            ));
        }
        altered.push('\n');
    }
    let mut outs = Vec::new();
    for (name, body) in [
        ("full", text.as_str()),
        ("prefix", &prefix),
        ("altered", &altered),
    ] {
        let input = tmp.path().join(format!("{name}.csv"));
        std::fs::write(&input, body).unwrap();
        let out = tmp.path().join(name);
        let mut a = args(&input, &out);
        a.valid_end = None;
        run(&a).unwrap();
        outs.push(out);
    }
    let scaler = |o: &Path| std::fs::read_to_string(o.join("scaler.json")).unwrap();
    let train = |o: &Path| read(&o.join("train.parquet"));
    assert_eq!(scaler(&outs[0]), scaler(&outs[1]));
    assert_eq!(scaler(&outs[0]), scaler(&outs[2]));
    assert_eq!(train(&outs[0]), train(&outs[1]));
    assert_eq!(train(&outs[0]), train(&outs[2]));
    // and the test split did see the change
    assert_ne!(
        read(&outs[0].join("test.parquet")),
        read(&outs[2].join("test.parquet"))
    );

    // a saved scaler is reused as is on new data
    let reuse = tmp.path().join("reuse");
    let mut a = args(&tmp.path().join("altered.csv"), &reuse);
    a.train_end = None;
    a.valid_end = None;
    a.scaler = Some(outs[0].join("scaler.json"));
    run(&a).unwrap();
    assert_eq!(scaler(&reuse), scaler(&outs[0]));
}

#[test]
fn sampling_is_seeded_and_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, _) = slice(tmp.path());
    let go = |name: &str, count: usize, seed: u64, flatten: bool| {
        let out = tmp.path().join(name);
        run(&SamplesArgs {
            count: Some(count),
            seed,
            flatten,
            train_end: None,
            valid_end: None,
            row_group_windows: 1_000,
            ..args(&input, &out)
        })
        .unwrap();
        read(&out.join("train.parquet"))
    };
    let a = go("a", 5_000, 1, false);
    assert_eq!(a.iter().map(RecordBatch::num_rows).sum::<usize>(), 5_000);
    assert!(a.len() >= 5, "row groups of at most 1,000 windows");
    assert_eq!(a, go("b", 5_000, 1, false));
    assert_ne!(a, go("c", 5_000, 2, false));
    let flat = go("d", 5_000, 1, true);
    let f = &flat[0];
    assert_eq!(f.schema().field(2).name(), "open_0");
    let list = a[0]
        .column_by_name("close")
        .unwrap()
        .as_fixed_size_list()
        .value(3);
    let col = f
        .column_by_name("close_59")
        .unwrap()
        .as_primitive::<Float32Type>();
    assert_eq!(col.value(3), list.as_primitive::<Float32Type>().value(59));
    assert_eq!(col.value(3), 1.0, "the last close divided by itself");

    for (change, says) in [
        (
            SamplesArgs {
                embargo: Some(5),
                ..args(&input, tmp.path())
            },
            "embargo must cover",
        ),
        (
            SamplesArgs {
                features: vec!["vwap".into()],
                ..args(&input, tmp.path())
            },
            "`vwap` is not one of",
        ),
        (
            SamplesArgs {
                valid_end: Some("2016-01-01".into()),
                ..args(&input, tmp.path())
            },
            "must be after --train-end",
        ),
        (
            SamplesArgs {
                train_end: Some("1990-01-01".into()),
                valid_end: None,
                ..args(&input, tmp.path())
            },
            "nothing to fit the scaler on",
        ),
    ] {
        let e = run(&change).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }
}
