//! Kafka: bar messages in ([`BarConsumer`]), rows and bars out
//! ([`TopicProducer`]). The transport ([`client`]) is kept apart from the
//! message format ([`message`]); both are configured by [`KafkaConfig`].

mod client;
mod config;
mod message;
mod whole;

pub use client::{ensure_topic, BarConsumer, DeliveryCounter, TopicProducer};
pub use config::KafkaConfig;
pub use message::{decode, encode_csv, encode_json, CsvLayout, DecodedBar, MessageFormat};
pub use rdkafka::message::Message;
pub use whole::{read_whole, topic_ends, TopicEnds, TopicMessage, WholeTopic};
