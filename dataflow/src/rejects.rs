//! The rejects file of a run over bar files (see the README's "Output").

use crate::error::{Result, TickflowError};
use std::io::Write;
use std::path::{Path, PathBuf};
use tickflow_connectors::Reject;

/// `file,line,reason,row` per rejected input row, under a temporary name
/// until [`RejectsFile::finish`]; each rejection is counted in the metrics.
pub struct RejectsFile<'a> {
    files: &'a [PathBuf],
    temp: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl<'a> RejectsFile<'a> {
    /// Starts the file for rows of `files` (indexed by a reject's `file`).
    pub fn create(path: &Path, files: &'a [PathBuf]) -> Result<Self> {
        let temp = path.with_extension("csv.tmp");
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&temp).map_err(|e| TickflowError::output(&temp, e))?,
        );
        writeln!(out, "file,line,reason,row").map_err(|e| TickflowError::output(&temp, e))?;
        Ok(Self { files, temp, out })
    }

    /// Appends rejections.
    pub fn write(&mut self, rejects: &[Reject]) -> Result<()> {
        let m = &crate::metrics::global().rejected;
        for r in rejects {
            m.with_label_values(&[r.reason.to_string().as_str()]).inc();
        }
        for r in rejects {
            writeln!(
                self.out,
                "{},{},{},\"{}\"",
                self.files[r.file as usize].display(),
                r.line,
                r.reason,
                r.raw.replace('"', "\"\"")
            )
            .map_err(|e| TickflowError::output(&self.temp, e))?;
        }
        Ok(())
    }

    /// Syncs the file and renames it to `path`.
    pub fn finish(self, path: &Path) -> Result<()> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| TickflowError::output(&self.temp, e))?;
        file.sync_all()
            .map_err(|e| TickflowError::output(&self.temp, e))?;
        std::fs::rename(&self.temp, path).map_err(|e| TickflowError::output(path, e))
    }
}
