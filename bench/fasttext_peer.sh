#!/usr/bin/env bash
# fastText (Debian package `fasttext`, supervised, one-vs-all loss) on the same text split, as the peer a user of
# raw text would try: trains on trn_X.txt / trn_X_Y.txt, predicts the top 100 labels of tst_X.txt, evaluates with
# `ngame eval` (test filter applied when present) and prints the times.
# Usage: bench/fasttext_peer.sh DATASET_DIR [fasttext supervised flags...]
#        default flags: -loss ova -epoch 5 -lr 0.5 -dim 100 -wordNgrams 2 -minCount 1 -thread 2
set -euo pipefail
data=${1:?usage: fasttext_peer.sh DATASET_DIR [flags...]}
shift
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(-loss ova -epoch 5 -lr 0.5 -dim 100 -wordNgrams 2 -minCount 1 -thread 2)
ngame=${NGAME:-build/src/ngame}
command -v fasttext >/dev/null || { echo "fasttext is not installed (scripts/install-deps.sh)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# fastText reads whitespace tokens: lower-case and split punctuation off, as ngame's tokenizer does.
normalise() { tr '[:upper:]' '[:lower:]' | sed -e 's/[^[:alnum:][:space:]]/ & /g' -e 's/[[:space:]]\+/ /g'; }
# "__label__ID ... text" lines from an X / X_Y pair (the X_Y header is skipped).
to_fasttext() {
  paste -d '\t' <(tail -n +2 "$1" | sed -e 's/:[^ ]*//g' -e 's/\([0-9]\+\)/__label__\1/g') <(normalise < "$2") | tr '\t' ' '
}
to_fasttext "$data/trn_X_Y.txt" "$data/trn_X.txt" > "$out/train.txt"
normalise < "$data/tst_X.txt" > "$out/test.txt"

start=$(date +%s.%N)
fasttext supervised -input "$out/train.txt" -output "$out/model" "${flags[@]}" -verbose 0
trained=$(date +%s.%N)
fasttext predict-prob "$out/model.bin" "$out/test.txt" 100 > "$out/pred.raw"
predicted=$(date +%s.%N)

# Back to the XC score format.
labels=$(head -n 1 "$data/tst_X_Y.txt" | cut -d' ' -f2)
{
  echo "$(wc -l < "$out/test.txt") $labels"
  sed -e 's/__label__\([0-9]\+\) \([^ ]*\)/\1:\2/g' -e 's/ *$//' "$out/pred.raw"
} > "$out/pred.txt"
filter=()
[ -f "$data/filter_labels_test.txt" ] && filter=(--filter "$data/filter_labels_test.txt")
"$ngame" eval --pred "$out/pred.txt" --truth "$data/tst_X_Y.txt" --train "$data/trn_X_Y.txt" "${filter[@]}" --zero-shot
awk -v a="$start" -v b="$trained" -v c="$predicted" 'BEGIN { printf "fasttext: train %.1f s, predict %.1f s\n", b - a, c - b }'
