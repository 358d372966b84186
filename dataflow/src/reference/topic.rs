//! Reference data from a Kafka topic instead of a file: `--sectors
//! kafka:TOPIC` (likewise `--universe`, `--actions`). Each message is one
//! record of the file's format, a CSV line in the file's column order
//! (`symbol,sector,from`; `symbol,from,to`; `symbol,date,kind,factor`;
//! trailing fields may be left out) or a JSON object with those names. The
//! topic is read whole into a file of the store's `_reference/` directory
//! (a later record with the same key, the symbol and its date, replaces an
//! earlier one; a tombstone is skipped), which the run then reads like the
//! file it stands for: its content is what the store records, and a topic
//! that has grown since it was read is a changed reference input (a live
//! run watches its ends every `--corrections-interval`: [`super::watch`]).

use crate::durable::manifest::write_atomic;
use crate::error::{Result, TickflowError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tickflow_connectors::kafka::{read_whole, KafkaConfig};

/// How a reference topic is named on the command line.
pub const PREFIX: &str = "kafka:";

/// A reference input: its columns and the ones that key a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The flag, for messages.
    pub flag: &'static str,
    /// The file's columns, in order.
    pub columns: &'static [&'static str],
    /// The columns that identify a record (a later one replaces it).
    pub key: &'static [&'static str],
}

/// `--sectors`.
pub const SECTORS: Kind = Kind {
    flag: "--sectors",
    columns: &["symbol", "sector", "from"],
    key: &["symbol", "from"],
};

/// `--universe`.
pub const UNIVERSE: Kind = Kind {
    flag: "--universe",
    columns: &["symbol", "from", "to"],
    key: &["symbol", "from"],
};

/// `--actions`.
pub const ACTIONS: Kind = Kind {
    flag: "--actions",
    columns: &["symbol", "date", "kind", "factor"],
    key: &["symbol", "date", "kind"],
};

/// A reference topic as read.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicRead {
    /// The topic.
    pub topic: String,
    /// Where its records were written.
    pub file: PathBuf,
    /// Per partition, the offset after the last message read.
    pub ends: BTreeMap<i32, i64>,
}

impl TopicRead {
    /// The topic's ends `now` lie past those read.
    pub fn grown(&self, now: &BTreeMap<i32, i64>) -> bool {
        (now.iter()).any(|(p, &e)| e > self.ends.get(p).copied().unwrap_or(0))
    }
}

/// The topic `path` names (`kafka:TOPIC`), if it names one.
///
/// ```
/// use std::path::Path;
/// use tickflow::reference::topic::topic_of;
/// assert_eq!(topic_of(Path::new("kafka:sectors")), Some("sectors"));
/// assert_eq!(topic_of(Path::new("sectors.csv")), None);
/// ```
pub fn topic_of(path: &Path) -> Option<&str> {
    path.to_str()?
        .strip_prefix(PREFIX)
        .filter(|t| !t.is_empty())
}

fn topic_error(kind: &Kind, topic: &str, message: String) -> TickflowError {
    TickflowError::Config {
        path: format!("{} {PREFIX}{topic}", kind.flag),
        message,
    }
}

/// One message's record in `kind`'s column order.
fn record(kind: &Kind, payload: &[u8]) -> std::result::Result<Vec<String>, String> {
    let text = std::str::from_utf8(payload).map_err(|e| format!("not UTF-8: {e}"))?;
    let text = text.trim();
    let mut fields: Vec<String> = if text.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))?;
        kind.columns
            .iter()
            .map(|c| match object.get(*c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            })
            .collect()
    } else {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let line = r
            .records()
            .next()
            .ok_or("an empty message")?
            .map_err(|e| e.to_string())?;
        line.iter().map(str::to_string).collect()
    };
    if fields.len() > kind.columns.len() {
        return Err(format!(
            "{} fields, for the {} columns {}",
            fields.len(),
            kind.columns.len(),
            kind.columns.join(",")
        ));
    }
    fields.resize(kind.columns.len(), String::new());
    Ok(fields)
}

/// Reads `topic` whole into `file` as a `kind` file.
pub fn materialize(
    kafka: &KafkaConfig,
    kind: &Kind,
    topic: &str,
    file: &Path,
) -> Result<TopicRead> {
    let whole = read_whole(kafka, topic, Duration::from_secs(60)).map_err(TickflowError::Input)?;
    let key_at: Vec<usize> = (kind.key.iter())
        .map(|k| {
            kind.columns
                .iter()
                .position(|c| c == k)
                .expect("a key is a column")
        })
        .collect();
    let mut records: BTreeMap<Vec<String>, (usize, Vec<String>)> = BTreeMap::new();
    for (n, m) in whole.messages.iter().enumerate() {
        let Some(payload) = &m.payload else { continue };
        let fields = record(kind, payload).map_err(|e| {
            let at = format!("partition {} offset {}: {e}", m.partition, m.offset);
            topic_error(kind, topic, at)
        })?;
        let key = key_at.iter().map(|&i| fields[i].clone()).collect();
        records.insert(key, (n, fields));
    }
    let mut ordered: Vec<(usize, Vec<String>)> = records.into_values().collect();
    ordered.sort_by_key(|(n, _)| *n);
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| topic_error(kind, topic, e.to_string());
    w.write_record(kind.columns).map_err(io)?;
    for (_, fields) in &ordered {
        w.write_record(fields).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| topic_error(kind, topic, e.to_string()))?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| topic_error(kind, topic, e.to_string()))?;
    }
    write_atomic(file, &bytes)?;
    Ok(TopicRead {
        topic: topic.to_string(),
        file: file.to_path_buf(),
        ends: whole.ends,
    })
}

/// Replaces each of the `[sectors, universe, actions]` inputs that names a
/// topic by the file it is read into (`_reference/NAME.topic[.pI].csv`
/// under `root`, `I` this process of a cluster); returns what was read.
pub fn resolve(
    kafka: &KafkaConfig,
    root: &Path,
    process: usize,
    inputs: [&mut Option<PathBuf>; 3],
) -> Result<Vec<TopicRead>> {
    let mut read = Vec::new();
    for (input, kind) in inputs.into_iter().zip([&SECTORS, &UNIVERSE, &ACTIONS]) {
        let Some(topic) = input.as_deref().and_then(topic_of).map(str::to_string) else {
            continue;
        };
        let name = kind.flag.trim_start_matches('-');
        let suffix = match process {
            0 => String::new(),
            p => format!(".p{p}"),
        };
        let file = (root.join(crate::revise::universe::REFERENCE))
            .join(format!("{name}.topic{suffix}.csv"));
        let got = materialize(kafka, kind, &topic, &file)?;
        *input = Some(got.file.clone());
        read.push(got);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_a_csv_line_or_a_json_object_in_the_files_columns() {
        let r = |t: &str| record(&SECTORS, t.as_bytes());
        assert_eq!(r("AAPL,Tech").unwrap(), ["AAPL", "Tech", ""]);
        assert_eq!(
            r(r#"{"symbol":"AAPL","sector":"Tech","from":"2020-01-02"}"#).unwrap(),
            ["AAPL", "Tech", "2020-01-02"]
        );
        let a = |t: &str| record(&ACTIONS, t.as_bytes());
        assert_eq!(
            a(r#"{"symbol":"X","date":"2020-01-02","kind":"split","factor":0.5}"#).unwrap(),
            ["X", "2020-01-02", "split", "0.5"]
        );
        assert!(r("a,b,c,d").unwrap_err().contains("4 fields"));
        assert!(r("{nope").unwrap_err().contains("JSON"));
    }
}
