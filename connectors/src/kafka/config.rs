//! Where the bars topic is and how to reach it: brokers, topic, consumer
//! group and any librdkafka client setting (security included), from the
//! TOML config's `[kafka]` table, overridden by flags.

use rdkafka::config::ClientConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[kafka]` table.
///
/// ```
/// use tickflow_connectors::kafka::KafkaConfig;
/// let c: KafkaConfig = toml::from_str(r#"
///     brokers = "127.0.0.1:9092"
///     topic = "bars"
///     [client]
///     "security.protocol" = "SASL_SSL"
/// "#).unwrap();
/// assert_eq!(c.client["security.protocol"], "SASL_SSL");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `host:port[,host:port...]`.
    pub brokers: Option<String>,
    /// The bars topic.
    pub topic: Option<String>,
    /// The consumer group (a new group starts from the earliest offset).
    pub group: Option<String>,
    /// Any other librdkafka property (`security.protocol`, `sasl.*`,
    /// `ssl.*`, timeouts), passed as given.
    #[serde(default)]
    pub client: BTreeMap<String, String>,
}

impl KafkaConfig {
    /// The brokers, or an error naming the flag and the key that set them.
    pub fn brokers(&self) -> Result<&str, String> {
        self.brokers
            .as_deref()
            .ok_or_else(|| "no brokers: pass --brokers HOST:PORT or set kafka.brokers".into())
    }

    /// The topic, or an error naming the flag and the key that set it.
    pub fn topic(&self) -> Result<&str, String> {
        self.topic
            .as_deref()
            .ok_or_else(|| "no topic: pass --topic NAME or set kafka.topic".into())
    }

    /// A librdkafka config with the brokers and the extra settings; the
    /// bars path never compresses (`compression.type=none`) unless the
    /// settings say otherwise.
    pub fn client_config(&self) -> Result<ClientConfig, String> {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.brokers()?);
        c.set("compression.type", "none");
        for (k, v) in &self.client {
            c.set(k, v);
        }
        Ok(c)
    }
}
