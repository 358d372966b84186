//! The rolling operator computing rows ahead of the frontier (live chunks
//! sent before their bar time closes, `BarChunk::at`) against a
//! from-scratch oracle, on random deliveries: bars of a symbol out of time
//! order, second copies of a bar (the later one wins), chunks sent ahead
//! and chunks sent at their time, the dataflow stepped at random points.
//! The oracle runs each symbol's engine over its bars in time order, the
//! last copy of each, with no dataflow at all.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use tickflow::chunks::{time_salt, BarChunk, BufferPool, FeatureChunk, Standing};
use tickflow::names::Names;
use tickflow::ops::{CrossSections, MarketLevels, OperatorStats, RollingFeatures};
use tickflow_connectors::{BarBatch, TsKind};
use tickflow_operators::cross_section::CrossSectionOptions;
use tickflow_operators::{Bar, FeatureEngine, FeatureSet};
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::vec::Input;
use timely::dataflow::operators::{Inspect, Probe};
use timely::dataflow::{ProbeHandle, StreamVec};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One message: a bar of `symbol` at `ts`.
#[derive(Clone, Copy, Debug)]
struct Message {
    symbol: u32,
    ts: i64,
    bar: Bar,
}

fn time_of(ts: i64) -> u64 {
    ts as u64
}

fn chunk(messages: &[Message], ahead: bool) -> BarChunk {
    let ts = messages[0].ts;
    let mut bars = BarBatch {
        ts_kind: Some(TsKind::Date),
        ..Default::default()
    };
    for (k, m) in messages.iter().enumerate() {
        bars.symbol.push(m.symbol);
        bars.ts.push(m.ts);
        bars.bar.push(m.bar);
        bars.sector.push(Some(m.symbol % 2));
        bars.file.push(0);
        bars.line.push(k as u64);
    }
    BarChunk {
        dest: 0,
        times: vec![ts],
        salt: time_salt(ts),
        bars,
        checkpoint: None,
        market: None,
        at: ahead.then(|| time_of(ts)),
    }
}

/// The random bars: each symbol's walk, some (symbol, time) pairs missing
/// and some sent twice with different values.
fn messages(rng: &mut Rng, symbols: u32, times: i64) -> Vec<Message> {
    let mut out = Vec::new();
    for symbol in 0..symbols {
        let mut close = 50.0 + symbol as f64;
        for ts in 0..times {
            if !rng.chance(85) {
                continue;
            }
            for _copy in 0..if rng.chance(10) { 2 } else { 1 } {
                close *= 1.0 + (rng.below(2001) as f64 - 1000.0) / 40_000.0;
                let spread = close * rng.below(300) as f64 / 10_000.0;
                let bar = Bar::from([close, close + spread, close - spread, close, 1e5]);
                out.push(Message { symbol, ts, bar });
            }
        }
    }
    out
}

type Rows = BTreeMap<(u32, i64), Vec<u64>>;

/// What a one-worker test dataflow's operators share.
struct Parts {
    engine: Arc<FeatureEngine>,
    probe: ProbeHandle<u64>,
    stats: Rc<RefCell<OperatorStats>>,
    pool: Arc<BufferPool>,
}

impl Parts {
    fn new() -> Self {
        Self {
            engine: Arc::new(FeatureEngine::new(&FeatureSet::standard()).expect("standard")),
            probe: ProbeHandle::new(),
            stats: Rc::default(),
            pool: Arc::default(),
        }
    }

    /// The rolling operator over `bars`, computing ahead once its output
    /// has gone through `probe`.
    fn rolling<'s>(&self, bars: StreamVec<'s, u64, BarChunk>) -> StreamVec<'s, u64, FeatureChunk> {
        bars.rolling_features(
            (self.engine.clone(), MarketLevels::None),
            1,
            self.pool.clone(),
            self.stats.clone(),
            None,
            Some(self.probe.clone()),
        )
    }
}

/// A row as sent: its chunk's standing and each value's bits.
type Sent = (Standing, Vec<u64>);

/// Second copies dropped, bars computed ahead, and of those recalled.
type Counts = (u64, u64, u64);

