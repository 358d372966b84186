//! A data file written around the page cache: `O_DIRECT`, by a thread of
//! its own, from a few reused aligned buffers.
//!
//! A backfill writes gigabytes it will not read back. Through the page
//! cache every byte is copied into a fresh page cache page by the writing
//! worker (on the VMs measured, a fifth of the backfill's CPU), then
//! written back and fsynced when the file completes. Here the worker copies
//! into a buffer it keeps reusing and a writer thread hands full buffers to
//! the device, overlapped with the worker's next computing. Where the file
//! system refuses `O_DIRECT` (tmpfs, some network file systems) the same
//! writer falls back to plain writes.

use super::fed_thread::FedThread;
use super::spares::Spares;
use rustix::fs::OFlags;
use rustix::io::Errno;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Offsets, lengths and addresses of direct writes are multiples of this.
const ALIGN: usize = 4096;
/// Bytes per buffer handed to the writer thread.
const BUFFER: usize = 8 << 20;
/// Buffers per file: one being filled, one being written, the rest queued.
/// A row group reaches the file in one burst (all its column chunks are
/// complete at once, ~60 MB for the standard set's 131,072 rows). When the
/// worker wrote it, eight let the worker go on computing while the writer
/// thread drained it (with one queued it waited on the device for the
/// rest: 40% of the two cores' idle time); now a backfill's file is
/// encoded by a thread of its own ([`super::encoder`]), which may wait,
/// and four hold 32 MiB less per file. Buffers are made as a burst needs
/// them, and kept as spares after.
const BUFFERS: usize = 4;
/// Buffers kept for the next files (two files' worth): fresh memory is
/// faulted in page by page, reused memory is not.
const SPARES: usize = 2 * BUFFERS;

static SPARE: Spares<Buffer> = Spares::new(SPARES);

/// `BUFFER` bytes at an `ALIGN`ed address.
struct Buffer {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl Buffer {
    fn new() -> Self {
        let raw = vec![0u8; BUFFER + ALIGN];
        let start = raw.as_ptr().align_offset(ALIGN);
        Self { raw, start, len: 0 }
    }

    /// A spare buffer, or a new one.
    fn take() -> Self {
        SPARE.take().unwrap_or_else(Self::new)
    }

    /// Keeps this buffer for a later file, if there is room.
    fn give(mut self) {
        self.len = 0;
        if !self.raw.is_empty() {
            SPARE.give([self]);
        }
    }

    /// A placeholder that holds nothing.
    fn none() -> Self {
        Self {
            raw: Vec::new(),
            start: 0,
            len: 0,
        }
    }

    /// Copies as much of `data` as fits; returns how much.
    fn fill(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(BUFFER - self.len);
        let at = self.start + self.len;
        self.raw[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        n
    }

    /// The bytes held, zero-padded to a multiple of `ALIGN`.
    fn padded(&mut self) -> &[u8] {
        let end = self.len.next_multiple_of(ALIGN);
        self.raw[self.start + self.len..self.start + end].fill(0);
        &self.raw[self.start..self.start + end]
    }
}

/// A new file written through a writer thread, `O_DIRECT` where the file
/// system allows it. Bytes reach the file by [`finish`](Self::finish);
/// `flush` does not write a partial buffer (a direct write must be whole
/// blocks). Dropped unfinished, what was queued is still written and the
/// file is left for the caller to remove.
pub struct DirectFile {
    current: Buffer,
    writer: FedThread<Buffer, File, io::Error>,
    empty: Receiver<Buffer>,
    made: usize,
}

impl DirectFile {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let direct = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(OFlags::DIRECT.bits() as i32)
            .open(path);
        let (file, direct) = match direct {
            Ok(file) => (file, true),
            Err(e) if refused(&e) => (File::create(path)?, false),
            Err(e) => return Err(e),
        };
        let (done, empty) = sync_channel::<Buffer>(BUFFERS);
        let path = path.to_path_buf();
        let writer = FedThread::spawn(
            "file writer",
            "tickflow-write",
            BUFFERS - 1,
            move |queued| drain(Output { file, path, direct }, queued, done),
        )?;
        Ok(Self {
            current: Buffer::take(),
            writer,
            empty,
            made: 1,
        })
    }

