#!/usr/bin/env bash
# Serves a copy of a trained model on loopback and loads it with wrk (Debian's wrk: one event-loop thread, so the
# client takes little of the 2 cores): one-text /v1/predict requests with k = 10 drawn from TEXTS, at 1, 4 and 16
# connections, then the server's CPU time per request. Usage: bench/serve_wrk.sh MODEL_DIR TEXTS.txt [seconds per
# phase] [extra `ngame serve` flags]
source "$(dirname "$0")/serve_common.sh"
python3 -c 'import json,sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.dumps({"texts": [line.rstrip("\n")], "k": 10}))' "$texts" > "$work/bodies.jsonl"
export NGAME_BODIES="$work/bodies.jsonl"
wrk -t1 -c1 -d2s -s bench/serve_wrk.lua "http://127.0.0.1:$port" > /dev/null  # warm-up, not counted
start_ticks=$(cpu_ticks)
total=0
for c in 1 4 16; do
  echo "== $c connections"
  wrk -t1 -c"$c" -d"${seconds}s" --latency -s bench/serve_wrk.lua "http://127.0.0.1:$port" > "$work/wrk.txt"
  grep -E "Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors" "$work/wrk.txt"
  total=$(( total + $(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.txt") ))
done
stop_server "$total"
