//! Reading back a checkpoint state file: arbitrary bytes, and arbitrary
//! payloads behind a valid header and checksum (so bincode itself is
//! exercised), give an error or states, never a panic or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickflow::durable::state_file::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode(data);
    let mut framed = b"TFSTATE1".to_vec();
    framed.extend_from_slice(&(data.len() as u64).to_le_bytes());
    framed.extend_from_slice(&crc32fast_hash(data).to_le_bytes());
    framed.extend_from_slice(data);
    let _ = decode(&framed);
});

/// CRC-32 (IEEE), bitwise: the fuzz target keeps its own copy so that it
/// checks the file format, not just the library against itself.
fn crc32fast_hash(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
