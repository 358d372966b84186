//! Bars from CSV files, plain or gzip-compressed, with per-row validation.

use crate::batch::{BarBatch, Interner};
use crate::error::{ConnectorError, Result};
use crate::mapping::{ColumnMapping, ResolvedColumns};
use crate::reject::{Field, Reject, RejectCounts, RowReject};
use crate::ts::{TsKind, TsParser};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use tickflow_operators::Bar;

/// How to read bar files.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// Column roles.
    pub mapping: ColumnMapping,
    /// Symbol for files without a symbol column (default: the file stem).
    pub default_symbol: Option<String>,
}

/// Reads one CSV bar file in batches.
pub struct CsvBarReader {
    path: PathBuf,
    file: u32,
    reader: Records,
    columns: ResolvedColumns,
    file_symbol: Option<u32>,
    ts_kind: Option<TsKind>,
    record: csv::StringRecord,
    counts: RejectCounts,
    rows: u64,
}

fn io_error(path: &Path, what: String, source: std::io::Error) -> ConnectorError {
    ConnectorError::Io {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// A CSV reader over plain or gunzipped bytes.
type Records = csv::Reader<Box<dyn Read>>;

/// Opens a CSV file (gzip by its name) and reads its header line.
fn open_with_header(path: &Path) -> Result<(Records, Vec<String>)> {
    let handle = File::open(path).map_err(|e| io_error(path, "opening".into(), e))?;
    let gz = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    let bytes: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 20,
            handle,
        )))
    } else {
        Box::new(handle)
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) if h.iter().any(|c| !c.trim().is_empty()) => h.iter().map(String::from).collect(),
        Ok(_) => {
            return Err(ConnectorError::NoHeader {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(csv_error(path, 1, e)),
    };
    Ok((reader, header))
}

/// The header line of a CSV bar file (plain or gzip).
pub fn csv_header(path: &Path) -> Result<Vec<String>> {
    open_with_header(path).map(|(_, header)| header)
}

impl CsvBarReader {
    /// Opens `path` (index `file` in the run's input list) and resolves its header.
    pub fn open(
        path: &Path,
        file: u32,
        options: &CsvOptions,
        symbols: &mut Interner,
    ) -> Result<Self> {
        let (reader, header) = open_with_header(path)?;
        let columns = options.mapping.resolve(&header, path)?;
        let file_symbol = columns
            .symbol
            .is_none()
            .then(|| symbols.intern(&super::reader::file_symbol(path, options)));
        Ok(Self {
            path: path.to_path_buf(),
            file,
            reader,
            columns,
            file_symbol,
            ts_kind: None,
            record: csv::StringRecord::new(),
            counts: RejectCounts::default(),
            rows: 0,
        })
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The resolved column positions.
    pub fn columns(&self) -> ResolvedColumns {
        self.columns
    }

    /// Rejections so far, by reason.
    pub fn reject_counts(&self) -> &RejectCounts {
        &self.counts
    }

    /// Data rows read so far (valid and rejected).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Reads up to `max_rows` rows: valid bars are appended to `out`, invalid
    /// rows to `rejects`. Returns the number of rows read (0 at the end).
    pub fn read_batch(
        &mut self,
        max_rows: usize,
        ts: &TsParser,
        symbols: &mut Interner,
        sectors: &mut Interner,
        out: &mut BarBatch,
        rejects: &mut Vec<Reject>,
    ) -> Result<usize> {
        let mut n = 0;
        while n < max_rows {
            let line = self.reader.position().line() + 1;
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(&self.path, line, e)),
            }
            n += 1;
            self.rows += 1;
            let line = self.record.position().map_or(line, |p| p.line());
            match self.parse_row(ts, symbols, sectors, out) {
                Ok(()) => {
                    out.file.push(self.file);
                    out.line.push(line);
                }
                Err(reason) => {
                    self.counts.add(reason);
                    rejects.push(Reject {
                        file: self.file,
                        line,
                        reason,
                        raw: self.record.iter().collect::<Vec<_>>().join(","),
                    });
                }
            }
        }
        Ok(n)
    }

    fn parse_row(
        &mut self,
        ts_parser: &TsParser,
        symbols: &mut Interner,
        sectors: &mut Interner,
        out: &mut BarBatch,
    ) -> Result<(), RowReject> {
        let rec = &self.record;
        let field = |i: usize| rec.get(i).map(str::trim).ok_or(RowReject::ShortRow);
        let symbol_text = match self.columns.symbol {
            Some(i) => {
                let s = field(i)?;
                if s.is_empty() {
                    return Err(RowReject::Blank(Field::Symbol));
                }
                Some(s)
            }
            None => None,
        };
        let ts_text = field(self.columns.ts)?;
        if ts_text.is_empty() {
            return Err(RowReject::Blank(Field::Ts));
        }
        let (kind, ts) = ts_parser
            .parse(ts_text)
            .ok_or(RowReject::Unparseable(Field::Ts))?;
        let mut v = [0.0f64; 5];
        for (k, f) in Field::OHLCV.iter().enumerate() {
            let text = field(self.columns.ohlcv[k])?;
            if text.is_empty() {
                return Err(RowReject::Blank(*f));
            }
            v[k] = text
                .parse::<f64>()
                .map_err(|_| RowReject::Unparseable(*f))?;
        }
        let bar = Bar::from(v);
        bar.validate().map_err(RowReject::InvalidBar)?;
        match self.ts_kind {
            None => self.ts_kind = Some(kind),
            Some(k) if k != kind => return Err(RowReject::MixedTimestampKinds),
            Some(_) => {}
        }
        if out.ts_kind.is_some_and(|k| k != kind) {
            return Err(RowReject::MixedTimestampKinds);
        }
        out.ts_kind = Some(kind);
        let sector = match self.columns.sector {
            Some(i) => match field(i)? {
                "" => None,
                s => Some(sectors.intern(s)),
            },
            None => None,
        };
        let symbol = match symbol_text {
            Some(s) => symbols.intern(s),
            None => self
                .file_symbol
                .expect("files without a symbol column have a file symbol"),
        };
        out.symbol.push(symbol);
        out.ts.push(ts);
        out.bar.push(bar);
        out.sector.push(sector);
        Ok(())
    }
}

fn csv_error(path: &Path, line: u64, e: csv::Error) -> ConnectorError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => io_error(path, format!("reading line {line}"), source),
        other => ConnectorError::Csv {
            path: path.to_path_buf(),
            line,
            message: format!("{other:?}"),
        },
    }
}
