//! Feature sets as data: a description (which indicators, which parameters,
//! which inputs, which output names) compiles into a [`FeatureEngine`] that
//! turns one bar of one symbol into one row of outputs.
//!
//! The engine holds the shared plan; each symbol owns a small serialisable
//! [`SymbolState`], so 4,000 symbols cost 4,000 states and one plan. A
//! feature whose window another feature of the set already keeps (an `sma`
//! or `stddev` inside a `bbands`, a `willr` inside a `stoch`, a k-bar
//! return inside a longer `sma`) is read from that state instead of keeping
//! its own: the same values to the bit, a smaller state (`share`).

mod catalog;
mod feature_set;
mod kernel;
mod plan;
mod share;

pub use catalog::{catalog, IndicatorInfo, InputShape, ParamInfo};
pub use feature_set::{FeatureDef, FeatureSet, ParamValue};
pub use plan::{FeatureEngine, SymbolState};
