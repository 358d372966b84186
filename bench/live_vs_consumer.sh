#!/usr/bin/env bash
# Live pipeline vs a bare rdkafka consumer, one run, same broker, same machine.
#
#   bench/live_vs_consumer.sh            # 4,000 symbols x 120 minutes (480k bars)
#   SYMBOLS=4000 MINUTES=120 PACED_MINUTES=30 bench/live_vs_consumer.sh
#
# 1. Throughput: the bars are replayed into a 4-partition topic (tansu, SQLite
#    storage), then read by the bare consumer (bench/../dataflow/examples/
#    bare_consumer.rs: polls and touches each payload, nothing else) and by
#    `tickflow live` (decode, indicators, cross-sections, Parquet sink) from
#    the earliest offset. Live's time excludes its --idle-exit wait. A third
#    reader is `tickflow live` publishing a two-column long/short signal
#    with a liquidity filter on --signals-topic (every ranked name of every
#    bar time: about as many signal messages as bars).
# 2. Latency: PACED_MINUTES minutes replayed at 60x (one bar time per
#    second) while `tickflow live` runs; it reports, per frontier advance,
#    the time until the cross-section is computed and the time until every
#    row below it is in the store (p50/p99 of each).
# Appends the numbers to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
MINUTES="${MINUTES:-120}"
PACED_MINUTES="${PACED_MINUTES:-30}"
IDLE_EXIT=2

cargo build --release --locked -q -p tickflow --bins --examples
BIN="$CARGO_TARGET_DIR/release"
# shellcheck source=lib.sh
. bench/lib.sh
minute_topic "$BIN/tickflow" "$SYMBOLS" "$MINUTES"

bare="$("$BIN/examples/bare_consumer" "$B" bench "$rows")"
echo "$bare"
bare_rate="$(echo "$bare" | sed -E 's/.*: ([0-9]+) msgs\/s/\1/')"

live="$("$BIN/tickflow" live --brokers "$B" --topic bench --group "live-$$" \
  --output "$work/store" --idle-exit "$IDLE_EXIT" --metrics-addr off)"
echo "$live"
live_secs="$(echo "$live" | sed -nE 's/.* in ([0-9.]+) s; store.*/\1/p')"
live_rate="$(python3 -c "print(round($rows / ($live_secs - $IDLE_EXIT)))")"
ratio="$(python3 -c "print(f'{$live_rate / $bare_rate:.2f}')")"

cat > "$work/signals.toml" <<'TOML'
[[signal]]
name = "reversal"
weights = { cs_rank_ret_5 = -1.0, cs_rank_rsi_14 = -0.5 }
quantiles = 5
min_dollar_volume = 1e6
TOML
signals="$("$BIN/tickflow" live --brokers "$B" --topic bench --group "signals-$$" \
  --output "$work/signals-store" --idle-exit "$IDLE_EXIT" --metrics-addr off \
  --config "$work/signals.toml" --signals-topic bench-signals)"
echo "$signals"
signals_secs="$(echo "$signals" | sed -nE 's/.* in ([0-9.]+) s; store.*/\1/p')"
signals_rate="$(python3 -c "print(round($rows / ($signals_secs - $IDLE_EXIT)))")"
signals_ratio="$(python3 -c "print(f'{$signals_rate / $bare_rate:.2f}')")"

python3 bench/gen_minutes.py "$work/paced.csv" "$SYMBOLS" "$PACED_MINUTES"
"$BIN/tickflow" live --brokers "$B" --topic paced --group "paced-$$" \
  --output "$work/paced-store" --idle-exit 3 --topic-wait 60s --metrics-addr off \
  >"$work/paced.out" 2>&1 &
paced_pid=$!
"$BIN/tickflow" replay -q --input "$work/paced.csv" --brokers "$B" --topic paced \
  --partitions 4 --speed 60x --work-dir "$work/replay-paced"
wait "$paced_pid"
cat "$work/paced.out"
pick() { sed -nE "/$1/s/.*p50 ([0-9.]+) ms, p99 ([0-9.]+) ms.*/p50 \1 ms, p99 \2 ms/p" "$work/paced.out"; }
latency="$(pick 'rows in the store')"
cs_latency="$(pick 'cross-section computed')"

{
  echo
  echo "## Live vs bare consumer, $(date -u +%Y-%m-%d) ($(nproc) cores)"
  echo
  echo "\`bench/live_vs_consumer.sh\` (SYMBOLS=$SYMBOLS MINUTES=$MINUTES PACED_MINUTES=$PACED_MINUTES), tansu 0.6.0 memory storage on loopback, 4 partitions."
  echo
  echo "| reader of the same $rows messages | bars/s |"
  echo "|---|---|"
  echo "| bare rdkafka BaseConsumer (read only) | $bare_rate |"
  echo "| tickflow live (decode, indicators, cross-sections, Parquet sink) | $live_rate |"
  echo "| **ratio live / bare** | **$ratio** |"
  echo "| tickflow live + one signal on \`--signals-topic\` (adds \`adv_20\` and one message per ranked name) | $signals_rate |"
  echo "| **ratio live with signals / bare** | **$signals_ratio** |"
  echo
  echo "Frontier passed -> cross-section computed (out of the cross-section operator), $SYMBOLS symbols at one bar time per second (60x): $cs_latency."
  echo
  echo "Frontier passed -> every row below it in the store (written, fsynced): $latency."
} >>bench/RESULTS.md
echo "live / bare = $ratio; cross-section $cs_latency; store $latency"
