//! The peer of the live benchmark: a bare rdkafka `BaseConsumer` that only
//! reads a topic's messages (every partition, from the earliest offset, in
//! a fresh group), touching each payload, and reports messages per second.
//!
//! `cargo run --release -p tickflow --example bare_consumer -- BROKERS TOPIC COUNT`

use std::time::{Duration, Instant};
use tickflow_connectors::kafka::{BarConsumer, KafkaConfig, Message};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, brokers, topic, count] = args.as_slice() else {
        eprintln!("usage: bare_consumer BROKERS TOPIC COUNT");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let group = format!("bare-{}", std::process::id());
    let config = KafkaConfig {
        brokers: Some(brokers.clone()),
        topic: Some(topic.clone()),
        group: Some(group),
        client: Default::default(),
    };
    let started = Instant::now();
    let partitions = BarConsumer::partition_count(&config, Duration::from_secs(30)).unwrap();
    let consumer = BarConsumer::assign(&config, &(0..partitions).collect::<Vec<_>>()).unwrap();
    let (mut n, mut bytes) = (0u64, 0u64);
    while n < count {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m = m.unwrap();
            bytes += m.payload().map_or(0, |p| p.len() as u64);
            n += 1;
        }
        if started.elapsed() > Duration::from_secs(600) {
            panic!("read {n} of {count} messages in 600 s");
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bare consumer: {n} messages ({bytes} bytes) in {secs:.3} s: {:.0} msgs/s",
        n as f64 / secs
    );
}
