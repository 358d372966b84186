//! Symbol ids every worker of a live run agrees on, in one process or a
//! cluster. A feed numbers the symbols it reads in its process's own
//! (provisional) table as they arrive; the chunks carry ids of the run's
//! table, in which a symbol's id must be the same in every process. Each
//! new name is broadcast at the announcing worker's current input time;
//! once this dataflow's frontier passes a time, every name announced below
//! it has reached every worker, which then numbers them in (time, name)
//! order: the same ids everywhere, whatever the arrival order. A bar whose
//! symbol has no id yet waits for it (only a symbol's first bars do).
//!
//! In one process the workers share the run's table, and no worker can see
//! an id another has not numbered: there the announcing times are steps
//! ([`SymbolSync::step`]) instead of bar times, so a name is numbered within
//! a step or two of its first bar, before its time closes.

use crate::names::Names;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::vec::{Broadcast, Input};
use timely::dataflow::operators::{Inspect, Probe};
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// No run id yet.
const NONE: u32 = u32::MAX;

/// This worker's side of the symbol numbering.
pub struct SymbolSync {
    input: Option<InputHandle<u64, (u64, String)>>,
    probe: ProbeHandle<u64>,
    /// Names received, by the time they were announced at.
    staged: Rc<RefCell<BTreeSet<(u64, String)>>>,
    /// The run's table (the ids in the chunks).
    run: Arc<Names>,
    /// The process's provisional table (the ids in the feeds).
    provisional: Arc<Names>,
    /// Provisional ids announced so far (they are dense).
    announced: usize,
    /// Run id by provisional id.
    run_of: Vec<u32>,
    /// Announcing times are steps, not bar times (one process).
    steps: bool,
    /// Names were announced since the last step.
    announced_since: bool,
}

impl SymbolSync {
    /// Builds the dataflow (every worker, in the same order as its other
    /// dataflows); `steps`: the run is one process, and names are announced
    /// at steps ([`SymbolSync::step`]) rather than bar times.
    pub fn new(
        worker: &mut Worker,
        (run, provisional): (Arc<Names>, Arc<Names>),
        steps: bool,
    ) -> Self {
        let mut input = InputHandle::<u64, (u64, String)>::new();
        let probe = ProbeHandle::new();
        let staged: Rc<RefCell<BTreeSet<(u64, String)>>> = Rc::default();
        let mine = staged.clone();
        worker.dataflow_named::<u64, _, _>("live_symbols", |scope| {
            scope
                .input_from(&mut input)
                .broadcast()
                .inspect(move |named| {
                    mine.borrow_mut().insert(named.clone());
                })
                .probe_with(&probe);
        });
        Self {
            input: Some(input),
            probe,
            staged,
            run,
            provisional,
            announced: 0,
            run_of: Vec::new(),
            steps,
            announced_since: false,
        }
    }

    /// Announces the process's provisional names this worker has not
    /// announced yet.
    pub fn announce(&mut self) {
        let Some(input) = &mut self.input else {
            return;
        };
        let time = *input.time();
        let new = self.provisional.with(|symbols, _| {
            let names = symbols.names();
            let new = names[self.announced.min(names.len())..].to_vec();
            self.announced = names.len();
            new
        });
        self.announced_since |= !new.is_empty();
        for name in new {
            input.send((time, name));
        }
    }

    /// No name will be announced below bar time `time` by this worker
    /// (ignored when announcing at steps).
    pub fn advance(&mut self, time: u64) {
        if let Some(input) = self.input.as_mut().filter(|_| !self.steps) {
            if time > *input.time() {
                input.advance_to(time);
            }
        }
    }

    /// One step of this worker, when names are announced at steps: past
    /// what it has just announced, and past every name another worker
    /// announced (it has received), so that they are numbered once every
    /// worker has. A worker with nothing new stays where it is.
    pub fn step(&mut self) {
        let Some(input) = self.input.as_mut().filter(|_| self.steps) else {
            return;
        };
        let mut next = *input.time() + std::mem::take(&mut self.announced_since) as u64;
        if let Some((t, _)) = self.staged.borrow().last() {
            next = next.max(t + 1);
        }
        if next > *input.time() {
            input.advance_to(next);
        }
    }

    /// Whether the main dataflow must not pass [`SymbolSync::settle`]'s
    /// frontier (announcing at bar times, in a cluster).
    pub fn guards_bar_times(&self) -> bool {
        !self.steps
    }

    /// Numbers the names announced below this dataflow's frontier, and
    /// returns that frontier (None: every name is numbered). A worker must
    /// not let the main dataflow pass it: rows of another process at a time
    /// past it may carry ids this process has not numbered yet.
    pub fn settle(&mut self) -> Option<u64> {
        let open = self.probe.with_frontier(|f| f.first().copied());
        let mut staged = self.staged.borrow_mut();
        while staged
            .first()
            .is_some_and(|(t, _)| open.is_none_or(|f| *t < f))
        {
            let (_, name) = staged.pop_first().expect("non-empty");
            self.run.symbol_id(&name);
        }
        open
    }

    /// Rewrites `symbols` (provisional ids) to run ids, if every one has
    /// its run id; else leaves them as they are.
    pub fn resolve(&mut self, symbols: &mut [u32]) -> bool {
        for &p in symbols.iter() {
            if self.run_of.get(p as usize).is_none_or(|&r| r == NONE) {
                let name = self.provisional.with(|s, _| s.name(p).to_string());
                let Some(id) = self.run.lookup(&name) else {
                    return false;
                };
                if self.run_of.len() <= p as usize {
                    self.run_of.resize(p as usize + 1, NONE);
                }
                self.run_of[p as usize] = id;
            }
        }
        for s in symbols.iter_mut() {
            *s = self.run_of[*s as usize];
        }
        true
    }

    /// Announces what is left and closes this worker's input: once every
    /// worker has, every name gets its id.
    pub fn close(&mut self) {
        self.announce();
        self.input = None;
    }
}
