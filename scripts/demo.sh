#!/usr/bin/env bash
# The main job on a fresh machine: dependencies, build, the WordNet dataset rebuilt from Debian's wordnet-base,
# its summary, and an evaluation. Outputs go under data/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ngame=build/src/ngame
data=data/wordnet-hypernym-d2

$ngame data wordnet -o "$data"
$ngame data stats "$data"

# Until training lands (issue 3), evaluate the Parabel prediction fixture that ships in ../shared.
fixture=../shared/fixtures/metrics/wordnet-parabel-top10.txt
if [ -f "$fixture" ]; then
  echo "== Parabel top-10 predictions on the WordNet test split (test filter applied) =="
  $ngame eval --pred "$fixture" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" \
    --filter "$data/filter_labels_test.txt"
fi
