//! The one error type of the `tickflow` crate.

use thiserror::Error;

/// What can stop a tickflow run.
#[derive(Debug, Error)]
pub enum TickflowError {
    /// Reading the input failed structurally.
    #[error(transparent)]
    Input(#[from] tickflow_connectors::ConnectorError),
    /// The feature or cross-section configuration is invalid.
    #[error("config: {0}")]
    Operators(#[from] tickflow_operators::OperatorError),
    /// The TOML config file does not parse or has unknown keys.
    #[error("config {path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// Writing the output failed.
    #[error("output {path}: {message}")]
    Output {
        /// The file or directory.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The store in the output directory cannot take this run (an append
    /// under a changed config, an unfinished run, a damaged checkpoint).
    #[error("store {path}: {message}")]
    Store {
        /// The store or the file in it.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// Too much of the input was rejected.
    #[error("{rejected} of {rows} rows rejected ({rate:.2}%), above --max-reject-rate {max:.2}%: is the column mapping right? (see the rejects file and `tickflow inspect`)")]
    TooManyRejects {
        /// Rejected rows.
        rejected: u64,
        /// All rows.
        rows: u64,
        /// Rejected percentage.
        rate: f64,
        /// The limit in percent.
        max: f64,
    },
    /// The timely runtime failed (a worker panicked or could not start).
    #[error("dataflow runtime: {0}")]
    Runtime(String),
}

impl TickflowError {
    /// Writing `path` failed with `e`.
    pub fn output(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Self::Output {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = TickflowError> = std::result::Result<T, E>;
