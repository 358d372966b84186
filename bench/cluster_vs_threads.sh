#!/usr/bin/env bash
# Cluster benchmark (issue 8), in one run on one machine: the same backfill
# as 2 processes x 1 worker (timely's cluster mode over loopback TCP)
# against 1 process x 2 workers (shared memory), interleaved, best of
# RUNS each (run-to-run noise here is about 15%), on
#  1. ../shared/data/sp500_5yr.csv.gz (619,040 rows, 505 symbols), and
#  2. a generated universe (SYMBOLS x DAYS, default 4,000 x 1,250 = 5M rows).
# The cluster's time runs from starting both processes to both exiting.
# Prints the numbers and appends them to bench/RESULTS.md.
#
#   bench/cluster_vs_threads.sh
#   SYMBOLS=1000 DAYS=500 RUNS=1 bench/cluster_vs_threads.sh   # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
DAYS="${DAYS:-1250}"
RUNS="${RUNS:-3}"
DATA="${TICKFLOW_DATA:-../shared/data}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench-cluster}"

cargo build --release --locked -q -p tickflow
BIN="$CARGO_TARGET_DIR/release/tickflow"
mkdir -p "$WORK"
# shellcheck source=lib.sh
. bench/lib.sh
GEN="$WORK/universe_${SYMBOLS}x${DAYS}.parquet"
[ -f "$GEN" ] || "$BIN" gen --symbols "$SYMBOLS" --days "$DAYS" --seed 7 --output "$GEN" >/dev/null

now() { date +%s.%N; }
common=(backfill -q --metrics-addr off)

# one_process INPUT: seconds for 1 process x 2 workers
# (each run starts after the previous output is on disk: its writeback
# otherwise lands in the next run's system time)
one_process() {
  rm -rf "$WORK/out"
  sync
  local t0; t0=$(now)
  "$BIN" "${common[@]}" --workers 2 --input "$1" --output "$WORK/out" >/dev/null
  python3 -c "print(f'{$(now) - $t0:.3f}')"
}

# two_processes INPUT: seconds for 2 processes x 1 worker
two_processes() {
  rm -rf "$WORK/out"
  sync
  two_ports > "$WORK/hosts"
  local t0; t0=$(now)
  "$BIN" "${common[@]}" --workers 1 --input "$1" --output "$WORK/out" \
    --processes 2 --process-id 1 --hostfile "$WORK/hosts" >/dev/null &
  local follower=$!
  "$BIN" "${common[@]}" --workers 1 --input "$1" --output "$WORK/out" \
    --processes 2 --process-id 0 --hostfile "$WORK/hosts" >/dev/null
  wait "$follower"
  python3 -c "print(f'{$(now) - $t0:.3f}')"
}

best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }

report=""
for input in "$DATA/sp500_5yr.csv.gz" "$GEN"; do
  threads=() procs=()
  for _ in $(seq "$RUNS"); do
    threads+=("$(one_process "$input")")
    procs+=("$(two_processes "$input")")
  done
  t=$(best "${threads[@]}"); p=$(best "${procs[@]}")
  ratio=$(python3 -c "print(f'{$p / $t:.3f}')")
  line="| $(basename "$input") | ${threads[*]} | ${procs[*]} | $t | $p | ${ratio}x |"
  echo "$line"
  report+="$line"$'\n'
done

{
  echo
  echo "## Cluster: 2 processes x 1 worker vs 1 process x 2 workers, $(date -u +%F) ($(nproc) cores)"
  echo
  echo "Command: \`bench/cluster_vs_threads.sh\` (SYMBOLS=$SYMBOLS DAYS=$DAYS RUNS=$RUNS)."
  echo "Wall seconds per run (interleaved), best of each, and the ratio"
  echo "2x1 / 1x2 (target: at most 1.15x)."
  echo
  echo "| input | 1 process x 2 workers (s) | 2 processes x 1 worker (s) | best 1x2 | best 2x1 | ratio |"
  echo "|---|---|---|---|---|---|"
  printf '%s' "$report"
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
