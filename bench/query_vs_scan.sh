#!/usr/bin/env bash
# Query benchmark (issue 9), in one run: a one-month, ten-column query of a
# 4,000-symbol x 5,000-day store (about 17.6M rows, 77 columns) with
# `tickflow query` (partition, row-group, column and row pushdown) against
#  - `tickflow query --full-scan` (every file and column decoded, then filtered),
#  - Polars lazy `scan_parquet` with the same filter and projection (pushdown),
#  - Polars `read_parquet` of the whole store, then filtered (a full scan).
# Each is run RUNS times, the best kept (the store sits in the page cache:
# these are warm reads, the case of repeated research queries). Every run
# writes its rows to a Parquet file; the row counts must agree.
# Prints the numbers and appends them to bench/RESULTS.md.
#
#   bench/query_vs_scan.sh
#   SYMBOLS=500 DAYS=1000 bench/query_vs_scan.sh   # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
DAYS="${DAYS:-5000}"
RUNS="${RUNS:-3}"
FROM="${FROM:-2012-03-01}"
TO="${TO:-2012-03-31}"
COLUMNS="${COLUMNS:-close,volume,ret_1,ret_20,rsi_14,macd_hist,atr_14,vol_20,cs_rank_ret_1,cs_z_rsi_14}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import polars' 2>/dev/null || { echo "error: $PYTHON has no polars (pip install polars)" >&2; exit 1; }

cargo build --release --locked -q -p tickflow
BIN="$CARGO_TARGET_DIR/release/tickflow"
mkdir -p "$WORK"
. bench/lib.sh
universe_store "$SYMBOLS" "$DAYS"
now() { date +%s.%N; }

PEER="$WORK/query_peer.py"
cat > "$PEER" <<'PY'
import sys, datetime, polars as pl
store, mode, lo, hi, cols, out = sys.argv[1:7]
cols = cols.split(",")
lo, hi = datetime.date.fromisoformat(lo), datetime.date.fromisoformat(hi)
glob = f"{store}/**/*.parquet"
if mode == "lazy":
    df = (pl.scan_parquet(glob, hive_partitioning=False)
          .filter(pl.col("ts").is_between(lo, hi))
          .select(["symbol", "ts", *cols]).sort(["ts", "symbol"]).collect())
else:
    df = pl.read_parquet(glob, hive_partitioning=False)
    df = df.filter(pl.col("ts").is_between(lo, hi)).select(["symbol", "ts", *cols]).sort(["ts", "symbol"])
df.write_parquet(out)
print(df.height)
PY

best() { # NAME CMD...: best wall seconds of RUNS into $NAME_s, rows into $NAME_rows
  local name=$1; shift
  local b=""
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(now); "$@" > "$WORK/q_$name.log" 2>&1 || { cat "$WORK/q_$name.log"; exit 1; }; t1=$(now)
    local s; s=$(calc "$t1 - $t0")
    if [ -z "$b" ] || [ "$(calc "$s < $b")" = True ]; then b=$s; fi
  done
  printf -v "${name}_s" '%.3f' "$b"
  printf -v "${name}_rows" '%s' "$("$PYTHON" -c "import polars as pl,sys; print(pl.read_parquet(sys.argv[1]).height)" "$WORK/q_$name.parquet")"
  printf '%-20s %8.3f s  %s rows\n' "$name" "$b" "$(eval echo \$${name}_rows)"
}

echo "store: $ROWS rows, query $FROM..$TO, columns $COLUMNS, $(nproc) cores"
Q=(query "$STORE" --from "$FROM" --to "$TO" --columns "$COLUMNS" --format parquet)
best pushdown "$BIN" "${Q[@]}" --output "$WORK/q_pushdown.parquet"
best full_scan "$BIN" "${Q[@]}" --full-scan --output "$WORK/q_full_scan.parquet"
best polars_lazy "$PYTHON" "$PEER" "$STORE" lazy "$FROM" "$TO" "$COLUMNS" "$WORK/q_polars_lazy.parquet"
best polars_full "$PYTHON" "$PEER" "$STORE" full "$FROM" "$TO" "$COLUMNS" "$WORK/q_polars_full.parquet"
for n in full_scan polars_lazy polars_full; do
  [ "$(eval echo \$${n}_rows)" = "$pushdown_rows" ] || { echo "error: $n found a different row count" >&2; exit 1; }
done
r_full=$(calc "round($full_scan_s / $pushdown_s, 1)")
r_lazy=$(calc "round($polars_lazy_s / $pushdown_s, 1)")
r_pfull=$(calc "round($polars_full_s / $pushdown_s, 1)")
echo "tickflow query is ${r_full}x faster than a full scan, ${r_lazy}x faster than Polars lazy, ${r_pfull}x faster than Polars read-then-filter"
{
  echo
  echo "### Query vs full scan, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
  echo
  echo "\`bench/query_vs_scan.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS: a store of $ROWS rows x 77 columns (zstd Parquet); query $FROM..$TO, 10 columns ($pushdown_rows rows out, written as Parquet); best of $RUNS warm runs, $(nproc) cores."
  echo
  echo "| run | wall s | vs tickflow query |"
  echo "|---|---:|---:|"
  echo "| \`tickflow query\` (pushdown) | $pushdown_s | 1.0x |"
  echo "| \`tickflow query --full-scan\` | $full_scan_s | ${r_full}x |"
  echo "| Polars \`scan_parquet\` + filter (lazy, pushdown) | $polars_lazy_s | ${r_lazy}x |"
  echo "| Polars \`read_parquet\` then filter | $polars_full_s | ${r_pfull}x |"
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
