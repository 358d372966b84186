//! What indicators exist, with their inputs, parameters and outputs.

/// What an indicator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputShape {
    /// One column (`input = ...`), with this default.
    Series(&'static str),
    /// The bar's own columns (high, low, close and/or volume).
    Bar,
    /// One column (`input = ...`, with this default) paired with the market
    /// series' move over the same bar (see
    /// [`FeatureEngine::update_joined`](super::FeatureEngine::update_joined)).
    Market(&'static str),
}

impl InputShape {
    /// The default input column of a one-column indicator.
    pub fn column(&self) -> Option<&'static str> {
        match self {
            InputShape::Series(c) | InputShape::Market(c) => Some(c),
            InputShape::Bar => None,
        }
    }
}

/// One parameter of an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamInfo {
    /// Name as written in the config.
    pub name: &'static str,
    /// Default value.
    pub default: f64,
    /// Whether only integers are valid.
    pub integer: bool,
    /// Smallest valid value (inclusive).
    pub min: f64,
    /// Largest valid value (exclusive when `max_exclusive`).
    pub max: f64,
    /// Whether `max` itself is invalid.
    pub max_exclusive: bool,
}

impl ParamInfo {
    const fn period(name: &'static str, default: f64, min: f64) -> Self {
        Self {
            name,
            default,
            integer: true,
            min,
            max: 100_000.0,
            max_exclusive: false,
        }
    }

    const fn real(
        name: &'static str,
        default: f64,
        min: f64,
        max: f64,
        max_exclusive: bool,
    ) -> Self {
        Self {
            name,
            default,
            integer: false,
            min,
            max,
            max_exclusive,
        }
    }

    /// Human-readable range, e.g. "an integer in [1, 100000]".
    pub fn expected(&self) -> String {
        let close = if self.max_exclusive { ')' } else { ']' };
        if self.integer {
            format!("an integer in [{}, {}{close}", self.min, self.max)
        } else {
            format!("a number in [{}, {}{close}", self.min, self.max)
        }
    }
}

/// One indicator kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorInfo {
    /// The `kind` string.
    pub kind: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// What it reads.
    pub inputs: InputShape,
    /// Its parameters.
    pub params: &'static [ParamInfo],
    /// Output name templates: `{param}` is replaced by the parameter's value
    /// (a `.` becomes `_`), `{input}` by the input column.
    pub outputs: &'static [&'static str],
}

impl std::fmt::Display for IndicatorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:<11} {}", self.kind, self.summary)?;
        match self.inputs {
            InputShape::Series(default) => {
                write!(f, "\n            input: one column (default `{default}`)")?
            }
            InputShape::Bar => write!(f, "\n            input: the bar")?,
            InputShape::Market(default) => write!(
                f,
                "\n            input: one column (default `{default}`) and the market series (--market)"
            )?,
        }
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|p| format!("{} = {} ({})", p.name, p.default, p.expected()))
                .collect();
            write!(f, "\n            params: {}", params.join(", "))?;
        }
        write!(f, "\n            outputs: {}", self.outputs.join(", "))
    }
}

const fn p(name: &'static str, default: f64, min: f64) -> ParamInfo {
    ParamInfo::period(name, default, min)
}

