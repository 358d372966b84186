#!/usr/bin/env bash
# Training-window benchmark (issue 9), in one run: `tickflow samples`
# against a vectorised numpy/pyarrow generator (bench/samples_peer.py), both
# writing COUNT windows (L = 60, 5 features, 3 labels) from the same
# generated universe (SYMBOLS x DAYS daily bars) as zstd Parquet. Prints
# wall time and peak RSS of both and the ratio; appends them to
# bench/RESULTS.md.
#
#   bench/samples_vs_python.sh                         # 1M windows
#   COUNT=100000 SYMBOLS=200 DAYS=800 bench/samples_vs_python.sh   # quick
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-1000}"
DAYS="${DAYS:-1200}"
COUNT="${COUNT:-1000000}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
. bench/lib.sh
bench_setup "polars, pyarrow, numpy"
IN="$WORK/universe_${SYMBOLS}x${DAYS}.parquet"
[ -f "$IN" ] || "$BIN" gen --symbols "$SYMBOLS" --days "$DAYS" --seed 3 --output "$IN" >/dev/null

rm -rf "$WORK/samples_tickflow" "$WORK/samples_peer.parquet"
measure tickflow "$BIN" samples --input "$IN" --output "$WORK/samples_tickflow" --count "$COUNT" --seed 1
measure python "$PYTHON" bench/samples_peer.py "$IN" "$WORK/samples_peer.parquet" "$COUNT" 1
rows() { "$PYTHON" -c "import pyarrow.parquet as pq,sys; print(pq.ParquetFile(sys.argv[1]).metadata.num_rows)" "$1"; }
TF_ROWS=$(rows "$WORK/samples_tickflow/train.parquet")
PY_ROWS=$(rows "$WORK/samples_peer.parquet")
[ "$TF_ROWS" = "$PY_ROWS" ] || { echo "error: $TF_ROWS windows against $PY_ROWS" >&2; exit 1; }
ratio=$(calc "round($python_s / $tickflow_s, 2)")
echo "tickflow samples is ${ratio}x faster ($TF_ROWS windows each)"
{
  echo
  echo "### Training windows vs a numpy generator, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
  echo
  echo "\`bench/samples_vs_python.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS COUNT=$COUNT: $TF_ROWS windows of 60 bars x 5 features + 3 labels, zstd Parquet, $(nproc) cores."
  echo
  echo "| run | wall s | peak RSS MiB |"
  echo "|---|---:|---:|"
  echo "| \`tickflow samples\` | $tickflow_s | $tickflow_mb |"
  echo "| numpy/pyarrow generator (\`bench/samples_peer.py\`, one process) | $python_s | $python_mb |"
  echo
  echo "Ratio: tickflow ${ratio}x faster. Target: 1M windows in at most 10 s under 2 GB."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
