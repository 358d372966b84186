//! Features that read another feature's state (a `sma` or `stddev` inside a
//! `bbands`, a `willr` inside a `stoch`, returns, `roc` and `lag` inside a
//! longer window) give, bit for bit, what each gives alone on its own state.

use tickflow_operators::engine::catalog;
use tickflow_operators::{Bar, FeatureDef, FeatureEngine, FeatureSet};

/// A random walk with flat stretches (repeated closes, zero ranges) and
/// large jumps, `n` bars.
fn walk(n: usize, seed: u64) -> Vec<Bar> {
    let mut s = seed;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut close: f64 = 50.0;
    (0..n)
        .map(|i| {
            let flat = (i / 40) % 5 == 3;
            if !flat {
                let jump = if next() < 0.02 { 8.0 } else { 1.0 };
                close = (close * (1.0 + jump * 0.03 * (next() - 0.5))).max(0.5);
            }
            let spread = if flat { 0.0 } else { close * 0.02 * next() };
            Bar {
                open: close,
                high: close + spread,
                low: close - spread * next(),
                close,
                volume: if flat { 0.0 } else { 1_000.0 * next() },
            }
        })
        .collect()
}

/// Every output of `set`, bar by bar, as bits.
fn run(set: &FeatureSet, bars: &[Bar]) -> (Vec<String>, Vec<Vec<u64>>) {
    let engine = FeatureEngine::new(set).unwrap();
    let mut state = engine.new_state();
    let mut row = vec![0.0; engine.columns().len()];
    let rows = bars
        .iter()
        .map(|bar| {
            engine.update(&mut state, bar, &mut row).unwrap();
            row.iter().map(|v| v.to_bits()).collect()
        })
        .collect();
    (engine.columns().to_vec(), rows)
}

/// Each feature of `set` alone, with the features it reads, against the
/// whole set: every column equal to the bit at every bar.
fn each_alone_equals_the_set(set: &FeatureSet, bars: &[Bar]) {
    let (columns, together) = run(set, bars);
    for (i, def) in set.features.iter().enumerate() {
        // itself and the features it reads, directly or not, in set order
        let mut needed = vec![def.clone()];
        for j in (0..i).rev() {
            let written = columns_of(set, j);
            if needed
                .iter()
                .any(|d| input_of(d).is_some_and(|c| written.contains(&c)))
            {
                needed.insert(0, set.features[j].clone());
            }
        }
        let alone = FeatureSet { features: needed };
        let (own_columns, own) = run(&alone, bars);
        let name = own_columns.last().unwrap();
        let at = columns.iter().position(|c| c == name).unwrap();
        for (k, (a, b)) in together.iter().zip(&own).enumerate() {
            assert_eq!(
                a[at],
                *b.last().unwrap(),
                "{name} at bar {k}: {} in the set, {} alone",
                f64::from_bits(a[at]),
                f64::from_bits(*b.last().unwrap())
            );
        }
    }
}

/// The input column `def` reads, if any.
fn input_of(def: &FeatureDef) -> Option<String> {
    let default = catalog()
        .iter()
        .find(|info| info.kind == def.kind)
        .and_then(|info| info.inputs.column());
    def.input.as_deref().or(default).map(str::to_string)
}

/// The columns feature `j` of `set` writes.
fn columns_of(set: &FeatureSet, j: usize) -> Vec<String> {
    let prefix = |n: usize| {
        let part = FeatureSet {
            features: set.features[..n].to_vec(),
        };
        FeatureEngine::new(&part).unwrap().columns().to_vec()
    };
    prefix(j + 1)[prefix(j).len()..].to_vec()
}

fn set(toml_text: &str) -> FeatureSet {
    toml::from_str(toml_text).expect("valid TOML")
}

#[test]
fn the_standard_set_equals_each_feature_alone() {
    let bars = walk(3_000, 7);
    each_alone_equals_the_set(&FeatureSet::standard(), &bars);
}

#[test]
fn views_of_a_derived_input_and_views_read_by_later_features() {
    let bars = walk(2_000, 11);
    // windows over `ret_1` (null at bar 0: owners and views skip it alike),
    // an owner after its views, a view read by a later feature, and a
    // window too short to hold a 30-bar lag
    let s = set(r#"
        [[features]]
        kind = "log_return"
        [[features]]
        kind = "sma"
        period = 10
        input = "ret_1"
        [[features]]
        kind = "stddev"
        period = 10
        nbdev = 1.5
        input = "ret_1"
        [[features]]
        kind = "lag"
        k = 30
        input = "ret_1"
        [[features]]
        kind = "pct_return"
        period = 3
        input = "ret_1"
        [[features]]
        kind = "bbands"
        period = 10
        input = "ret_1"
        [[features]]
        kind = "rsi"
        period = 5
        input = "ret_1_sma_10"
        [[features]]
        kind = "willr"
        period = 5
        [[features]]
        kind = "stoch"
        fastk_period = 5
        [[features]]
        kind = "sma"
        period = 40
        input = "ret_1"
    "#);
    each_alone_equals_the_set(&s, &bars);
}

/// Bytes of a fresh state of `set`, as a checkpoint holds it (bincode:
/// fixed-width numbers, so two fingerprints take the same room).
fn state_size(set: &FeatureSet) -> usize {
    let engine = FeatureEngine::new(set).unwrap();
    bincode::serialize(&engine.new_state()).unwrap().len()
}

#[test]
fn views_keep_no_state_of_their_own() {
    let owner = set("[[features]]\nkind = \"bbands\"\nperiod = 20\n");
    let with_views = set(r#"
        [[features]]
        kind = "sma"
        period = 20
        [[features]]
        kind = "stddev"
        period = 20
        [[features]]
        kind = "bbands"
        period = 20
    "#);
    assert_eq!(state_size(&with_views), state_size(&owner));
    // a 21-bar sma is no part of a 20-bar bbands: it keeps its own state
    let apart = set(r#"
        [[features]]
        kind = "sma"
        period = 21
        [[features]]
        kind = "bbands"
        period = 20
    "#);
    assert!(state_size(&apart) > state_size(&owner));
}

#[test]
fn a_state_with_views_restores_bit_identically() {
    let bars = walk(1_500, 3);
    let engine = FeatureEngine::standard();
    // snapshot mid-series, restore, continue: as if never interrupted
    let mut whole = engine.new_state();
    let mut row = vec![0.0; engine.columns().len()];
    let mut expected = Vec::new();
    let mut restored = None;
    for (i, bar) in bars.iter().enumerate() {
        engine.update(&mut whole, bar, &mut row).unwrap();
        expected.push(row.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        if i == 700 {
            let json = serde_json::to_string(&whole).unwrap();
            restored = Some((i, serde_json::from_str(&json).unwrap()));
        }
    }
    let (at, mut state) = restored.unwrap();
    engine.check_state(&state).unwrap();
    for (i, bar) in bars.iter().enumerate().skip(at + 1) {
        engine.update(&mut state, bar, &mut row).unwrap();
        let got: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, expected[i], "bar {i}");
    }
}
