#!/usr/bin/env bash
# Market-series benchmark (issue 6), in one run: rolling beta and
# correlation (20 and 60 bars) of every symbol's ret_1 against the panel's
# equal-weight market, with the cross-sectional rank and z-score of
# beta_60 and corr_60, by tickflow (`tickflow market`, then `backfill
# --market` with tests/oracle/market.toml) beside the Polars peer
# (bench/market_peer.py: group_by/over, rolling_cov/rolling_corr), on the
# S&P 500 panel and on a synthetic universe. Both sides' values are
# compared (largest |difference|) before the times are reported. Wall time
# and peak RSS from process start; prints the numbers and appends them to
# bench/RESULTS.md.
#
#   bench/market_vs_polars.sh
#   SYMBOLS=500 DAYS=1000 bench/market_vs_polars.sh   # a quicker synthetic run
#
# Needs: cargo, python3 with polars (PYTHON=... to choose), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-2000}"
DAYS="${DAYS:-2500}"
DATA="${TICKFLOW_DATA:-../shared/data}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
. bench/lib.sh
bench_setup "polars"
SYN="$WORK/universe_${SYMBOLS}x${DAYS}.parquet"
# Warm both sides' code into the page cache: a binary just written by the
# build costs about 0.6 s more on its first run, which is no part of the job.
"$BIN" features > /dev/null
"$PYTHON" -c "import polars"
[ -f "$SYN" ] || "$BIN" gen --symbols "$SYMBOLS" --days "$DAYS" --seed 42 --output "$SYN"

# run NAME INPUT SYMBOL_COL: both sides on INPUT; sets NAME_rows, NAME_diff
run() {
  local name=$1 input=$2 col=$3
  rm -rf "$WORK/$name.store" "$WORK/$name.ew.csv" "$WORK/$name.peer.parquet"
  measure "${name}_tickflow" bash -c "'$BIN' market --input '$input' --symbol-col $col --output '$WORK/$name.ew.csv' && '$BIN' backfill -q --metrics-addr off --input '$input' --symbol-col $col --config tests/oracle/market.toml --market '$WORK/$name.ew.csv' --output '$WORK/$name.store'"
  measure "${name}_polars" "$PYTHON" bench/market_peer.py "$input" "$WORK/$name.peer.parquet" --symbol-col "$col"
  read -r rows diff < <("$PYTHON" - "$WORK/$name.store" "$WORK/$name.peer.parquet" <<'PY'
import sys, polars as pl
t = pl.scan_parquet(f"{sys.argv[1]}/**/*.parquet", hive_partitioning=True).collect()
p = pl.read_parquet(sys.argv[2]).rename({"date": "ts"})
cols = ["beta_20", "beta_60", "corr_20", "corr_60", "cs_z_beta_60", "cs_rank_corr_60"]
j = t.select(["symbol", "ts"] + cols).join(p.select(["symbol", "ts"] + cols), on=["symbol", "ts"], suffix="_p")
assert j.height == t.height == p.height, (j.height, t.height, p.height)
worst = 0.0
for c in cols:
    assert j.filter(pl.col(c).is_null() != pl.col(c + "_p").is_null()).height == 0, c
    worst = max(worst, j.select((pl.col(c) - pl.col(c + "_p")).abs().max()).item() or 0.0)
print(t.height, f"{worst:.1e}")
PY
)
  printf -v "${name}_rows" '%s' "$rows"
  printf -v "${name}_diff" '%s' "$diff"
  rm -rf "$WORK/$name.store" "$WORK/$name.peer.parquet"
}
run sp500 "$DATA/sp500_5yr.csv.gz" Name
run synthetic "$SYN" symbol
sp_ratio=$(calc "round($sp500_polars_s / $sp500_tickflow_s, 2)")
syn_ratio=$(calc "round($synthetic_polars_s / $synthetic_tickflow_s, 2)")
syn_mem=$(calc "round($synthetic_polars_mb / $synthetic_tickflow_mb, 1)")
printf 'S&P 500: tickflow %.2f s, Polars %.2f s (%sx); synthetic: tickflow %.2f s, Polars %.2f s (%sx, %sx less memory)\n' \
  "$sp500_tickflow_s" "$sp500_polars_s" "$sp_ratio" "$synthetic_tickflow_s" "$synthetic_polars_s" "$syn_ratio" "$syn_mem"

cat >> bench/RESULTS.md <<MD

### Beta and correlation vs Polars, $(date +%F), commit $(git rev-parse --short HEAD)

\`bench/market_vs_polars.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS, $(nproc) cores: ret_1,
beta_20/60 and corr_20/60 against the equal-weight market, and the
cross-sectional rank and z-score of beta_60 and corr_60 (tickflow: \`market\`
then \`backfill --market\`, Parquet store; Polars: \`bench/market_peer.py\`,
one Parquet file). Values agree to the largest |difference| shown.

| input | rows | tickflow (s) | tickflow RSS (MiB) | Polars (s) | Polars RSS (MiB) | ratio | max diff |
|---|---|---|---|---|---|---|---|
| S&P 500 panel (csv.gz) | $sp500_rows | $sp500_tickflow_s | $sp500_tickflow_mb | $sp500_polars_s | $sp500_polars_mb | ${sp_ratio}x | $sp500_diff |
| synthetic ${SYMBOLS}x${DAYS} (Parquet) | $synthetic_rows | $synthetic_tickflow_s | $synthetic_tickflow_mb | $synthetic_polars_s | $synthetic_polars_mb | ${syn_ratio}x | $synthetic_diff |
MD
