# Sourced by scripts/test.sh and bench/live_vs_consumer.sh: installs tansu
# (a Kafka-protocol broker) when absent and starts it on a free loopback
# port, with SQLite storage (the default: `start_broker`) or memory storage
# (`start_broker memory`). The tests need SQLite: tansu's object storage
# (memory://) answers a fetch from the middle of a record batch with the
# next batch, skipping the rest of that one, which breaks every consumer
# that resumes at an exact offset; SQLite serves exact offsets and survives
# a broker restart. The throughput bench needs memory: SQLite's fetch query
# sums every later record's size, so a fetch costs O(rest of partition) and
# a 480k-message topic stalls readers for seconds. Sets TICKFLOW_TEST_BROKERS, TICKFLOW_TEST_TANSU (the
# binary, for tests that run a broker of their own) and broker_pid, and
# stops the broker when the calling script exits.
start_broker() {
  local tools="$HOME/.cache/tickflow/tools/tansu-0.6.0-sql"
  local tansu="${TICKFLOW_TANSU:-$tools/bin/tansu}"
  if [ ! -x "$tansu" ]; then
    cargo install tansu --version 0.6.0 --locked --features dynostore,libsql --root "$tools"
  fi
  local port log dir
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  dir="$(mktemp -d)"
  log="$dir/tansu.log"
  # The storage path is relative to the broker's working directory.
  local storage="sqlite://tansu.db"
  [ "${1:-sqlite}" = memory ] && storage="memory://tansu/"
  (cd "$dir" && exec "$tansu" broker --storage-engine "$storage" \
    --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    >"$log" 2>&1) &
  broker_pid=$!
  # Expanded now: $dir is local to this function.
  trap "kill $broker_pid 2>/dev/null || true; rm -rf '$dir'" EXIT
  python3 - "$port" <<'PY'
import socket, sys, time
deadline = time.time() + 60
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the broker did not start listening within 60 s")
        time.sleep(0.2)
PY
  export TICKFLOW_TEST_BROKERS="127.0.0.1:$port"
  export TICKFLOW_TEST_TANSU="$tansu"
  echo "broker at $TICKFLOW_TEST_BROKERS (pid $broker_pid, log: $log)"
}
