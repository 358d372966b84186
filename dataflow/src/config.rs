//! The TOML pipeline file: features, cross-sections and the sink.

use crate::error::{Result, TickflowError};
use serde::{Deserialize, Serialize};
use tickflow_operators::cross_section::{CrossSectionOptions, DEFAULT_FEATURES};
use tickflow_operators::{FeatureDef, FeatureSet};

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

/// Output encoding options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinkConfig {
    /// zstd level for Parquet (1-22).
    pub zstd_level: i32,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
}

impl Default for SinkConfig {
    fn default() -> Self {
        Self {
            zstd_level: 3,
            row_group_rows: 131_072,
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
        toml::from_str(&text).map_err(|e| TickflowError::Config {
            path: path.into(),
            message: e.to_string(),
        })
    }

    /// The feature set part.
    pub fn feature_set(&self) -> FeatureSet {
        FeatureSet {
            features: self.features.clone(),
        }
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
}
