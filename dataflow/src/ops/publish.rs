//! Output rows as JSON messages on a Kafka topic (`--features-topic`).

use super::stash::{ready, stash_batches, Stash};
use super::OperatorStats;
use crate::chunks::OutputBlock;
use crate::error::Result;
use crate::names::Names;
use crate::schema::OutputSchema;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tickflow_connectors::kafka::TopicProducer;
use tickflow_connectors::{format_ts, Interner};
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::StreamVec;

/// Publishes every output row.
pub trait PublishRows<'scope> {
    /// Sends each row as one JSON object (the store's column names; nulls
    /// for missing values; key = symbol) once its bar time is complete,
    /// waits for delivery, and passes the rows on unchanged. A failed
    /// delivery is kept in `stats` and stops the run.
    fn publish_rows(
        self,
        producer: TopicProducer,
        schema: OutputSchema,
        names: Arc<Names>,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, OutputBlock>;
}

impl<'scope> PublishRows<'scope> for StreamVec<'scope, u64, OutputBlock> {
    fn publish_rows(
        self,
        producer: TopicProducer,
        schema: OutputSchema,
        names: Arc<Names>,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, OutputBlock> {
        let columns = schema.column_names();
        publish_blocks(
            self,
            "publish_rows",
            producer,
            stats,
            move |block, producer| {
                names.with(|symbols, sectors| {
                    for i in 0..block.len() {
                        let row = row_json(block, i, &columns, &schema, symbols, sectors);
                        producer.send(symbols.name(block.symbol[i]), row.as_bytes())?;
                    }
                    Ok(block.len())
                })
            },
        )
    }
}

/// The operator every Kafka publisher of output rows is (named `name`):
/// holds each time's blocks until the frontier passes it, hands every
/// block to `send` (which returns how many messages it sent), passes the
/// blocks on unchanged, and waits for delivery after a round that sent
/// something. The first failure is kept in `stats` (it stops the run).
pub(super) fn publish_blocks<'scope>(
    stream: StreamVec<'scope, u64, OutputBlock>,
    name: &'static str,
    mut producer: TopicProducer,
    stats: Rc<RefCell<OperatorStats>>,
    mut send: impl FnMut(&OutputBlock, &mut TopicProducer) -> Result<usize> + 'static,
) -> StreamVec<'scope, u64, OutputBlock> {
    let timer = crate::metrics::global()
        .operator_seconds
        .with_label_values(&[name]);
    stream
        .unary_frontier(Pipeline, name, move |_cap, _info| {
            let mut stash: Stash<OutputBlock> = BTreeMap::new();
            move |(input, frontier), output| {
                input.for_each_time(|time, data| {
                    stash_batches(&mut stash, &time, output.output_index(), data)
                });
                let mut sent = 0;
                for (cap, blocks) in ready(&mut stash, frontier) {
                    let started = std::time::Instant::now();
                    for block in &blocks {
                        match send(block, &mut producer) {
                            Ok(n) => sent += n,
                            Err(e) => {
                                stats.borrow_mut().sink_error.get_or_insert(e.to_string());
                            }
                        }
                    }
                    timer.observe(started.elapsed().as_secs_f64());
                    output.session(&cap).give_iterator(blocks.into_iter());
                }
                if sent > 0 {
                    if let Err(e) = producer.flush(Duration::from_secs(30)) {
                        stats.borrow_mut().sink_error.get_or_insert(e.to_string());
                    }
                }
            }
        })
        .container::<Vec<OutputBlock>>()
}

fn number(v: f64, float32: bool) -> serde_json::Value {
    if v.is_nan() {
        serde_json::Value::Null
    } else if float32 {
        serde_json::json!(v as f32)
    } else {
        serde_json::json!(v)
    }
}

/// Row `i` of `block` as a JSON object with the store's columns.
fn row_json(
    block: &OutputBlock,
    i: usize,
    columns: &[String],
    schema: &OutputSchema,
    symbols: &Interner,
    sectors: &Interner,
) -> String {
    let mut row = serde_json::Map::with_capacity(columns.len());
    let mut c = columns.iter();
    let mut put = |v: serde_json::Value| {
        row.insert(c.next().expect("one name per column").clone(), v);
    };
    put(symbols.name(block.symbol[i]).into());
    put(format_ts(schema.ts_kind(), block.ts[i]).into());
    put(block.sector[i].map_or(serde_json::Value::Null, |s| sectors.name(s).into()));
    for col in &block.bar {
        put(number(col[i], false));
    }
    for col in &block.values {
        put(number(col[i], schema.float32()));
    }
    let known_at = crate::schema::ts_micros(schema.ts_kind(), block.ts[i]);
    put(format_ts(tickflow_connectors::TsKind::Micros, known_at).into());
    serde_json::Value::Object(row).to_string()
}
