//! Feature sets as data: parsing, naming, derived inputs, and the typed
//! errors a user sees for a bad config.

use tickflow_operators::engine::{catalog, IndicatorInfo};
use tickflow_operators::{Bar, FeatureEngine, FeatureSet, OperatorError};

fn engine(toml_text: &str) -> Result<FeatureEngine, OperatorError> {
    let set: FeatureSet = toml::from_str(toml_text).expect("valid TOML");
    FeatureEngine::new(&set)
}

fn bar(close: f64, volume: f64) -> Bar {
    Bar {
        open: close,
        high: close * 1.01,
        low: close * 0.99,
        close,
        volume,
    }
}

#[test]
fn standard_set_has_the_spec_columns_in_order() {
    let e = FeatureEngine::standard();
    let expected = "ret_1 ret_5 ret_20 roc_10 sma_5 sma_20 sma_60 ema_12 ema_26 kama_10 rsi_14 macd \
        macd_signal macd_hist stoch_k stoch_d willr_14 cci_20 aroon_up_25 aroon_down_25 adx_14 \
        plus_di_14 minus_di_14 atr_14 natr_14 bb_upper bb_middle bb_lower bb_pctb bb_width stddev_20 \
        vol_20 vol_60 obv mfi_14 volume_z_20 crsi_3_2_100 vidya_14_9 ffd_0_4";
    assert_eq!(
        e.columns().join(" "),
        expected.split_whitespace().collect::<Vec<_>>().join(" ")
    );
}

#[test]
fn one_line_changes_periods_and_inputs() {
    let e = engine(
        r#"
        [[features]]
        kind = "sma"
        period = 50
        [[features]]
        kind = "rsi"
        period = 2
        [[features]]
        kind = "rsi"
        input = "volume"
        [[features]]
        kind = "log_return"
        [[features]]
        kind = "sma"
        period = 3
        input = "ret_1"
        [[features]]
        kind = "lag"
        k = 2
        input = "ret_1"
        [[features]]
        kind = "macd"
        names = ["m", "s", "h"]
        [[features]]
        kind = "ema"
        period = 3
        name = "fast"
    "#,
    )
    .unwrap();
    assert_eq!(
        e.columns(),
        [
            "sma_50",
            "rsi_2",
            "volume_rsi_14",
            "ret_1",
            "ret_1_sma_3",
            "ret_1_lag_2",
            "m",
            "s",
            "h",
            "fast"
        ]
    );
}

#[test]
fn derived_input_skips_its_leading_nulls() {
    let e = engine(
        r#"
        [[features]]
        kind = "log_return"
        [[features]]
        kind = "sma"
        period = 2
        input = "ret_1"
        [[features]]
        kind = "lag"
        input = "ret_1"
    "#,
    )
    .unwrap();
    let closes = [100.0, 110.0, 99.0, 120.0];
    let mut st = e.new_state();
    let mut row = vec![0.0; 3];
    let mut rows = Vec::new();
    for c in closes {
        e.update(&mut st, &bar(c, 1.0), &mut row).unwrap();
        rows.push(row.clone());
    }
    let r = |i: usize| (closes[i] / closes[i - 1]).ln();
    assert!(rows[0].iter().all(|v| v.is_nan()));
    assert!(rows[1][1].is_nan(), "sma of ret_1 needs two returns");
    assert_eq!(rows[2][1], (r(1) + r(2)) / 2.0);
    assert_eq!(rows[3][1], (r(2) + r(3)) / 2.0);
    assert!(rows[1][2].is_nan());
    assert_eq!(rows[2][2], r(1));
    assert_eq!(rows[3][2], r(2));
}

#[test]
fn unknown_indicator_lists_the_valid_ones() {
    let err = engine("[[features]]\nkind = \"smaa\"\nperiod = 3\n").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, OperatorError::UnknownIndicator { .. }));
    assert!(
        msg.contains("smaa") && msg.contains("sma, ") && msg.contains("ffd"),
        "{msg}"
    );
}

#[test]
fn period_zero_says_what_is_valid() {
    let err = engine("[[features]]\nkind = \"sma\"\nperiod = 0\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid parameter `period` = 0 for `sma`: an integer in [1, 100000]"
    );
    let err = engine("[[features]]\nkind = \"rsi\"\nperiod = 1\n").unwrap_err();
    assert!(
        err.to_string().contains("an integer in [2, 100000]"),
        "{err}"
    );
    let err = engine("[[features]]\nkind = \"sma\"\nperiod = 2.5\n").unwrap_err();
    assert!(
        matches!(err, OperatorError::InvalidParameter { .. }),
        "{err}"
    );
    let err = engine("[[features]]\nkind = \"ffd\"\nthreshold = 1.0\n").unwrap_err();
    assert!(err.to_string().contains("[0.00000001, 1)"), "{err}");
}

#[test]
fn unknown_parameter_lists_the_valid_ones() {
    let err = engine("[[features]]\nkind = \"macd\"\nfast_period = 5\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown parameter `fast_period` for `macd`; valid parameters are: fast, slow, signal, input, names"
    );
    let err = engine("[[features]]\nkind = \"atr\"\ninput = \"close\"\n").unwrap_err();
    assert!(matches!(err, OperatorError::UnknownParameter { ref param, .. } if param == "input"));
}

#[test]
fn unknown_column_and_forward_references_are_errors() {
    let err = engine("[[features]]\nkind = \"sma\"\ninput = \"ret_1\"\n").unwrap_err();
    assert!(
        matches!(err, OperatorError::UnknownColumn { ref column, .. } if column == "ret_1"),
        "{err}"
    );
}

