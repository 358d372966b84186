//! The output table: columns, Arrow schema, and blocks to record batches.

use crate::chunks::OutputBlock;
use arrow_array::builder::StringBuilder;
use arrow_array::TimestampMicrosecondArray;
use arrow_array::{ArrayRef, Date32Array, Float32Array, Float64Array, RecordBatch};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;
use tickflow_connectors::{Interner, TsKind};

/// The Arrow type of a `ts` column: Date32 days, or UTC microseconds.
pub fn ts_type(kind: TsKind) -> DataType {
    match kind {
        TsKind::Date => DataType::Date32,
        TsKind::Micros => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    }
}

/// A `ts` column of [`ts_type`] holding `ts` (days or microseconds).
pub fn ts_array(kind: TsKind, ts: Vec<i64>) -> ArrayRef {
    match kind {
        TsKind::Date => Arc::new(Date32Array::from_iter_values(
            ts.into_iter().map(|t| t as i32),
        )),
        TsKind::Micros => Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
    }
}

/// Column layout of the output: keys, the bar, then value columns.
#[derive(Debug, Clone)]
pub struct OutputSchema {
    ts_kind: TsKind,
    value_columns: Vec<String>,
    float32: bool,
    schema: SchemaRef,
}

/// The bar columns after `symbol, ts, sector`, in order.
pub const BAR_COLUMNS: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// The last column of every row: when its values became known, in UTC
/// microseconds (a computed row: its own bar time; a revised row: when the
/// revision was processed).
pub const KNOWN_AT: &str = "known_at";

const DAY_MICROS: i64 = 86_400_000_000;

/// The type of [`KNOWN_AT`] (and of a history file's `superseded_at`).
pub fn instant_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// A bar time of `kind` as the UTC microsecond it starts at (a daily bar
/// is known from its day on).
pub fn ts_micros(kind: TsKind, ts: i64) -> i64 {
    match kind {
        TsKind::Date => ts * DAY_MICROS,
        TsKind::Micros => ts,
    }
}

/// A column of [`instant_type`] holding `micros`.
pub fn instant_array(micros: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
}

/// Where a named numeric column lives in an [`OutputBlock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockColumn {
    /// `block.bar[k]` (open, high, low, close, volume).
    Bar(usize),
    /// `block.values[k]`.
    Value(usize),
}

impl BlockColumn {
    /// The column's rows in `block`.
    pub fn of(self, block: &OutputBlock) -> &[f64] {
        match self {
            Self::Bar(k) => &block.bar[k],
            Self::Value(k) => &block.values[k],
        }
    }
}

impl OutputSchema {
    /// `symbol, ts, sector, open, high, low, close, volume, <value_columns>,
    /// known_at`; value columns are f32 when `float32`, else f64.
    pub fn new(ts_kind: TsKind, value_columns: Vec<String>, float32: bool) -> Self {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("ts", ts_type(ts_kind), false),
            Field::new("sector", DataType::Utf8, true),
        ];
        fields.extend(
            BAR_COLUMNS
                .iter()
                .map(|c| Field::new(*c, DataType::Float64, false)),
        );
        let value_type = if float32 {
            DataType::Float32
        } else {
            DataType::Float64
        };
        fields.extend(
            value_columns
                .iter()
                .map(|c| Field::new(c, value_type.clone(), true)),
        );
        fields.push(Field::new(KNOWN_AT, instant_type(), false));
        Self {
            ts_kind,
            value_columns,
            float32,
            schema: Arc::new(Schema::new(fields)),
        }
    }

    /// The Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Where the numeric column `name` lives in a block.
    pub fn locate(&self, name: &str) -> Option<BlockColumn> {
        BAR_COLUMNS
            .iter()
            .position(|c| *c == name)
            .map(BlockColumn::Bar)
            .or_else(|| {
                self.value_columns
                    .iter()
                    .position(|c| c == name)
                    .map(BlockColumn::Value)
            })
    }

    /// The feature and cross-sectional columns, in order.
    pub fn value_columns(&self) -> &[String] {
        &self.value_columns
    }

    /// What `ts` holds.
    pub fn ts_kind(&self) -> TsKind {
        self.ts_kind
    }

    /// True when value columns are f32.
    pub fn float32(&self) -> bool {
        self.float32
    }

    /// Every column name, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// A block (already in output order) as one batch, taking its columns
    /// without copying where the type allows; NaN values become nulls.
    pub fn to_batch(
        &self,
        block: OutputBlock,
        symbols: &Interner,
        sectors: &Interner,
    ) -> RecordBatch {
        let n = block.len();
        assert_eq!(
            block.values.len(),
            self.value_columns.len(),
            "one vector per value column"
        );
        let mut symbol = StringBuilder::with_capacity(n, n * 6);
        let mut sector = StringBuilder::with_capacity(n, n * 12);
        for (&s, sec) in block.symbol.iter().zip(&block.sector) {
            symbol.append_value(symbols.name(s));
            sector.append_option(sec.map(|id| sectors.name(id)));
        }
        let known_at = instant_array(
            block
                .ts
                .iter()
                .map(|&t| ts_micros(self.ts_kind, t))
                .collect(),
        );
        let ts = ts_array(self.ts_kind, block.ts);
        let mut columns: Vec<ArrayRef> =
            vec![Arc::new(symbol.finish()), ts, Arc::new(sector.finish())];
        for c in block.bar {
            columns.push(Arc::new(Float64Array::from(c)));
        }
        for values in block.values {
            // most columns of most blocks have no null: a scan that
            // vectorises decides, and only the others build a bitmap
            let has_nan = values
                .chunks(16)
                .any(|c| c.iter().fold(false, |a, v| a | v.is_nan()));
            let nulls = has_nan
                .then(|| NullBuffer::new(BooleanBuffer::collect_bool(n, |i| !values[i].is_nan())));
            let array: ArrayRef = if self.float32 {
                let narrow: Vec<f32> = values.iter().map(|&v| v as f32).collect();
                Arc::new(Float32Array::new(narrow.into(), nulls))
            } else {
                Arc::new(Float64Array::new(values.into(), nulls))
            };
            columns.push(array);
        }
        columns.push(known_at);
        RecordBatch::try_new(self.schema.clone(), columns).expect("columns built to the schema")
    }
}
