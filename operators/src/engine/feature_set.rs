//! The serde description of a feature set (what a TOML `[[features]]` list holds).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A parameter value as written in a config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// An integer (periods).
    Int(i64),
    /// A real number (deviations, fractional orders).
    Float(f64),
    /// Text (rejected by every current parameter, kept for clear errors).
    Text(String),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// One indicator instance: `kind`, its parameters, its input column and
/// optionally its output names.
///
/// Every key other than `kind`, `input`, `name` and `names` is a parameter;
/// unknown parameters are rejected when the set is compiled, with the list of
/// valid ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDef {
    /// Indicator kind, e.g. `sma` (see [`catalog`](super::catalog)).
    pub kind: String,
    /// Input column for single-series indicators (default: the indicator's own,
    /// usually `close`): a bar column or an earlier feature's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Output name for single-output indicators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Output names for multi-output indicators, in the catalog's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// Parameters, e.g. `period = 50`.
    #[serde(flatten)]
    pub params: BTreeMap<String, ParamValue>,
}

impl FeatureDef {
    /// `kind` with integer parameters.
    pub fn new(kind: &str, params: &[(&str, i64)]) -> Self {
        Self {
            kind: kind.to_string(),
            input: None,
            name: None,
            names: None,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), ParamValue::Int(*v)))
                .collect(),
        }
    }

    /// The same definition reading `input`.
    pub fn with_input(mut self, input: &str) -> Self {
        self.input = Some(input.to_string());
        self
    }

    /// The same definition with a real-valued parameter.
    pub fn with_float(mut self, param: &str, value: f64) -> Self {
        self.params
            .insert(param.to_string(), ParamValue::Float(value));
        self
    }
}

/// An ordered list of indicator instances. Later features may read earlier
/// features' outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSet {
    /// The indicators, in output-column order.
    pub features: Vec<FeatureDef>,
}

impl FeatureSet {
    /// The spec's standard set (`shared/spec/features.md`), in its column order.
    pub fn standard() -> Self {
        let f = FeatureDef::new;
        Self {
            features: vec![
                f("log_return", &[("period", 1)]),
                f("pct_return", &[("period", 5)]),
                f("pct_return", &[("period", 20)]),
                f("roc", &[("period", 10)]),
                f("sma", &[("period", 5)]),
                f("sma", &[("period", 20)]),
                f("sma", &[("period", 60)]),
                f("ema", &[("period", 12)]),
                f("ema", &[("period", 26)]),
                f("kama", &[("period", 10)]),
                f("rsi", &[("period", 14)]),
                f("macd", &[("fast", 12), ("slow", 26), ("signal", 9)]),
                f(
                    "stoch",
                    &[
                        ("fastk_period", 14),
                        ("slowk_period", 3),
                        ("slowd_period", 3),
                    ],
                ),
                f("willr", &[("period", 14)]),
                f("cci", &[("period", 20)]),
                f("aroon", &[("period", 25)]),
                f("adx", &[("period", 14)]),
                f("atr", &[("period", 14)]),
                f("bbands", &[("period", 20)])
                    .with_float("nbdev_up", 2.0)
                    .with_float("nbdev_dn", 2.0),
                f("stddev", &[("period", 20)]).with_float("nbdev", 1.0),
                f("vol", &[("period", 20)]),
                f("vol", &[("period", 60)]),
                f("obv", &[]),
                f("mfi", &[("period", 14)]),
                f("zscore", &[("period", 20)]),
                f(
                    "crsi",
                    &[
                        ("rsi_period", 3),
                        ("streak_period", 2),
                        ("rank_period", 100),
                    ],
                ),
                f("vidya", &[("period", 14), ("cmo_period", 9)]),
                f("ffd", &[])
                    .with_float("d", 0.4)
                    .with_float("threshold", 1e-4),
            ],
        }
    }
}
