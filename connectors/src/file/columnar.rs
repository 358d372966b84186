//! Arrow record batches (from Parquet or Arrow IPC files) to validated bars:
//! the format half shared by both columnar transports.
//!
//! Accepted types: symbol and sector as any Arrow string type (plain, large,
//! view, or dictionary-encoded); the timestamp as `Date32`, `Date64`,
//! `Timestamp(_, _)` (naive ones are local to `--tz`) or a string parsed like
//! CSV; prices and volume as any float or integer type. A null or a value the
//! spec's bar rule refuses rejects the row, exactly as in CSV.

use crate::batch::{BarBatch, Interner};
use crate::error::{ConnectorError, Result};
use crate::mapping::ResolvedColumns;
use crate::reject::{Field, Reject, RejectCounts, RowReject};
use crate::ts::{TsKind, TsParser};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Schema, TimeUnit};
use std::borrow::Cow;
use std::path::Path;
use tickflow_operators::Bar;

/// A string column of any Arrow string layout.
enum StrCol<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Dict(Vec<Option<usize>>, Box<StrCol<'a>>),
}

impl<'a> StrCol<'a> {
    fn new(a: &'a ArrayRef) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Utf8 => StrCol::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => StrCol::Large(a.as_string::<i64>()),
            DataType::Utf8View => StrCol::View(a.as_string_view()),
            DataType::Dictionary(_, _) => {
                let dict = a.as_any_dictionary();
                let values = StrCol::new(dict.values())?;
                let keys = dict.normalized_keys();
                // the keys' validity read once from their null buffer (not
                // per row through the array's dynamic type)
                let keys = match a.nulls() {
                    None => keys.into_iter().map(Some).collect(),
                    Some(nulls) => keys
                        .into_iter()
                        .zip(nulls.iter())
                        .map(|(k, valid)| valid.then_some(k))
                        .collect(),
                };
                StrCol::Dict(keys, Box::new(values))
            }
            _ => return None,
        })
    }

    /// The id of every row's trimmed value (`None`: null or blank),
    /// interning a dictionary's values once each.
    fn intern_all(&self, n: usize, names: &mut Interner) -> Vec<Option<u32>> {
        let mut intern = |v: Option<&str>| match v.map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(names.intern(name)),
        };
        match self {
            StrCol::Dict(keys, values) => {
                let size = keys.iter().flatten().max().map_or(0, |&m| m + 1);
                let ids: Vec<Option<u32>> = (0..size).map(|k| intern(values.get(k))).collect();
                keys.iter().map(|k| k.and_then(|k| ids[k])).collect()
            }
            _ => {
                let mut last: Option<(&str, Option<u32>)> = None;
                (0..n)
                    .map(|i| {
                        let v = self.get(i);
                        match (last, v) {
                            (Some((prev, id)), Some(cur)) if prev == cur => id,
                            _ => {
                                let id = intern(v);
                                last = v.map(|v| (v, id));
                                id
                            }
                        }
                    })
                    .collect()
            }
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        match self {
            StrCol::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::Large(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::View(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::Dict(keys, values) => keys[i].and_then(|k| values.get(k)),
        }
    }
}

/// A numeric column of any float or integer type, read as `f64`: its type
/// resolved once per batch (a `Float64` column borrowed, any other widened
/// in one pass), not at every value through the array's dynamic type.
struct NumCol<'a> {
    nulls: Option<&'a NullBuffer>,
    /// None: a type that is not numeric (every value reads as null).
    values: Option<Cow<'a, [f64]>>,
}

/// `a`'s values (of the primitive type `$t`) as `f64`.
macro_rules! widen {
    ($a:expr, $t:ty) => {
        Cow::Owned(
            $a.as_primitive::<$t>()
                .values()
                .iter()
                .map(|&v| v as f64)
                .collect(),
        )
    };
}

impl<'a> NumCol<'a> {
    fn accepts(t: &DataType) -> bool {
        t.is_floating() || t.is_integer()
    }

