#!/usr/bin/env bash
# Serves a trained model on loopback and measures it with bench_serve: one-text requests at 1, 4 and 16
# connections, then 4 connections while labels are added. The model directory is copied first (the benchmark adds
# labels to it). Usage: bench/serve_load.sh MODEL_DIR TEXTS.txt [seconds per phase] [extra `ngame serve` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 texts=$2 seconds=${3:-10}
shift $(( $# < 3 ? $# : 3 ))
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$model" "$work/model"
rm -f "$work/model/labels.wal"
port=$((20000 + RANDOM % 20000))
build/src/ngame serve "$work/model" --port "$port" --quiet "$@" > "$work/serve.out" &
pid=$!
for _ in $(seq 1 600); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
cat "$work/serve.out"
build/bench/bench_serve --port "$port" --texts "$texts" --seconds "$seconds"
kill -TERM "$pid"
wait "$pid"
echo "server exit status: $?"
