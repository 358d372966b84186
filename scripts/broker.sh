# Sourced by scripts/test.sh and bench/live_vs_consumer.sh: installs tansu
# (a Kafka-protocol broker) when absent and starts it with memory storage on
# a free loopback port. Sets TICKFLOW_TEST_BROKERS and broker_pid, and stops
# the broker when the calling script exits.
start_broker() {
  local tools="$HOME/.cache/tickflow/tools"
  local tansu="${TICKFLOW_TANSU:-$tools/bin/tansu}"
  if [ ! -x "$tansu" ]; then
    cargo install tansu --version 0.6.0 --locked --features dynostore --root "$tools"
  fi
  local port log
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log="$(mktemp)"
  "$tansu" broker --storage-engine memory://tansu/ \
    --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    >"$log" 2>&1 &
  broker_pid=$!
  trap 'kill "$broker_pid" 2>/dev/null || true' EXIT
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
  echo "broker at $TICKFLOW_TEST_BROKERS (pid $broker_pid, log: $log)"
}
