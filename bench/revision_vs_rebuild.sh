#!/usr/bin/env bash
# Revision benchmark (issue 6), in one run: one revised bar of one symbol,
# BACK bars before the end of a 4,000-symbol x 5,000-day store (about 17.6M
# rows, 77 columns), applied with `tickflow backfill --append` (the symbol
# replayed from the store, the cross-sections of the times it moved
# recomputed, the files holding changed rows rewritten, old versions to
# _history/), beside rebuilding the whole store from the corrected input
# (what a pipeline without revisions does). Wall time from process start;
# each revision runs on a hard-linked copy of the same store. A second
# revision ten times further back shows the cost following the rows changed.
# Prints the numbers and appends them to bench/RESULTS.md.
#
#   bench/revision_vs_rebuild.sh
#   SYMBOLS=500 DAYS=1000 bench/revision_vs_rebuild.sh   # a quick run
#
# Needs: cargo, python3 with polars (PYTHON=... to choose), GNU time, and
# twice the store's size on disk (about 17 GB at full size).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
DAYS="${DAYS:-5000}"
BACK="${BACK:-30}"
WORK="${WORK:-${TMPDIR:-/tmp}/tickflow-bench}"
PYTHON="${PYTHON:-python3}"
. bench/lib.sh
bench_setup "polars"
universe_store "$SYMBOLS" "$DAYS"
FAR=$((BACK * 10))

# revision BACK: rev_BACK.csv (the first symbol's bar BACK bars before its
# end, close +1%) and, for BACK, corrected.parquet (the universe with it)
"$PYTHON" - "$IN" "$WORK" "$BACK" "$FAR" <<'PY'
import sys, polars as pl
src, work, backs = sys.argv[1], sys.argv[2], [int(b) for b in sys.argv[3:]]
df = pl.read_parquet(src)
sym = df["symbol"].min()
mine = df.filter(pl.col("symbol") == sym).sort("date")
for i, back in enumerate(backs):
    row = mine.row(mine.height - back, named=True)
    close = row["close"] * 1.01
    rev = pl.DataFrame([{**row, "close": close, "high": max(row["high"], close)}], schema=df.schema)
    rev.write_csv(f"{work}/rev_{back}.csv")
    if i == 0:
        key = (pl.col("symbol") == sym) & (pl.col("date") == row["date"])
        df.with_columns(
            pl.when(key).then(pl.lit(close)).otherwise(pl.col("close")).alias("close"),
            pl.when(key).then(pl.lit(max(row["high"], close))).otherwise(pl.col("high")).alias("high"),
        ).write_parquet(f"{work}/corrected.parquet")
PY

revised_rows() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['runs'][-1]['revisions']['rows'])" "$1/_manifest.json"; }
echo "$SYMBOLS symbols x $DAYS days, $ROWS rows; $(nproc) cores"
measure process_start "$BIN" features
for back in "$BACK" "$FAR"; do
  copy="$WORK/revised_store"
  rm -rf "$copy" && cp -al "$STORE" "$copy"
  measure "revise_$back" "$BIN" backfill -q --metrics-addr off --append --input "$WORK/rev_$back.csv" --output "$copy"
  printf -v "rows_$back" '%s' "$(revised_rows "$copy")"
  rm -rf "$copy"
done
rm -rf "$WORK/rebuilt_store"
measure rebuild "$BIN" backfill -q --metrics-addr off --input "$WORK/corrected.parquet" --output "$WORK/rebuilt_store"
rm -rf "$WORK/rebuilt_store"

near_s=$(eval echo "\$revise_${BACK}_s") far_s=$(eval echo "\$revise_${FAR}_s")
near_rows=$(eval echo "\$rows_$BACK") far_rows=$(eval echo "\$rows_$FAR")
near_mb=$(eval echo "\$revise_${BACK}_mb") far_mb=$(eval echo "\$revise_${FAR}_mb")
ratio=$(calc "round($rebuild_s / $near_s, 1)")
printf 'revision %s bars back: %.2f s, %s rows changed; %s back: %.2f s, %s rows; rebuild %.1f s (%sx)\n' \
  "$BACK" "$near_s" "$near_rows" "$FAR" "$far_s" "$far_rows" "$rebuild_s" "$ratio"

cat >> bench/RESULTS.md <<MD

### Revision vs rebuild, $(date +%F), commit $(git rev-parse --short HEAD)

\`bench/revision_vs_rebuild.sh\` with SYMBOLS=$SYMBOLS DAYS=$DAYS, $(nproc) cores: one bar of one symbol
revised (close +1%) in a store of $ROWS rows, wall time from process start
(\`tickflow features\`, a process start: ${process_start_s} s).

| job | rows changed | wall (s) | peak RSS (MiB) |
|---|---|---|---|
| revise a bar $BACK bars before the end (\`backfill --append\`) | $near_rows | $near_s | $near_mb |
| revise a bar $FAR bars before the end | $far_rows | $far_s | $far_mb |
| rebuild the store from the corrected input | all ($ROWS) | $rebuild_s | $rebuild_mb |

Revision $BACK bars back vs rebuild: **${ratio}x** faster.
MD
