//! One worker's input: its Kafka partitions, decoded into bars, checked
//! against the frontier, held by bar time until the frontier passes them
//! (or, once the worker has caught up with the topic, until they go on
//! ahead of it: [`BarChunk::at`]), and cut into the chunks the operators
//! take. A feed resumed from a
//! checkpoint skips the messages the checkpoint already accounts for.

use super::lag::LagProbe;
use super::pending::Pending;
use super::side::SideOutputs;
use super::watermark::Watermarks;
use crate::chunks::{symbol_owner, time_salt, BarChunk};
use crate::durable::manifest::{LivePositions, PartitionPosition};
use crate::error::Result;
use crate::metrics;
use crate::names::Names;
use crate::reference::{sectors, Actions, SectorSchedule};
use crate::schema::ts_micros;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tickflow_connectors::kafka::{decode, BarConsumer, Message, MessageFormat};
use tickflow_connectors::{BarBatch, RowReject, TsKind, TsParser};

/// What every worker's feed shares.
pub struct FeedShared {
    /// How messages are encoded.
    pub format: MessageFormat,
    /// Timestamp parsing (zone of naive times).
    pub ts: TsParser,
    /// The process's provisional symbol ids (see [`super::symbols`]).
    pub names: Arc<Names>,
    /// Sectors over time (from `--sectors`).
    pub sectors: SectorSchedule,
    /// The run's timestamp kind, fixed by the first valid bar.
    pub ts_kind: Arc<OnceLock<TsKind>>,
    /// Late bars and dead letters.
    pub side: SideOutputs,
    /// Allowed lateness, as a duration.
    pub lateness: Duration,
    /// (partition, offset) of the late bars read before the checkpoint
    /// this run resumed from.
    pub late_before: HashSet<(i32, i64)>,
    /// The store's corporate actions: a bar before an action's date is
    /// adjusted for it as it is read (a late bar when it is applied).
    pub actions: Actions,
    /// Bar times from this one on were closed early by a pause (see
    /// [`super::LiveStart::forced_from`]).
    pub forced_from: Option<i64>,
}

/// One worker's consumer and pending bars.
pub struct Feed {
    consumer: Arc<BarConsumer>,
    lag: LagProbe,
    shared: Arc<FeedShared>,
    marks: Watermarks,
    /// The bars not yet sent, and the offsets.
    pub pending: Pending,
    /// Every bar time below this one is sent.
    pub frontier: i64,
    /// Every bar time below this one is closed: sent, waiting for its
    /// symbols' ids, or late (at least `frontier`).
    pub closed: i64,
    /// When this worker last received a message.
    pub last_message: Option<Instant>,
    /// Bars behind the frontier read (those a pause made late not
    /// counted: they call for no pause of their own).
    pub late: u64,
    sectors: HashMap<u32, sectors::Timeline>,
    lateness_set: bool,
    /// The cut of the checkpoint resumed from.
    cut: i64,
    /// Per resumed partition, the offset its first message should have.
    resume_at: HashMap<i32, i64>,
}

/// Lateness in bar-time units: days for dates (rounded up), microseconds
/// for instants.
fn lateness_units(kind: TsKind, lateness: Duration) -> i64 {
    match kind {
        TsKind::Date => lateness.as_secs().div_ceil(86_400) as i64,
        TsKind::Micros => lateness.as_micros().min(i64::MAX as u128) as i64,
    }
}

impl Feed {
    /// A feed over `consumer`'s partitions, resuming where `from` left
    /// them (the consumer must be assigned at those positions).
    pub fn new(
        consumer: BarConsumer,
        shared: Arc<FeedShared>,
        idle: Duration,
        from: Option<&LivePositions>,
    ) -> Self {
        let marks = Watermarks::new(consumer.partitions(), 0, idle, Instant::now());
        let mut pending = Pending::default();
        let mut resume_at = HashMap::new();
        for &p in consumer.partitions() {
            if let Some(&at) = from.and_then(|f| f.partitions.get(&p)) {
                pending.resume(p, at);
                resume_at.insert(p, at.resume);
            }
        }
        let cut = from.map_or(i64::MIN, |f| f.cut);
        let consumer = Arc::new(consumer);
        Self {
            lag: LagProbe::start(&consumer),
            consumer,
            shared,
            marks,
            pending,
            frontier: cut,
            closed: cut,
            last_message: None,
            late: 0,
            sectors: HashMap::new(),
            lateness_set: false,
            cut,
            resume_at,
        }
    }

