//! Reading a small topic whole (reference data: sectors, universe,
//! corporate actions): every message from each partition's beginning up
//! to its end as it was when the read started, and those ends, so a later
//! look at the ends ([`topic_ends`]) says whether it has grown.

use super::client::{assigned_consumer, kafka, partitions_now};
use super::config::KafkaConfig;
use super::BarConsumer;
use crate::error::Result;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One message of a topic read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMessage {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its key, if it has one.
    pub key: Option<Vec<u8>>,
    /// Its payload (`None` for a tombstone).
    pub payload: Option<Vec<u8>>,
}

/// A topic read whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WholeTopic {
    /// Its messages, partition by partition, in offset order.
    pub messages: Vec<TopicMessage>,
    /// Per partition, the offset the next message will get (as of the read).
    pub ends: BTreeMap<i32, i64>,
}

/// Assigned partitions only: the group is never joined nor committed. A
/// partition's end may lie past its last message (compaction, transaction
/// markers): its end-of-partition event says it is read.
fn client(config: &KafkaConfig) -> Result<BaseConsumer> {
    assigned_consumer(config, "tickflow-reference")
}

/// Per partition of `topic`, the offset the next message will get
/// (waiting up to `wait` for the topic to exist).
pub fn topic_ends(config: &KafkaConfig, topic: &str, wait: Duration) -> Result<BTreeMap<i32, i64>> {
    let mut for_topic = config.clone();
    for_topic.topic = Some(topic.to_string());
    let partitions = BarConsumer::partition_count(&for_topic, wait)?;
    TopicEnds::new(config)?.of(topic, partitions, Duration::from_secs(10))
}

/// One client that looks at topics' ends again and again (a live run's
/// watch on its reference topics), instead of a client per look.
pub struct TopicEnds {
    consumer: BaseConsumer,
}

impl TopicEnds {
    /// A client of `config`'s brokers (it joins no group).
    pub fn new(config: &KafkaConfig) -> Result<Self> {
        Ok(Self {
            consumer: client(config)?,
        })
    }

    /// Per partition of `topic` (as its metadata says now), the offset
    /// the next message will get; each request waits up to `wait`.
    pub fn ends(&self, topic: &str, wait: Duration) -> Result<BTreeMap<i32, i64>> {
        let partitions = partitions_now(&self.consumer, topic, wait)
            .map_err(|e| kafka(format!("reading the metadata of `{topic}`"), e))?;
        self.of(topic, partitions, wait)
    }

    /// The ends of `topic`'s first `partitions` partitions.
    fn of(&self, topic: &str, partitions: i32, wait: Duration) -> Result<BTreeMap<i32, i64>> {
        (0..partitions)
            .map(|p| {
                (self.consumer)
                    .fetch_watermarks(topic, p, wait)
                    .map(|(_, high)| (p, high))
                    .map_err(|e| kafka(format!("reading the end of {topic}/{p}"), e))
            })
            .collect()
    }
}

/// Reads `topic` whole (waiting up to `wait` for it to exist, and for its
/// messages).
pub fn read_whole(config: &KafkaConfig, topic: &str, wait: Duration) -> Result<WholeTopic> {
    let ends = topic_ends(config, topic, wait)?;
    let consumer = client(config)?;
    let mut tpl = TopicPartitionList::new();
    for &p in ends.keys() {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .map_err(|e| kafka(format!("assigning {topic}/{p}"), e))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| kafka(format!("assigning {topic}"), e))?;
    let mut next: BTreeMap<i32, i64> = ends.keys().map(|&p| (p, 0)).collect();
    // A partition whose log starts past its last offset has nothing.
    for (&p, &end) in &ends {
        let low = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .map_err(|e| kafka(format!("reading the start of {topic}/{p}"), e))?
            .0;
        next.insert(p, low.min(end));
    }
    let mut by_partition: BTreeMap<i32, Vec<TopicMessage>> = BTreeMap::new();
    let started = Instant::now();
    while next.iter().any(|(p, n)| *n < ends[p]) {
        if started.elapsed() > wait {
            return Err(kafka(
                format!("reading {topic} whole"),
                format!("{wait:?} passed before its ends {ends:?} (read up to {next:?})"),
            ));
        }
        let Some(m) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let m = match m {
            Err(rdkafka::error::KafkaError::PartitionEOF(p)) => {
                if let Some(&end) = ends.get(&p) {
                    next.insert(p, end);
                }
                continue;
            }
            m => m.map_err(|e| kafka(format!("reading {topic}"), e))?,
        };
        let (p, o) = (m.partition(), m.offset());
        if o >= ends.get(&p).copied().unwrap_or(0) {
            continue;
        }
        next.insert(p, o + 1);
        by_partition.entry(p).or_default().push(TopicMessage {
            partition: p,
            offset: o,
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec),
        });
    }
    Ok(WholeTopic {
        messages: by_partition.into_values().flatten().collect(),
        ends,
    })
}
