//! Compiling a [`FeatureSet`] into a [`FeatureEngine`] and driving it.

use super::catalog::{self, IndicatorInfo, InputShape, ParamInfo};
use super::feature_set::{FeatureDef, FeatureSet, ParamValue};
use super::kernel::Kernel;
use super::share::{self, View};
use crate::error::{OperatorError, Result};
use crate::{Bar, RejectReason};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Raised whenever a kernel's serialised form changes, so that snapshots
/// of the old form are refused ([`FeatureEngine::check_state`]) rather than
/// misread.
const STATE_LAYOUT: u32 = 2;

/// Where a node's single-series input comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Source {
    Open,
    High,
    Low,
    Close,
    Volume,
    /// An earlier node's output column.
    Column(usize),
    /// The node reads the bar itself.
    Bar,
}

#[derive(Debug, Clone)]
struct Node {
    source: Source,
    /// The node pairs its input with the market series.
    market: bool,
    first_output: usize,
    outputs: usize,
    prototype: Kernel,
    /// Features computed from this node's state after its update, each
    /// written to its column (see [`share`]).
    views: Vec<(View, usize)>,
}

/// A compiled feature set: turns one symbol's bars into rows of outputs.
///
/// ```
/// use tickflow_operators::{Bar, FeatureEngine, FeatureSet};
/// let set: FeatureSet = toml::from_str(r#"
///     [[features]]
///     kind = "sma"
///     period = 2
///
///     [[features]]
///     kind = "rsi"
///     period = 2
///     input = "volume"
/// "#).unwrap();
/// let engine = FeatureEngine::new(&set).unwrap();
/// assert_eq!(engine.columns(), ["sma_2", "volume_rsi_2"]);
/// let mut state = engine.new_state();
/// let mut row = vec![0.0; engine.columns().len()];
/// for (close, volume) in [(10.0, 100.0), (12.0, 50.0), (11.0, 80.0)] {
///     let bar = Bar { open: close, high: close, low: close, close, volume };
///     engine.update(&mut state, &bar, &mut row).unwrap();
/// }
/// assert_eq!(row[0], 11.5);
/// assert!(row[1] > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct FeatureEngine {
    set: FeatureSet,
    nodes: Vec<Node>,
    columns: Vec<String>,
    fingerprint: u64,
}

/// One symbol's indicator states: small, independent of history length,
/// serialisable; restoring a snapshot continues bit-identically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolState {
    fingerprint: u64,
    bars: u64,
    kernels: Vec<Kernel>,
}

impl SymbolState {
    /// How many valid bars this state has consumed.
    pub fn bars(&self) -> u64 {
        self.bars
    }

    /// Hints the cache lines the next updates of this state touch (see
    /// [`crate::prefetch`]): a caller that knows which state it updates
    /// next calls this one state ahead, so the loads overlap the current
    /// update instead of stalling the next. Values are unaffected.
    ///
    /// ```
    /// use tickflow_operators::{Bar, FeatureEngine};
    /// let engine = FeatureEngine::standard();
    /// let mut states = vec![engine.new_state(), engine.new_state()];
    /// let mut row = vec![0.0; engine.columns().len()];
    /// let bar = Bar { open: 10.0, high: 10.5, low: 9.5, close: 10.2, volume: 1000.0 };
    /// for s in 0..states.len() {
    ///     if let Some(next) = states.get(s + 1) {
    ///         next.prefetch();
    ///     }
    ///     engine.update(&mut states[s], &bar, &mut row).unwrap();
    /// }
    /// assert_eq!(states[1].bars(), 1);
    /// ```
    #[inline]
    pub fn prefetch(&self) {
        crate::prefetch::slice(&self.kernels);
        for kernel in &self.kernels {
            kernel.prefetch();
        }
    }
}

