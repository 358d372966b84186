//! Live signals (`--signals-topic`): at every bar time, each `[[signal]]`'s
//! portfolio as JSON messages, computed by the backtest's own functions
//! ([`combine`], [`liquid_enough`], [`ranked`], [`targets`]) on the bar
//! time's cross-section, so the topic carries the rows `tickflow backtest
//! --targets` writes for the same bars.

use super::publish::publish_blocks;
use super::OperatorStats;
use crate::backtest::portfolio::{ranked, targets};
use crate::backtest::signal::{combine, liquid_enough};
use crate::backtest::SignalConfig;
use crate::chunks::OutputBlock;
use crate::names::Names;
use crate::schema::{BlockColumn, OutputSchema};
use crate::{Result, TickflowError};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;
use tickflow_connectors::format_ts;
use tickflow_connectors::kafka::TopicProducer;
use timely::dataflow::StreamVec;

/// A signal with its columns located in the output blocks.
#[derive(Debug, Clone)]
pub struct LiveSignal {
    config: SignalConfig,
    columns: BTreeMap<String, BlockColumn>,
    /// The `adv_<window>` column of the liquidity filter (none: off).
    liquidity: Option<BlockColumn>,
}

impl LiveSignal {
    /// Locates `config`'s columns (and its liquidity column, which
    /// [`PipelineConfig::feature_set`](crate::config::PipelineConfig::feature_set)
    /// adds) among the output's.
    pub fn new(config: &SignalConfig, schema: &OutputSchema) -> Result<Self> {
        config.validate()?;
        let locate = |name: &str| {
            schema.locate(name).ok_or_else(|| TickflowError::Config {
                path: format!("signal `{}`", config.name),
                message: format!(
                    "the pipeline computes no column `{name}`; it has: {}",
                    schema.column_names()[3..].join(", ")
                ),
            })
        };
        let columns = config
            .weights()
            .into_keys()
            .map(|c| Ok((c.clone(), locate(&c)?)))
            .collect::<Result<_>>()?;
        let liquidity = match config.liquidity_column() {
            Some(c) => Some(locate(&c)?),
            None => None,
        };
        Ok(Self {
            config: config.clone(),
            columns,
            liquidity,
        })
    }

    /// The messages of bar time `rows` (one bar time's rows of `block`, in
    /// symbol name order): one JSON object per ranked name.
    fn messages(
        &self,
        block: &OutputBlock,
        rows: Range<usize>,
        float32: bool,
        symbol: impl Fn(u32) -> String,
        ts: &str,
    ) -> Result<Vec<String>> {
        let n = rows.len();
        // The values as the store holds them (f32 stores round).
        let stored: BTreeMap<&str, Vec<f64>> = self
            .columns
            .iter()
            .map(|(name, c)| {
                let v = &c.of(block)[rows.clone()];
                let v = match (c, float32) {
                    (BlockColumn::Value(_), true) => v.iter().map(|&x| x as f32 as f64).collect(),
                    _ => v.to_vec(),
                };
                (name.as_str(), v)
            })
            .collect();
        let scores = combine(n, &self.config.weights(), |c| {
            stored.get(c).map(Vec::as_slice)
        })?;
        let eligible: Vec<bool> = match self.liquidity {
            Some(c) => c.of(block)[rows.clone()]
                .iter()
                .map(|&a| liquid_enough(self.config.min_dollar_volume, a.is_finite().then_some(a)))
                .collect(),
            None => vec![true; n],
        };
        let picks = targets(&self.config, &ranked(n, 0, &scores, &eligible));
        let ranked = picks.len();
        Ok(picks
            .into_iter()
            .map(|t| {
                serde_json::json!({
                    "signal": self.config.name,
                    "symbol": symbol(block.symbol[rows.start + t.index]),
                    "ts": ts,
                    "score": scores[t.index],
                    "quantile": t.quantile,
                    "weight": t.weight,
                    "ranked": ranked,
                })
                .to_string()
            })
            .collect())
    }
}

/// Publishes the signals of every bar time.
pub trait PublishSignals<'scope> {
    /// Once a bar time's cross-section is complete, sends each signal's
    /// ranked names (`signal`, `symbol`, `ts`, `score`, `quantile`,
    /// `weight`, and `ranked`: how many names that bar time has, so a
    /// consumer knows when it has them all; key = the signal's name),
    /// waits for delivery, and passes the rows on unchanged. A failed
    /// delivery is kept in `stats` and stops the run.
    fn publish_signals(
        self,
        producer: TopicProducer,
        signals: Arc<Vec<LiveSignal>>,
        schema: OutputSchema,
        names: Arc<Names>,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, OutputBlock>;
}

impl<'scope> PublishSignals<'scope> for StreamVec<'scope, u64, OutputBlock> {
    fn publish_signals(
        self,
        producer: TopicProducer,
        signals: Arc<Vec<LiveSignal>>,
        schema: OutputSchema,
        names: Arc<Names>,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, OutputBlock> {
        publish_blocks(
            self,
            "publish_signals",
            producer,
            stats,
            move |block, producer| {
                let mut sent = 0;
                let mut start = 0;
                while start < block.len() {
                    let t = block.ts[start];
                    let end = start + block.ts[start..].partition_point(|&x| x == t);
                    let ts = format_ts(schema.ts_kind(), t);
                    names.with(|symbols, _| {
                        for s in signals.iter() {
                            let name = |id| symbols.name(id).to_string();
                            for m in s.messages(block, start..end, schema.float32(), name, &ts)? {
                                producer.send(&s.config.name, m.as_bytes())?;
                                sent += 1;
                            }
                        }
                        Ok::<_, TickflowError>(())
                    })?;
                    start = end;
                }
                Ok(sent)
            },
        )
    }
}
