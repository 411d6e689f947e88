# Sourced by serve_load.sh and serve_wrk.sh: arguments MODEL_DIR TEXTS.txt [seconds] [extra `ngame serve` flags].
# Serves a copy of the model (the benchmarks may add labels to it) on a random loopback port and sets model, texts,
# seconds, work, port and pid; stop_server sends SIGTERM and reports the exit status and the server's CPU time per
# request (given the request count).
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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # user + system, in clock ticks
start_ticks=$(cpu_ticks)
stop_server() {  # requests served since start (for CPU per request; 0 to skip)
  local ticks=$(( $(cpu_ticks) - start_ticks ))
  if [ "${1:-0}" -gt 0 ]; then
    echo "server CPU: $(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$1" 'BEGIN { printf "%.2f s, %.3f ms a request", t / hz, 1000 * t / hz / n }')"
  fi
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  echo "server exit status: $status"
}
