# Helpers shared by the bench scripts (sourced; bench_setup, calc, measure
# and universe_store need $PYTHON and $WORK).

# bench_setup MODULES: checks that $PYTHON imports MODULES (e.g. "polars,
# numpy") and that GNU time is there, builds the release binary into $BIN
# and makes $WORK
bench_setup() {
  "$PYTHON" -c "import $1" 2>/dev/null || { echo "error: $PYTHON needs $1 (pip install ${1//,/})" >&2; exit 1; }
  [ -x /usr/bin/time ] || { echo "error: GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 1; }
  cargo build --release --locked -q -p tickflow
  BIN="$CARGO_TARGET_DIR/release/tickflow"
  mkdir -p "$WORK"
}

# calc EXPR: a Python expression's value
calc() { "$PYTHON" -c "print($1)"; }

# measure NAME CMD...: runs CMD once under GNU time, its output in
# $WORK/NAME.log (shown, and the script stopped, if it fails); wall seconds
# and peak RSS (MiB) into $NAME_s / $NAME_mb
measure() {
  local name=$1; shift
  local out="$WORK/$name.time"
  sync
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; exit 1; }
  read -r secs kb < "$out"
  printf -v "${name}_s" '%s' "$secs"
  printf -v "${name}_mb" '%.0f' "$(calc "$kb / 1024")"
  printf '%-26s %8.2f s %8s MiB\n' "$name" "$secs" "$(eval echo \$${name}_mb)"
}

# universe_store SYMBOLS DAYS: the synthetic universe (seed 42) and its
# feature store under $WORK, built once and shared by the query and backtest
# benchmarks; sets IN, STORE and ROWS (the store's row count). Needs $BIN.
universe_store() {
  IN="$WORK/universe_${1}x${2}.parquet"
  STORE="$WORK/query_store_${1}x${2}"
  [ -f "$IN" ] || "$BIN" gen --symbols "$1" --days "$2" --seed 42 --output "$IN"
  # a store of an older layout (manifest format) is rebuilt
  if ! "$PYTHON" -c "import json,sys; sys.exit(json.load(open(sys.argv[1]))['format'] != 3)" "$STORE/_manifest.json" 2>/dev/null; then
    rm -rf "$STORE"
    "$BIN" backfill --input "$IN" --output "$STORE" -q --metrics-addr off
  fi
  ROWS=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['rows_out'])" "$STORE/_manifest.json")
}

# two_ports: a hostfile's two lines, two distinct free loopback ports (both
# held while chosen)
two_ports() {
  python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(f"127.0.0.1:{a.getsockname()[1]}\n127.0.0.1:{b.getsockname()[1]}")'
}

# minute_topic TICKFLOW SYMBOLS MINUTES: an in-memory tansu broker at $B
# and SYMBOLS x MINUTES generated minute bars replayed into its 4-partition
# topic `bench`; sets $work (a temporary directory) and $rows; the broker
# and $work go when the script exits.
minute_topic() {
  # shellcheck source=../scripts/broker.sh
  . scripts/broker.sh
  start_broker memory
  B="$TICKFLOW_TEST_BROKERS"
  work="$(mktemp -d)"
  trap 'kill "$broker_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
  python3 bench/gen_minutes.py "$work/bars.csv" "$2" "$3"
  rows=$(($2 * $3))
  "$1" replay -q --input "$work/bars.csv" --brokers "$B" --topic bench \
    --partitions 4 --max --work-dir "$work/replay"
}
