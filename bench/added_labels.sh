#!/usr/bin/env bash
# Labels added to a trained model, found by their own text and by part of it: prints one markdown table.
# On a copy of MODEL (left untouched), `ngame labels add` adds
#   - "test texts": 200 texts of DATA's test split (evenly spaced lines) as labels; each is then asked for with its
#     own text (the serving benchmark's recipe); and up to 200 other test texts that are no label's text (from
#     the middle of each stretch of lines), which no other label repeats;
#   - "new words": "quantum chromodynamics lattice simulation toolkit" and 50 labels of four made-up words each
#     (fixed seed), asked for with their own text, and with two of their words that do not stand side by side in
#     it ("part"), so that no word pair is shared and only the words themselves can find the label.
# A label counts when it is first; "or a twin" also counts a label of the same text that was there before.
# Usage: bench/added_labels.sh MODEL DATA [--ngame BIN] [--keep DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
model=$1 data=$2
shift 2
ngame=${NGAME:-build/src/ngame} keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --ngame) ngame=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "added_labels.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$ngame" ] || { echo "added_labels.sh: $ngame not built" >&2; exit 2; }
[ -f "$model/manifest.json" ] || { echo "added_labels.sh: $model is not a model directory" >&2; exit 2; }
[ -f "$data/tst_X.txt" ] || { echo "added_labels.sh: $data/tst_X.txt is missing" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

python3 - "$data/tst_X.txt" "$work" "$data/Y.txt" <<'EOF'
import random, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
lines = [l for l in lines if l.strip()]
step = max(1, len(lines) // 200)
open(sys.argv[2] + "/test.txt", "w", encoding="utf-8").write("\n".join(lines[::step][:200]) + "\n")
# As many other test texts that are no label's text, from the middle of each stretch.
labels = {l.strip() for l in open(sys.argv[3], encoding="utf-8")} | {l.strip() for l in lines[::step][:200]}
fresh = []
for start in range(0, len(lines), step):
    pick = next((l for l in lines[start + step // 2:start + step] if l.strip() not in labels), None)
    if pick is not None and len(fresh) < 200:
        fresh.append(pick)
open(sys.argv[2] + "/fresh.txt", "w", encoding="utf-8").write("\n".join(fresh) + "\n")
r = random.Random(7)
cons, vow = "bcdfghjklmnprstvz", "aeiou"
def word():
    return "".join(r.choice(cons) + r.choice(vow) for _ in range(r.randint(2, 4)))
new = ["quantum chromodynamics lattice simulation toolkit"] + [" ".join(word() for _ in range(4)) for _ in range(50)]
open(sys.argv[2] + "/new.txt", "w", encoding="utf-8").write("\n".join(new) + "\n")
# Two words not side by side, in reverse order: no word pair of the label's text.
part = [" ".join([t.split()[2], t.split()[0]]) for t in new]
open(sys.argv[2] + "/part.txt", "w", encoding="utf-8").write("\n".join(part) + "\n")
EOF

rm -rf "$work/model"
cp -r "$model" "$work/model"
base=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['labels'])" "$model/manifest.json")
"$ngame" labels add "$work/model" --texts "$work/test.txt" --quiet
"$ngame" labels add "$work/model" --texts "$work/new.txt" --quiet
"$ngame" labels add "$work/model" --texts "$work/fresh.txt" --quiet
count() {  # INPUT FIRST_ID EXTRA_OPTIONS...: "first / n (first or a twin)"
  local input=$1 first=$2
  shift 2
  "$ngame" predict "$work/model" --input "$input" -k 1 --format jsonl -o "$work/pred.jsonl" --quiet "$@" 2>/dev/null
  python3 - "$work/pred.jsonl" "$input" "$first" <<'EOF'
import json, sys
texts = open(sys.argv[2], encoding="utf-8").read().split("\n")
first = int(sys.argv[3])
hit = twin = n = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    row = json.loads(line)["labels"]
    n += 1
    if row and row[0]["id"] == first + i:
        hit += 1
    elif row and row[0]["label"].strip() == texts[i].strip():
        twin += 1
print(f"{hit} / {n} ({hit + twin})")
EOF
}
n_test=$(wc -l < "$work/test.txt")
new_first=$((base + n_test))
fresh_first=$((new_first + $(wc -l < "$work/new.txt")))
own=(--no-own-text-first)
"$ngame" predict --help | grep -q -- --no-own-text-first || own=()  # a build from before the option
col3() { if [ ${#own[@]} -gt 0 ]; then count "$@" "${own[@]}"; else echo "(no such option)"; fi; }
echo "| asked for with | re-ranker on (default) | --no-reranker | --no-own-text-first |"
echo "|---|---|---|---|"
echo "| test texts, own text | $(count "$work/test.txt" "$base") | $(count "$work/test.txt" "$base" --no-reranker) | $(col3 "$work/test.txt" "$base") |"
echo "| test texts that no label has, own text | $(count "$work/fresh.txt" "$fresh_first") | $(count "$work/fresh.txt" "$fresh_first" --no-reranker) | $(col3 "$work/fresh.txt" "$fresh_first") |"
echo "| new words, own text | $(count "$work/new.txt" "$new_first") | $(count "$work/new.txt" "$new_first" --no-reranker) | $(col3 "$work/new.txt" "$new_first") |"
echo "| new words, part | $(count "$work/part.txt" "$new_first") | $(count "$work/part.txt" "$new_first" --no-reranker) | $(col3 "$work/part.txt" "$new_first") |"
