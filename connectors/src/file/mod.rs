//! File sources: finding the input files, and reading bar files (CSV, plain
//! or gzip; Parquet; Arrow IPC). Transport (bytes, record batches) is apart
//! from format (rows to validated bars).

mod chunk_cache;
mod columnar;
mod columnar_file;
mod csv_bars;
mod discover;
mod reader;

pub use columnar_file::ColumnarBarReader;
pub use csv_bars::{CsvBarReader, CsvOptions};
pub use discover::{expand_inputs, format_of, is_supported, FileFormat};
pub use reader::{file_columns, file_symbol, BarFileReader};
