#!/usr/bin/env bash
# Reruns ngame's rows of README's headline table and writes them as a dated record under bench/results/:
# for each shared dataset, trains with default settings, predicts the test split (top 100, timed with loading),
# and evaluates it with `ngame eval` (test filter when the set has one, zero-shot slice). Peers' rows are not
# rerun here (bench/fasttext_peer.sh reruns fastText; pass --peers to include it).
# Usage: bench/headline.sh [--threads N] [--seed S] [--data DIR] [--out FILE] [--peers] [--keep DIR]
#   --data: the folder holding the shared sets (default ../shared/data); the record goes to
#   bench/results/YYYY-MM-DD-headline.md unless --out names a file. Run it alone on the machine: it is a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2 seed=1 data_root=../shared/data out="" peers=0 keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --data) data_root=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --peers) peers=1; shift ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "headline.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
ngame=${NGAME:-build/src/ngame}
[ -x "$ngame" ] || { echo "headline.sh: $ngame not built (bash scripts/build.sh)" >&2; exit 2; }
sets=(wordnet-hypernym-d2 debtags-bookworm)
for s in "${sets[@]}"; do
  [ -f "$data_root/$s/trn_X.txt" ] || { echo "headline.sh: $data_root/$s is missing" >&2; exit 2; }
done
if [ -z "$out" ]; then  # a second run of the day gets its own record
  out=bench/results/$(date +%F)-headline.md
  n=2
  while [ -e "$out" ]; do out=bench/results/$(date +%F)-headline-$n.md; n=$((n + 1)); done
fi
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
timed() {  # LOG_PREFIX command...: runs it, leaves "wall_s peak_rss_mb" in $LOG_PREFIX.time
  local prefix=$1
  shift
  /usr/bin/time -f "%e %M" -o "$prefix.time.raw" "$@" > "$prefix.out" 2> "$prefix.err" || {
    echo "headline.sh: failed: $*" >&2; tail -n 5 "$prefix.err" >&2; exit 1; }
  awk '{ printf "%.1f %d\n", $1, $2 / 1024 }' "$prefix.time.raw" > "$prefix.time"
}
rows=()
for s in "${sets[@]}"; do
  d=$data_root/$s m=$work/model-$s
  echo "headline: $s: training" >&2
  timed "$work/$s-train" "$ngame" train "$d" -o "$m" --threads "$threads" --seed "$seed" --quiet
  echo "headline: $s: predicting" >&2
  timed "$work/$s-predict" "$ngame" predict "$m" --input "$d/tst_X.txt" -k 100 -o "$work/$s-pred.txt" \
    --threads "$threads" --quiet
  filter=()
  [ -f "$d/filter_labels_test.txt" ] && filter=(--filter "$d/filter_labels_test.txt")
  "$ngame" eval --pred "$work/$s-pred.txt" --truth "$d/tst_X_Y.txt" --train "$d/trn_X_Y.txt" "${filter[@]}" \
    --zero-shot --json --quiet > "$work/$s-eval.json"
  read -r train_s train_mb < "$work/$s-train.time"
  read -r pred_s pred_mb < "$work/$s-predict.time"
  texts=$(wc -l < "$d/tst_X.txt")
  rows+=("$(python3 - "$work/$s-eval.json" "$s" "$train_s" "$train_mb" "$pred_s" "$pred_mb" "$texts" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
name, train_s, train_mb, pred_s, pred_mb, texts = sys.argv[2:8]
unseen = m.get("zero_shot_unseen_R@5")
unseen = "n/a" if unseen is None or m.get("zero_shot_rows", 0) == 0 else f"{unseen:.2f}"
print(f"| {name} | ngame (default) | {m['P@1']:.2f} | {m['P@3']:.2f} | {m['P@5']:.2f} | {m['nDCG@5']:.2f} "
      f"| {m['PSP@5']:.2f} | {unseen} | {train_s} s, {train_mb} MB "
      f"| {pred_s} s, {pred_mb} MB ({int(texts) / float(pred_s):,.0f} texts/s) |")
EOF
)")
  if [ "$peers" = 1 ]; then
    echo "headline: $s: fastText" >&2
    NGAME=$ngame bash bench/fasttext_peer.sh "$d" > "$work/$s-fasttext.out" 2>&1
    rows+=("| $s | fastText (see below) | | | | | | | | |")
  fi
done

commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- src include || commit="$commit (with uncommitted changes to src/include)"
{
  echo "# Headline: ngame on the shared sets ($(date +%F))"
  echo
  echo "- Commit: $commit"
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(uname -m); load average before the runs: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Command: \`bash bench/headline.sh --threads $threads --seed $seed\` (Release build; for each set"
  echo "  \`ngame train DATA -o MODEL --threads $threads --seed $seed\`, \`ngame predict MODEL --input tst_X.txt -k 100\`,"
  echo "  \`ngame eval ... --zero-shot\` with the test filter where the set has one; times by \`/usr/bin/time\`)"
  echo
  echo "| dataset | model | P@1 | P@3 | P@5 | nDCG@5 | PSP@5 | unseen labels in top 5 (%) | train: wall, peak RSS" \
    "| predict test split: wall with loading, peak RSS |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  if [ "$peers" = 1 ]; then
    for s in "${sets[@]}"; do
      echo
      echo "fastText on $s (\`bench/fasttext_peer.sh\`, default flags):"
      echo
      echo '```'
      cat "$work/$s-fasttext.out"
      echo '```'
    done
  fi
} > "$out"
echo "headline: wrote $out" >&2
cat "$out"
