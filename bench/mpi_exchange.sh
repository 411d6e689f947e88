#!/usr/bin/env bash
# M1 across mpirun's ranks: trains DATA's encoder alone (--stage encoder) at 1, 2 and 4 ranks (oversubscribed when
# there are more ranks than cores) and prints one markdown table from the models' training_log.jsonl: steps an
# epoch, M1 wall time, the bytes rank 0 sends an epoch and a step, and the share of the epoch it spends in the
# exchanges (and, of that, waiting for slower ranks). --options passes training options (e.g. "--bigram-buckets N").
# Usage: bench/mpi_exchange.sh DATA [--ranks "1 2 4"] [--threads 1] [--epochs 5] [--options "..."] [--keep DIR]
#   Run it alone on the machine: it is a timing. Needs a build with MPI (libopenmpi-dev) and mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
data=$1
shift
ranks="1 2 4" threads=1 epochs=5 keep="" options=""
while [ $# -gt 0 ]; do
  case $1 in
    --ranks) ranks=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --options) options=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "mpi_exchange.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
ngame=${NGAME:-build/src/ngame}
[ -x "$ngame" ] || { echo "mpi_exchange.sh: $ngame not built (bash scripts/build.sh)" >&2; exit 2; }
command -v mpirun > /dev/null || { echo "mpi_exchange.sh: mpirun not found (openmpi-bin)" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

echo "| ranks x threads | steps an epoch | M1 wall (s) | MB sent by rank 0 an epoch | KB sent a step | exchange share of the epoch (waiting) |"
echo "|---|---|---|---|---|---|"
for n in $ranks; do
  m=$work/model-$n
  rm -rf "$m"
  mpirun --allow-run-as-root --oversubscribe -np "$n" "$ngame" train "$data" -o "$m" --stage encoder \
    --epochs "$epochs" --threads "$threads" $options --quiet 2> "$work/train-$n.err" ||
    { echo "mpi_exchange.sh: $n ranks failed" >&2; tail -n 5 "$work/train-$n.err" >&2; exit 1; }
  python3 - "$m/training_log.jsonl" "$n" "$threads" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n, t = sys.argv[2], sys.argv[3]
steps = sum(r["steps"] for r in rows) / len(rows)
wall = rows[-1]["elapsed_seconds"]
sent = sum(r.get("bytes_sent", 0) for r in rows) / len(rows)
comm = sum(r.get("communication_seconds", 0) for r in rows)
wait = sum(r.get("wait_seconds", 0) for r in rows)
epoch = max(1e-9, sum(r["seconds"] for r in rows))
print(f"| {n} x {t} | {steps:.0f} | {wall:.1f} | {sent / 1e6:.1f} | {sent / max(1, steps) / 1e3:.0f} | "
      f"{100 * comm / epoch:.0f}% ({100 * wait / epoch:.0f}%) |")
PY
done
