//! The Kafka bar decoders (JSON and CSV in two field orders) on arbitrary
//! bytes: an error or a bar that passes the validity rule, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tickflow_connectors::kafka::{decode, MessageFormat};
use tickflow_connectors::TsParser;

fn formats() -> &'static [MessageFormat; 3] {
    static F: OnceLock<[MessageFormat; 3]> = OnceLock::new();
    F.get_or_init(|| {
        [
            MessageFormat::parse("json").unwrap(),
            MessageFormat::parse("csv").unwrap(),
            MessageFormat::parse("csv:ts,symbol,close,open,high,low,volume").unwrap(),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let ts = TsParser::new(Some("America/New_York")).unwrap();
    for format in formats() {
        if let Ok(bar) = decode(data, format, &ts) {
            assert!(bar.bar.validate().is_ok(), "an invalid bar passed: {:?}", bar.bar);
            assert!(!bar.symbol.is_empty());
        }
    }
});
