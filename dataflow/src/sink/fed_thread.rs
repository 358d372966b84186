//! A thread fed through a bounded queue and joined for its result: the
//! sink's writer threads ([`super::direct`] and [`super::encoder`]). A send
//! to a thread that has stopped, or a join, returns the thread's own error,
//! or says that it panicked or stopped.

use parquet::errors::ParquetError;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// An error type a fed thread's end is reported in.
pub trait ThreadError: Sized {
    /// `message` (the thread stopped, or panicked) as this error type.
    fn thread(message: String) -> Self;
}

impl ThreadError for std::io::Error {
    fn thread(message: String) -> Self {
        std::io::Error::other(message)
    }
}

impl ThreadError for ParquetError {
    fn thread(message: String) -> Self {
        ParquetError::General(message)
    }
}

/// A thread taking `M`s from a queue, returning a `T` or an `E` at the end.
pub struct FedThread<M, T, E> {
    /// What the thread does, for its messages ("file writer").
    role: &'static str,
    queue: Option<SyncSender<M>>,
    thread: Option<JoinHandle<Result<T, E>>>,
}

impl<M, T, E> FedThread<M, T, E>
where
    M: Send + 'static,
    T: Send + 'static,
    E: ThreadError + Send + 'static,
{
    /// Starts `body` on a thread called `name`, with a queue of `depth`
    /// messages; the queue ends when this handle joins or is dropped.
    pub fn spawn(
        role: &'static str,
        name: &str,
        depth: usize,
        body: impl FnOnce(Receiver<M>) -> Result<T, E> + Send + 'static,
    ) -> std::io::Result<Self> {
        let (queue, queued) = sync_channel::<M>(depth);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(queued))?;
        Ok(Self {
            role,
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Queues `message` (waiting while the queue is full); if the thread
    /// has stopped, its error.
    pub fn send(&mut self, message: M) -> Result<(), E> {
        match self.queue.as_ref().map(|tx| tx.send(message)) {
            Some(Ok(())) => Ok(()),
            _ => Err(self.failure()),
        }
    }

    /// False once joined.
    pub fn is_running(&self) -> bool {
        self.thread.is_some()
    }

    /// Closes the queue and waits for the thread: its result.
    pub fn join(&mut self) -> Result<T, E> {
        self.queue = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(E::thread(format!("the {} thread panicked", self.role))),
            None => Err(self.stopped()),
        }
    }

    /// The thread's error, once it has stopped.
    pub fn failure(&mut self) -> E {
        self.join().err().unwrap_or_else(|| self.stopped())
    }

    fn stopped(&self) -> E {
        E::thread(format!("the {} thread stopped", self.role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_comes_back_from_join() {
        let mut t = FedThread::<u32, u32, std::io::Error>::spawn("sum", "test-sum", 2, |rx| {
            Ok(rx.iter().sum())
        })
        .unwrap();
        for v in 1..=10 {
            t.send(v).unwrap();
        }
        assert_eq!(t.join().unwrap(), 55);
        assert!(!t.is_running());
        assert_eq!(t.join().unwrap_err().to_string(), "the sum thread stopped");
    }

    #[test]
    fn a_send_after_the_thread_failed_returns_its_error() {
        let mut t = FedThread::<u32, (), std::io::Error>::spawn("fail", "test-fail", 1, |rx| {
            let first = rx.recv().unwrap_or(0);
            Err(std::io::Error::other(format!("failed at {first}")))
        })
        .unwrap();
        t.send(7).unwrap();
        // The thread has stopped (or stops): a later send reports its error.
        let mut err = None;
        for v in 0..100 {
            if let Err(e) = t.send(v) {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err.unwrap().to_string(), "failed at 7");
    }

    #[test]
    fn a_panic_is_reported() {
        let mut t =
            FedThread::<u32, (), ParquetError>::spawn("boom", "test-boom", 1, |_| panic!("boom"))
                .unwrap();
        assert!(t
            .join()
            .unwrap_err()
            .to_string()
            .contains("the boom thread panicked"));
    }
}
