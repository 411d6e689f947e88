#!/usr/bin/env bash
# Accuracy over seeds: trains DATA once per setting and seed (several trainings at a time), predicts its test split
# (top 100: the test filter, where the set has one, must leave 5) and evaluates it, and prints one markdown table:
# per setting, the mean, standard deviation, minimum and maximum of P@1, P@5 and PSP@5 over the seeds. Training
# on 2 threads is not bit-exact, so one training says little about a change of a few tenths; this says how far
# the seeds spread.
# Usage: bench/seed_spread.sh DATA [--seeds "1 2 3 4 5 6 7"] [--jobs 1] [--threads 2] [--keep DIR]
#          [--setting NAME "TRAIN FLAGS"]...
#   Without --setting, one setting "default" (no flags). --jobs N runs N trainings at once: their times are then
#   not those of a machine running one; read times from runs made alone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
data=$1
shift
seeds="1 2 3 4 5 6 7" jobs=1 threads=2 keep=""
names=() flags=()
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --setting) [ $# -ge 3 ] || { echo "seed_spread.sh: --setting needs NAME and FLAGS" >&2; exit 2; }
      names+=("$2"); flags+=("$3"); shift 3 ;;
    *) echo "seed_spread.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ ${#names[@]} -gt 0 ] || { names=(default); flags=(""); }
for name in "${names[@]}"; do
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { echo "seed_spread.sh: setting name '$name': letters, digits, . _ - only" >&2; exit 2; }
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "seed_spread.sh: --jobs must be a positive number" >&2; exit 2; }
ngame=${NGAME:-build/src/ngame}
[ -x "$ngame" ] || { echo "seed_spread.sh: $ngame not built (bash scripts/build.sh)" >&2; exit 2; }
[ -f "$data/trn_X.txt" ] && [ -f "$data/tst_X.txt" ] || { echo "seed_spread.sh: $data needs trn_X.txt and tst_X.txt" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

filter=()
[ -f "$data/filter_labels_test.txt" ] && filter=(--filter "$data/filter_labels_test.txt")
run_one() {  # setting index, seed: one training, its test prediction and evaluation; one line to results.txt
  local i=$1 s=$2 name=${names[$1]}
  local model="$work/model-$name-$s" log="$work/train-$name-$s.log" start end
  start=$(date +%s.%N)
  # shellcheck disable=SC2086  # the setting's flags are words
  if ! "$ngame" train "$data" -o "$model" --threads "$threads" --seed "$s" ${flags[$i]} > "$log" 2>&1; then
    echo "seed_spread.sh: setting $name, seed $s: training failed (see $log)" >&2
    echo "$name $s" >> "$work/failed.txt"
    return
  fi
  end=$(date +%s.%N)
  local line=""
  if "$ngame" predict "$model" --input "$data/tst_X.txt" -k 100 -o "$work/pred-$name-$s.txt" --threads "$threads" \
      --quiet >> "$log" 2>&1 &&
    "$ngame" eval --pred "$work/pred-$name-$s.txt" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" \
      "${filter[@]}" --json --quiet > "$work/eval-$name-$s.json" 2>> "$log" &&
    line=$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))
print(*("%s %.2f" % (k, m[k]) for k in ("P@1", "P@5", "PSP@5")))' "$work/eval-$name-$s.json" 2>> "$log"); then
    echo "$name $s $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') $line" >> "$work/results.txt"
  else
    echo "seed_spread.sh: setting $name, seed $s: prediction or evaluation failed (see $log)" >&2
    echo "$name $s" >> "$work/failed.txt"
  fi
  [ -n "$keep" ] || rm -rf "$model"
}

: > "$work/results.txt"
: > "$work/failed.txt"
for s in $seeds; do
  for i in "${!names[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    run_one "$i" "$s" &
  done
done
wait
echo "Each run: setting, seed, training wall seconds, test metrics${keep:+ (kept in $work)}"
sort "$work/results.txt" | sed 's/^/    /'
python3 - "$work/results.txt" <<'EOF'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name = line.split()[0]
    m = dict(re.findall(r"(?<!S)(P@1|P@5|PSP@5) ([\d.]+)", line))
    if {"P@1", "P@5", "PSP@5"} <= m.keys():
        runs.setdefault(name, []).append([float(m[k]) for k in ("P@1", "P@5", "PSP@5")])
print()
print("| setting | seeds | P@1 mean (sd) [min, max] | P@5 mean (sd) [min, max] | PSP@5 mean (sd) [min, max] |")
print("|---|---|---|---|---|")
for name, rows in sorted(runs.items()):
    cells = []
    for k in range(3):
        v = [r[k] for r in rows]
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        cells.append(f"{statistics.mean(v):.2f} ({sd:.2f}) [{min(v):.2f}, {max(v):.2f}]")
    print(f"| {name} | {len(rows)} | " + " | ".join(cells) + " |")
EOF
if [ -s "$work/failed.txt" ]; then
  echo "seed_spread.sh: $(wc -l < "$work/failed.txt") run(s) failed" >&2
  exit 1
fi
