//! # tickflow
//!
//! The dataflow assembly and runtime behind the `tickflow` binary: bar files
//! through timely dataflow (exchange by symbol to the rolling engines,
//! exchange by timestamp to the cross-sections, each emitted when the
//! frontier passes its timestamp) into a Hive-partitioned Parquet store,
//! from files ([`backfill`]) or from a Kafka topic ([`live`]), with the same
//! operators, so a replayed history and a live feed give the same rows.

pub mod backfill;
pub mod backtest;
pub mod chunks;
pub mod cluster;
pub mod config;
pub mod durable;
pub mod error;
pub mod gen;
pub mod inspect;
pub mod labels;
pub mod live;
pub mod metrics;
pub mod names;
pub mod ops;
pub mod query;
pub mod reference;
pub mod rejects;
pub mod replay;
pub mod revise;
pub mod samples;
pub mod schema;
pub mod sink;

pub use error::{Result, TickflowError};
