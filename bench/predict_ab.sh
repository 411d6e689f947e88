#!/usr/bin/env bash
# Times `ngame predict` of two builds on the same model and texts, one run after the other (A, B, A, B, ...), and
# checks that they write the same bytes: the before / after measurement of a prediction change. Prints one markdown
# table row per run: build, load average, wall with loading, user and system CPU, peak RSS, and the predict phase
# as logged.
# Usage: bench/predict_ab.sh BIN_A BIN_B MODEL TEXTS [--runs N] [-k K] [--threads T]
# (e.g. an older commit built in a git worktree as BIN_A and build/src/ngame as BIN_B). Run it alone: it is a timing.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
bin_a=$1 bin_b=$2 model=$3 texts=$4
shift 4
runs=3 k=100 threads=2
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    -k) k=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "predict_ab.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for b in "$bin_a" "$bin_b"; do [ -x "$b" ] || { echo "predict_ab.sh: $b is not an executable" >&2; exit 2; }; done
[ -f "$model/manifest.json" ] || { echo "predict_ab.sh: $model is not a model directory" >&2; exit 2; }
[ -f "$texts" ] || { echo "predict_ab.sh: $texts is missing" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| build | load average | wall with loading | user CPU | system CPU | peak RSS | predict phase (logged) |"
echo "|---|---|---|---|---|---|---|"
for _ in $(seq 1 "$runs"); do
  for side in A B; do
    bin=$bin_a; [ $side = B ] && bin=$bin_b
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" predict "$model" --input "$texts" -k "$k" \
      -o "$work/$side.txt" --threads "$threads" 2> "$work/err" > /dev/null
    read -r wall user sys rss < "$work/time"
    phase=$(sed -n 's/.*predicted [0-9]* texts in \(.*\)$/\1/p' "$work/err" | tail -1)
    echo "| $side | $load | $wall s | $user s | $sys s | $((rss / 1024)) MB | ${phase:-?} |"
  done
done
echo
if cmp -s "$work/A.txt" "$work/B.txt"; then echo "Predictions: identical bytes."; else echo "Predictions: DIFFER."; fi
