#!/usr/bin/env bash
# Serves a copy of a trained model on loopback and loads it with wrk (Debian's wrk: one event-loop thread, so the
# client takes little of the 2 cores): one-text /v1/predict requests with k = 10 drawn from TEXTS, at 1, 4 and 16
# connections. Usage: bench/serve_wrk.sh MODEL_DIR TEXTS.txt [seconds per phase] [extra `ngame serve` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 texts=$2 seconds=${3:-10}
shift $(( $# < 3 ? $# : 3 ))
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$model" "$work/model"
rm -f "$work/model/labels.wal"
python3 -c 'import json,sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.dumps({"texts": [line.rstrip("\n")], "k": 10}))' "$texts" > "$work/bodies.jsonl"
port=$((20000 + RANDOM % 20000))
build/src/ngame serve "$work/model" --port "$port" --quiet "$@" > "$work/serve.out" &
pid=$!
for _ in $(seq 1 600); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
cat "$work/serve.out"
export NGAME_BODIES="$work/bodies.jsonl"
wrk -t1 -c1 -d2s -s bench/serve_wrk.lua "http://127.0.0.1:$port" > /dev/null  # warm-up
for c in 1 4 16; do
  echo "== $c connections"
  wrk -t1 -c"$c" -d"${seconds}s" --latency -s bench/serve_wrk.lua "http://127.0.0.1:$port" |
    grep -E "Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors"
done
kill -TERM "$pid"
wait "$pid"
echo "server exit status: $?"
