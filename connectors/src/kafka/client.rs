//! The Kafka transport: a polled consumer on an explicit set of partitions
//! (offsets from the consumer group, committed only when the caller says the
//! data below them is durable), a producer that counts failed deliveries,
//! and topic creation.

use super::config::KafkaConfig;
use crate::error::{ConnectorError, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, DeliveryResult};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(super) fn kafka(context: impl Into<String>, e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Kafka {
        context: context.into(),
        message: e.to_string(),
    }
}

fn config_error(e: String) -> ConnectorError {
    kafka("config", e)
}

/// What librdkafka may fetch ahead of the reader, in KiB
/// (`queued.max.messages.kbytes`; its default is 64 MiB). A backlog is then
/// held at most this far ahead of the dataflow: a live process read a flood
/// of 200,000 malformed 400-byte messages 64 MB heavier than one of 20,000,
/// whenever the fetches ran ahead of the parsing. 16 MiB is 100,000 bars
/// or more: the reader never waits on it.
const READ_AHEAD_KIB: &str = "16384";

/// A consumer for partitions assigned explicitly, in `group` (never joined;
/// offsets committed only when a caller says so): tickflow's settings (the
/// read-ahead bounded by [`READ_AHEAD_KIB`]), then the user's client
/// overrides, then end-of-partition events, which is how a reader knows a
/// partition's backlog is read (not overridable).
pub(super) fn assigned_consumer(config: &KafkaConfig, group: &str) -> Result<BaseConsumer> {
    let mut c = config.client_config().map_err(config_error)?;
    c.set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("queued.max.messages.kbytes", READ_AHEAD_KIB);
    for (k, v) in &config.client {
        c.set(k, v);
    }
    c.set("enable.partition.eof", "true");
    c.create().map_err(|e| kafka("creating a consumer", e))
}

/// A consumer of the bars topic on the partitions it is given.
pub struct BarConsumer {
    consumer: BaseConsumer,
    topic: String,
    partitions: Vec<i32>,
    /// The partitions read to their end at least once.
    ended: Mutex<HashSet<i32>>,
}

/// `topic`'s partition count as its metadata says now (one request of up
/// to `wait`), or why it has none yet.
pub(super) fn partitions_now(
    consumer: &BaseConsumer,
    topic: &str,
    wait: Duration,
) -> std::result::Result<i32, String> {
    let md = (consumer.fetch_metadata(Some(topic), wait)).map_err(|e| e.to_string())?;
    match md.topics().iter().find(|t| t.name() == topic) {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
            Ok(t.partitions().len() as i32)
        }
        Some(t) => Err(format!("topic `{topic}` not ready ({:?})", t.error())),
        None => Err(format!("topic `{topic}` not found")),
    }
}

