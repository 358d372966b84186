//! Helpers of the live tests: the broker (a real Kafka-protocol broker,
//! started by `scripts/test.sh`), the `tickflow` binary as a subprocess,
//! producing raw messages, and plain HTTP GETs.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tickflow_connectors::kafka::{ensure_topic, BarConsumer, KafkaConfig, Message, TopicProducer};

/// The broker of the test run: `$TICKFLOW_TEST_BROKERS`, set by
/// `scripts/test.sh`, which installs and starts tansu.
pub fn brokers() -> String {
    std::env::var("TICKFLOW_TEST_BROKERS").expect(
        "TICKFLOW_TEST_BROKERS is not set: the live tests need a Kafka-protocol broker; \
         run ./scripts/test.sh (it installs and starts tansu), or start one and set it",
    )
}

/// A name no other test (or earlier run against the same broker) uses.
pub fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// Client settings for `topic`.
pub fn config(topic: &str, group: Option<&str>) -> KafkaConfig {
    KafkaConfig {
        brokers: Some(brokers()),
        topic: Some(topic.to_string()),
        group: group.map(str::to_string),
        client: Default::default(),
    }
}

/// The `tickflow` binary with `args`.
pub fn tickflow(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tickflow"));
    c.args(args).stdin(Stdio::null());
    c
}

/// `tickflow live` over `topic` of `brokers` in consumer group `group`,
/// writing the store `store`; the caller adds the other flags.
pub fn live(brokers: &str, topic: &str, group: &str, store: &Path) -> Command {
    let mut c = tickflow(&[
        "live",
        "--brokers",
        brokers,
        "--topic",
        topic,
        "--group",
        group,
    ]);
    c.arg("--output").arg(store);
    c
}

/// Runs `cmd` to success; returns its stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `tickflow args` to success; returns its stdout.
pub fn run_ok(args: &[&str]) -> String {
    ok(&mut tickflow(args))
}

/// Starts `cmd` with its output captured.
pub fn start(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts `tickflow args` with its output captured.
pub fn spawn(args: &[&str]) -> Child {
    start(&mut tickflow(args))
}

/// Waits for `child` to succeed; returns its stdout.
pub fn wait_ok(child: Child, what: &str) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Creates `topic` and publishes `messages` (key, payload) in order.
pub fn produce(topic: &str, partitions: i32, messages: &[(&str, Vec<u8>)]) {
    let c = config(topic, None);
    ensure_topic(&c, topic, partitions).unwrap();
    let mut p = TopicProducer::new(&c, topic).unwrap();
    for (k, v) in messages {
        p.send(k, v).unwrap();
    }
    assert_eq!(
        p.flush(Duration::from_secs(30)).unwrap(),
        messages.len() as u64
    );
}

/// Every message of `topic` (all partitions), as UTF-8 payloads.
pub fn consume_all(topic: &str, expect: usize) -> Vec<String> {
    let c = config(topic, Some(&unique("reader")));
    let n = BarConsumer::partition_count(&c, Duration::from_secs(30)).unwrap();
    let consumer = BarConsumer::assign(&c, &(0..n).collect::<Vec<_>>()).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while out.len() < expect && std::time::Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            out.push(String::from_utf8(m.payload().unwrap_or_default().to_vec()).unwrap());
        }
    }
    out
}

/// Every message of `topic` (all partitions, each in offset order) up to
/// its ends, as (key, payload): for topics whose writer has exited. Read
/// to the ends the broker reports, not until a quiet spell (a slow first
/// fetch on a loaded machine looked like an empty topic).
pub fn drain(topic: &str) -> Vec<(String, String)> {
    let c = config(topic, None);
    let whole =
        tickflow_connectors::kafka::read_whole(&c, topic, Duration::from_secs(120)).unwrap();
    let text = |b: Option<Vec<u8>>| String::from_utf8(b.unwrap_or_default()).unwrap();
    (whole.messages.into_iter())
        .map(|m| (text(m.key), text(m.payload)))
        .collect()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of `GET http://127.0.0.1:port{path}`.
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    Ok(text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

/// Lines of a CSV side output, header first.
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Publishes `input`'s bars to a 4-partition `topic` as fast as possible
/// with `tickflow replay`; returns its stdout.
pub fn replay(input: &Path, brokers: &str, topic: &str, work: &Path) -> String {
    let (input, work) = (input.to_str().unwrap(), work.to_str().unwrap());
    run_ok(&[
        "replay",
        "--input",
        input,
        "--brokers",
        brokers,
        "--topic",
        topic,
        "--partitions",
        "4",
        "--max",
        "-q",
        "--work-dir",
        work,
    ])
}
