#!/usr/bin/env bash
# The external contract run: schemathesis against the live server's /openapi.json, every check,
# a bounded number of examples per operation and a fixed seed. Needs a built release binary
# (`cargo build --release` or the test run) and schemathesis (`pip install schemathesis`).
#
# Checks left out, each replaced or justified:
#   positive_data_acceptance  replaced by positive_data_accepted_unless_documented (hooks.py:
#                             the 400s the document cannot describe: query syntax, rules that join
#                             two parameters, server-issued cursors)
#   negative_data_rejection   replaced by negative_data_rejected_unless_sent_valid (hooks.py: a
#                             negative value that serializes into a valid query string; the bulk
#                             write's per-item rejections)
#   use_after_free            a deleted article leaves the index within the index poll interval
#                             (250 ms, as the README documents); the store forgets it at once
#                             (GET /v1/articles/{id} is 404 right away), but related stories and
#                             searches read the index and may show it for that moment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
binary="$root/target/release/tidings"
examples=${SCHEMATHESIS_EXAMPLES:-100}
seed=${SCHEMATHESIS_SEED:-1}
key=schemathesis-write-key-0123456789
data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" --data-dir "$data" ingest "$root/sample" > /dev/null
TIDINGS_API_KEYS=$key TIDINGS_LOG=warn "$binary" --data-dir "$data" serve --addr "127.0.0.1:$port" > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2> /dev/null; wait $server 2> /dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
  sleep 0.1
done
# Run from the temporary directory, so schemathesis' caches stay out of the tree. One worker:
# CPython 3.11's ast module is not thread-safe under hypothesis' lambda descriptions.
cd "$data"
PYTHONPATH="$here" SCHEMATHESIS_HOOKS=hooks st run "http://127.0.0.1:$port/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance,negative_data_rejection,use_after_free \
  --header "Authorization: Bearer $key" --max-examples "$examples" --seed "$seed" \
  --workers 1 --generation-database none --no-color
if grep -q "panicked" "$data/server.log"; then
  echo "the server panicked:" >&2
  grep -B2 -A8 "panicked" "$data/server.log" >&2
  exit 1
fi
