#!/usr/bin/env bash
# End-to-end backfill benchmark: tickflow against the Polars peer
# (../shared/bench/peer_polars.py, unchanged) on the same generated input,
# both writing zstd Parquet, in one run. Prints wall time and peak RSS of
# both and their ratios, then runs tickflow on the same universe in symbol
# order (memory bound check), and appends the numbers to bench/RESULTS.md.
#
#   bench/backfill_vs_polars.sh            # 4,000 symbols x 5,000 days
#   SYMBOLS=500 DAYS=1000 bench/backfill_vs_polars.sh   # a quick run
#
# Needs: cargo, python3 with polars (PYTHON=... to choose), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
DAYS="${DAYS:-5000}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
PEER=../shared/bench/peer_polars.py
[ -f "$PEER" ] || { echo "error: $PEER not found (../shared beside the repository)" >&2; exit 1; }
. bench/lib.sh
bench_setup "polars"
IN="$WORK/universe_${SYMBOLS}x${DAYS}.parquet"
IN_SYM="$WORK/universe_${SYMBOLS}x${DAYS}_by_symbol.parquet"
[ -f "$IN" ] || "$BIN" gen --symbols "$SYMBOLS" --days "$DAYS" --seed 42 --output "$IN"
[ -f "$IN_SYM" ] || "$BIN" gen --symbols "$SYMBOLS" --days "$DAYS" --seed 42 --order symbol --output "$IN_SYM"
ROWS=$("$PYTHON" -c "import polars as pl,sys; print(pl.scan_parquet(sys.argv[1]).select(pl.len()).collect().item())" "$IN")


rm -rf "$WORK/out_tickflow" "$WORK/out_polars.parquet" "$WORK/out_tickflow_by_symbol"
echo "input: $ROWS rows ($SYMBOLS symbols x $DAYS days), $(nproc) cores"
measure tickflow "$BIN" backfill --input "$IN" --output "$WORK/out_tickflow" -q
measure polars "$PYTHON" "$PEER" "$IN" "$WORK/out_polars.parquet"
measure tickflow_by_symbol "$BIN" backfill --input "$IN_SYM" --output "$WORK/out_tickflow_by_symbol" -q
TF_COLS=$("$PYTHON" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['columns']))" "$WORK/out_tickflow/_manifest.json")
PL_COLS=$("$PYTHON" -c "import polars as pl,sys; print(len(pl.scan_parquet(sys.argv[1]).collect_schema()))" "$WORK/out_polars.parquet")
speedup=$(calc "$polars_s / $tickflow_s")
memratio=$(calc "$polars_mb / $tickflow_mb")
printf 'tickflow is %.2fx faster, %.1fx less memory (%s vs %s columns)\n' "$speedup" "$memratio" "$TF_COLS" "$PL_COLS"

{
  echo
  echo "### Backfill vs Polars, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
  echo
  echo "\`bench/backfill_vs_polars.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS: $ROWS rows, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))."
  echo
  echo "| run | wall s | peak RSS MiB | output columns |"
  echo "|---|---:|---:|---:|"
  echo "| tickflow backfill (time-ordered input) | $tickflow_s | $tickflow_mb | $TF_COLS |"
  echo "| Polars peer (\`peer_polars.py\`) | $polars_s | $polars_mb | $PL_COLS |"
  echo "| tickflow backfill (symbol-ordered input) | $tickflow_by_symbol_s | $tickflow_by_symbol_mb | $TF_COLS |"
  echo
  printf 'Ratio: tickflow %.2fx faster than Polars, %.1fx less peak memory.\n' "$speedup" "$memratio"
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
# The three outputs are ~8 GB each: keep the inputs (reused), drop the outputs.
rm -rf "$WORK/out_tickflow" "$WORK/out_tickflow_by_symbol" "$WORK/out_polars.parquet"
