#!/usr/bin/env bash
# What each scorer of a trained model contributes: the test split ranked by each scorer alone (`ngame predict
# --only`), by the linear blend (`--no-reranker`) and by the full model, and the validation ablation the fusion
# recorded when it was fitted (fusion.json: each scorer alone, the blend, the blend without each scorer).
# Usage: bench/scorer_ablation.sh MODEL DATA_DIR [--threads N] [--keep DIR]   (prints Markdown tables on stdout;
#   --keep leaves each ranking's predictions in DIR as NAME.pred, e.g. for bench/p1_by_label_frequency.py)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
model=$1 data=$2 threads=2 keep=
shift 2
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "scorer_ablation.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
ngame=${NGAME:-build/src/ngame}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -z "$keep" ] || mkdir -p "$keep"
filter=()
[ -f "$data/filter_labels_test.txt" ] && filter=(--filter "$data/filter_labels_test.txt")
row() {  # FILE_NAME TITLE predict-options...
  local file=$1 title=$2
  shift 2
  local pred=${keep:-$work}/$file.pred
  "$ngame" predict "$model" --input "$data/tst_X.txt" -k 100 -o "$pred" --threads "$threads" --quiet "$@"
  "$ngame" eval --pred "$pred" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" "${filter[@]}" \
    --json --quiet > "$work/eval.json"
  python3 - "$work/eval.json" "$title" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {m['P@1']:.2f} | {m['P@5']:.2f} | {m['PSP@5']:.2f} |")
PY
}
echo "Test split ($(basename "$data"), test filter when the set has one):"
echo
echo "| ranked by | P@1 | P@5 | PSP@5 |"
echo "|---|---|---|---|"
for s in embedding classifier memory lexical sparse; do
  row "$s" "$s alone (\`--only $s\`)" --only "$s"
done
row blend "linear blend (\`--no-reranker\`)" --no-reranker
row full "full model (default)"
echo
echo "Validation rows (fusion.json, labels playing unseen ones as fitted; the blend without the re-ranker):"
echo
python3 - "$model" <<'PY'
import glob, json, os, sys
model = sys.argv[1]
manifest = json.load(open(os.path.join(model, "manifest.json")))
v = json.load(open(os.path.join(model, manifest["files"]["fusion.json"]["file"])))["validation"]
print("| scorer | alone P@1 | alone PSP@5 | blend without it: P@1 | PSP@5 |")
print("|---|---|---|---|---|")
for s, alone in v["alone"].items():
    w = v["without"][s]
    print(f"| {s} | {alone['P@1']:.2f} | {alone['PSP@5']:.2f} | {w['P@1']:.2f} | {w['PSP@5']:.2f} |")
f = v["fused"]
print(f"| (the blend) | | | {f['P@1']:.2f} | {f['PSP@5']:.2f} |")
PY
