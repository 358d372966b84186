//! The one error type of `tickflow-connectors`: faults that stop a run.
//! Bad rows are not errors; they are [`Reject`](crate::Reject)s.

use std::path::PathBuf;
use thiserror::Error;

/// A structural fault: the input cannot be read as bars at all.
#[derive(Debug, Error)]
pub enum ConnectorError {
    /// Opening or reading a file failed (including a truncated or corrupt gzip stream).
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done, with the line reached when known.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file with no header line.
    #[error("{path}: no header line (is the file empty?)")]
    NoHeader {
        /// The file.
        path: PathBuf,
    },
    /// A column the mapping needs is not in the header.
    #[error("{path}: no column for {role} ({wanted}); the header has: {available}. Map it with --{role}-col NAME")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The role (`symbol`, `ts`, `open`, ...).
        role: &'static str,
        /// What was looked for.
        wanted: String,
        /// The header's columns.
        available: String,
    },
    /// An input argument that matches no file.
    #[error("input `{0}` matches no file")]
    NoInput(String),
    /// A glob pattern that does not parse.
    #[error("input `{pattern}` is not a valid glob: {message}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// Why it does not parse.
        message: String,
    },
    /// A file whose format is not supported (by extension).
    #[error(
        "{0}: unsupported file type (expected .csv, .csv.gz, .parquet, .arrow, .ipc or .feather)"
    )]
    UnsupportedFormat(PathBuf),
    /// A Parquet or Arrow IPC file that cannot be read.
    #[error("{path}: {message}")]
    Columnar {
        /// The file.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// A mapped column whose Arrow type cannot play its role.
    #[error("{path}: column `{column}` ({role}) has type {found}; expected {expected}")]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column name.
        column: String,
        /// Its role.
        role: &'static str,
        /// Its Arrow type.
        found: String,
        /// What the role accepts.
        expected: &'static str,
    },
    /// An unknown time zone name.
    #[error("unknown time zone `{0}` (use an IANA name such as America/New_York)")]
    UnknownTimeZone(String),
    /// A CSV record that cannot be split into fields (e.g. unbalanced quotes).
    #[error("{path}: line {line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// The Kafka client failed (connecting, assigning, producing, committing).
    #[error("kafka: {context}: {message}")]
    Kafka {
        /// What was being done.
        context: String,
        /// librdkafka's message.
        message: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;
