//! The output table: columns, Arrow schema, and rows to record batches.

use crate::rows::FeatureRow;
use arrow_array::builder::{
    Date32Builder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;
use tickflow_connectors::TsKind;

/// Column layout of the output: keys, the bar, then value columns.
#[derive(Debug, Clone)]
pub struct OutputSchema {
    ts_kind: TsKind,
    value_columns: Vec<String>,
    schema: SchemaRef,
}

const BAR_COLUMNS: [&str; 5] = ["open", "high", "low", "close", "volume"];

impl OutputSchema {
    /// `symbol, ts, sector, open, high, low, close, volume, <value_columns>`.
    pub fn new(ts_kind: TsKind, value_columns: Vec<String>) -> Self {
        let ts_type = match ts_kind {
            TsKind::Date => DataType::Date32,
            TsKind::Micros => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        };
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("ts", ts_type, false),
            Field::new("sector", DataType::Utf8, true),
        ];
        fields.extend(
            BAR_COLUMNS
                .iter()
                .map(|c| Field::new(*c, DataType::Float64, false)),
        );
        fields.extend(
            value_columns
                .iter()
                .map(|c| Field::new(c, DataType::Float64, true)),
        );
        Self {
            ts_kind,
            value_columns,
            schema: Arc::new(Schema::new(fields)),
        }
    }

    /// The Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Every column name, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Rows (already in output order) as one batch; NaN values become nulls.
    pub fn to_batch(&self, rows: &[FeatureRow]) -> RecordBatch {
        let n = rows.len();
        let mut symbol = StringBuilder::with_capacity(n, n * 5);
        let mut sector = StringBuilder::with_capacity(n, n * 12);
        for r in rows {
            symbol.append_value(&r.symbol);
            sector.append_option(r.sector.as_deref());
        }
        let ts: ArrayRef = match self.ts_kind {
            TsKind::Date => {
                let mut b = Date32Builder::with_capacity(n);
                rows.iter().for_each(|r| b.append_value(r.ts as i32));
                Arc::new(b.finish())
            }
            TsKind::Micros => {
                let mut b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
                rows.iter().for_each(|r| b.append_value(r.ts));
                Arc::new(b.finish())
            }
        };
        let mut columns: Vec<ArrayRef> =
            vec![Arc::new(symbol.finish()), ts, Arc::new(sector.finish())];
        let bar_values: [fn(&FeatureRow) -> f64; 5] = [
            |r| r.bar.open,
            |r| r.bar.high,
            |r| r.bar.low,
            |r| r.bar.close,
            |r| r.bar.volume,
        ];
        for get in bar_values {
            let mut b = Float64Builder::with_capacity(n);
            rows.iter().for_each(|r| b.append_value(get(r)));
            columns.push(Arc::new(b.finish()));
        }
        for c in 0..self.value_columns.len() {
            let mut b = Float64Builder::with_capacity(n);
            for r in rows {
                let v = r.values[c];
                if v.is_nan() {
                    b.append_null();
                } else {
                    b.append_value(v);
                }
            }
            columns.push(Arc::new(b.finish()));
        }
        RecordBatch::try_new(self.schema.clone(), columns).expect("columns built to the schema")
    }
}
