#!/usr/bin/env bash
# Durability benchmark (issue 5), in one run on one machine:
#  1. appending one day (4,000 bars) to a 4,000 x 5,000-day store, beside
#     rebuilding that store with the day included, and beside appending one
#     day to a store a quarter that size;
#  2. checkpoint overhead on the full backfill: the default interval (10 s)
#     and a 2 s interval against the end-of-run checkpoint only (each twice,
#     interleaved, best of each: run-to-run noise here is about 15%).
# Prints the numbers and appends them to bench/RESULTS.md.
#
#   bench/append_vs_rebuild.sh                    # 4,000 symbols x 5,000 days
#   SYMBOLS=500 DAYS=1000 bench/append_vs_rebuild.sh   # a quick run
#
# Needs: cargo, python3 with polars (PYTHON=... to choose), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
DAYS="${DAYS:-5000}"
QDAYS=$((DAYS / 4))
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
. bench/lib.sh
bench_setup "polars"

# universe DAYS NAME: NAME_base.parquet (all days but the last) and
# NAME_day.csv (the last day: one bar per symbol)
universe() {
  local days=$1 name=$2 all="$WORK/$2_all.parquet"
  [ -f "$WORK/${name}_day.csv" ] && return
  "$BIN" gen --symbols "$SYMBOLS" --days "$((days + 1))" --seed 42 --output "$all" >/dev/null
  "$PYTHON" - "$all" "$WORK/${name}_base.parquet" "$WORK/${name}_day.csv" <<'PY'
import sys, polars as pl
df = pl.read_parquet(sys.argv[1])
last = df["date"].max()
df.filter(pl.col("date") < last).write_parquet(sys.argv[2])
df.filter(pl.col("date") == last).write_csv(sys.argv[3])
PY
  rm -f "$all"
}
universe "$DAYS" full
universe "$QDAYS" quarter

rows() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['rows_out'])" "$1/_manifest.json"; }

FULL="$WORK/store_full" QUARTER="$WORK/store_quarter"
rm -rf "$FULL" "$QUARTER" "$WORK/store_rebuilt" "$WORK/store_final_only" "$WORK/store_2s"
echo "$SYMBOLS symbols; stores of $DAYS and $QDAYS days; $(nproc) cores"
measure process_start "$BIN" features
measure build_full "$BIN" backfill -q --metrics-addr off --input "$WORK/full_base.parquet" --output "$FULL"
measure append_full "$BIN" backfill -q --metrics-addr off --append --input "$WORK/full_day.csv" --output "$FULL"
measure rebuild_full "$BIN" backfill -q --metrics-addr off \
  --input "$WORK/full_base.parquet" "$WORK/full_day.csv" --output "$WORK/store_rebuilt"
FULL_ROWS=$(rows "$FULL")
[ "$FULL_ROWS" = "$(rows "$WORK/store_rebuilt")" ] || { echo "appended and rebuilt stores differ in rows" >&2; exit 1; }
rm -rf "$WORK/store_rebuilt"
# Checkpoint overhead: each variant twice, interleaved; the best of each.
for rep in 1 2; do
  for v in final_only:100000s ckpt_10s:10s ckpt_2s:2s; do
    measure "${v%%:*}_$rep" "$BIN" backfill -q --metrics-addr off --checkpoint-interval "${v#*:}" \
      --input "$WORK/full_base.parquet" --output "$WORK/store_${v%%:*}"
    rm -rf "$WORK/store_${v%%:*}"
  done
done
best() { calc "min($1, $2)"; }
build_final_only_s=$(best "$final_only_1_s" "$final_only_2_s")
build_10s_s=$(best "$ckpt_10s_1_s" "$ckpt_10s_2_s")
build_2s_s=$(best "$ckpt_2s_1_s" "$ckpt_2s_2_s")
measure build_quarter "$BIN" backfill -q --metrics-addr off --input "$WORK/quarter_base.parquet" --output "$QUARTER"
measure append_quarter "$BIN" backfill -q --metrics-addr off --append --input "$WORK/quarter_day.csv" --output "$QUARTER"
QUARTER_ROWS=$(rows "$QUARTER")

printf 'append one day: %.2f s to %s rows, %.2f s to %s rows; rebuild %.1f s (%.0fx the append)\n' \
  "$append_full_s" "$FULL_ROWS" "$append_quarter_s" "$QUARTER_ROWS" "$rebuild_full_s" "$(calc "$rebuild_full_s / $append_full_s")"
printf 'checkpoints: every 10 s %+.1f%%, every 2 s %+.1f%% wall vs end-only\n' \
  "$(calc "100 * ($build_10s_s / $build_final_only_s - 1)")" "$(calc "100 * ($build_2s_s / $build_final_only_s - 1)")"

{
  echo
  echo "### Append vs rebuild, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
  echo
  echo "\`bench/append_vs_rebuild.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS, $(nproc) cores. Wall time includes process start ($process_start_s s for \`tickflow features\`)."
  echo
  echo "| run | store rows after | wall s | peak RSS MiB |"
  echo "|---|---:|---:|---:|"
  echo "| append one day ($SYMBOLS bars) to the $DAYS-day store | $FULL_ROWS | $append_full_s | $append_full_mb |"
  echo "| append one day to the $QDAYS-day store | $QUARTER_ROWS | $append_quarter_s | $append_quarter_mb |"
  echo "| rebuild the $DAYS-day store with that day | $FULL_ROWS | $rebuild_full_s | $rebuild_full_mb |"
  echo
  echo "| full backfill ($DAYS days), best of 2 interleaved | wall s | vs end-only |"
  echo "|---|---:|---:|"
  echo "| checkpoint at the end only | $build_final_only_s | |"
  echo "| checkpoint every 10 s (default) | $build_10s_s | $(calc "round(100 * ($build_10s_s / $build_final_only_s - 1), 1)")% |"
  echo "| checkpoint every 2 s | $build_2s_s | $(calc "round(100 * ($build_2s_s / $build_final_only_s - 1), 1)")% |"
} >> bench/RESULTS.md
echo "appended to bench/RESULTS.md"
