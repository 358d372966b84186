//! Metrics as an operator sees them: a real Prometheus server scrapes a
//! live run and its query API returns tickflow's series; the Grafana
//! dashboard asks only for series tickflow exports.

mod common;

use common::kafka::{brokers, free_port, http_get, live, produce, start, unique, wait_ok};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn deploy(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path)
}

/// Every `tickflow_*` metric family a PromQL expression names.
fn families(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("tickflow_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        out.push(family.to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn the_dashboard_parses_and_names_only_exported_metrics() {
    let text = std::fs::read_to_string(deploy("grafana/dashboards/tickflow.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let exported: BTreeSet<String> = tickflow::metrics::global().names().into_iter().collect();
    let mut used = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            let names = families(expr);
            assert!(!names.is_empty(), "{expr} names no tickflow metric");
            used.extend(names);
        }
    }
    let unknown: Vec<&String> = used.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard asks for {unknown:?}; exported: {exported:?}"
    );
    for wanted in [
        "tickflow_rows_in_total",
        "tickflow_cross_section_latency_seconds",
        "tickflow_rejected_total",
        "tickflow_process_rss_bytes",
        "tickflow_kafka_consumer_lag",
    ] {
        assert!(used.contains(wanted), "the dashboard shows no {wanted}");
    }
}

fn prometheus_binary() -> String {
    std::env::var("TICKFLOW_TEST_PROMETHEUS").unwrap_or_else(|_| {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join("prometheus").is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "no prometheus binary: run ./scripts/test.sh (it installs Debian's prometheus) or set TICKFLOW_TEST_PROMETHEUS"
        );
        "prometheus".into()
    })
}

/// The value of an instant query's first sample, once there is one.
fn query(port: u16, promql: &str) -> Option<f64> {
    let body = http_get(port, &format!("/api/v1/query?query={promql}")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

#[test]
fn prometheus_scrapes_a_live_run() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("metrics");
    let mut messages = Vec::new();
    for day in 1..=28u32 {
        for (k, s) in ["A", "B", "C"].iter().enumerate() {
            let close = 10.0 + day as f64 + k as f64;
            messages.push((
                *s,
                format!(
                    r#"{{"symbol":"{s}","ts":"2024-02-{day:02}","open":{close},"high":{},"low":{},"close":{close},"volume":500}}"#,
                    close + 0.5,
                    close - 0.5
                )
                .into_bytes(),
            ));
        }
    }
    messages.push(("A", b"garbage".to_vec()));
    produce(&topic, 2, &messages);

    let metrics_port = free_port();
    let store = dir.path().join("store");
    let live = start(
        live(&brokers(), &topic, &unique("g"), &store)
            .args(["--idle-exit", "12", "--idle-timeout", "1s"])
            .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")]),
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tickflow\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n"
        ),
    )
    .unwrap();
    let prom_port = free_port();
    let mut prometheus = Command::new(prometheus_binary())
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = (None, None, None, None);
    while Instant::now() < deadline {
        seen = (
            query(prom_port, "tickflow_rows_in_total"),
            query(
                prom_port,
                "tickflow_rejected_total%7Breason%3D%22malformed_message%22%7D",
            ),
            query(prom_port, "tickflow_process_rss_bytes"),
            query(prom_port, "tickflow_cross_section_latency_seconds_count"),
        );
        if seen.0 == Some(84.0) && seen.1 == Some(1.0) && seen.3.is_some_and(|c| c > 0.0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    let (rows, rejected, rss, latency) = seen;
    assert_eq!(rows, Some(84.0), "bars in, through Prometheus");
    assert_eq!(rejected, Some(1.0), "the malformed message, by reason");
    assert!(rss.is_some_and(|b| b > 1e6), "process RSS {rss:?}");
    assert!(
        latency.is_some_and(|c| c > 0.0),
        "cross-section latency samples {latency:?}"
    );
    let summary = wait_ok(live, "live");
    assert!(summary.contains("84 bars in, 84 rows out"), "{summary}");
}
