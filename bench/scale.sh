#!/usr/bin/env bash
# Scale benchmark: for each DOCS/LABELS size, generates a dataset with `ngame data synth`, then measures
# wall time and peak RSS of reading (data stats), training (with the per-stage times the manifest records),
# prediction of the test split, evaluation, and HNSW recall@10 against exact search. Prints one JSON line per step.
# Usage: [SYNTH_SEED=S] bench/scale.sh OUT_DIR "20000/10000 200000/100000" [extra `ngame train` flags]
# SYNTH_SEED is the generator's --seed (unset: its default, as in the records before 2026-12-04; issue #20's
# 200K / 100K set is SYNTH_SEED=7).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 sizes=$2
shift 2
ngame=build/src/ngame
mkdir -p "$out"
measure() {  # name, command...: one JSON line with wall seconds and peak RSS
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > "$out/$name.out" 2> "$out/$name.err"
  read -r wall kb < "$out/time.txt"
  echo "{\"size\":\"$size\",\"step\":\"$name\",\"wall_s\":$wall,\"peak_rss_mb\":$((kb / 1024))}"
}
for size in $sizes; do
  docs=${size%/*} labels=${size#*/}
  data="$out/synth-$docs-$labels" model="$out/model-$docs-$labels"
  measure synth "$ngame" data synth -o "$data" --docs "$docs" --labels "$labels" ${SYNTH_SEED:+--seed "$SYNTH_SEED"} --quiet
  measure read "$ngame" data stats "$data"
  measure train "$ngame" train "$data" -o "$model" --quiet "$@"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(json.dumps({'size': sys.argv[2], 'step': 'train_stages', **m['data']['timings']}))" "$model/manifest.json" "$size"
  measure predict "$ngame" predict "$model" --input "$data/tst_X.txt" -k 10 -o "$out/pred.txt"
  grep -o "predicted.*" "$out/predict.err" | sed "s/^/# /"
  measure eval "$ngame" eval --pred "$out/pred.txt" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" --json --quiet
  cat "$out/eval.out"
  build/bench/bench_index_recall "$model" "$data/tst_X.txt" --queries 1000
done
