//! The bar message format, apart from the transport: one bar per message, as
//! a JSON object (`{"symbol":"AAPL","ts":"2024-01-02T14:31:00Z","open":..}`)
//! or as a CSV line with fields in a configurable order (by default
//! `symbol,ts,open,high,low,close,volume`). Decoding applies the same
//! validity rule as the file readers; a bad message is a [`RowReject`], not
//! an error.

use crate::reject::{Field, RowReject};
use crate::ts::{format_ts, TsKind, TsParser};
use serde::Deserialize;
use std::borrow::Cow;
use tickflow_operators::Bar;

/// How bar messages are encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageFormat {
    /// One JSON object per message.
    Json,
    /// One CSV line per message, fields in this order.
    Csv(CsvLayout),
}

impl MessageFormat {
    /// Parses `json`, `csv` (the default field order) or
    /// `csv:FIELD,FIELD,...` (a permutation of the seven field names).
    ///
    /// ```
    /// use tickflow_connectors::kafka::MessageFormat;
    /// assert_eq!(MessageFormat::parse("json").unwrap(), MessageFormat::Json);
    /// assert!(MessageFormat::parse("csv:ts,symbol,open,high,low,close,volume").is_ok());
    /// assert!(MessageFormat::parse("csv:ts,symbol").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv(CsvLayout::default())),
            other => match other.strip_prefix("csv:") {
                Some(order) => Ok(Self::Csv(CsvLayout::parse(order)?)),
                None => Err(format!(
                    "unknown message format `{other}`: expected json, csv or csv:FIELD,... (fields {})",
                    FIELD_NAMES.join(",")
                )),
            },
        }
    }
}

const FIELD_NAMES: [&str; 7] = ["symbol", "ts", "open", "high", "low", "close", "volume"];

/// Where each of symbol, ts, open, high, low, close, volume sits in a CSV line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvLayout {
    positions: [usize; 7],
}

impl Default for CsvLayout {
    fn default() -> Self {
        Self {
            positions: [0, 1, 2, 3, 4, 5, 6],
        }
    }
}

impl CsvLayout {
    /// A layout from the field names in line order.
    pub fn parse(order: &str) -> Result<Self, String> {
        let names: Vec<&str> = order.split(',').map(str::trim).collect();
        let mut positions = [usize::MAX; 7];
        for (pos, name) in names.iter().enumerate() {
            let Some(k) = FIELD_NAMES.iter().position(|f| f == name) else {
                return Err(format!(
                    "unknown CSV message field `{name}`: fields are {}",
                    FIELD_NAMES.join(",")
                ));
            };
            if positions[k] != usize::MAX {
                return Err(format!("CSV message field `{name}` is given twice"));
            }
            positions[k] = pos;
        }
        if let Some(k) = positions.iter().position(|&p| p == usize::MAX) {
            return Err(format!(
                "CSV message layout lacks `{}`: give all of {}",
                FIELD_NAMES[k],
                FIELD_NAMES.join(",")
            ));
        }
        Ok(Self { positions })
    }
}

/// One decoded, valid bar.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedBar<'a> {
    /// The symbol.
    pub symbol: Cow<'a, str>,
    /// What `ts` holds.
    pub kind: TsKind,
    /// Days since the epoch, or microseconds since the epoch in UTC.
    pub ts: i64,
    /// The prices and volume.
    pub bar: Bar,
}

#[derive(Deserialize)]
struct JsonBar<'a> {
    #[serde(borrow)]
    symbol: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ts: Option<Cow<'a, str>>,
    open: Option<f64>,
    high: Option<f64>,
    low: Option<f64>,
    close: Option<f64>,
    volume: Option<f64>,
}

fn text_field<'a>(value: Option<Cow<'a, str>>, field: Field) -> Result<Cow<'a, str>, RowReject> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(RowReject::Blank(field)),
    }
}

