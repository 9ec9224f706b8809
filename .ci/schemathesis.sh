#!/usr/bin/env bash
# Schemathesis against the JSON API: starts `qcity` on a fresh SQLite data directory with the
# demo loaded, creates API tokens for an office, a unit and an evaluator account, and runs
# Schemathesis on /api/v1/openapi.json with each token. Fails on any server error (5xx) and on
# any answer that the document does not describe (status code, content type, body schema).
#
# Called by .ci/run; runs alone too: `.ci/schemathesis.sh` (QCITY_BIN=path to skip the build,
# SCHEMATHESIS_MAX_EXAMPLES=n for more or fewer cases per operation).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
# Each account's run stops after this many seconds (three runs: a few minutes in all).
BUDGET_SECONDS=${SCHEMATHESIS_BUDGET_SECONDS:-80}

venv="$PWD/.ci/venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
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
export QCITY_TODAY=2014-12-15
"$QCITY_BIN" demo >"$work/demo.log" 2>&1
office=$("$QCITY_BIN" token create --username office --label schemathesis 2>/dev/null)
unit=$("$QCITY_BIN" token create --username zjfj --label schemathesis 2>/dev/null)
evaluator=$("$QCITY_BIN" token create --username evaluator --label schemathesis 2>/dev/null)

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

# Schemathesis keeps its cache in the working directory: the throw-away one, not the clone.
cd "$work"
status=0
# A fixed seed (the same cases every run), bounded per operation and in time.
fuzz() {
  local token=$1
  shift
  "$venv/bin/schemathesis" run --no-color \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$BUDGET_SECONDS" \
    --seed "${SCHEMATHESIS_SEED:-20141215}" \
    --generation-allow-x00 false \
    --request-timeout 20 \
    --header "Authorization: Bearer $token" \
    --header "Accept-Language: ${SCHEMATHESIS_LANGUAGE:-zh-CN}" \
    --url "$base" \
    "$@" \
    "$base/api/v1/openapi.json" || status=1
}
# Resetting, disabling and enabling accounts end the tokens of the accounts they touch (the
# runs' own too, found through /api/v1/me and /api/v1/users): fuzzed last, once, as the office.
accounts='^/api/v1/users/.+/'
for who in office unit evaluator; do
  printf '\n--- Schemathesis as %s ---\n' "$who"
  fuzz "${!who}" --exclude-path-regex "$accounts"
done
printf '\n--- Schemathesis as office: account administration ---\n'
fuzz "$office" --include-path-regex "$accounts"

if grep -q 'internal error' "$work/server.log"; then
  echo "the server logged internal errors:"
  grep 'internal error' "$work/server.log" | head -20
  status=1
fi
exit "$status"