/// Feeds `messages` in a random order within `lateness` bar times of the
/// input's time, some chunks ahead and some at their time, and returns the
/// operator's rows (each value's bits) and its second-copy count.
fn run(rng_seed: u64, messages: &[Message], times: i64, lateness: i64) -> (Rows, Counts) {
    let rows: Arc<Mutex<BTreeMap<(u32, i64), Sent>>> = Arc::default();
    let seconds = Arc::new(Mutex::new((0, 0, 0)));
    let (out, count) = (rows.clone(), seconds.clone());
    let messages = messages.to_vec();
    timely::execute_directly(move |worker| {
        let mut rng = Rng(rng_seed);
        let parts = Parts::new();
        let (mut input, probe, stats) = (InputHandle::new(), &parts.probe, &parts.stats);
        let rows = out.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            parts
                .rolling(scope.input_from(&mut input))
                .inspect(move |c| {
                    // Rows computed ahead go on at once; a withdrawal
                    // removes them again.
                    let mut rows = rows.lock().expect("not poisoned");
                    if let Standing::Withdrawn(id) = c.standing {
                        let before = rows.len();
                        rows.retain(|_, (s, _)| *s != Standing::Ahead(id));
                        assert!(rows.len() < before, "a withdrawal names rows sent");
                    }
                    for k in 0..c.len() {
                        let v = &c.values[k * c.width..(k + 1) * c.width];
                        let bits = v.iter().map(|x| x.to_bits()).collect();
                        assert!(
                            rows.insert((c.symbol[k], c.ts[k]), (c.standing, bits))
                                .is_none(),
                            "one row per (symbol, time)"
                        );
                    }
                })
                .probe_with(probe);
        });
        deliver(
            worker,
            &mut input,
            &mut rng,
            (&messages, times, lateness),
            false,
        );
        drop(input);
        while !probe.done() {
            worker.step();
        }
        *count.lock().expect("not poisoned") = {
            let s = stats.borrow();
            (s.duplicates + s.corrections, s.ahead, s.recalled)
        };
    });
    let rows = std::mem::take(&mut *rows.lock().expect("not poisoned"));
    let seconds = *seconds.lock().expect("not poisoned");
    (
        rows.into_iter().map(|(k, (_, bits))| (k, bits)).collect(),
        seconds,
    )
}

/// Sends `messages` in a random order within `lateness` bar times of the
/// input's time, some chunks ahead and some at their time, stepping
/// `worker` at random points; with `linger`, some steps wait long enough
/// for a cross-section to be computed early.
fn deliver(
    worker: &mut timely::worker::Worker,
    input: &mut InputHandle<u64, BarChunk>,
    rng: &mut Rng,
    (messages, times, lateness): (&[Message], i64, i64),
    linger: bool,
) {
    // The messages not yet sent, in their generated order (a symbol's
    // copies of a bar in copy order).
    let mut left: Vec<Message> = messages.to_vec();
    let mut now: i64 = 0;
    while now < times {
        // Send a few chunks of bars at or after `now` and within the
        // lateness, a symbol's copies of one bar in order.
        for _ in 0..rng.below(4) {
            let open: Vec<usize> = (0..left.len())
                .filter(|&i| left[i].ts < now + lateness)
                .collect();
            if open.is_empty() {
                break;
            }
            let first = left[open[rng.below(open.len())]];
            let ts = first.ts;
            let mut picked = Vec::new();
            let mut i = 0;
            while i < left.len() && picked.len() < 1 + rng.below(4) {
                let m = left[i];
                // A copy is sent only after the earlier copies.
                let earlier = left[..i]
                    .iter()
                    .any(|e| e.symbol == m.symbol && e.ts == m.ts);
                if m.ts == ts && !earlier && (m.symbol == first.symbol || rng.chance(50)) {
                    picked.push(left.remove(i));
                } else {
                    i += 1;
                }
            }
            if picked.is_empty() {
                continue;
            }
            // A chunk past the input's time must be sent ahead.
            input.send(chunk(&picked, ts > now || rng.chance(70)));
        }
        if rng.chance(50) {
            // Long enough for the operator's deferred look for chunks
            // to compute ahead (it waits for its output to go through).
            worker.step_or_park(Some(std::time::Duration::from_millis(1)));
        }
        if linger && rng.chance(30) {
            // Past the cross-section operator's quiet time twice (rows
            // computed ahead reach it, then stay quiet): what it holds is
            // computed early.
            for _ in 0..2 {
                std::thread::sleep(std::time::Duration::from_millis(12));
                for _ in 0..3 {
                    worker.step();
                }
            }
        }
        // The input passes `now` once every bar at `now` is sent.
        if rng.chance(40) {
            let at_now: Vec<Message> = left.iter().filter(|m| m.ts == now).copied().collect();
            for m in at_now {
                let i = left
                    .iter()
                    .position(|e| e.symbol == m.symbol && e.ts == m.ts)
                    .expect("present");
                let m = left.remove(i);
                input.send(chunk(&[m], rng.chance(50)));
            }
            now += 1;
            input.advance_to(time_of(now));
            if rng.chance(70) {
                worker.step();
            }
        }
    }
}

