#!/usr/bin/env bash
# Backtest benchmark (issue 9), in one run: `tickflow backtest` of one
# long/short quantile signal on a 4,000-symbol x 5,000-day (20-year) store
# against the same backtest vectorised with pandas/numpy
# (bench/backtest_peer.py: pivoted frames, row ranks, corrwith). Both read
# the same store; their total return, Sharpe, max drawdown, mean IC and
# quantile returns must agree to 1e-9, or the script fails.
# tickflow runs RUNS times (the best kept, after one warm-up run: the store
# sits in the page cache), the peer once.
# Prints the numbers and appends them to bench/RESULTS.md.
#
#   bench/backtest_vs_python.sh
#   SYMBOLS=500 DAYS=1000 bench/backtest_vs_python.sh   # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
DAYS="${DAYS:-5000}"
RUNS="${RUNS:-3}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
. bench/lib.sh
bench_setup "pandas, pyarrow, numpy"
universe_store "$SYMBOLS" "$DAYS"

CONFIG="$WORK/backtest_bench.toml"
cat > "$CONFIG" <<'TOML'
[[signal]]
name = "reversal"
weights = { cs_rank_ret_5 = -1.0, cs_rank_rsi_14 = -0.5 }
quantiles = 5
rebalance = 5
holding = 10
cost_bps = 10
min_dollar_volume = 1e6
TOML
REPORT="$WORK/backtest_report"
"$BIN" backtest "$STORE" --config "$CONFIG" --output "$REPORT" > /dev/null 2>&1
best=""
for run in $(seq "$RUNS"); do
  measure tickflow "$BIN" backtest "$STORE" --config "$CONFIG" --output "$REPORT"
  if [ -z "$best" ] || [ "$(calc "$tickflow_s < $best")" = True ]; then best=$tickflow_s; best_mb=$tickflow_mb; fi
done
measure python "$PYTHON" bench/backtest_peer.py "$STORE" "$CONFIG" "$WORK/backtest_peer.json"
"$PYTHON" - "$REPORT/reversal/summary.json" "$WORK/backtest_peer.json" <<'PY'
import json, sys
tf, peer = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ["bars", "total_return", "sharpe", "max_drawdown", "mean_ic"]:
    a, b = tf["net"][k], peer[k]
    assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"{k}: tickflow {a} vs peer {b}"
for a, b in zip(tf["quantiles"]["mean"], peer["quantiles"]):
    assert abs(a - b) <= 1e-12, f"quantile returns: {a} vs {b}"
print(f"same results: Sharpe {tf['net']['sharpe']:.6f}, mean IC {tf['net']['mean_ic']:.6f}")
PY
ratio=$(calc "round($python_s / $best, 1)")
echo "tickflow backtest is ${ratio}x faster ($ROWS store rows)"
{
  echo
  echo "### Backtest vs a pandas/numpy backtest, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
  echo
  echo "\`bench/backtest_vs_python.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS: one long/short quintile signal (two columns), rebalanced every 5 bars, held 10, 10 bps costs, a liquidity filter, rank IC at 5 horizons, report with charts; $ROWS store rows, warm page cache, $(nproc) cores. Both give the same returns, Sharpe, drawdown, IC and quantile returns (checked to 1e-9)."
  echo
  echo "| run | wall s | peak RSS MiB |"
  echo "|---|---:|---:|"
  echo "| \`tickflow backtest\` (best of $RUNS) | $best | $best_mb |"
  echo "| pandas/numpy (\`bench/backtest_peer.py\`) | $python_s | $python_mb |"
  echo
  echo "Ratio: tickflow ${ratio}x faster. Target: 4,000 symbols x 20 years in at most 5 s."
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
