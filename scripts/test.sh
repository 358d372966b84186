#!/usr/bin/env bash
# The whole tickflow test suite, from a fresh clone on a fresh machine.
# Installs what it needs (the TA-Lib oracle from PyPI into a private venv;
# libssl-dev and Prometheus from Debian; the tansu Kafka-protocol broker from
# crates.io), starts a broker on a free loopback port (stopped on exit),
# regenerates the golden files from the committed generator, then runs
# formatting, lint, every test and doctest, and checks that benches build.
# Expects ../shared (data and spec) beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tickflow/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
VENV="${TICKFLOW_VENV:-$HOME/.cache/tickflow/venv}"

if [ ! -f ../shared/data/SOURCES.md ] && [ -z "${TICKFLOW_DATA:-}" ]; then
  echo "error: ../shared/data not found beside the repository (or set TICKFLOW_DATA)" >&2
  exit 1
fi

step() { printf '\n== %s\n' "$*"; }

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y -q "$@" >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "$@" >/dev/null
  }
}

step "system packages (libssl-dev for Kafka TLS, prometheus for the metrics test)"
dpkg -s libssl-dev >/dev/null 2>&1 || apt_install libssl-dev pkg-config
command -v prometheus >/dev/null || apt_install prometheus

step "Kafka-protocol broker (tansu 0.6.0, SQLite storage)"
# shellcheck source=broker.sh
. scripts/broker.sh
start_broker

step "python oracle (ta-lib==0.8.2 in $VENV)"
if ! "$VENV/bin/python" -c 'import talib, numpy, polars, pyarrow, yaml; assert talib.__version__ == "0.8.2"' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    'ta-lib==0.8.2' 'numpy>=2' 'polars>=1' 'pyarrow>=15' 'pyyaml>=6'
fi
"$VENV/bin/python" operators/tests/golden/generate.py

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "crash harness and cluster tests on the whole S&P 500 file (release build; the debug run above used a slice)"
cargo test --release --locked -p tickflow --test crash_restart --test cluster

step "benches and examples build"
cargo bench --workspace --locked --no-run

step "deploy: Prometheus config and compose file (static checks; no container engine here)"
promtool check config deploy/prometheus/prometheus.yml
"$VENV/bin/python" tests/deploy/check_compose.py deploy/docker-compose.yml
promtool check config deploy/cluster/prometheus.yml
"$VENV/bin/python" tests/deploy/check_cluster.py deploy/cluster

step "end to end: backfill of ../shared/data/sp500_5yr.csv.gz against the TA-Lib oracle"
DATA="${TICKFLOW_DATA:-../shared/data}"
e2e_dir="$(mktemp -d)"
cargo run --release --locked -q -p tickflow -- backfill -q --workers 2 \
  --input "$DATA/sp500_5yr.csv.gz" --sectors "$DATA/sp500_sectors.csv" \
  --output "$e2e_dir/store"
"$VENV/bin/python" tests/oracle/backfill_oracle.py --output "$e2e_dir/store" \
  --input "$DATA/sp500_5yr.csv.gz" --sectors "$DATA/sp500_sectors.csv"
rm -rf "$e2e_dir"

step "end to end: sectors that change and a universe that members join and leave, against the oracle"
ref_dir="$(mktemp -d)"
"$VENV/bin/python" tests/oracle/reference_files.py --sectors "$DATA/sp500_sectors.csv" --out "$ref_dir"
cargo run --release --locked -q -p tickflow -- backfill -q --workers 2 \
  --input "$DATA/sp500_5yr.csv.gz" --sectors "$ref_dir/sectors.csv" \
  --universe "$ref_dir/universe.csv" --output "$ref_dir/store"
"$VENV/bin/python" tests/oracle/backfill_oracle.py --output "$ref_dir/store" --symbols 10 \
  --input "$DATA/sp500_5yr.csv.gz" --sectors "$ref_dir/sectors.csv" --universe "$ref_dir/universe.csv"
rm -rf "$ref_dir"

step "end to end: beta and corr against an independent recompute, on the panel's equal-weight market and on SPY's closes"
mk_dir="$(mktemp -d)"
cargo run --release --locked -q -p tickflow -- market \
  --input "$DATA/sp500_5yr.csv.gz" --output "$mk_dir/ew.csv"
for market in "$mk_dir/ew.csv" "$DATA/spy_daily_2017_2018.csv"; do
  rm -rf "$mk_dir/store"
  cargo run --release --locked -q -p tickflow -- backfill -q --workers 2 \
    --input "$DATA/sp500_5yr.csv.gz" --config tests/oracle/market.toml \
    --market "$market" --output "$mk_dir/store"
  case "$market" in
    *ew.csv) source_args=(--equal-weight --series "$market") ;;
    *) source_args=(--close "$market") ;;
  esac
  "$VENV/bin/python" tests/oracle/market_oracle.py --output "$mk_dir/store" \
    --input "$DATA/sp500_5yr.csv.gz" "${source_args[@]}" --beta 20 60 --corr 20 60
done
rm -rf "$mk_dir"

step "demo (the README's first command)"
demo_dir="$(mktemp -d)"
cargo run --release --locked -q -p tickflow -- demo --dir "$demo_dir/demo"
rm -rf "$demo_dir"