    /// Where a resumed partition starts, per partition of `partitions`
    /// (None: the group's committed offset).
    pub fn start_offsets(
        partitions: &[i32],
        from: Option<&LivePositions>,
    ) -> Vec<(i32, Option<i64>)> {
        partitions
            .iter()
            .map(|&p| {
                let at = from.and_then(|f| f.partitions.get(&p));
                (p, at.map(|a| a.resume))
            })
            .collect()
    }

    /// True for a message read again after a restart that the checkpoint
    /// already accounts for: read before it, and a dead letter (`ts` None),
    /// a late bar, or a bar before the cut (in the states and the store).
    fn replayed(&self, partition: i32, offset: i64, ts: Option<i64>) -> bool {
        offset < self.pending.read_before(partition)
            && (ts.is_none_or(|t| t < self.cut)
                || self.shared.late_before.contains(&(partition, offset)))
    }

    /// Reads up to `max` messages, waiting up to `wait` for the first;
    /// returns how many arrived.
    pub fn poll(&mut self, max: usize, wait: Duration) -> Result<usize> {
        let mut n = 0;
        let mut timeout = wait;
        while n < max {
            let Some(msg) = self.consumer.poll(timeout) else {
                break;
            };
            timeout = Duration::ZERO;
            let msg = match msg {
                Ok(m) => m,
                Err(e) => {
                    // librdkafka retries transport errors itself (a broker
                    // down, say): log, count, and read on when it is back.
                    metrics::global()
                        .kafka_errors
                        .with_label_values(&["consume"])
                        .inc();
                    eprintln!("warning: {e}");
                    break;
                }
            };
            n += 1;
            let (partition, offset) = (msg.partition(), msg.offset());
            if let Some(resume) = self.resume_at.remove(&partition) {
                if offset > resume {
                    // Only a broker that drops the front of a record batch
                    // fetched from its middle does this (tansu's object
                    // storage does): say so, never lose silently.
                    metrics::global()
                        .kafka_errors
                        .with_label_values(&["offset_gap"])
                        .inc();
                    eprintln!(
                        "warning: partition {partition} resumed at offset {resume} but the broker delivered {offset} first: {} messages skipped by the broker",
                        offset - resume
                    );
                }
            }
            let payload = msg.payload().unwrap_or_default();
            let decoded = decode(payload, &self.shared.format, &self.shared.ts);
            let kind = match &decoded {
                Ok(bar) => Some(*self.shared.ts_kind.get_or_init(|| bar.kind)),
                Err(_) => None,
            };
            let decoded = decoded.and_then(|b| match kind {
                Some(k) if k != b.kind => Err(RowReject::MixedTimestampKinds),
                _ => Ok(b),
            });
            let now = Instant::now();
            self.last_message = Some(now);
            if self.replayed(partition, offset, decoded.as_ref().ok().map(|b| b.ts)) {
                if let Ok(bar) = &decoded {
                    self.marks.observe(partition, bar.ts, now);
                }
                self.pending.consumed(partition, offset, i64::MIN);
                continue;
            }
            match decoded {
                Err(reason) => {
                    let label = reason.to_string();
                    let m = metrics::global();
                    m.rejected.with_label_values(&[label.as_str()]).inc();
                    m.dead_letters.inc();
                    let key = msg.key().unwrap_or_default();
                    self.shared
                        .side
                        .dead_letter(partition, offset, &label, key, payload)?;
                    self.pending.consumed(partition, offset, i64::MIN);
                }
                Ok(bar) => {
                    let kind = kind.expect("set for a valid bar");
                    if !self.lateness_set {
                        self.marks
                            .set_lateness(lateness_units(kind, self.shared.lateness));
                        self.lateness_set = true;
                    }
                    self.marks.observe(partition, bar.ts, now);
                    // Behind the frontier as of this message: the time it
                    // belongs to is closed, or closes with this very batch.
                    let frontier = self
                        .marks
                        .frontier(now)
                        .map_or(self.closed, |f| f.max(self.closed));
                    if bar.ts < frontier {
                        metrics::global().late_bars.inc();
                        let forced = self.shared.forced_from.is_some_and(|f| bar.ts >= f);
                        self.late += u64::from(!forced);
                        self.shared.side.late(
                            partition,
                            offset,
                            &bar.symbol,
                            kind,
                            bar.ts,
                            &bar.bar,
                            frontier,
                        )?;
                        self.pending.consumed(partition, offset, i64::MIN);
                        continue;
                    }
                    let symbol = self.shared.names.symbol_id(&bar.symbol);
                    let timeline = self.sectors.entry(symbol).or_insert_with(|| {
                        let names = &self.shared.names;
                        self.shared
                            .sectors
                            .timeline(&bar.symbol, |s| names.sector_id(s))
                    });
                    let micros = ts_micros(kind, bar.ts);
                    let sector = sectors::at(timeline, micros);
                    let mut adjusted = bar.bar;
                    self.shared
                        .actions
                        .adjust(&bar.symbol, micros, &mut adjusted);
                    metrics::global().rows_in.inc();
                    self.pending
                        .push(partition, offset, kind, symbol, bar.ts, adjusted, sector);
                }
            }
        }
        Ok(n)
    }