#[test]
fn duplicate_names_and_wrong_arity_are_errors() {
    let err = engine("[[features]]\nkind = \"sma\"\n[[features]]\nkind = \"sma\"\n").unwrap_err();
    assert_eq!(err, OperatorError::DuplicateOutput("sma_20".into()));
    let err = engine("[[features]]\nkind = \"sma\"\nname = \"close\"\n").unwrap_err();
    assert_eq!(err, OperatorError::DuplicateOutput("close".into()));
    let err = engine("[[features]]\nkind = \"macd\"\nnames = [\"a\"]\n").unwrap_err();
    assert!(
        matches!(
            err,
            OperatorError::OutputArity {
                expected: 3,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unknown_top_level_key_is_rejected() {
    let r: Result<FeatureSet, _> = toml::from_str("featurez = []\n");
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("unknown field `featurez`"));
}

/// An engine of `info`'s kind alone, with its defaults (fed `close` where
/// it takes an input column).
fn single_kind(info: &IndicatorInfo) -> FeatureEngine {
    let input = match info.inputs.column() {
        Some(_) => "input = \"close\"\n",
        None => "",
    };
    engine(&format!("[[features]]\nkind = \"{}\"\n{input}", info.kind)).unwrap()
}

/// Bar `i` of a smooth series and the market's level then.
fn series(i: usize) -> (Bar, f64) {
    let c = 100.0 + (i as f64 * 0.1).sin() * 5.0;
    let market = (i as f64 * 0.3).cos() * 0.01;
    (bar(c, 1000.0 + i as f64), market)
}

#[test]
fn every_catalog_kind_builds_and_runs() {
    for info in catalog() {
        let e = single_kind(info);
        assert_eq!(e.columns().len(), info.outputs.len());
        let mut st = e.new_state();
        let mut row = vec![0.0; e.columns().len()];
        for i in 0..400 {
            let (bar, market) = series(i);
            e.update_joined(&mut st, &bar, market, &mut row).unwrap();
        }
        assert!(row.iter().all(|v| v.is_finite()), "{}: {row:?}", info.kind);
        assert!(!info.to_string().is_empty());
    }
}

/// An accepted bar writes every column of the row, null (NaN) or not,
/// during the lookback too, so a caller may hand over a row that still
/// holds another bar's values: none is left, for every kind and for
/// features fed by another's column (whose leading nulls skip them).
#[test]
fn an_accepted_bar_writes_every_column() {
    let stale = f64::from_bits(0x7FF4_DEAD_BEEF_0001);
    let mut sets: Vec<FeatureEngine> = catalog().iter().map(single_kind).collect();
    sets.push(FeatureEngine::standard());
    sets.push(
        engine(
            "[[features]]\nkind = \"log_return\"\nperiod = 1\n\n\
             [[features]]\nkind = \"rsi\"\nperiod = 3\ninput = \"ret_1\"\n\n\
             [[features]]\nkind = \"lag\"\nk = 2\ninput = \"ret_1_rsi_3\"\n",
        )
        .unwrap(),
    );
    for e in &sets {
        let mut st = e.new_state();
        let mut row = vec![stale; e.columns().len()];
        for i in 0..300 {
            let (bar, market) = series(i);
            row.fill(stale);
            e.update_joined(&mut st, &bar, market, &mut row).unwrap();
            for (name, v) in e.columns().iter().zip(&row) {
                assert_ne!(
                    v.to_bits(),
                    stale.to_bits(),
                    "{name} not written at bar {i}"
                );
            }
        }
    }
}

#[test]
fn invalid_bar_is_rejected_and_state_untouched() {
    let e = FeatureEngine::standard();
    let mut st = e.new_state();
    let mut row = vec![0.0; e.columns().len()];
    e.update(&mut st, &bar(10.0, 5.0), &mut row).unwrap();
    let before = st.clone();
    let row_before: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
    let bad = Bar {
        close: f64::NAN,
        ..bar(10.0, 5.0)
    };
    assert_eq!(
        e.update(&mut st, &bad, &mut row),
        Err(tickflow_operators::RejectReason::NonFinitePrice)
    );
    assert_eq!(st, before);
    let row_after: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
    assert_eq!(
        row_after, row_before,
        "a rejected bar leaves the row as it was"
    );
    assert_eq!(st.bars(), 1);
}

#[test]
fn snapshot_of_another_feature_set_is_refused() {
    let a = FeatureEngine::standard();
    let b = engine("[[features]]\nkind = \"sma\"\nperiod = 50\n").unwrap();
    let st = a.new_state();
    assert!(a.check_state(&st).is_ok());
    assert!(matches!(
        b.check_state(&st),
        Err(OperatorError::StateMismatch(_))
    ));
    let c = engine("[[features]]\nkind = \"sma\"\nperiod = 51\n").unwrap();
    assert_ne!(b.fingerprint(), c.fingerprint());
}

#[test]
fn snapshot_with_its_indicators_out_of_place_is_refused() {
    // the right fingerprint and count, but two kernels swapped: each
    // would be fed another feature's input and write another's columns
    let e = FeatureEngine::standard();
    let mut json: serde_json::Value = serde_json::to_value(e.new_state()).unwrap();
    json["kernels"].as_array_mut().unwrap().swap(0, 7);
    let swapped = serde_json::from_value(json).unwrap();
    let err = e.check_state(&swapped).unwrap_err();
    assert!(matches!(err, OperatorError::StateMismatch(_)), "{err}");
    assert!(
        err.to_string()
            .contains("not the engine's indicators in the engine's order"),
        "{err}"
    );
}
