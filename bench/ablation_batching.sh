#!/usr/bin/env bash
# Ablation of M1 batching at equal epochs: NGAME clusters vs random batches vs ANCE-style hard negatives (ann).
# Trains each mode with several seeds and prints a markdown table of the final test metrics (exact nearest label
# embeddings, test filter applied) and seconds per epoch (clustering or mining included).
# Usage: bench/ablation_batching.sh DATASET_DIR [EPOCHS] [SEEDS...]   (extra train flags via NGAME_TRAIN_FLAGS)
set -euo pipefail
data=${1:?usage: ablation_batching.sh DATASET_DIR [EPOCHS] [SEEDS...]}
epochs=${2:-10}
shift $(( $# >= 2 ? 2 : 1 ))
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
ngame=${NGAME:-build/src/ngame}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

field() { grep -o "\"$2\":[-0-9.e]*" "$1" | tail -n 1 | cut -d: -f2; }

echo "| batching | seed | P@1 | P@5 | PSP@5 | s/epoch | clustering s |"
echo "|---|---|---|---|---|---|---|"
for mode in ngame random ann; do
  for seed in "${seeds[@]}"; do
    model="$out/$mode-$seed"
    # shellcheck disable=SC2086
    "$ngame" train "$data" -o "$model" --epochs "$epochs" --eval-every "$epochs" --batching "$mode" \
      --seed "$seed" --quiet ${NGAME_TRAIN_FLAGS:-}
    log="$model/training_log.jsonl"
    total=$(awk -F'"seconds":' '{split($2, a, ","); s += a[1]} END {printf "%.2f", s / NR}' "$log")
    clus=$(awk -F'"clustering_seconds":' '{split($2, a, ","); s += a[1]} END {printf "%.2f", s}' "$log")
    printf "| %s | %s | %.2f | %.2f | %.2f | %s | %s |\n" "$mode" "$seed" "$(field "$log" 'P@1')" \
      "$(field "$log" 'P@5')" "$(field "$log" 'PSP@5')" "$total" "$clus"
  done
done
