//! Reference data from a Kafka topic (a real broker): a backfill given
//! `--sectors kafka:TOPIC`, the topic holding the sector file's lines (some
//! as CSV, some as JSON objects, one symbol's sector sent twice: the later
//! record wins), writes exactly the rows of a backfill given the file with
//! the later sector, and a message that is no record is an error naming
//! its partition and offset.

mod common;

use common::kafka::{brokers, produce, unique};
use common::{args, bits, data, panel_slice, read_store};

#[test]
fn a_backfill_reads_its_sector_schedule_from_a_topic_the_later_record_winning() {
    let dir = tempfile::tempdir().unwrap();
    let input = panel_slice(dir.path(), 40);
    let text = std::fs::read_to_string(data("sp500_sectors.csv")).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    // The slice's first symbol: first given a placeholder sector.
    let slice = std::fs::read_to_string(&input).unwrap();
    let first = slice.lines().nth(1).unwrap().rsplit(',').next().unwrap();
    assert!(lines.iter().any(|l| l.starts_with(&format!("{first},"))));
    let mut messages: Vec<(&str, Vec<u8>)> =
        vec![(first, format!("{first},Placeholder").into_bytes())];
    for (i, l) in lines.iter().enumerate() {
        let (symbol, sector) = l.split_once(',').unwrap();
        let payload = match i % 2 {
            0 => l.to_string(),
            _ => format!(
                r#"{{"symbol":"{symbol}","sector":{}}}"#,
                serde_json::json!(sector)
            ),
        };
        messages.push((symbol, payload.into_bytes()));
    }
    let topic = unique("sectors");
    produce(&topic, 2, &messages);

    let from_topic = dir.path().join("topic");
    let mut a = args(&input, &from_topic, 1);
    a.sectors = Some(format!("kafka:{topic}").into());
    a.config.kafka.brokers = Some(brokers());
    tickflow::backfill::run(&a).unwrap();
    let from_file = dir.path().join("file");
    let mut b = args(&input, &from_file, 1);
    b.sectors = Some(data("sp500_sectors.csv"));
    tickflow::backfill::run(&b).unwrap();
    assert_eq!(
        bits(&read_store(&from_topic).1),
        bits(&read_store(&from_file).1)
    );

    let bad = unique("bad");
    produce(&bad, 1, &[("X", b"{not json".to_vec())]);
    let mut c = args(&input, &dir.path().join("bad"), 1);
    c.sectors = Some(format!("kafka:{bad}").into());
    c.config.kafka.brokers = Some(brokers());
    let e = tickflow::backfill::run(&c).unwrap_err().to_string();
    assert!(
        e.contains(&format!("--sectors kafka:{bad}")) && e.contains("partition 0 offset 0"),
        "{e}"
    );
}
