//! The one error type of `tickflow-operators`.

use thiserror::Error;

/// Everything that can go wrong when building or driving operators.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum OperatorError {
    /// A feature definition names an indicator kind that does not exist.
    #[error("unknown indicator `{kind}`; valid indicators are: {valid}")]
    UnknownIndicator {
        /// The kind that was asked for.
        kind: String,
        /// Comma-separated list of the kinds that exist.
        valid: String,
    },
    /// A parameter is out of its valid range or of the wrong type.
    #[error("invalid parameter `{param}` = {value} for `{kind}`: {expected}")]
    InvalidParameter {
        /// Indicator kind.
        kind: String,
        /// Parameter name.
        param: String,
        /// The offending value, as written.
        value: String,
        /// What would be valid.
        expected: String,
    },
    /// A parameter that the indicator does not take.
    #[error("unknown parameter `{param}` for `{kind}`; valid parameters are: {valid}")]
    UnknownParameter {
        /// Indicator kind.
        kind: String,
        /// Parameter name that was given.
        param: String,
        /// Comma-separated list of the valid parameter names.
        valid: String,
    },
    /// An input column that is neither a bar column nor an earlier feature.
    #[error("feature `{feature}` reads column `{column}`, which is neither a bar column (open, high, low, close, volume) nor a feature defined before it")]
    UnknownColumn {
        /// The feature that reads the column.
        feature: String,
        /// The missing column.
        column: String,
    },
    /// Two outputs with the same name.
    #[error(
        "output column `{0}` is defined twice; give one of them another name with `name`/`names`"
    )]
    DuplicateOutput(String),
    /// `names` with the wrong number of entries.
    #[error("`{kind}` has {expected} outputs ({defaults}) but `names` lists {got}")]
    OutputArity {
        /// Indicator kind.
        kind: String,
        /// How many outputs the indicator has.
        expected: usize,
        /// Their default names.
        defaults: String,
        /// How many names were given.
        got: usize,
    },
    /// A snapshot that does not belong to this engine's feature set.
    #[error("state snapshot does not match this feature set: {0}")]
    StateMismatch(String),
    /// Cross-sectional batch whose columns have different lengths.
    #[error("cross-section batch is ragged: {0}")]
    RaggedBatch(String),
    /// Invalid cross-sectional option.
    #[error("invalid cross-section option: {0}")]
    InvalidCrossSectionOption(String),
}

/// Result alias for this crate.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
