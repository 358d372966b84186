//! Prometheus metrics, one process-wide set, and the HTTP endpoint that
//! serves them (`GET /metrics`). Label sets are bounded: reasons, operator
//! names and Kafka partitions, never symbols.
//!
//! The endpoint binds to 127.0.0.1:9898 unless told otherwise; when that
//! port is taken (several processes on one host) it takes the next free
//! one, and when none is free it warns and the run goes on without it. An
//! address given explicitly must bind, or the run stops.

use prometheus::{
    exponential_buckets, Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter,
    IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::LazyLock;
use std::time::Duration;

/// The default endpoint.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9898";

/// Ports tried after the default one is taken.
const NEXT_PORTS: u16 = 16;

/// Every series tickflow exports.
pub struct Metrics {
    registry: Registry,
    /// Bars accepted into the dataflow.
    pub rows_in: IntCounter,
    /// Feature rows written to the store.
    pub rows_out: IntCounter,
    /// Rows and messages rejected, by reason.
    pub rejected: IntCounterVec,
    /// Bars behind the frontier (written to the late-bars output).
    pub late_bars: IntCounter,
    /// Messages sent to the dead-letter output.
    pub dead_letters: IntCounter,
    /// Time an operator spends on one bar time (live) or block (backfill).
    pub operator_seconds: HistogramVec,
    /// From the frontier passing a bar time to its rows being in the store.
    pub cross_section_latency: Histogram,
    /// From the frontier passing a bar time to its cross-section computed
    /// (the rows out of the cross-section operator, before the sinks).
    pub cross_section_compute: Histogram,
    /// The event-time frontier, as Unix seconds.
    pub frontier_seconds: Gauge,
    /// Wall clock minus the frontier, in seconds.
    pub event_time_lag: Gauge,
    /// Per Kafka partition: the high watermark minus the next offset to read.
    pub consumer_lag: IntGaugeVec,
    /// Resident memory of the process.
    pub rss_bytes: IntGauge,
    /// Checkpoints made durable (their manifest written).
    pub checkpoints: IntCounter,
    /// When the last checkpoint became durable, as Unix seconds.
    pub last_checkpoint_seconds: Gauge,
    /// Errors the Kafka client reported (a broker down, say), by kind.
    pub kafka_errors: IntCounterVec,
}

fn register<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> M {
    r.register(Box::new(m.clone()))
        .expect("each metric is registered once");
    m
}

fn family_names(m: &dyn prometheus::core::Collector) -> Vec<String> {
    m.desc().iter().map(|d| d.fq_name.clone()).collect()
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new();
        let latency = exponential_buckets(1e-5, 2.0, 24).expect("valid buckets");
        Self {
            checkpoints: register(
                &r,
                IntCounter::new(
                    "tickflow_checkpoints_total",
                    "Checkpoints made durable (manifest written)",
                )
                .expect("valid"),
            ),
            last_checkpoint_seconds: register(
                &r,
                Gauge::new(
                    "tickflow_last_checkpoint_timestamp_seconds",
                    "When the last checkpoint became durable, as Unix seconds",
                )
                .expect("valid"),
            ),
            kafka_errors: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "tickflow_kafka_errors_total",
                        "Errors the Kafka client reported (a broker down, say), by kind",
                    ),
                    &["kind"],
                )
                .expect("valid"),
            ),
            rows_in: register(
                &r,
                IntCounter::new("tickflow_rows_in_total", "Bars accepted into the dataflow")
                    .expect("valid"),
            ),
            rows_out: register(
                &r,
                IntCounter::new(
                    "tickflow_rows_out_total",
                    "Feature rows written to the store",
                )
                .expect("valid"),
            ),
            rejected: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "tickflow_rejected_total",
                        "Rows or messages rejected, by reason",
                    ),
                    &["reason"],
                )
                .expect("valid"),
            ),
            late_bars: register(
                &r,
                IntCounter::new("tickflow_late_bars_total", "Bars behind the frontier")
                    .expect("valid"),
            ),
            dead_letters: register(
                &r,
                IntCounter::new(
                    "tickflow_dead_letters_total",
                    "Messages sent to the dead-letter output",
                )
                .expect("valid"),
            ),
            operator_seconds: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "tickflow_operator_seconds",
                        "Processing time per operator activation of one bar time or block",
                    )
                    .buckets(latency.clone()),
                    &["operator"],
                )
                .expect("valid"),
            ),
            cross_section_latency: register(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "tickflow_cross_section_latency_seconds",
                        "From the frontier passing a bar time to its rows being in the store",
                    )
                    .buckets(latency.clone()),
                )
                .expect("valid"),
            ),
            cross_section_compute: register(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "tickflow_cross_section_compute_seconds",
                        "From the frontier passing a bar time to its cross-section computed",
                    )
                    .buckets(latency),
                )
                .expect("valid"),
            ),
            frontier_seconds: register(
                &r,
                Gauge::new(
                    "tickflow_frontier_seconds",
                    "The event-time frontier as Unix seconds",
                )
                .expect("valid"),
            ),
            event_time_lag: register(
                &r,
                Gauge::new(
                    "tickflow_event_time_lag_seconds",
                    "Wall clock minus the event-time frontier",
                )
                .expect("valid"),
            ),
            consumer_lag: register(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "tickflow_kafka_consumer_lag",
                        "High watermark minus the next offset to read",
                    ),
                    &["partition"],
                )
                .expect("valid"),
            ),
            rss_bytes: register(
                &r,
                IntGauge::new(
                    "tickflow_process_rss_bytes",
                    "Resident memory of the process",
                )
                .expect("valid"),
            ),
            registry: r,
        }
    }

    /// The text exposition of every series.
    pub fn render(&self) -> String {
        if let Some(rss) = rss_bytes() {
            self.rss_bytes.set(rss as i64);
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }

    /// The names of every metric family (labelled ones included before
    /// their first sample), for checking dashboards.
    pub fn names(&self) -> Vec<String> {
        let collectors: [&dyn prometheus::core::Collector; 15] = [
            &self.rows_in,
            &self.rows_out,
            &self.rejected,
            &self.late_bars,
            &self.dead_letters,
            &self.operator_seconds,
            &self.cross_section_latency,
            &self.cross_section_compute,
            &self.frontier_seconds,
            &self.event_time_lag,
            &self.consumer_lag,
            &self.rss_bytes,
            &self.checkpoints,
            &self.last_checkpoint_seconds,
            &self.kafka_errors,
        ];
        collectors.into_iter().flat_map(family_names).collect()
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Where to serve metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAddr {
    /// 127.0.0.1:9898, or the next free port.
    Default,
    /// Exactly this address.
    Explicit(SocketAddr),
    /// No endpoint.
    Off,
}

impl MetricsAddr {
    /// `off`, or `HOST:PORT`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "off" => Ok(Self::Off),
            t => t
                .parse()
                .map(Self::Explicit)
                .map_err(|e| format!("--metrics-addr `{t}`: {e} (expected HOST:PORT or off)")),
        }
    }
}

