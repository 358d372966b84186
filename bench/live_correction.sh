#!/usr/bin/env bash
# A correction on the live topic: what applying it costs a live run.
#
#   bench/live_correction.sh             # 4,000 symbols x 600 minutes (2.4M bars)
#   SYMBOLS=4000 MINUTES=600 BACK=30 bench/live_correction.sh
#
# The minute bars go into a 4-partition topic (tansu, memory storage) and
# `tickflow live` builds its store from them. Then one bar of one symbol
# BACK minutes before the end is published again with its close +1%, and
# the store is resumed twice: once with that late bar (it is applied as a
# correction at the run's end: the symbol replayed from its kept state,
# the cross-sections it moves recomputed, the rows given new versions) and
# once more with nothing new (the baseline: opening the store, reading to
# the topic's end, the final checkpoint). Wall times exclude --idle-exit.
# Appends the numbers to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
SYMBOLS="${SYMBOLS:-4000}"
MINUTES="${MINUTES:-600}"
BACK="${BACK:-30}"
IDLE_EXIT=1
PYTHON="${PYTHON:-python3}"

cargo build --release --locked -q -p tickflow --bins
BIN="$CARGO_TARGET_DIR/release"
# shellcheck source=lib.sh
. bench/lib.sh
minute_topic "$BIN/tickflow" "$SYMBOLS" "$MINUTES"

live() {
  "$BIN/tickflow" live --brokers "$B" --topic bench --group "g-$1-$$" \
    --output "$work/store" --idle-exit "$IDLE_EXIT" --metrics-addr off
}
seconds() { sed -nE 's/.* in ([0-9.]+) s; store.*/\1/p' <<<"$1"; }

build="$(live build)"
echo "$build"
# The bar BACK minutes before the end of the second symbol, close +1%.
python3 - "$work/bars.csv" "$work/late.csv" "$SYMBOLS" "$MINUTES" "$BACK" <<'PY'
import sys
src, out, symbols, minutes, back = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
with open(src) as f:
    header = f.readline()
    for i, line in enumerate(f):
        if i == (minutes - 1 - back) * symbols + 1:
            s, ts, o, h, lo, c, v = line.strip().split(",")
            c2 = round(float(c) * 1.01, 2)
            h2 = max(float(h), c2)
            open(out, "w").write(header + f"{s},{ts},{o},{h2},{lo},{c2},{v}\n")
            break
PY
"$BIN/tickflow" replay -q --input "$work/late.csv" --brokers "$B" --topic bench \
  --partitions 4 --max --work-dir "$work/replay-late"
corrected="$(live late 2>&1)"
echo "$corrected"
baseline="$(live base 2>&1)"
echo "$baseline"

rows_out="$(sed -nE 's/.* ([0-9]+) rows out.*/\1/p' <<<"$build")"
line="$(grep -m1 '^  corrections:' <<<"$corrected" | sed 's/^  //')"
pass="$(sed -nE 's/.*\(([0-9.]+) s\)$/\1/p' <<<"$line")"
revised="$(sed -nE 's/.*, ([0-9]+) rows have a new version.*/\1/p' <<<"$line")"
with_s="$(calc "round($(seconds "$corrected") - $IDLE_EXIT, 2)")"
base_s="$(calc "round($(seconds "$baseline") - $IDLE_EXIT, 2)")"
build_s="$(calc "round($(seconds "$build") - $IDLE_EXIT, 2)")"
{
  echo
  echo "### Live correction, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)"
  echo
  echo "\`bench/live_correction.sh\` (SYMBOLS=$SYMBOLS MINUTES=$MINUTES BACK=$BACK), $(nproc) cores, tansu memory storage: a live store of $rows_out rows, one bar $BACK minutes before its end published again with its close +1%."
  echo
  echo "| run | wall (s, without --idle-exit) |"
  echo "|---|---|"
  echo "| live build of the store ($rows bars) | $build_s |"
  echo "| resume with the late bar, applied at the end ($revised rows revised) | $with_s |"
  echo "| of which the corrections pass | $pass |"
  echo "| resume with nothing new (baseline) | $base_s |"
} >> bench/RESULTS.md
tail -n 12 bench/RESULTS.md
