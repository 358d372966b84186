//! # tickflow-connectors
//!
//! Where bars come from: Kafka topics of bar messages ([`kafka`]) and bar files (CSV plain or gzip, Parquet, Arrow
//! IPC), found from a file, a directory or a glob, with column mapping for
//! the names real files use, timestamps as dates or UTC instants (naive local times in a chosen
//! zone), and the spec's validity rule applied per row: a bad row is a
//! counted, reported [`Reject`] with its file and line; a file that cannot be
//! read as bars at all is a [`ConnectorError`].

mod batch;
mod error;
pub mod file;
mod hash;
pub mod kafka;
mod mapping;
mod reject;
mod ts;

pub use batch::{BarBatch, Interner};
pub use error::{ConnectorError, Result};
pub use hash::{FastMap, FxHasher};
pub use mapping::{ColumnMapping, ResolvedColumns};
pub use reject::{Field, Reject, RejectCounts, RowReject};
pub use ts::{civil_from_days, days_from_civil, format_ts, TsKind, TsParser};