/// Starts the endpoint on a background thread; returns where it listens,
/// or `None` when off or when no default port was free (a warning).
pub fn serve(addr: &MetricsAddr) -> Result<Option<SocketAddr>, String> {
    let listener = match addr {
        MetricsAddr::Off => return Ok(None),
        MetricsAddr::Explicit(a) => {
            TcpListener::bind(a).map_err(|e| format!("metrics endpoint {a}: {e}"))?
        }
        MetricsAddr::Default => {
            let base: SocketAddr = DEFAULT_ADDR.parse().expect("valid");
            let found = (0..NEXT_PORTS)
                .find_map(|k| TcpListener::bind(SocketAddr::new(base.ip(), base.port() + k)).ok());
            match found {
                Some(l) => l,
                None => {
                    eprintln!(
                        "warning: no free port for metrics in {}..{}; running without an endpoint (set --metrics-addr)",
                        base.port(),
                        base.port() + NEXT_PORTS - 1
                    );
                    return Ok(None);
                }
            }
        }
    };
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("tickflow-metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream);
            }
        })
        .map_err(|e| format!("starting the metrics thread: {e}"))?;
    Ok(Some(local))
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let (status, kind, body) = if path == "/metrics" {
        (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            global().render(),
        )
    } else {
        (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "see /metrics\n".to_string(),
        )
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn serves_the_text_format_over_http() {
        global().late_bars.inc();
        let addr = serve(&MetricsAddr::Explicit("127.0.0.1:0".parse().unwrap()))
            .unwrap()
            .unwrap();
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert!(text.contains("tickflow_late_bars_total "), "{text}");
        assert!(text.contains("tickflow_process_rss_bytes "), "{text}");
        assert_eq!(
            MetricsAddr::parse("off").unwrap(),
            MetricsAddr::Off,
            "off disables the endpoint"
        );
        assert!(MetricsAddr::parse("nowhere").is_err());
    }
}