fn finish<'a>(
    symbol: Cow<'a, str>,
    ts_text: &str,
    values: [f64; 5],
    ts: &TsParser,
) -> Result<DecodedBar<'a>, RowReject> {
    let (kind, ts) = ts.parse(ts_text).ok_or(RowReject::Unparseable(Field::Ts))?;
    let bar = Bar::from(values);
    bar.validate().map_err(RowReject::InvalidBar)?;
    Ok(DecodedBar {
        symbol,
        kind,
        ts,
        bar,
    })
}

/// Decodes one message's payload.
///
/// ```
/// use tickflow_connectors::kafka::{decode, MessageFormat};
/// use tickflow_connectors::{RowReject, TsParser};
/// let p = TsParser::default();
/// let msg = br#"{"symbol":"AAPL","ts":"2024-01-02","open":1,"high":2,"low":0.5,"close":1.5,"volume":10}"#;
/// let bar = decode(msg, &MessageFormat::Json, &p).unwrap();
/// assert_eq!((bar.symbol.as_ref(), bar.bar.close), ("AAPL", 1.5));
/// assert_eq!(decode(b"not json", &MessageFormat::Json, &p), Err(RowReject::Malformed));
/// ```
pub fn decode<'a>(
    payload: &'a [u8],
    format: &MessageFormat,
    ts: &TsParser,
) -> Result<DecodedBar<'a>, RowReject> {
    let text = std::str::from_utf8(payload).map_err(|_| RowReject::Malformed)?;
    match format {
        MessageFormat::Json => decode_json(text, ts),
        MessageFormat::Csv(layout) => decode_csv(text, layout, ts),
    }
}

fn decode_json<'a>(text: &'a str, ts: &TsParser) -> Result<DecodedBar<'a>, RowReject> {
    let raw: JsonBar<'a> = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(_) => return Err(diagnose_json(text)),
    };
    let symbol = text_field(raw.symbol, Field::Symbol)?;
    let ts_text = text_field(raw.ts, Field::Ts)?;
    let mut values = [0.0; 5];
    let given = [raw.open, raw.high, raw.low, raw.close, raw.volume];
    for (k, v) in given.into_iter().enumerate() {
        values[k] = v.ok_or(RowReject::Blank(Field::OHLCV[k]))?;
    }
    finish(symbol, &ts_text, values, ts)
}

/// Why a message that does not decode as a bar object fails: the first
/// field of the wrong type, or not a JSON object at all.
fn diagnose_json(text: &str) -> RowReject {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return RowReject::Malformed;
    };
    let fields = [(Field::Symbol, "symbol"), (Field::Ts, "ts")];
    for (field, name) in fields {
        if let Some(v) = map.get(name) {
            if !(v.is_string() || v.is_null()) {
                return RowReject::Unparseable(field);
            }
        }
    }
    for (k, name) in FIELD_NAMES[2..].iter().enumerate() {
        if let Some(v) = map.get(*name) {
            if !(v.is_number() || v.is_null()) {
                return RowReject::Unparseable(Field::OHLCV[k]);
            }
        }
    }
    RowReject::Malformed
}

fn decode_csv<'a>(
    text: &'a str,
    layout: &CsvLayout,
    ts: &TsParser,
) -> Result<DecodedBar<'a>, RowReject> {
    let line = text.trim_end_matches(['\r', '\n']);
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let get = |k: usize| {
        fields
            .get(layout.positions[k])
            .copied()
            .ok_or(RowReject::ShortRow)
    };
    let symbol = get(0)?;
    if symbol.is_empty() {
        return Err(RowReject::Blank(Field::Symbol));
    }
    let ts_text = get(1)?;
    if ts_text.is_empty() {
        return Err(RowReject::Blank(Field::Ts));
    }
    let mut values = [0.0; 5];
    for (k, f) in Field::OHLCV.iter().enumerate() {
        let v = get(k + 2)?;
        if v.is_empty() {
            return Err(RowReject::Blank(*f));
        }
        values[k] = v.parse().map_err(|_| RowReject::Unparseable(*f))?;
    }
    finish(Cow::Borrowed(symbol), ts_text, values, ts)
}

