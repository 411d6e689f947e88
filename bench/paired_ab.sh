#!/usr/bin/env bash
# Before / after of a change on this drifting 2-core machine: the same `ngame` command run by two builds at the
# same time, each on its own core (taskset) with --threads 1, so that whatever slows the machine slows both. Run i
# puts A on core i mod 2 and B on the other. Every argument @OUT is replaced by a fresh output path per build and
# run; with --copy MODEL that path starts as a copy of MODEL (for `train --stage ...`, which rewrites a model).
# Prints, per run and build, wall / user / system seconds and peak RSS, the stage times of a written model's
# manifest, and whether A and B wrote the same bytes (every file but the manifest, logs and curve).
# Usage: bench/paired_ab.sh [--runs 3] [--copy MODEL] [--work DIR] BIN_A BIN_B -- NGAME_ARGS...
# e.g.   bench/paired_ab.sh --copy M old/ngame build/src/ngame -- train DATA -o @OUT --stage fusion --seed 1
set -euo pipefail
runs=3 copy="" work=""
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --copy) copy=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "paired_ab: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $# -ge 3 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
bin_a=$1 bin_b=$2; shift 2
[[ $1 == -- ]] || { echo "paired_ab: '--' must come before the ngame arguments" >&2; exit 2; }
shift
[[ -x $bin_a && -x $bin_b ]] || { echo "paired_ab: $bin_a or $bin_b is not an executable" >&2; exit 2; }
[[ -n $work ]] || work=$(mktemp -d)
mkdir -p "$work"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg); work: $work"
start() {  # build name core run
  local bin=$1 name=$2 core=$3 out="$work/$2-$4"
  rm -rf "$out"
  [[ -z $copy ]] || cp -r "$copy" "$out"
  local args=() a
  for a in "${cmd[@]}"; do args+=("${a//@OUT/$out}"); done
  taskset -c "$core" /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$bin" "${args[@]}" --threads 1 > "$out.log" 2>&1 &
}
cmd=("$@")
for ((i = 1; i <= runs; i++)); do
  core_a=$((i % 2)) core_b=$(((i + 1) % 2))
  start "$bin_a" A "$core_a" "$i"
  start "$bin_b" B "$core_b" "$i"
  wait
  for name in A B; do
    out="$work/$name-$i"
    read -r wall user sys rss < "$out.time"
    stages=""
    if [[ -f $out/manifest.json ]]; then
      stages=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["data"].get("timings",{})
print(" ".join("%s %.2f" % (k.replace("_seconds", ""), v) for k, v in sorted(t.items())))' "$out/manifest.json")
    fi
    echo "run $i $name (core $([[ $name == A ]] && echo "$core_a" || echo "$core_b")): wall ${wall} s, user ${user} s, system ${sys} s, peak RSS $((rss / 1024)) MB${stages:+; stages (s): $stages}"
  done
  same=yes
  if [[ -d $work/A-$i ]]; then
    while IFS= read -r f; do
      cmp -s "$work/A-$i/$f" "$work/B-$i/$f" || { same="no ($f differs)"; break; }
    done < <(cd "$work/A-$i" && find . -type f ! -name manifest.json ! -name '*.jsonl' ! -name '*.svg' | sort)
  elif [[ -f $work/A-$i ]]; then
    cmp -s "$work/A-$i" "$work/B-$i" || same=no
  fi
  echo "run $i: same output bytes: $same"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
