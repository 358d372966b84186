//! # tickflow-operators
//!
//! Plain-Rust indicator math for tickflow, with no dataflow, I/O or Kafka
//! dependency:
//!
//! - [`indicators`]: per-symbol rolling indicators as incremental state
//!   machines, TA-Lib-exact where the spec names TA-Lib;
//! - [`engine`]: a feature set described as data (kinds, parameters, inputs,
//!   names) compiled into a [`FeatureEngine`] that maps one bar to one row;
//!   per-symbol [`SymbolState`]s are serialisable for checkpoints;
//! - [`cross_section`]: columnar per-timestamp ranks and z-scores (also
//!   within sectors) with a radix sort;
//! - [`rolling`]: the numerically careful window primitives underneath;
//! - [`prefetch`]: cache hints for the state a caller updates next.
//!
//! ```
//! use tickflow_operators::{Bar, FeatureEngine};
//! let engine = FeatureEngine::standard();
//! let mut state = engine.new_state();
//! let mut row = vec![0.0; engine.columns().len()];
//! let bar = Bar { open: 10.0, high: 10.5, low: 9.5, close: 10.2, volume: 1000.0 };
//! engine.update(&mut state, &bar, &mut row).unwrap();
//! let obv = engine.columns().iter().position(|c| c == "obv").unwrap();
//! assert_eq!(row[obv], 1000.0); // OBV starts at the first volume
//! ```

pub mod bar;
pub mod cross_section;
pub mod engine;
pub mod error;
pub mod indicators;
pub mod prefetch;
pub mod rolling;

pub use bar::{Bar, RejectReason};
pub use engine::{FeatureDef, FeatureEngine, FeatureSet, SymbolState};
pub use error::{OperatorError, Result};
