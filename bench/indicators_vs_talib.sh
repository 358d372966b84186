#!/usr/bin/env bash
# Indicators: tickflow's incremental standard set against TA-Lib's batch C
# functions (through the Python package) on the same 2M-bar series, in one run.
# Usage: bench/indicators_vs_talib.sh [BARS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
VENV="${TICKFLOW_VENV:-$HOME/.cache/tickflow/venv}"
BARS="${1:-2000000}"
SERIES="$(mktemp -t tickflow-series.XXXXXX)"
trap 'rm -f "$SERIES"' EXIT
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV"; "$VENV/bin/python" -m pip install -q 'ta-lib==0.8.2' 'numpy>=2'; }
cargo build -q --release -p tickflow-operators --example speed
"$VENV/bin/python" bench/talib_speed.py --bars "$BARS" --series "$SERIES" | tee /tmp/tickflow-talib.jsonl
"$CARGO_TARGET_DIR/release/examples/speed" "$SERIES" 4000 | tee /tmp/tickflow-speed.jsonl
python3 - <<'PY'
import json
t = [json.loads(l) for l in open("/tmp/tickflow-talib.jsonl")][-1]
ours = [json.loads(l) for l in open("/tmp/tickflow-speed.jsonl")]
for o in (o for o in ours if "ns_per_bar" in o):
    print(f"ratio talib_all/tickflow [{o['function']}]: {t['ns_per_bar'] / o['ns_per_bar']:.2f}x "
          f"({t['ns_per_bar']:.1f} ns vs {o['ns_per_bar']:.1f} ns per bar)")
PY