    /// Queues the current buffer and takes an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        let next = match self.empty.try_recv() {
            Ok(b) => b,
            Err(_) if self.made < BUFFERS => {
                self.made += 1;
                Buffer::take()
            }
            Err(_) => match self.empty.recv() {
                Ok(b) => b,
                Err(_) => return Err(self.writer.failure()),
            },
        };
        let full = std::mem::replace(&mut self.current, next);
        self.writer.send(full)
    }

    /// Writes what is buffered and returns the file (not yet synced).
    pub fn finish(mut self) -> io::Result<File> {
        if self.current.len > 0 {
            let last = std::mem::replace(&mut self.current, Buffer::none());
            self.writer.send(last)?;
        }
        let result = self.writer.join();
        while let Ok(b) = self.empty.try_recv() {
            b.give();
        }
        result
    }
}

impl Write for DirectFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !self.writer.is_running() {
            return Err(self.writer.failure());
        }
        if self.current.len == BUFFER {
            self.hand_over()?;
        }
        Ok(self.current.fill(data))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// True for the errors of a file system that does not take `O_DIRECT`.
fn refused(e: &io::Error) -> bool {
    e.raw_os_error() == Some(Errno::INVAL.raw_os_error())
}

/// The writer thread's file.
struct Output {
    file: File,
    path: PathBuf,
    direct: bool,
}

impl Output {
    /// Writes `buf` at `at` (where the file's position is); its padding
    /// past `len` is cut off by the caller at the end.
    fn put(&mut self, buf: &mut Buffer, at: u64) -> io::Result<()> {
        if self.direct {
            match self.file.write_all(buf.padded()) {
                Ok(()) => return Ok(()),
                Err(e) if refused(&e) => {
                    // Opened, but direct writes refused: plain writes from
                    // where this buffer starts.
                    self.file = OpenOptions::new().write(true).open(&self.path)?;
                    self.file.seek(SeekFrom::Start(at))?;
                    self.direct = false;
                }
                Err(e) => return Err(e),
            }
        }
        self.file
            .write_all(&buf.raw[buf.start..buf.start + buf.len])
    }
}

/// The writer thread: writes each queued buffer, returns it for reuse, and
/// at the end cuts the last buffer's padding off.
fn drain(mut out: Output, queued: Receiver<Buffer>, done: SyncSender<Buffer>) -> io::Result<File> {
    let mut written = 0u64;
    let mut padded = false;
    for mut buf in queued {
        if padded {
            return Err(io::Error::other("a partial buffer before the end"));
        }
        out.put(&mut buf, written)?;
        written += buf.len as u64;
        padded = out.direct && buf.len % ALIGN != 0;
        buf.len = 0;
        let _ = done.try_send(buf);
    }
    if out.direct {
        out.file.set_len(written)?;
    }
    Ok(out.file)
}

/// A data file: around the page cache (large files nobody reads back at
/// once), or through it (a live run's small files, one per bar time).
pub enum OutputFile {
    /// Plain writes.
    Plain(File),
    /// [`DirectFile`].
    Direct(DirectFile),
}

impl OutputFile {
    /// Creates `path`, direct when `direct`.
    pub fn create(path: &Path, direct: bool) -> io::Result<Self> {
        Ok(match direct {
            true => Self::Direct(DirectFile::create(path)?),
            false => Self::Plain(File::create(path)?),
        })
    }

    /// Writes what is buffered and returns the file (not yet synced).
    pub fn finish(self) -> io::Result<File> {
        match self {
            Self::Plain(f) => Ok(f),
            Self::Direct(f) => f.finish(),
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(f) => f.write(data),
            Self::Direct(f) => f.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(f) => f.flush(),
            Self::Direct(f) => f.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// Sizes around the buffer and block edges, written in uneven pieces,
    /// read back equal (whether or not this file system takes `O_DIRECT`).
    #[test]
    fn what_is_written_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        for (k, n) in [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            BUFFER - 1,
            BUFFER,
            BUFFER + 1,
            3 * BUFFER + 4097,
        ]
        .into_iter()
        .enumerate()
        {
            let path = dir.path().join(format!("f{k}"));
            let data = bytes(n, k as u8);
            let mut f = DirectFile::create(&path).unwrap();
            for piece in data.chunks(7919) {
                f.write_all(piece).unwrap();
            }
            f.finish().unwrap().sync_all().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), data, "{n} bytes");
        }
    }

    /// A write error (the file system full) comes back from a later write
    /// or from `finish`, not lost in the thread.
    #[test]
    fn a_write_error_is_returned() {
        let mut f = DirectFile::create(Path::new("/dev/full")).unwrap();
        let data = bytes(BUFFER, 1);
        let mut failed = false;
        for _ in 0..BUFFERS + 2 {
            if f.write_all(&data).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || f.finish().is_err());
    }
}
