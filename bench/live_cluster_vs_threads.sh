#!/usr/bin/env bash
# Live cluster benchmark (issue 8), in one run on one machine: `tickflow
# live` over one 4-partition topic (tansu, in memory) as 2 processes x 1
# worker (timely's cluster mode over loopback TCP) against 1 process x 2
# workers (shared memory), interleaved, best of RUNS each, each run a new
# consumer group reading the whole topic from the earliest offset. A run's
# time is from starting its processes to all of them exiting, less the
# --idle-exit wait. Prints the numbers and appends them to bench/RESULTS.md.
#
#   bench/live_cluster_vs_threads.sh          # 4,000 symbols x 120 minutes (480k bars)
#   SYMBOLS=1000 MINUTES=60 RUNS=1 bench/live_cluster_vs_threads.sh   # a quick run
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
MINUTES="${MINUTES:-120}"
RUNS="${RUNS:-3}"
IDLE_EXIT=2

cargo build --release --locked -q -p tickflow
BIN="$CARGO_TARGET_DIR/release/tickflow"
# shellcheck source=lib.sh
. bench/lib.sh
minute_topic "$BIN" "$SYMBOLS" "$MINUTES"

now() { date +%s.%N; }
# live RUN FLAGS...: a new group and store per run (the whole topic each time)
live() {
  local id="$1"; shift
  "$BIN" live --brokers "$B" --topic bench --group "g-$$-$id" --output "$work/store-$id" \
    --idle-exit "$IDLE_EXIT" --metrics-addr off "$@"
}

# one_process RUN: seconds for 1 process x 2 workers
one_process() {
  local t0; t0=$(now)
  live "$1" --workers 2 >/dev/null
  python3 -c "print(f'{$(now) - $t0 - $IDLE_EXIT:.3f}')"
}

# two_processes RUN: seconds for 2 processes x 1 worker
two_processes() {
  two_ports > "$work/hosts"
  local t0; t0=$(now)
  live "$1" --workers 1 --processes 2 --process-id 1 --hostfile "$work/hosts" >/dev/null &
  local follower=$!
  live "$1" --workers 1 --processes 2 --process-id 0 --hostfile "$work/hosts" >/dev/null
  wait "$follower"
  python3 -c "print(f'{$(now) - $t0 - $IDLE_EXIT:.3f}')"
}

best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
median() { python3 -c "import sys, statistics; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

threads=() procs=()
for i in $(seq "$RUNS"); do
  threads+=("$(one_process "t$i")")
  procs+=("$(two_processes "p$i")")
done
t=$(best "${threads[@]}"); p=$(best "${procs[@]}")
tm=$(median "${threads[@]}"); pm=$(median "${procs[@]}")
ratio=$(python3 -c "print(f'{$p / $t:.3f}')")
mratio=$(python3 -c "print(f'{$pm / $tm:.3f}')")
rates=$(python3 -c "print(f'{$rows / $tm:,.0f} and {$rows / $pm:,.0f} bars/s')")
line="| ${SYMBOLS} x ${MINUTES} minutes ($rows bars) | ${threads[*]} | ${procs[*]} | $t / $tm | $p / $pm | ${ratio}x / ${mratio}x |"
echo "$line"
echo "$rates"

{
  echo
  echo "## Live cluster: 2 processes x 1 worker vs 1 process x 2 workers, $(date -u +%F) ($(nproc) cores)"
  echo
  echo "Command: \`bench/live_cluster_vs_threads.sh\` (SYMBOLS=$SYMBOLS MINUTES=$MINUTES RUNS=$RUNS)."
  echo "Seconds per run to read the whole 4-partition topic (interleaved; the"
  echo "--idle-exit wait taken off), best and median of each, and the ratios"
  echo "2x1 / 1x2 (target: at most 1.15x). Median rates: $rates."
  echo
  echo "| topic | 1 process x 2 workers (s) | 2 processes x 1 worker (s) | 1x2 best / median | 2x1 best / median | ratio best / median |"
  echo "|---|---|---|---|---|---|"
  echo "$line"
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