    /// Each of this worker's partitions has been read to its end at least
    /// once.
    pub fn caught_up(&self) -> bool {
        self.consumer.reached_end()
    }

    /// This worker's partitions' frontier (see [`Watermarks::frontier`]).
    pub fn own_frontier(&self, now: Instant) -> Option<i64> {
        self.marks.frontier(now)
    }

    /// This feed's positions at a checkpoint holding every bar time before
    /// `cut` (see [`Pending::positions`]); cuts in increasing order.
    pub fn positions(&mut self, cut: i64) -> Vec<(i32, PartitionPosition)> {
        self.pending.positions(cut)
    }

    /// Makes the late-bar and dead-letter outputs durable.
    pub fn flush_side_outputs(&self) -> Result<()> {
        self.shared.side.flush()
    }

    /// Per partition, high watermark minus the next offset to read.
    pub fn record_lag(&self) {
        let next = self.pending.next_offsets();
        for (p, high) in self.lag.highs() {
            let pos = next.get(&p).copied().unwrap_or(0);
            metrics::global()
                .consumer_lag
                .with_label_values(&[p.to_string().as_str()])
                .set((high - pos).max(0));
        }
    }
}

/// One bar time's bars as one chunk per worker owning some of them; `at`:
/// sent before the frontier passes the time, at that earlier timely time
/// ([`BarChunk::at`]).
pub fn chunks_of(
    (ts, at): (i64, Option<u64>),
    bars: &BarBatch,
    peers: usize,
    market: Option<u32>,
) -> Vec<BarChunk> {
    let salt = time_salt(ts);
    // The market symbol's close goes to every worker (the last copy of
    // its bar, as the rolling engines keep the last).
    let close = market.and_then(|m| {
        (0..bars.len())
            .rev()
            .find(|&i| bars.symbol[i] == m)
            .map(|i| bars.bar[i].close)
    });
    let mut chunks: Vec<BarChunk> = (0..peers)
        .map(|d| BarChunk {
            dest: d as u32,
            times: vec![ts],
            salt,
            bars: BarBatch::default(),
            checkpoint: None,
            market: close,
            at,
        })
        .collect();
    for i in 0..bars.len() {
        chunks[symbol_owner(bars.symbol[i], peers)]
            .bars
            .push_row(bars, i);
    }
    chunks.retain(|c| !c.bars.is_empty() || c.market.is_some());
    chunks
}
