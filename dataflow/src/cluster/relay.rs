//! The two small dataflows beside a run's main one that make a cluster one
//! run: [`hand_out`] (worker 0 gives every worker its start: the symbol
//! names, the store's position, its share of restored states) and
//! [`Reports`] (the checkpoint reports of other processes' workers travel
//! to worker 0, whose process writes the manifest). In one process both
//! are a few in-memory messages.

use crate::durable::board::{Board, Note};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::vec::Input;
use timely::dataflow::operators::{Exchange, Inspect};
use timely::worker::Worker;
use timely::ExchangeData;

/// Worker 0 passes `items` (one per worker of the cluster, in global worker
/// order); every worker gets its own. None when worker 0 ended the
/// dataflow without sending one.
pub fn hand_out<T: ExchangeData + Clone>(worker: &mut Worker, items: Option<Vec<T>>) -> Option<T> {
    let mut input = InputHandle::<u64, (u64, T)>::new();
    let got: Rc<RefCell<Option<T>>> = Rc::default();
    let mine = got.clone();
    worker.dataflow_named::<u64, _, _>("hand_out", |scope| {
        scope
            .input_from(&mut input)
            .exchange(|(dest, _)| *dest)
            .inspect(move |(_, item)| *mine.borrow_mut() = Some(item.clone()));
    });
    for (dest, item) in items.into_iter().flatten().enumerate() {
        input.send((dest as u64, item));
    }
    drop(input);
    while got.borrow().is_none() && worker.has_dataflows() {
        worker.step_or_park(None);
    }
    got.take()
}

/// The route of checkpoint reports from this worker to worker 0.
pub struct Reports {
    input: Option<InputHandle<u64, Note>>,
    board: Arc<Board>,
}

impl Reports {
    /// Builds the reports dataflow: worker 0 applies every note that
    /// reaches it to `board` (process 0's); a worker whose board relays
    /// (the first worker of every other process) forwards its process's
    /// notes until [`Reports::close`].
    pub fn new(worker: &mut Worker, board: Arc<Board>) -> Self {
        let mut input = InputHandle::<u64, Note>::new();
        let target = board.clone();
        worker.dataflow_named::<u64, _, _>("checkpoint_reports", |scope| {
            scope
                .input_from(&mut input)
                .exchange(|_| 0)
                .inspect(move |note| target.apply(note.clone()));
        });
        let forwards = board.relays() && worker.index() % board.local_workers() == 0;
        Self {
            input: forwards.then_some(input),
            board,
        }
    }

    /// True for the worker that forwards its process's notes.
    pub fn forwards(&self) -> bool {
        self.input.is_some()
    }

    /// Sends the notes the process's board holds.
    pub fn forward(&mut self) {
        if let Some(input) = &mut self.input {
            let notes = self.board.take_notes();
            if !notes.is_empty() {
                for note in notes {
                    input.send(note);
                }
                // A new time pushes them out now (a flush leaves them in
                // the exchange's buffers).
                let next = input.time() + 1;
                input.advance_to(next);
            }
        }
    }

    /// Steps `worker` until every other worker of this process has left
    /// the main dataflow and every snapshot writer has reported, forwarding
    /// notes meanwhile; then closes this worker's route.
    pub fn close(mut self, worker: &mut Worker) {
        if self.input.is_some() {
            while !self.board.settled(1) {
                self.forward();
                worker.step_or_park(Some(Duration::from_millis(5)));
            }
            self.forward();
        }
        self.input = None;
    }
}