static CATALOG: &[IndicatorInfo] = &[
    IndicatorInfo {
        kind: "log_return",
        summary: "ln(x_i / x_{i-period})",
        inputs: InputShape::Series("close"),
        params: &[p("period", 1.0, 1.0)],
        outputs: &["ret_{period}"],
    },
    IndicatorInfo {
        kind: "pct_return",
        summary: "x_i / x_{i-period} - 1",
        inputs: InputShape::Series("close"),
        params: &[p("period", 5.0, 1.0)],
        outputs: &["ret_{period}"],
    },
    IndicatorInfo {
        kind: "roc",
        summary: "TA-Lib ROC: rate of change in percent",
        inputs: InputShape::Series("close"),
        params: &[p("period", 10.0, 1.0)],
        outputs: &["roc_{period}"],
    },
    IndicatorInfo {
        kind: "sma",
        summary: "TA-Lib SMA: simple moving average",
        inputs: InputShape::Series("close"),
        params: &[p("period", 20.0, 1.0)],
        outputs: &["sma_{period}"],
    },
    IndicatorInfo {
        kind: "ema",
        summary: "TA-Lib EMA: exponential moving average seeded with the SMA",
        inputs: InputShape::Series("close"),
        params: &[p("period", 12.0, 1.0)],
        outputs: &["ema_{period}"],
    },
    IndicatorInfo {
        kind: "kama",
        summary: "TA-Lib KAMA: Kaufman adaptive moving average (2/30)",
        inputs: InputShape::Series("close"),
        params: &[p("period", 10.0, 1.0)],
        outputs: &["kama_{period}"],
    },
    IndicatorInfo {
        kind: "rsi",
        summary: "TA-Lib RSI: Wilder relative strength index",
        inputs: InputShape::Series("close"),
        params: &[p("period", 14.0, 2.0)],
        outputs: &["rsi_{period}"],
    },
    IndicatorInfo {
        kind: "macd",
        summary: "TA-Lib MACD (line, signal, histogram)",
        inputs: InputShape::Series("close"),
        params: &[
            p("fast", 12.0, 2.0),
            p("slow", 26.0, 2.0),
            p("signal", 9.0, 1.0),
        ],
        outputs: &["macd", "macd_signal", "macd_hist"],
    },
    IndicatorInfo {
        kind: "stoch",
        summary: "TA-Lib STOCH with SMA smoothing (slow %K, slow %D)",
        inputs: InputShape::Bar,
        params: &[
            p("fastk_period", 14.0, 1.0),
            p("slowk_period", 3.0, 1.0),
            p("slowd_period", 3.0, 1.0),
        ],
        outputs: &["stoch_k", "stoch_d"],
    },
    IndicatorInfo {
        kind: "willr",
        summary: "TA-Lib WILLR: Williams %R",
        inputs: InputShape::Bar,
        params: &[p("period", 14.0, 2.0)],
        outputs: &["willr_{period}"],
    },
    IndicatorInfo {
        kind: "cci",
        summary: "TA-Lib CCI: commodity channel index",
        inputs: InputShape::Bar,
        params: &[p("period", 20.0, 2.0)],
        outputs: &["cci_{period}"],
    },
    IndicatorInfo {
        kind: "aroon",
        summary: "TA-Lib AROON (up, down)",
        inputs: InputShape::Bar,
        params: &[p("period", 25.0, 2.0)],
        outputs: &["aroon_up_{period}", "aroon_down_{period}"],
    },
    IndicatorInfo {
        kind: "adx",
        summary: "TA-Lib ADX, PLUS_DI, MINUS_DI",
        inputs: InputShape::Bar,
        params: &[p("period", 14.0, 2.0)],
        outputs: &["adx_{period}", "plus_di_{period}", "minus_di_{period}"],
    },
    IndicatorInfo {
        kind: "atr",
        summary: "TA-Lib ATR and NATR",
        inputs: InputShape::Bar,
        params: &[p("period", 14.0, 1.0)],
        outputs: &["atr_{period}", "natr_{period}"],
    },
    IndicatorInfo {
        kind: "bbands",
        summary: "TA-Lib BBANDS (SMA) with %b and width",
        inputs: InputShape::Series("close"),
        params: &[
            p("period", 20.0, 2.0),
            ParamInfo::real("nbdev_up", 2.0, 0.0, 1e6, false),
            ParamInfo::real("nbdev_dn", 2.0, 0.0, 1e6, false),
        ],
        outputs: &["bb_upper", "bb_middle", "bb_lower", "bb_pctb", "bb_width"],
    },
    IndicatorInfo {
        kind: "stddev",
        summary: "TA-Lib STDDEV: population standard deviation times nbdev",
        inputs: InputShape::Series("close"),
        params: &[
            p("period", 20.0, 2.0),
            ParamInfo::real("nbdev", 1.0, 0.0, 1e6, false),
        ],
        outputs: &["stddev_{period}"],
    },
    IndicatorInfo {
        kind: "vol",
        summary: "sample (n-1) standard deviation of the last n values",
        inputs: InputShape::Series("ret_1"),
        params: &[p("period", 20.0, 2.0)],
        outputs: &["vol_{period}"],
    },
    IndicatorInfo {
        kind: "obv",
        summary: "TA-Lib OBV: on-balance volume",
        inputs: InputShape::Bar,
        params: &[],
        outputs: &["obv"],
    },
    IndicatorInfo {
        kind: "mfi",
        summary: "TA-Lib MFI: money flow index",
        inputs: InputShape::Bar,
        params: &[p("period", 14.0, 2.0)],
        outputs: &["mfi_{period}"],
    },
    IndicatorInfo {
        kind: "zscore",
        summary: "(x - mean) / population std over the last n values; null when flat",
        inputs: InputShape::Series("volume"),
        params: &[p("period", 20.0, 2.0)],
        outputs: &["{input}_z_{period}"],
    },
    IndicatorInfo {
        kind: "beta",
        summary: "cov(x, m) / var(m) over the last n bars, m the market's log return over the bar; null when m is flat",
        inputs: InputShape::Market("ret_1"),
        params: &[p("period", 60.0, 2.0)],
        outputs: &["beta_{period}"],
    },
    IndicatorInfo {
        kind: "corr",
        summary: "Pearson correlation of x and m (the market's log return over the bar) over the last n bars; null when either is flat",
        inputs: InputShape::Market("ret_1"),
        params: &[p("period", 60.0, 2.0)],
        outputs: &["corr_{period}"],
    },
    IndicatorInfo {
        kind: "crsi",
        summary: "Connors RSI: (RSI(x) + RSI(streak) + percent rank of the change) / 3",
        inputs: InputShape::Series("close"),
        params: &[
            p("rsi_period", 3.0, 1.0),
            p("streak_period", 2.0, 1.0),
            p("rank_period", 100.0, 1.0),
        ],
        outputs: &["crsi_{rsi_period}_{streak_period}_{rank_period}"],
    },
    IndicatorInfo {
        kind: "vidya",
        summary: "VIDYA: EMA scaled by |CMO|",
        inputs: InputShape::Series("close"),
        params: &[p("period", 14.0, 1.0), p("cmo_period", 9.0, 1.0)],
        outputs: &["vidya_{period}_{cmo_period}"],
    },
    IndicatorInfo {
        kind: "ffd",
        summary: "fixed-width fractional difference of ln(x)",
        inputs: InputShape::Series("close"),
        params: &[
            ParamInfo::real("d", 0.4, 0.0, 10.0, false),
            ParamInfo::real("threshold", 1e-4, 1e-8, 1.0, true),
        ],
        outputs: &["ffd_{d}"],
    },
    IndicatorInfo {
        kind: "lag",
        summary: "the value k bars ago",
        inputs: InputShape::Series("close"),
        params: &[p("k", 1.0, 1.0)],
        outputs: &["{input}_lag_{k}"],
    },
    IndicatorInfo {
        kind: "adv",
        summary: "average dollar volume: mean close * volume of the last n bars",
        inputs: InputShape::Bar,
        params: &[p("period", 20.0, 1.0)],
        outputs: &["adv_{period}"],
    },
];

/// Every indicator kind, in a stable order.
pub fn catalog() -> &'static [IndicatorInfo] {
    CATALOG
}

/// Looks up one kind.
pub fn find(kind: &str) -> Option<&'static IndicatorInfo> {
    CATALOG.iter().find(|i| i.kind == kind)
}
