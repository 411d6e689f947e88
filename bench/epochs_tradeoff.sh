#!/usr/bin/env bash
# Accuracy against training time: trains DATA once per number of M1 epochs, predicts its test split (top 100) and
# evaluates it (test filter when the set has one, zero-shot slice), then prints one markdown table: epochs, training
# wall time and peak RSS, P@1, P@5, PSP@5, the share of labels without training rows in the top 5.
# Usage: bench/epochs_tradeoff.sh DATA [--epochs "5 10 15"] [--threads 2] [--seed 1] [--keep DIR]
#   Run it alone on the machine: it is a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
data=$1
shift
epochs="5 10 15" threads=2 seed=1 keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --epochs) epochs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "epochs_tradeoff.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
ngame=${NGAME:-build/src/ngame}
[ -x "$ngame" ] || { echo "epochs_tradeoff.sh: $ngame not built (bash scripts/build.sh)" >&2; exit 2; }
[ -f "$data/trn_X.txt" ] && [ -f "$data/tst_X.txt" ] || { echo "epochs_tradeoff.sh: $data needs trn_X.txt and tst_X.txt" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
filter=()
[ -f "$data/filter_labels_test.txt" ] && filter=(--filter "$data/filter_labels_test.txt")

echo "| M1 epochs | train: wall, peak RSS | P@1 | P@5 | PSP@5 | unseen labels in top 5 |"
echo "|---|---|---|---|---|---|"
for e in $epochs; do
  m=$work/model-$e
  rm -rf "$m"
  /usr/bin/time -f "%e %M" -o "$work/train-$e.time" "$ngame" train "$data" -o "$m" --epochs "$e" \
    --threads "$threads" --seed "$seed" --quiet 2> "$work/train-$e.err" ||
    { echo "epochs_tradeoff.sh: training with --epochs $e failed" >&2; tail -n 5 "$work/train-$e.err" >&2; exit 1; }
  "$ngame" predict "$m" --input "$data/tst_X.txt" -k 100 -o "$work/pred-$e.txt" --threads "$threads" --quiet
  "$ngame" eval --pred "$work/pred-$e.txt" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" "${filter[@]}" \
    --zero-shot --json --quiet > "$work/eval-$e.json"
  python3 - "$e" "$work/train-$e.time" "$work/eval-$e.json" <<'EOF'
import json, sys
wall, rss_kb = open(sys.argv[2]).read().split()[-2:]
m = json.load(open(sys.argv[3]))
unseen = f"{m['zero_shot_unseen_R@5']:.2f}%" if "zero_shot_unseen_R@5" in m else "-"
print(f"| {sys.argv[1]} | {float(wall):.1f} s, {int(rss_kb) // 1024} MB | {m['P@1']:.2f} | {m['P@5']:.2f} | "
      f"{m['PSP@5']:.2f} | {unseen} |")
EOF
done