/// Each symbol's engine over its bars in time order, the last copy of each
/// bar, and the number of earlier copies.
fn oracle(messages: &[Message]) -> (Rows, u64) {
    let engine = FeatureEngine::new(&FeatureSet::standard()).expect("standard");
    let mut last: BTreeMap<(u32, i64), Bar> = BTreeMap::new();
    let mut seconds = 0;
    for m in messages {
        seconds += last.insert((m.symbol, m.ts), m.bar).is_some() as u64;
    }
    let mut rows = Rows::new();
    let mut states = BTreeMap::new();
    for (&(symbol, ts), bar) in &last {
        let state = states.entry(symbol).or_insert_with(|| engine.new_state());
        let mut row = vec![0.0; engine.columns().len()];
        engine
            .update_joined(state, bar, f64::NAN, &mut row)
            .expect("a valid bar");
        rows.insert((symbol, ts), row.iter().map(|x| x.to_bits()).collect());
    }
    (rows, seconds)
}

/// Random case `seed` (scrambled by `salt`): its generator, from `min`
/// symbols on and 5 bar times plus up to `spread`, with its bars, bar
/// times and lateness.
fn case(seed: u64, salt: u64, (min, spread): (u32, usize)) -> (Rng, Vec<Message>, i64, i64) {
    let mut rng = Rng(seed.wrapping_mul(salt) | 1);
    let (symbols, times) = (min + rng.below(6) as u32, 5 + rng.below(spread) as i64);
    let lateness = 1 + rng.below(4) as i64;
    let messages = messages(&mut rng, symbols, times);
    (rng, messages, times, lateness)
}

#[test]
fn rows_computed_ahead_equal_a_from_scratch_recompute() {
    let (mut ahead, mut recalled) = (0, 0);
    for seed in 1..=300u64 {
        let (mut rng, messages, times, lateness) = case(seed, 0x9e37_79b9_7f4a_7c15, (1, 40));
        let (rows, (seconds, a, r)) = run(rng.next() | 1, &messages, times, lateness);
        (ahead, recalled) = (ahead + a, recalled + r);
        let (want, want_seconds) = oracle(&messages);
        assert_eq!(rows.len(), want.len(), "seed {seed}: rows");
        for (key, bits) in &want {
            assert_eq!(rows.get(key), Some(bits), "seed {seed}: row {key:?}");
        }
        assert_eq!(seconds, want_seconds, "seed {seed}: second copies");
    }
    // The deliveries exercise both paths: rows computed ahead, and rows
    // computed ahead then again at the frontier.
    assert!(
        ahead > 1000 && recalled > 20,
        "ahead {ahead}, recalled {recalled}"
    );
}

/// A chunk sent ahead and flushed reaches the worker owning its symbols
/// and is computed there while the input stays at an earlier time: it does
/// not wait in the exchange for the input's next advance (a bar time
/// later, live).
#[test]
fn a_flushed_chunk_is_computed_ahead_before_the_input_advances() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};
    let ahead = Arc::new(AtomicU64::new(0));
    let total = ahead.clone();
    let config = timely::Config::process(2);
    timely::execute(config, move |worker| {
        let engine = Arc::new(FeatureEngine::new(&FeatureSet::standard()).expect("standard"));
        let mut input = InputHandle::<u64, BarChunk>::new();
        let probe = ProbeHandle::new();
        let stats = Rc::new(RefCell::new(OperatorStats::default()));
        worker.dataflow::<u64, _, _>(|scope| {
            scope
                .input_from(&mut input)
                .rolling_features(
                    (engine.clone(), MarketLevels::None),
                    2,
                    Arc::new(BufferPool::default()),
                    stats.clone(),
                    None,
                    Some(probe.clone()),
                )
                .probe_with(&probe);
        });
        if worker.index() == 0 {
            // Worker 1's symbols, sent ahead of their time from worker 0.
            let bar = Bar::from([10.0, 11.0, 9.0, 10.5, 1_000.0]);
            let messages: Vec<Message> = (0..3)
                .map(|symbol| Message { symbol, ts: 1, bar })
                .collect();
            input.send(BarChunk {
                dest: 1,
                ..chunk(&messages, true)
            });
            input.flush();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut told = false;
        while total.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
            let mine = stats.borrow().ahead;
            if mine > 0 && !told {
                total.fetch_add(mine, Ordering::SeqCst);
                told = true;
            }
            worker.step_or_park(Some(Duration::from_millis(1)));
        }
        drop(input);
        while !probe.done() {
            worker.step();
        }
    })
    .expect("the dataflow runs");
    assert_eq!(
        ahead.load(Ordering::SeqCst),
        3,
        "the chunk's rows computed ahead"
    );
}