    fn new(a: &'a ArrayRef) -> Self {
        let values = match a.data_type() {
            DataType::Float64 => Cow::Borrowed(&a.as_primitive::<Float64Type>().values()[..]),
            DataType::Float32 => widen!(a, Float32Type),
            DataType::Int64 => widen!(a, Int64Type),
            DataType::Int32 => widen!(a, Int32Type),
            DataType::Int16 => widen!(a, Int16Type),
            DataType::Int8 => widen!(a, Int8Type),
            DataType::UInt64 => widen!(a, UInt64Type),
            DataType::UInt32 => widen!(a, UInt32Type),
            DataType::UInt16 => widen!(a, UInt16Type),
            DataType::UInt8 => widen!(a, UInt8Type),
            _ => {
                return Self {
                    nulls: None,
                    values: None,
                }
            }
        };
        Self {
            nulls: a.nulls(),
            values: Some(values),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<f64> {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            return None;
        }
        self.values.as_ref().map(|v| v[i])
    }
}

/// Reads a timestamp column as the spec's bar time.
enum TsCol<'a> {
    Days(&'a arrow_array::Date32Array),
    Millis(&'a arrow_array::Date64Array),
    Instant(&'a ArrayRef, i64, i64, bool),
    Text(StrCol<'a>),
}

impl<'a> TsCol<'a> {
    fn new(a: &'a ArrayRef) -> Option<Self> {
        use arrow_array::types::*;
        Some(match a.data_type() {
            DataType::Date32 => TsCol::Days(a.as_primitive::<Date32Type>()),
            DataType::Date64 => TsCol::Millis(a.as_primitive::<Date64Type>()),
            DataType::Timestamp(unit, tz) => {
                let (mul, div) = match unit {
                    TimeUnit::Second => (1_000_000, 1),
                    TimeUnit::Millisecond => (1_000, 1),
                    TimeUnit::Microsecond => (1, 1),
                    TimeUnit::Nanosecond => (1, 1_000),
                };
                TsCol::Instant(a, mul, div, tz.is_none())
            }
            _ => TsCol::Text(StrCol::new(a)?),
        })
    }

    fn get(&self, i: usize, parser: &TsParser) -> Result<(TsKind, i64), RowReject> {
        let blank = RowReject::Blank(Field::Ts);
        match self {
            TsCol::Days(a) => a
                .is_valid(i)
                .then(|| (TsKind::Date, a.value(i) as i64))
                .ok_or(blank),
            TsCol::Millis(a) => {
                if a.is_null(i) {
                    return Err(blank);
                }
                let ms = a.value(i);
                Ok(if ms.rem_euclid(86_400_000) == 0 {
                    (TsKind::Date, ms.div_euclid(86_400_000))
                } else {
                    (TsKind::Micros, ms * 1_000)
                })
            }
            TsCol::Instant(a, mul, div, naive) => {
                if a.is_null(i) {
                    return Err(blank);
                }
                let raw = instant_raw(a, i);
                let micros = raw
                    .checked_mul(*mul)
                    .map(|v| v.div_euclid(*div))
                    .ok_or(RowReject::Unparseable(Field::Ts))?;
                let micros = if *naive {
                    parser
                        .local_micros_to_utc(micros)
                        .ok_or(RowReject::Unparseable(Field::Ts))?
                } else {
                    micros
                };
                Ok((TsKind::Micros, micros))
            }
            TsCol::Text(s) => match s.get(i).map(str::trim) {
                None | Some("") => Err(blank),
                Some(text) => parser.parse(text).ok_or(RowReject::Unparseable(Field::Ts)),
            },
        }
    }
}

/// Column positions and checked types of one columnar file.
#[derive(Debug, Clone)]
pub struct ColumnarLayout {
    columns: ResolvedColumns,
}

fn type_error(
    path: &Path,
    schema: &Schema,
    index: usize,
    role: &'static str,
    expected: &'static str,
) -> ConnectorError {
    let field = schema.field(index);
    ConnectorError::ColumnType {
        path: path.to_path_buf(),
        column: field.name().clone(),
        role,
        found: field.data_type().to_string(),
        expected,
    }
}

fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_string(v),
        _ => false,
    }
}

impl ColumnarLayout {
    /// Checks that the mapped columns of `schema` can play their roles.
    pub fn new(columns: ResolvedColumns, schema: &Schema, path: &Path) -> Result<Self> {
        const STRING: &str = "a string type";
        for (role, index) in [("symbol", columns.symbol), ("sector", columns.sector)] {
            if let Some(i) = index {
                if !is_string(schema.field(i).data_type()) {
                    return Err(type_error(path, schema, i, role, STRING));
                }
            }
        }
        let ts_type = schema.field(columns.ts).data_type();
        if !(matches!(
            ts_type,
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
        ) || is_string(ts_type))
        {
            return Err(type_error(
                path,
                schema,
                columns.ts,
                "ts",
                "Date32, Date64, Timestamp or a string",
            ));
        }
        let roles = ["open", "high", "low", "close", "volume"];
        for (role, &i) in roles.iter().zip(&columns.ohlcv) {
            if !NumCol::accepts(schema.field(i).data_type()) {
                return Err(type_error(path, schema, i, role, "a float or integer type"));
            }
        }
        Ok(Self { columns })
    }

    /// The mapped column positions.
    pub fn columns(&self) -> ResolvedColumns {
        self.columns
    }

    /// The columns to read, in schema order (a projection); only the keys
    /// (symbol, time, sector) with `keys_only`.
    pub fn projection(&self, keys_only: bool) -> Vec<usize> {
        let c = &self.columns;
        let bars: &[usize] = if keys_only { &[] } else { &c.ohlcv };
        let mut p: Vec<usize> = [c.symbol, Some(c.ts), c.sector]
            .into_iter()
            .flatten()
            .chain(bars.iter().copied())
            .collect();
        p.sort_unstable();
        p.dedup();
        p
    }

    /// Positions of the mapped columns inside a batch read with
    /// [`projection`](Self::projection) (bars at 0 when `keys_only`).
    pub fn projected(&self, keys_only: bool) -> ResolvedColumns {
        let p = self.projection(keys_only);
        let at = |i: usize| p.binary_search(&i).unwrap_or(0);
        let c = &self.columns;
        ResolvedColumns {
            symbol: c.symbol.map(at),
            ts: at(c.ts),
            ohlcv: c.ohlcv.map(at),
            sector: c.sector.map(at),
        }
    }
}

/// Where rows of a batch come from, for rejects.
#[derive(Debug, Clone, Copy)]
pub struct RowOrigin {
    /// Index of the file in the run's input list.
    pub file: u32,
    /// 1-based row number of the batch's first row in its file.
    pub first_row: u64,
    /// Symbol of files without a symbol column.
    pub file_symbol: Option<u32>,
    /// Read only the keys (symbol, time, sector): only key faults reject a
    /// row, and a valid row fills only the batch's symbol and time columns
    /// (sectors are interned, not kept per row).
    pub keys_only: bool,
}

/// Appends the valid rows of `batch` (columns as in `columns`) to `out` and
/// the invalid ones to `rejects`; a row's "line" is its 1-based row number.
#[allow(clippy::too_many_arguments)]
pub fn append_batch(
    batch: &RecordBatch,
    columns: ResolvedColumns,
    origin: RowOrigin,
    ts_parser: &TsParser,
    symbols: &mut Interner,
    sectors: &mut Interner,
    counts: &mut RejectCounts,
    out: &mut BarBatch,
    rejects: &mut Vec<Reject>,
) {
    let col = |i: usize| batch.column(i);
    let n = batch.num_rows();
    let symbol = columns
        .symbol
        .map(|i| StrCol::new(col(i)).expect("checked"));
    let sector = columns
        .sector
        .map(|i| StrCol::new(col(i)).expect("checked"));
    let symbol_ids = symbol.as_ref().map(|s| s.intern_all(n, symbols));
    let sector_ids = sector.as_ref().map(|s| s.intern_all(n, sectors));
    let ts = TsCol::new(col(columns.ts)).expect("checked");
    let ohlcv = (!origin.keys_only).then(|| columns.ohlcv.map(|i| NumCol::new(col(i))));
    for i in 0..n {
        let parsed = (|| -> Result<(u32, TsKind, i64, Bar, Option<u32>), RowReject> {
            let sym = match &symbol_ids {
                Some(ids) => ids[i].ok_or(RowReject::Blank(Field::Symbol))?,
                None => origin
                    .file_symbol
                    .expect("files without a symbol column have a file symbol"),
            };
            let (kind, t) = ts.get(i, ts_parser)?;
            let bar = match &ohlcv {
                Some(ohlcv) => {
                    let mut v = [0.0; 5];
                    for (k, f) in Field::OHLCV.iter().enumerate() {
                        v[k] = ohlcv[k].get(i).ok_or(RowReject::Blank(*f))?;
                    }
                    let bar = Bar::from(v);
                    bar.validate().map_err(RowReject::InvalidBar)?;
                    bar
                }
                None => Bar::default(),
            };
            if out.ts_kind.is_some_and(|k| k != kind) {
                return Err(RowReject::MixedTimestampKinds);
            }
            let sec = sector_ids.as_ref().and_then(|ids| ids[i]);
            Ok((sym, kind, t, bar, sec))
        })();
        let line = origin.first_row + i as u64;
        match parsed {
            Ok((sym, kind, t, bar, sec)) => {
                out.ts_kind = Some(kind);
                out.symbol.push(sym);
                out.ts.push(t);
                if !origin.keys_only {
                    out.bar.push(bar);
                    out.sector.push(sec);
                    out.file.push(origin.file);
                    out.line.push(line);
                }
            }
            Err(reason) => {
                counts.add(reason);
                let text = |c: &Option<StrCol<'_>>| {
                    c.as_ref()
                        .and_then(|c| c.get(i))
                        .unwrap_or_default()
                        .to_string()
                };
                let mut fields = vec![text(&symbol), ts_text(&ts, i)];
                fields.extend(
                    ohlcv
                        .iter()
                        .flatten()
                        .map(|c| c.get(i).map(|v| v.to_string()).unwrap_or_default()),
                );
                rejects.push(Reject {
                    file: origin.file,
                    line,
                    reason,
                    raw: fields.join(","),
                });
            }
        }
    }
}

fn ts_text(ts: &TsCol<'_>, i: usize) -> String {
    match ts {
        TsCol::Days(a) => a.is_valid(i).then(|| a.value(i).to_string()),
        TsCol::Millis(a) => a.is_valid(i).then(|| a.value(i).to_string()),
        TsCol::Instant(a, ..) => a.is_valid(i).then(|| instant_raw(a, i).to_string()),
        TsCol::Text(s) => s.get(i).map(str::to_string),
    }
    .unwrap_or_default()
}

/// The raw value of a timestamp column, in its own unit.
fn instant_raw(a: &ArrayRef, i: usize) -> i64 {
    use arrow_array::types::*;
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            a.as_primitive::<TimestampSecondType>().value(i)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            a.as_primitive::<TimestampMillisecondType>().value(i)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            a.as_primitive::<TimestampMicrosecondType>().value(i)
        }
        _ => a.as_primitive::<TimestampNanosecondType>().value(i),
    }
}
