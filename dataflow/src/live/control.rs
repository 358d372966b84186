//! The small dataflow beside a live run's main one that lets its workers
//! agree, in one process or across a cluster: each worker's own frontier
//! (a worker with no active partition follows the others), activity for
//! worker 0's `--idle-exit`, late bars for its corrections, the timestamp
//! kind before the main dataflow is built, worker 0's stop (or pause), and
//! a failure that stops every worker.
//! Times are a counter: a signal goes out at once, in send order per
//! sender and receiver.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::vec::Input;
use timely::dataflow::operators::{Exchange, Inspect};
use timely::worker::Worker;

/// What one worker tells others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// A worker's own frontier ([`super::IDLE`]: it holds nothing back).
    Frontier {
        /// The global worker index.
        worker: u32,
        /// Every bar time below this one is closed on that worker.
        at: i64,
    },
    /// A worker read messages (to worker 0, for `--idle-exit`).
    Active,
    /// A worker has read each of its partitions to its end at least once
    /// (to worker 0, for `--idle-exit`).
    CaughtUp {
        /// The global worker index.
        worker: u32,
    },
    /// A worker's first valid bar fixed the timestamp kind (to worker 0).
    Kind {
        /// Microsecond instants (else dates).
        micros: bool,
    },
    /// Worker 0: build the main dataflow for this timestamp kind.
    Begin {
        /// Microsecond instants (else dates).
        micros: bool,
    },
    /// A worker read a bar behind the frontier (to worker 0, once per
    /// stretch of the run, for `[live] corrections_interval`).
    Late,
    /// Worker 0: stop reading and close every open bar time.
    Stop {
        /// A pause to apply late bars: the run goes on from the store.
        again: bool,
    },
    /// A worker failed: every worker stops.
    Abort(String),
}

/// This worker's end of the control dataflow.
pub struct Control {
    input: Option<InputHandle<u64, (u32, Signal)>>,
    inbox: Rc<RefCell<Vec<Signal>>>,
    peers: usize,
    unsent: bool,
}

impl Control {
    /// Builds the control dataflow (every worker, in the same order as its
    /// other dataflows).
    pub fn new(worker: &mut Worker) -> Self {
        let mut input = InputHandle::<u64, (u32, Signal)>::new();
        let inbox: Rc<RefCell<Vec<Signal>>> = Rc::default();
        let mine = inbox.clone();
        worker.dataflow_named::<u64, _, _>("live_control", |scope| {
            scope
                .input_from(&mut input)
                .exchange(|(dest, _)| u64::from(*dest))
                .inspect(move |(_, s)| mine.borrow_mut().push(s.clone()));
        });
        Self {
            input: Some(input),
            inbox,
            peers: worker.peers(),
            unsent: false,
        }
    }

    /// Sends `signal` to worker `dest` (on [`Control::flush`]).
    pub fn send(&mut self, dest: usize, signal: Signal) {
        if let Some(input) = &mut self.input {
            input.send((dest as u32, signal));
            self.unsent = true;
        }
    }

    /// Sends `signal` to every worker, this one included.
    pub fn broadcast(&mut self, signal: Signal) {
        for dest in 0..self.peers {
            self.send(dest, signal.clone());
        }
    }

    /// Pushes what was sent out now (a new time moves it past the
    /// exchange's buffers).
    pub fn flush(&mut self) {
        if let (Some(input), true) = (&mut self.input, self.unsent) {
            let next = input.time() + 1;
            input.advance_to(next);
            self.unsent = false;
        }
    }

    /// The signals received since the last call, in arrival order.
    pub fn take(&self) -> Vec<Signal> {
        std::mem::take(&mut self.inbox.borrow_mut())
    }

    /// Sends what is pending and closes this worker's input (the dataflow
    /// ends once every worker has closed its own).
    pub fn close(&mut self) {
        self.flush();
        self.input = None;
    }
}
