//! The TOML pipeline file: features, cross-sections and the sink.

use crate::backtest::SignalConfig;
use crate::error::{Result, TickflowError};
use serde::{Deserialize, Serialize};
use tickflow_operators::cross_section::{CrossSectionOptions, DEFAULT_FEATURES};
use tickflow_operators::{FeatureDef, FeatureEngine, FeatureSet};

/// Which columns get cross-sectional ranks and z-scores, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossSectionConfig {
    /// Feature columns to rank and standardise.
    #[serde(default = "default_cross_features")]
    pub features: Vec<String>,
    /// Clip to these quantiles before z-scoring.
    #[serde(default)]
    pub winsorize: Option<[f64; 2]>,
    /// Below this many values the outputs are null.
    #[serde(default = "one")]
    pub min_count: usize,
}

fn one() -> usize {
    1
}

impl CrossSectionConfig {
    /// The kernel options.
    pub fn options(&self) -> CrossSectionOptions {
        CrossSectionOptions {
            winsorize: self.winsorize,
            min_count: self.min_count,
        }
    }
}

fn default_cross_features() -> Vec<String> {
    DEFAULT_FEATURES.iter().map(|s| s.to_string()).collect()
}

impl Default for CrossSectionConfig {
    fn default() -> Self {
        Self {
            features: default_cross_features(),
            winsorize: None,
            min_count: 1,
        }
    }
}

/// The output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Parquet files (`.parquet`).
    Parquet,
    /// Arrow IPC files (`.arrow`).
    Ipc,
}

/// The compression codec of the output files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// zstd at `zstd_level`.
    Zstd,
    /// LZ4 (raw for Parquet, frame for IPC).
    Lz4,
    /// Uncompressed.
    None,
}

/// Output encoding options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinkConfig {
    /// Parquet (default) or Arrow IPC.
    pub format: OutputFormat,
    /// zstd (default), lz4 or none.
    pub codec: Codec,
    /// zstd level (1-22).
    pub zstd_level: i32,
    /// Feature and cross-sectional columns as f32 instead of f64.
    pub float32: bool,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Rows per data file at most (a partition's rows go to as many files
    /// as they need), so that a revision near the store's end rewrites
    /// little.
    pub file_rows: usize,
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            format: OutputFormat::Parquet,
            codec: Codec::Zstd,
            zstd_level: 1,
            float32: false,
            row_group_rows: 131_072,
            file_rows: 262_144,
        }
    }
}

impl SinkConfig {
    /// Checks the values a file can hold but the writers cannot use.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| {
            Err(TickflowError::Config {
                path: "sink".into(),
                message,
            })
        };
        if !(1..=22).contains(&self.zstd_level) {
            return bad(format!("zstd_level {} is outside 1..=22", self.zstd_level));
        }
        if self.row_group_rows == 0 {
            return bad("row_group_rows must be at least 1".into());
        }
        if self.file_rows == 0 {
            return bad("file_rows must be at least 1".into());
        }
        Ok(())
    }
}

/// The `[live]` table: how a live run reads its topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// `json`, `csv` or `csv:FIELD,...` (see `--format`).
    pub format: String,
    /// Allowed lateness behind a partition's newest bar (`0s`, `90s`, `2m`).
    pub lateness: String,
    /// A partition silent this long stops holding the frontier back.
    pub idle_timeout: String,
    /// How often to checkpoint; the offsets of the rows a checkpoint makes
    /// durable are committed right after it.
    pub checkpoint_interval: String,
    /// At most this often a run that read bars behind the frontier pauses
    /// to apply them to the store as corrections (it closes its open bar
    /// times, revises the store and resumes); `off`: only at the run's
    /// end and the next start.
    pub corrections_interval: String,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            format: "json".into(),
            lateness: "0s".into(),
            idle_timeout: "10s".into(),
            checkpoint_interval: "5s".into(),
            corrections_interval: "60s".into(),
        }
    }
}

/// A duration such as `250ms`, `5s`, `2m`, `1h` or `1d`.
///
/// ```
/// use std::time::Duration;
/// use tickflow::config::parse_duration;
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
/// assert!(parse_duration("5").is_err());
/// ```
pub fn parse_duration(text: &str) -> std::result::Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 500ms, 5s, 2m, 1h, 1d"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86_400.0,
        _ => return Err(format!("`{text}` needs a unit: ms, s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// How revisions find a symbol's past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionConfig {
    /// Bars between the kept copies of each symbol's state (the last two
    /// are kept with every checkpoint): a revision within this many bars
    /// of a symbol's end replays it from a kept copy, reading only the
    /// store's rows after it; one further back replays from the first bar.
    /// 0 keeps none.
    #[serde(default = "default_state_history")]
    pub state_history: u64,
}

fn default_state_history() -> u64 {
    crate::durable::history::DEFAULT_EVERY
}

impl Default for RevisionConfig {
    fn default() -> Self {
        Self {
            state_history: default_state_history(),
        }
    }
}

/// A whole pipeline file. Every section is optional; the default is the
/// spec's standard set with the default cross-sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// The per-symbol features (default: the standard set).
    #[serde(default = "standard_features")]
    pub features: Vec<FeatureDef>,
    /// Cross-sections.
    #[serde(default)]
    pub cross_section: CrossSectionConfig,
    /// The sink.
    #[serde(default)]
    pub sink: SinkConfig,
    /// Brokers, topic, group and client settings of live runs (never
    /// written to a manifest: it may hold credentials).
    #[serde(default, skip_serializing)]
    pub kafka: tickflow_connectors::kafka::KafkaConfig,
    /// How live runs read their topic.
    #[serde(default)]
    pub live: LiveConfig,
    /// How revisions find a symbol's past.
    #[serde(default)]
    pub revisions: RevisionConfig,
    /// Signals (`[[signal]]` tables): what `tickflow backtest` tests.
    #[serde(default, rename = "signal", skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<SignalConfig>,
}