/// Symbol names in the reverse order of their ids (so blocks are ordered
/// by name ranks, not ids).
fn names(symbols: u32) -> Arc<Names> {
    let names = Names::default();
    for s in 0..symbols {
        names.symbol_id(&format!("S{:03}", 999 - s));
    }
    Arc::new(names)
}

/// Every output row of the cross-section operator, each value's bits,
/// and the counts of bar times whose block was computed early and went
/// out as it was, and of all bar times.
type Blocks = (BTreeMap<(u32, i64), Vec<u64>>, (u64, u64));

/// The rolling and cross-section operators over `messages`: with `early`,
/// delivered at random as in [`run`] (chunks ahead, second copies, waits
/// past the quiet time) with early blocks on; without, each bar time's
/// bars sent in one chunk at their time, early blocks off.
fn run_cross(rng_seed: u64, messages: &[Message], times: i64, early: Option<i64>) -> Blocks {
    let out: Arc<Mutex<Blocks>> = Arc::default();
    let (result, messages) = (out.clone(), messages.to_vec());
    timely::execute_directly(move |worker| {
        let mut rng = Rng(rng_seed);
        let parts = Parts::new();
        let (mut input, probe, stats) = (InputHandle::new(), &parts.probe, &parts.stats);
        let symbols = messages.iter().map(|m| m.symbol + 1).max().unwrap_or(0);
        let rows = result.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            parts
                .rolling(scope.input_from(&mut input))
                .cross_sections(
                    vec![0, 7, 12],
                    CrossSectionOptions::default(),
                    0,
                    1,
                    parts.pool.clone(),
                    names(symbols),
                    None,
                    early.map(|_| stats.clone()),
                )
                .inspect(move |b| {
                    let mut rows = rows.lock().expect("not poisoned");
                    for k in 0..b.len() {
                        let bits = (b.bar.iter().chain(&b.values))
                            .map(|c| c[k].to_bits())
                            .collect();
                        let key = (b.symbol[k], b.ts[k]);
                        assert!(
                            rows.0.insert(key, bits).is_none(),
                            "one row per (symbol, time)"
                        );
                    }
                })
                .probe_with(probe);
        });
        match early {
            Some(lateness) => deliver(
                worker,
                &mut input,
                &mut rng,
                (&messages, times, lateness),
                true,
            ),
            None => {
                for ts in 0..times {
                    let at: Vec<Message> =
                        messages.iter().filter(|m| m.ts == ts).copied().collect();
                    if !at.is_empty() {
                        input.send(chunk(&at, false));
                    }
                    input.advance_to(time_of(ts + 1));
                }
            }
        }
        drop(input);
        while !probe.done() {
            worker.step();
        }
        result.lock().expect("not poisoned").1 = stats.borrow().cross_ahead;
    });
    let blocks = std::mem::take(&mut *out.lock().expect("not poisoned"));
    blocks
}

/// Blocks computed early (before the frontier passes their bar time, once
/// the rows have been quiet), then kept or computed again as rows arrive or
/// are withdrawn, equal the blocks of each bar time's bars sent at once
/// when the frontier passes.
#[test]
fn blocks_computed_early_equal_blocks_computed_at_the_frontier() {
    let (mut early, mut all) = (0, 0);
    for seed in 1..=60u64 {
        let (mut rng, messages, times, lateness) = case(seed, 0x2545_f491_4f6c_dd1d, (2, 20));
        let (got, (e, a)) = run_cross(rng.next() | 1, &messages, times, Some(lateness));
        let (want, _) = run_cross(1, &messages, times, None);
        (early, all) = (early + e, all + a);
        assert_eq!(got.len(), want.len(), "seed {seed}: rows");
        for (key, bits) in &want {
            assert_eq!(got.get(key), Some(bits), "seed {seed}: row {key:?}");
        }
    }
    // Both paths: blocks that went out as computed early, and blocks
    // computed again (rows arrived or were withdrawn after the early one)
    // or only at the frontier.
    assert!(early > 5 && early < all, "early {early} of {all}");
}