/// Encodes a bar as the JSON message [`decode`] reads back to the same
/// values (floats are written in their shortest exact form).
pub fn encode_json(symbol: &str, kind: TsKind, ts: i64, bar: &Bar) -> String {
    serde_json::json!({
        "symbol": symbol,
        "ts": format_ts(kind, ts),
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
    })
    .to_string()
}

/// Encodes a bar as a CSV line in `layout`'s order.
pub fn encode_csv(symbol: &str, kind: TsKind, ts: i64, bar: &Bar, layout: &CsvLayout) -> String {
    let values = [
        symbol.to_string(),
        format_ts(kind, ts),
        bar.open.to_string(),
        bar.high.to_string(),
        bar.low.to_string(),
        bar.close.to_string(),
        bar.volume.to_string(),
    ];
    let mut line = [""; 7];
    for (k, v) in values.iter().enumerate() {
        line[layout.positions[k]] = v;
    }
    line.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_operators::RejectReason;

    fn p() -> TsParser {
        TsParser::default()
    }

    #[test]
    fn json_round_trip_is_exact() {
        let bar = Bar::from([100.1, 101.7, 99.3, 100.9, 12345.0]);
        let t = 1_704_205_860_000_000;
        let msg = encode_json("BRK.B", TsKind::Micros, t, &bar);
        let d = decode(msg.as_bytes(), &MessageFormat::Json, &p()).unwrap();
        assert_eq!(
            (d.symbol.as_ref(), d.kind, d.ts, d.bar),
            ("BRK.B", TsKind::Micros, t, bar)
        );
    }

    #[test]
    fn csv_round_trip_in_any_order() {
        let layout = CsvLayout::parse("ts,symbol,volume,open,high,low,close").unwrap();
        let bar = Bar::from([1.25, 2.5, 1.0, 2.0, 7.0]);
        let line = encode_csv("X", TsKind::Date, 19_724, &bar, &layout);
        assert!(line.starts_with("2024-01-02,X,7,"), "{line}");
        let d = decode(line.as_bytes(), &MessageFormat::Csv(layout), &p()).unwrap();
        assert_eq!((d.ts, d.bar), (19_724, bar));
    }

    #[test]
    fn bad_messages_say_why() {
        let f = MessageFormat::Json;
        let cases: [(&[u8], RowReject); 7] = [
            (b"\xff\xfe", RowReject::Malformed),
            (b"[1,2]", RowReject::Malformed),
            (
                br#"{"ts":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1}"#,
                RowReject::Blank(Field::Symbol),
            ),
            (
                br#"{"symbol":"A","ts":"2024-13-02","open":1,"high":1,"low":1,"close":1,"volume":1}"#,
                RowReject::Unparseable(Field::Ts),
            ),
            (
                br#"{"symbol":"A","ts":"2024-01-02","open":"x","high":1,"low":1,"close":1,"volume":1}"#,
                RowReject::Unparseable(Field::Open),
            ),
            (
                br#"{"symbol":"A","ts":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":null}"#,
                RowReject::Blank(Field::Volume),
            ),
            (
                br#"{"symbol":"A","ts":"2024-01-02","open":1,"high":0.5,"low":1,"close":1,"volume":1}"#,
                RowReject::InvalidBar(RejectReason::HighBelowBody),
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(
                decode(msg, &f, &p()),
                Err(want),
                "{}",
                String::from_utf8_lossy(msg)
            );
        }
        let csv = MessageFormat::Csv(CsvLayout::default());
        assert_eq!(
            decode(b"A,2024-01-02,1,1", &csv, &p()),
            Err(RowReject::ShortRow)
        );
        assert_eq!(
            decode(b"A,2024-01-02,1,1,1,1,NaN", &csv, &p()).unwrap_err(),
            RowReject::InvalidBar(RejectReason::NonFiniteVolume)
        );
    }

    #[test]
    fn layouts_are_checked() {
        assert!(CsvLayout::parse("symbol,ts,open,high,low,close,close").is_err());
        assert!(CsvLayout::parse("symbol,ts,open,high,low,close,vol").is_err());
        assert!(MessageFormat::parse("avro").is_err());
    }
}
