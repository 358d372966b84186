//! # tickflow
//!
//! The dataflow assembly and runtime behind the `tickflow` binary: bar files
//! through timely dataflow (exchange by symbol to the rolling engines,
//! exchange by timestamp to the cross-sections, each emitted when the
//! frontier passes its timestamp) into a Hive-partitioned Parquet store.

pub mod backfill;
pub mod chunks;
pub mod config;
pub mod error;
pub mod gen;
pub mod inspect;
pub mod schema;

pub use error::{Result, TickflowError};
