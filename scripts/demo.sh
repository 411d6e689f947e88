#!/usr/bin/env bash
# The main job on a fresh machine: dependencies, build, the WordNet dataset rebuilt from Debian's wordnet-base,
# training (M1 encoder on NGAME batches, M4 classifiers, indices, fitted fusion), prediction on the test split and
# its evaluation with the test filter, including the zero-shot slice.
# Outputs go under data/ and models/ (ignored by git). Pass extra `ngame train` flags as arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ngame=build/src/ngame
data=data/wordnet-hypernym-d2
model=models/wordnet

$ngame data wordnet -o "$data"
$ngame data stats "$data"
$ngame train "$data" -o "$model" --eval-every 5 "$@"
$ngame predict "$model" --input "$data/tst_X.txt" -k 100 -o "$model/tst_pred.txt"
echo "== ngame on the WordNet test split, test filter applied =="
$ngame eval --pred "$model/tst_pred.txt" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" \
  --filter "$data/filter_labels_test.txt" --zero-shot
echo "training curve: $model/training_curve.svg"