impl BarConsumer {
    /// The topic's partition count, waiting up to `wait` for the topic to
    /// exist (a live run may start before the first bar is published).
    pub fn partition_count(config: &KafkaConfig, wait: Duration) -> Result<i32> {
        let topic = config.topic().map_err(config_error)?;
        let consumer: BaseConsumer = config
            .client_config()
            .map_err(config_error)?
            .create()
            .map_err(|e| kafka("creating a client", e))?;
        let start = Instant::now();
        loop {
            let last = match partitions_now(&consumer, topic, Duration::from_secs(5)) {
                Ok(n) => return Ok(n),
                Err(e) => e,
            };
            if start.elapsed() >= wait {
                return Err(kafka(
                    format!("reading the metadata of `{topic}` for {wait:?}"),
                    last,
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A consumer in `config`'s group, assigned `partitions` of the topic,
    /// each starting at the group's committed offset (the earliest for a
    /// new group). Offsets are never committed automatically.
    pub fn assign(config: &KafkaConfig, partitions: &[i32]) -> Result<Self> {
        let from: Vec<(i32, Option<i64>)> = partitions.iter().map(|&p| (p, None)).collect();
        Self::assign_from(config, &from)
    }

    /// Like [`BarConsumer::assign`], with each partition starting at the
    /// given offset (None: the group's committed one, else the earliest).
    pub fn assign_from(config: &KafkaConfig, partitions: &[(i32, Option<i64>)]) -> Result<Self> {
        let topic = config.topic().map_err(config_error)?.to_string();
        let group = config
            .group
            .as_deref()
            .ok_or_else(|| config_error("no group: pass --group NAME or set kafka.group".into()))?;
        let consumer = assigned_consumer(config, group)?;
        let mut tpl = TopicPartitionList::new();
        for &(p, from) in partitions {
            let offset = from.map_or(Offset::Stored, Offset::Offset);
            tpl.add_partition_offset(&topic, p, offset)
                .map_err(|e| kafka(format!("assigning {topic}/{p}"), e))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| kafka(format!("assigning partitions {partitions:?} of {topic}"), e))?;
        Ok(Self {
            consumer,
            topic,
            partitions: partitions.iter().map(|&(p, _)| p).collect(),
            ended: Mutex::new(HashSet::new()),
        })
    }

    /// The partitions this consumer reads.
    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }

    /// The next message, waiting up to `timeout`; `Some(Err)` is a client
    /// error (a broker down, say), which librdkafka retries by itself.
    /// Reaching a partition's end is noted (see [`BarConsumer::reached_end`]),
    /// not returned.
    pub fn poll(&self, timeout: Duration) -> Option<Result<BorrowedMessage<'_>>> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.consumer.poll(left)? {
                Err(KafkaError::PartitionEOF(p)) => {
                    self.ended.lock().expect("not poisoned").insert(p);
                }
                r => return Some(r.map_err(|e| kafka("polling", e))),
            }
        }
    }

    /// Every assigned partition has been read to its end at least once:
    /// the backlog there when this consumer started is read.
    pub fn reached_end(&self) -> bool {
        let ended = self.ended.lock().expect("not poisoned");
        self.partitions.iter().all(|p| ended.contains(p))
    }

    /// Commits, per partition, the offset of the next message to read: call
    /// it only once everything below is durable.
    pub fn commit(&self, next_offsets: &[(i32, i64)]) -> Result<()> {
        if next_offsets.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for &(p, o) in next_offsets {
            tpl.add_partition_offset(&self.topic, p, Offset::Offset(o))
                .map_err(|e| kafka("committing", e))?;
        }
        self.consumer
            .commit(&tpl, CommitMode::Sync)
            .map_err(|e| kafka(format!("committing offsets {next_offsets:?}"), e))
    }

    /// Per partition, the high watermark (the offset the next produced
    /// message will get), from the broker.
    pub fn high_watermarks(&self, timeout: Duration) -> Vec<(i32, i64)> {
        self.partitions
            .iter()
            .filter_map(|&p| {
                self.consumer
                    .fetch_watermarks(&self.topic, p, timeout)
                    .ok()
                    .map(|(_, high)| (p, high))
            })
            .collect()
    }
}

/// Counts deliveries that failed after librdkafka's retries.
#[derive(Default)]
pub struct DeliveryCounter {
    failed: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl ClientContext for DeliveryCounter {}

impl ProducerContext for DeliveryCounter {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            let mut first = self.first_error.lock().expect("not poisoned");
            first.get_or_insert_with(|| e.to_string());
        }
    }
}

/// A producer to one topic that waits (instead of failing) when its queue
/// is full, and reports failed deliveries at [`TopicProducer::flush`].
pub struct TopicProducer {
    producer: BaseProducer<DeliveryCounter>,
    topic: String,
    sent: u64,
}

impl TopicProducer {
    /// A producer to `topic` with `config`'s brokers and settings.
    pub fn new(config: &KafkaConfig, topic: &str) -> Result<Self> {
        let mut c = config.client_config().map_err(config_error)?;
        c.set("linger.ms", "5")
            .set("queue.buffering.max.messages", "1000000");
        for (k, v) in &config.client {
            c.set(k, v);
        }
        let producer = c
            .create_with_context(DeliveryCounter::default())
            .map_err(|e| kafka("creating a producer", e))?;
        Ok(Self {
            producer,
            topic: topic.to_string(),
            sent: 0,
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Queues one message (key = symbol).
    pub fn send(&mut self, key: &str, payload: &[u8]) -> Result<()> {
        let mut record = BaseRecord::to(&self.topic).key(key).payload(payload);
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((e, _)) => return Err(kafka(format!("producing to {}", self.topic), e)),
            }
        }
        self.sent += 1;
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    /// Serves delivery reports without blocking.
    pub fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    /// Waits until every queued message is delivered or failed; an error if
    /// any failed.
    pub fn flush(&mut self, timeout: Duration) -> Result<u64> {
        self.producer
            .flush(timeout)
            .map_err(|e| kafka(format!("flushing to {}", self.topic), e))?;
        let ctx = self.producer.context();
        let failed = ctx.failed.load(Ordering::Relaxed);
        if failed > 0 {
            let first = ctx.first_error.lock().expect("not poisoned").clone();
            return Err(kafka(
                format!("producing to {}", self.topic),
                format!(
                    "{failed} of {} messages were not delivered; first error: {}",
                    self.sent,
                    first.unwrap_or_default()
                ),
            ));
        }
        Ok(self.sent)
    }
}

/// Creates `topic` with `partitions` partitions unless it exists.
pub fn ensure_topic(config: &KafkaConfig, topic: &str, partitions: i32) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = config
        .client_config()
        .map_err(config_error)?
        .create()
        .map_err(|e| kafka("creating an admin client", e))?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = futures_executor::block_on(admin.create_topics([&new], &opts))
        .map_err(|e| kafka(format!("creating topic {topic}"), e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(kafka(format!("creating topic {t}"), code)),
        }
    }
    Ok(())
}
