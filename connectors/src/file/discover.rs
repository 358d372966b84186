//! Expanding `--input` arguments (a file, a directory or a glob) into files.

use crate::error::{ConnectorError, Result};
use std::path::{Path, PathBuf};

/// The formats bar files come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// `.csv` or `.csv.gz`.
    Csv,
    /// `.parquet` (or `.pq`).
    Parquet,
    /// Arrow IPC files: `.arrow`, `.ipc`, `.feather`.
    Ipc,
}

/// The format of a file, by its name.
pub fn format_of(path: &Path) -> Option<FileFormat> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        Some(FileFormat::Csv)
    } else if name.ends_with(".parquet") || name.ends_with(".pq") {
        Some(FileFormat::Parquet)
    } else if name.ends_with(".arrow") || name.ends_with(".ipc") || name.ends_with(".feather") {
        Some(FileFormat::Ipc)
    } else {
        None
    }
}

/// True for file names this crate can read (see [`format_of`]).
pub fn is_supported(path: &Path) -> bool {
    format_of(path).is_some()
}

/// Files named by `inputs`, deduplicated and in sorted path order (the order
/// that decides which of two versions of a bar is the later one).
///
/// A directory contributes its supported files (not recursively); a pattern
/// with `*`, `?` or `[` is a glob; anything else must be an existing file.
pub fn expand_inputs(inputs: &[String]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        let before = files.len();
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| ConnectorError::Io {
                path: path.to_path_buf(),
                what: "listing the directory".into(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| ConnectorError::Io {
                    path: path.to_path_buf(),
                    what: "listing the directory".into(),
                    source,
                })?;
                let p = entry.path();
                if p.is_file() && is_supported(&p) {
                    files.push(p);
                }
            }
        } else if path.is_file() {
            if !is_supported(path) {
                return Err(ConnectorError::UnsupportedFormat(path.to_path_buf()));
            }
            files.push(path.to_path_buf());
        } else if input.contains(['*', '?', '[']) {
            let paths = glob::glob(input).map_err(|e| ConnectorError::BadGlob {
                pattern: input.clone(),
                message: e.to_string(),
            })?;
            files.extend(
                paths
                    .filter_map(|p| p.ok())
                    .filter(|p| p.is_file() && is_supported(p)),
            );
        }
        if files.len() == before {
            return Err(ConnectorError::NoInput(input.clone()));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_directories_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.csv.gz", "notes.txt", "c.CSV"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let d = dir.path().to_str().unwrap().to_string();
        let names = |v: Vec<PathBuf>| {
            v.iter()
                .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(expand_inputs(std::slice::from_ref(&d)).unwrap()),
            ["a.csv.gz", "b.csv", "c.CSV"]
        );
        assert_eq!(
            names(expand_inputs(&[format!("{d}/*.csv"), format!("{d}/b.csv")]).unwrap()),
            ["b.csv"]
        );
        assert!(matches!(
            expand_inputs(&[format!("{d}/none*.csv")]),
            Err(ConnectorError::NoInput(_))
        ));
        assert!(matches!(
            expand_inputs(&[format!("{d}/notes.txt")]),
            Err(ConnectorError::UnsupportedFormat(_))
        ));
        assert!(matches!(
            expand_inputs(&[format!("{d}/missing.csv")]),
            Err(ConnectorError::NoInput(_))
        ));
    }
}
