//! File sources: finding the input files, and reading bar files.
//! Transport (plain or gzip bytes) is apart from format (CSV rows).

mod csv_bars;
mod discover;

pub use csv_bars::{CsvBarReader, CsvOptions};
pub use discover::{expand_inputs, is_supported};
