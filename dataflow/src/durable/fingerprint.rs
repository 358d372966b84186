//! Fingerprints of input files (size and CRC-32 of the whole content), so a
//! store knows exactly which inputs it was built from.

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// One input file as a store recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputFingerprint {
    /// The path as given (after glob expansion).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 of the content, hex.
    pub crc32: String,
}

impl InputFingerprint {
    /// Reads `path` once.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let p = dir.path().join("a.csv");
    /// std::fs::write(&p, "ts,close\n").unwrap();
    /// let f = tickflow::durable::InputFingerprint::of(&p).unwrap();
    /// assert_eq!(f.bytes, 9);
    /// std::fs::write(&p, "ts,open\n").unwrap();
    /// assert_ne!(tickflow::durable::InputFingerprint::of(&p).unwrap(), f);
    /// ```
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        Ok(Self {
            path: path.display().to_string(),
            bytes,
            crc32: format!("{:08x}", hasher.finalize()),
        })
    }

    /// Same content (the path may differ).
    pub fn same_content(&self, other: &Self) -> bool {
        self.bytes == other.bytes && self.crc32 == other.crc32
    }

    /// Both absent, or both present with the same content.
    pub fn same_optional(a: Option<&Self>, b: Option<&Self>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a.same_content(b),
            (a, b) => a.is_none() && b.is_none(),
        }
    }
}
