#!/usr/bin/env bash
# A real Open311 client against `qcity serve`: starts `qcity` on a fresh SQLite data directory
# (the default plan is loaded on first start), gives an integrator's account an API token (its
# Open311 api_key), and runs .ci/open311_client.py, which lists the services, posts a request
# with the key and reads it back, through the PyPI package `georeport`.
#
# Called by .ci/run; runs alone too: `.ci/open311.sh` (QCITY_BIN=path to skip the build).
set -euo pipefail
cd "$(dirname "$0")/.."

GEOREPORT_VERSION=0.3.1

venv="$PWD/.ci/open311-venv"
if ! "$venv/bin/pip" show georeport 2>/dev/null | grep -q "^Version: $GEOREPORT_VERSION$"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "georeport==$GEOREPORT_VERSION"
fi

if [ -z "${QCITY_BIN:-}" ]; then
  cargo build -q -p qcity
  target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  QCITY_BIN="$target_dir/debug/qcity"
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export QCITY_DATA_DIR="$work/data"
export QCITY_TODAY=2026-03-20
# The integrator's account: the role with the fewest rights will do, since an Open311 key files
# complaints with the public's rights only.
printf 'Open311-Client-2026\n' |
  "$QCITY_BIN" user add --username open311-client --role evaluator --display-name "Open311 client" --password-stdin >"$work/user.log" 2>&1 ||
  { cat "$work/user.log"; exit 1; }
key=$("$QCITY_BIN" token create --username open311-client --label open311 2>/dev/null)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$QCITY_BIN" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
healthy() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$base/healthz" 2>/dev/null; }
for _ in $(seq 1 100); do
  healthy && break
  sleep 0.2
done
healthy || { echo "the server did not start:"; cat "$work/server.log"; exit 1; }

status=0
"$venv/bin/python" .ci/open311_client.py "$base/open311/v2" "$key" || status=1
if grep -q 'internal error' "$work/server.log"; then
  echo "the server logged internal errors:"
  grep 'internal error' "$work/server.log" | head -20
  status=1
fi
exit "$status"
