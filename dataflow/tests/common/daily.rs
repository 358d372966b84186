//! Daily bars as `(symbol, day, [open, high, low, close, volume])` for the
//! live tests: a time-ordered stretch of the S&P 500 panel, published to a
//! topic as JSON bar messages, written back as a panel-format CSV.

use super::{date_of, panel_slice, valid_bars};
use std::path::Path;

/// One daily bar.
pub type Bar = (String, i64, [f64; 5]);

/// The valid bars of every `every`-th panel symbol with days in
/// `from..=to`, in (day, symbol) order.
pub fn panel_bars(dir: &Path, every: usize, (from, to): (i64, i64)) -> Vec<Bar> {
    let text = std::fs::read_to_string(panel_slice(dir, every)).unwrap();
    let mut bars: Vec<Bar> = valid_bars(&text)
        .0
        .into_iter()
        .flat_map(|(s, by_day)| {
            by_day
                .into_iter()
                .filter(move |(d, _)| (from..=to).contains(d))
                .map(move |(d, b)| (s.clone(), d, b))
        })
        .collect();
    sort(&mut bars);
    bars
}

/// Sorts `bars` by (day, symbol).
pub fn sort(bars: &mut [Bar]) {
    bars.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
}

/// The distinct days of time-ordered `bars`.
pub fn days(bars: &[Bar]) -> Vec<i64> {
    let mut days: Vec<i64> = bars.iter().map(|b| b.1).collect();
    days.dedup();
    days
}

/// A bar as a JSON message (key = symbol).
pub fn message(b: &Bar) -> (String, Vec<u8>) {
    let (symbol, day, [o, h, l, c, v]) = b;
    let json = format!(
        r#"{{"symbol":"{symbol}","ts":"{}","open":{o},"high":{h},"low":{l},"close":{c},"volume":{v}}}"#,
        date_of(*day)
    );
    (symbol.clone(), json.into_bytes())
}

/// Publishes `bars` in order to `topic` (created with 2 partitions).
pub fn publish(topic: &str, bars: &[Bar]) {
    let messages: Vec<(String, Vec<u8>)> = bars.iter().map(message).collect();
    let refs: Vec<(&str, Vec<u8>)> = (messages.iter())
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    super::kafka::produce(topic, 2, &refs);
}

/// `bars` as a panel-format CSV (`date,open,high,low,close,volume,Name`).
pub fn write_csv(path: &Path, bars: &[Bar]) {
    let mut text = String::from("date,open,high,low,close,volume,Name\n");
    for (s, d, [o, h, l, c, v]) in bars {
        text += &format!("{},{o},{h},{l},{c},{v},{s}\n", date_of(*d));
    }
    std::fs::write(path, text).unwrap();
}