fn standard_features() -> Vec<FeatureDef> {
    FeatureSet::standard().features
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            features: standard_features(),
            cross_section: CrossSectionConfig::default(),
            sink: SinkConfig::default(),
            kafka: Default::default(),
            live: LiveConfig::default(),
            revisions: RevisionConfig::default(),
            signals: Vec::new(),
        }
    }
}

impl PipelineConfig {
    /// Reads and checks a TOML file.
    pub fn load(path: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| TickflowError::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        let config: Self = toml::from_str(&text).map_err(|e| TickflowError::Config {
            path: path.into(),
            message: e.to_string(),
        })?;
        config.sink.validate()?;
        for (k, s) in config.signals.iter().enumerate() {
            s.validate()?;
            if config.signals[..k].iter().any(|o| o.name == s.name) {
                return Err(TickflowError::Config {
                    path: path.into(),
                    message: format!("two signals are named `{}`", s.name),
                });
            }
        }
        Ok(config)
    }

    /// The feature set: `features`, plus the `adv_<window>` liquidity
    /// averages that the signals' filters read and `features` lacks.
    pub fn feature_set(&self) -> FeatureSet {
        let mut set = FeatureSet {
            features: self.features.clone(),
        };
        for s in &self.signals {
            let Some(column) = s.liquidity_column() else {
                continue;
            };
            let present = FeatureEngine::new(&set).is_ok_and(|e| e.columns().contains(&column));
            if !present {
                let window = s.liquidity_window as i64;
                set.features
                    .push(FeatureDef::new("adv", &[("period", window)]));
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_standard_pipeline() {
        let c: PipelineConfig = toml::from_str("").unwrap();
        assert_eq!(c, PipelineConfig::default());
        assert_eq!(c.features.len(), FeatureSet::standard().features.len());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = toml::from_str::<PipelineConfig>("[cross_section]\nwinsorise = [0.01, 0.99]\n")
            .unwrap_err();
        assert!(e.to_string().contains("winsorise"), "{e}");
        let c: PipelineConfig = toml::from_str(
            "[cross_section]\nfeatures = [\"ret_1\"]\nwinsorize = [0.01, 0.99]\nmin_count = 5\n",
        )
        .unwrap();
        assert_eq!(c.cross_section.options().min_count, 5);
    }

    #[test]
    fn liquidity_filters_add_their_average_once() {
        let c: PipelineConfig = toml::from_str(
            "[[features]]\nkind = \"rsi\"\n\
             [[signal]]\nname = \"a\"\ncolumn = \"rsi_14\"\nmin_dollar_volume = 1e6\n\
             [[signal]]\nname = \"b\"\ncolumn = \"rsi_14\"\nmin_dollar_volume = 1e6\n\
             [[signal]]\nname = \"c\"\ncolumn = \"rsi_14\"\nmin_dollar_volume = 5e6\nliquidity_window = 5\n\
             [[signal]]\nname = \"d\"\ncolumn = \"rsi_14\"\n",
        )
        .unwrap();
        let e = FeatureEngine::new(&c.feature_set()).unwrap();
        assert_eq!(e.columns(), ["rsi_14", "adv_20", "adv_5"]);
        let plain: PipelineConfig = toml::from_str("[[features]]\nkind = \"rsi\"\n").unwrap();
        assert_eq!(plain.feature_set().features.len(), 1);
    }

    #[test]
    fn sink_options_parse_and_are_checked() {
        let c: PipelineConfig =
            toml::from_str("[sink]\nformat = \"ipc\"\ncodec = \"lz4\"\nfloat32 = true\n").unwrap();
        assert_eq!(
            (c.sink.format, c.sink.codec, c.sink.float32),
            (OutputFormat::Ipc, Codec::Lz4, true)
        );
        assert!(toml::from_str::<PipelineConfig>("[sink]\ncodec = \"brotli\"\n").is_err());
        let c: PipelineConfig = toml::from_str("[sink]\nzstd_level = 30\n").unwrap();
        assert!(c
            .sink
            .validate()
            .unwrap_err()
            .to_string()
            .contains("zstd_level 30"));
    }
}