impl FeatureEngine {
    /// Compiles `set`: checks kinds, parameters, inputs and output names.
    pub fn new(set: &FeatureSet) -> Result<Self> {
        let mut nodes = Vec::with_capacity(set.features.len());
        let mut kinds = Vec::with_capacity(set.features.len());
        let mut columns: Vec<String> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        // The kernels' serialised layout is part of the plan: a snapshot
        // from a build that lays a state out otherwise is another engine's.
        let mut canonical = format!("layout {STATE_LAYOUT};");
        for def in &set.features {
            let info = catalog::find(&def.kind).ok_or_else(|| OperatorError::UnknownIndicator {
                kind: def.kind.clone(),
                valid: catalog::catalog()
                    .iter()
                    .map(|i| i.kind)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            let params = resolve_params(info, def)?;
            let input_name = match info.inputs.column() {
                Some(default) => Some(def.input.clone().unwrap_or_else(|| default.to_string())),
                None => {
                    if def.input.is_some() {
                        return Err(OperatorError::UnknownParameter {
                            kind: def.kind.clone(),
                            param: "input".into(),
                            valid: valid_params(info),
                        });
                    }
                    None
                }
            };
            let names = output_names(info, def, &params, input_name.as_deref())?;
            let source = match &input_name {
                None => Source::Bar,
                Some(col) => {
                    resolve_source(col, &by_name).ok_or_else(|| OperatorError::UnknownColumn {
                        feature: names[0].clone(),
                        column: col.clone(),
                    })?
                }
            };
            let lookup = |name: &str| params[name];
            let prototype = Kernel::build(info.kind, &lookup);
            canonical.push_str(&format!(
                "{}|{:?}|{:?}|{:?};",
                info.kind, params, input_name, names
            ));
            let first_output = columns.len();
            for name in &names {
                if by_name.insert(name.clone(), columns.len()).is_some() || is_bar_column(name) {
                    return Err(OperatorError::DuplicateOutput(name.clone()));
                }
                columns.push(name.clone());
            }
            nodes.push(Node {
                source,
                market: matches!(info.inputs, InputShape::Market(_)),
                first_output,
                outputs: names.len(),
                prototype,
                views: Vec::new(),
            });
            kinds.push((info.kind, params));
        }
        let features: Vec<share::Feature<'_>> = kinds
            .iter()
            .zip(&nodes)
            .map(|((kind, params), node)| share::Feature {
                kind,
                params,
                source: node.source,
                columns: node.first_output..node.first_output + node.outputs,
            })
            .collect();
        let shared = share::plan(&features);
        for (i, &(owner, view)) in shared
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
        {
            canonical.push_str(&format!("view {i} of {owner}: {view:?};"));
            let column = nodes[i].first_output;
            nodes[owner].views.push((view, column));
        }
        let nodes = nodes
            .into_iter()
            .zip(&shared)
            .filter_map(|(node, s)| s.is_none().then_some(node))
            .collect();
        Ok(Self {
            set: set.clone(),
            nodes,
            columns,
            fingerprint: fnv1a(canonical.as_bytes()),
        })
    }

    /// The spec's standard feature set.
    pub fn standard() -> Self {
        Self::new(&FeatureSet::standard()).expect("the standard set compiles")
    }

    /// The feature set this engine was compiled from.
    pub fn feature_set(&self) -> &FeatureSet {
        &self.set
    }

    /// Output column names, in row order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// A stable hash of the compiled plan (kinds, parameters, inputs, names).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// True when some feature pairs its input with the market series, so
    /// rows need [`update_joined`](Self::update_joined)'s market value.
    pub fn needs_market(&self) -> bool {
        self.nodes.iter().any(|n| n.market)
    }

    /// True when `column` is an output of a feature paired with the market.
    pub fn pairs_with_market(&self, column: &str) -> bool {
        self.nodes.iter().any(|n| {
            n.market
                && self.columns[n.first_output..n.first_output + n.outputs]
                    .iter()
                    .any(|c| c == column)
        })
    }

    /// A fresh state for one symbol.
    pub fn new_state(&self) -> SymbolState {
        SymbolState {
            fingerprint: self.fingerprint,
            bars: 0,
            kernels: self.nodes.iter().map(|n| n.prototype.clone()).collect(),
        }
    }

    /// Checks that `state` (for example a restored snapshot) belongs to this engine.
    pub fn check_state(&self, state: &SymbolState) -> Result<()> {
        let same_kinds = state
            .kernels
            .iter()
            .zip(&self.nodes)
            .all(|(k, n)| std::mem::discriminant(k) == std::mem::discriminant(&n.prototype));
        if state.fingerprint != self.fingerprint
            || state.kernels.len() != self.nodes.len()
            || !same_kinds
        {
            let order = if same_kinds {
                ""
            } else {
                " (not the engine's indicators in the engine's order)"
            };
            return Err(OperatorError::StateMismatch(format!(
                "snapshot fingerprint {:016x} with {} indicators{order}, engine {:016x} with {}",
                state.fingerprint,
                state.kernels.len(),
                self.fingerprint,
                self.nodes.len()
            )));
        }
        Ok(())
    }

    /// Feeds one bar to `state` and writes one row of outputs into `row`
    /// (NaN = null): every column, so `row` may hold anything before. An
    /// invalid bar is rejected and leaves the state and `row` as they were.
    /// Features paired with the market (`beta`, `corr`) see no market here:
    /// their outputs are null (see [`update_joined`](Self::update_joined)).
    ///
    /// # Panics
    /// If `row.len() != self.columns().len()` or `state` is another engine's
    /// (use [`check_state`](Self::check_state) on restored snapshots).
    #[inline]
    pub fn update(
        &self,
        state: &mut SymbolState,
        bar: &Bar,
        row: &mut [f64],
    ) -> Result<(), RejectReason> {
        self.update_joined(state, bar, f64::NAN, row)
    }

    /// [`update`](Self::update) with the market series' log level as of this
    /// bar's time (NaN where there is none yet). Features paired with the
    /// market (`beta`, `corr`) pair their input with the market's move over
    /// the same bar interval: the change of that level since this symbol's
    /// previous bar. So a bar without a new market bar pairs with a move of
    /// 0, never with a stale return, and nothing after the bar is used.
    ///
    /// ```
    /// use tickflow_operators::{Bar, FeatureEngine, FeatureSet};
    /// let set: FeatureSet = toml::from_str(r#"
    ///     [[features]]
    ///     kind = "log_return"
    ///     period = 1
    ///
    ///     [[features]]
    ///     kind = "beta"
    ///     period = 2
    /// "#).unwrap();
    /// let engine = FeatureEngine::new(&set).unwrap();
    /// assert_eq!(engine.columns(), ["ret_1", "beta_2"]);
    /// assert!(engine.needs_market());
    /// let mut state = engine.new_state();
    /// let mut row = vec![0.0; 2];
    /// // Two pairs (ret_1, market move): beta is the slope through them.
    /// for (close, level) in [(100.0, 0.0), (110.0, 0.05), (99.0, -0.01)] {
    ///     let bar = Bar { open: close, high: close, low: close, close, volume: 1.0 };
    ///     engine.update_joined(&mut state, &bar, level, &mut row).unwrap();
    /// }
    /// let expected = ((110f64 / 100.0).ln() - (99f64 / 110.0).ln()) / (0.05 + 0.06);
    /// assert!((row[1] - expected).abs() < 1e-12);
    /// ```
    #[inline]
    pub fn update_joined(
        &self,
        state: &mut SymbolState,
        bar: &Bar,
        market: f64,
        row: &mut [f64],
    ) -> Result<(), RejectReason> {
        assert_eq!(
            row.len(),
            self.columns.len(),
            "row length must equal the number of columns"
        );
        assert_eq!(
            state.kernels.len(),
            self.nodes.len(),
            "state belongs to another engine"
        );
        bar.validate()?;
        state.bars += 1;
        for (node, kernel) in self.nodes.iter().zip(state.kernels.iter_mut()) {
            let x = match node.source {
                Source::Open => bar.open,
                Source::High => bar.high,
                Source::Low => bar.low,
                Source::Close => bar.close,
                Source::Volume => bar.volume,
                Source::Column(c) => row[c],
                Source::Bar => 0.0,
            };
            let out = &mut row[node.first_output..node.first_output + node.outputs];
            if x.is_nan() && !node.market {
                // A null input (an upstream feature still in its lookback):
                // this indicator is not fed, its outputs are null.
                out.fill(f64::NAN);
                for &(_, column) in &node.views {
                    row[column] = f64::NAN;
                }
                continue;
            }
            kernel.step(bar, x, market, out);
            for &(view, column) in &node.views {
                row[column] = kernel.view(view, x, bar);
            }
        }
        Ok(())
    }
}

fn is_bar_column(name: &str) -> bool {
    matches!(name, "open" | "high" | "low" | "close" | "volume")
}

fn resolve_source(col: &str, by_name: &HashMap<String, usize>) -> Option<Source> {
    Some(match col {
        "open" => Source::Open,
        "high" => Source::High,
        "low" => Source::Low,
        "close" => Source::Close,
        "volume" => Source::Volume,
        other => Source::Column(*by_name.get(other)?),
    })
}

fn valid_params(info: &IndicatorInfo) -> String {
    let mut names: Vec<&str> = info.params.iter().map(|p| p.name).collect();
    if info.inputs.column().is_some() {
        names.push("input");
    }
    names.push(if info.outputs.len() == 1 {
        "name"
    } else {
        "names"
    });
    names.join(", ")
}

fn resolve_params(info: &IndicatorInfo, def: &FeatureDef) -> Result<BTreeMap<&'static str, f64>> {
    if let Some(unknown) = def
        .params
        .keys()
        .find(|k| !info.params.iter().any(|p| p.name == k.as_str()))
    {
        return Err(OperatorError::UnknownParameter {
            kind: info.kind.into(),
            param: unknown.clone(),
            valid: valid_params(info),
        });
    }
    let arity_key = if info.outputs.len() == 1 {
        def.names.as_ref().map(|_| "names")
    } else {
        def.name.as_ref().map(|_| "name")
    };
    if let Some(param) = arity_key {
        return Err(OperatorError::UnknownParameter {
            kind: info.kind.into(),
            param: param.into(),
            valid: valid_params(info),
        });
    }
    info.params
        .iter()
        .map(|p| Ok((p.name, param_value(info, p, def.params.get(p.name))?)))
        .collect()
}

fn param_value(info: &IndicatorInfo, p: &ParamInfo, given: Option<&ParamValue>) -> Result<f64> {
    let invalid = |value: String| OperatorError::InvalidParameter {
        kind: info.kind.into(),
        param: p.name.into(),
        value,
        expected: p.expected(),
    };
    let v = match given {
        None => return Ok(p.default),
        Some(ParamValue::Int(i)) => *i as f64,
        Some(ParamValue::Float(x)) if !p.integer => *x,
        Some(other) => return Err(invalid(other.to_string())),
    };
    let above_max = if p.max_exclusive {
        v >= p.max
    } else {
        v > p.max
    };
    if !v.is_finite() || v < p.min || above_max {
        return Err(invalid(given.map(ToString::to_string).unwrap_or_default()));
    }
    Ok(v)
}

fn format_param(v: f64) -> String {
    format!("{v}").replace('.', "_")
}

fn output_names(
    info: &IndicatorInfo,
    def: &FeatureDef,
    params: &BTreeMap<&'static str, f64>,
    input: Option<&str>,
) -> Result<Vec<String>> {
    if let Some(name) = &def.name {
        return Ok(vec![name.clone()]);
    }
    if let Some(names) = &def.names {
        if names.len() != info.outputs.len() {
            return Err(OperatorError::OutputArity {
                kind: info.kind.into(),
                expected: info.outputs.len(),
                defaults: info.outputs.join(", "),
                got: names.len(),
            });
        }
        return Ok(names.clone());
    }
    let non_default_input = match (info.inputs.column(), input) {
        (Some(default), Some(given)) if given != default => Some(given),
        _ => None,
    };
    Ok(info
        .outputs
        .iter()
        .map(|template| {
            let mut name = template.to_string();
            for (k, v) in params {
                name = name.replace(&format!("{{{k}}}"), &format_param(*v));
            }
            if let Some(col) = input {
                if name.contains("{input}") {
                    return name.replace("{input}", col);
                }
            }
            match non_default_input {
                Some(col) => format!("{col}_{name}"),
                None => name,
            }
        })
        .collect())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
