//! Feature sets as data: a description (which indicators, which parameters,
//! which inputs, which output names) compiles into a [`FeatureEngine`] that
//! turns one bar of one symbol into one row of outputs.
//!
//! The engine holds the shared plan; each symbol owns a small serialisable
//! [`SymbolState`], so 4,000 symbols cost 4,000 states and one plan.

mod catalog;
mod feature_set;
mod kernel;
mod plan;
mod share;

pub use catalog::{catalog, IndicatorInfo, InputShape, ParamInfo};
pub use feature_set::{FeatureDef, FeatureSet, ParamValue};
pub use plan::{FeatureEngine, SymbolState};
