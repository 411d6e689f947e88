#!/usr/bin/env bash
# Before / after of a change on this drifting 2-core machine: the same `ngame` command run by two builds at the
# same time, each on its own core (taskset) with --threads 1, so that whatever slows the machine slows both. Run i
# puts A on core i mod 2 and B on the other. Every argument @OUT is replaced by a fresh output path per build and
# run; with --copy MODEL that path starts as a copy of MODEL (for `train --stage ...`, which rewrites a model).
# Prints, per run and build, wall / user / system seconds and peak RSS, the stage times of a written model's
# manifest, and whether A and B wrote the same bytes (every file but the manifest, logs and curve). Exits 1 when a
# run fails or the outputs differ.
# Usage: bench/paired_ab.sh [--runs 3] [--copy MODEL] [--work DIR] BIN_A BIN_B -- NGAME_ARGS...
# e.g.   bench/paired_ab.sh --copy M old/ngame build/src/ngame -- train DATA -o @OUT --stage fusion --seed 1
set -euo pipefail
usage() { sed -n '2,10p' "$0" >&2; exit 2; }
runs=3 copy="" work=""
while [[ $# -gt 0 && $1 == --* && $1 != -- ]]; do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --copy) copy=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "paired_ab: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "paired_ab: --runs must be a positive number, not '$runs'" >&2; exit 2; }
[[ $# -ge 3 ]] || usage
bin_a=$1 bin_b=$2; shift 2
[[ $1 == -- ]] || { echo "paired_ab: '--' must come before the ngame arguments" >&2; exit 2; }
shift
for bin in "$bin_a" "$bin_b"; do
  command -v "$bin" > /dev/null || { echo "paired_ab: $bin is not an executable" >&2; exit 2; }
done
[[ -z $copy || -d $copy ]] || { echo "paired_ab: --copy $copy is not a directory" >&2; exit 2; }
[[ -n $work ]] || work=$(mktemp -d)
mkdir -p "$work"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg); work: $work"
cmd=("$@")
start() {  # binary name core run; sets pid
  local bin=$1 name=$2 core=$3 out="$work/$2-$4"
  rm -rf "$out"
  [[ -z $copy ]] || cp -r "$copy" "$out"
  local args=() a
  for a in "${cmd[@]}"; do args+=("${a//@OUT/"$out"}"); done
  taskset -c "$core" /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$bin" "${args[@]}" --threads 1 > "$out.log" 2>&1 &
  pid=$!
}
status=0
for ((i = 1; i <= runs; i++)); do
  core_a=$((i % 2)) core_b=$(((i + 1) % 2))
  start "$bin_a" A "$core_a" "$i"; pid_a=$pid
  start "$bin_b" B "$core_b" "$i"; pid_b=$pid
  rc_a=0 rc_b=0
  wait "$pid_a" || rc_a=$?
  wait "$pid_b" || rc_b=$?
  for name in A B; do
    out="$work/$name-$i"
    rc=$([[ $name == A ]] && echo "$rc_a" || echo "$rc_b")
    if [[ $rc != 0 ]]; then
      echo "run $i $name: exit status $rc; the end of $out.log:"
      tail -n 5 "$out.log" | sed 's/^/    /'
      status=1
      continue
    fi
    read -r wall user sys rss < <(tail -n 1 "$out.time")
    stages=""
    if [[ -f $out/manifest.json ]]; then
      stages=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["data"].get("timings",{})
print(" ".join("%s %.2f" % (k.replace("_seconds", ""), v) for k, v in sorted(t.items())))' "$out/manifest.json")
    fi
    echo "run $i $name (core $([[ $name == A ]] && echo "$core_a" || echo "$core_b")): wall ${wall} s, user ${user} s, system ${sys} s, peak RSS $((rss / 1024)) MB${stages:+; stages (s): $stages}"
  done
  [[ $rc_a == 0 && $rc_b == 0 ]] || continue
  same="n/a (no @OUT written)"
  if [[ -d $work/A-$i && -d $work/B-$i ]]; then
    list() { (cd "$1" && find . -type f ! -name manifest.json ! -name '*.jsonl' ! -name '*.svg' | sort); }
    if [[ "$(list "$work/A-$i")" != "$(list "$work/B-$i")" ]]; then
      same="no (not the same files)"
    else
      same=yes
      while IFS= read -r f; do
        cmp -s "$work/A-$i/$f" "$work/B-$i/$f" || { same="no ($f differs)"; break; }
      done < <(list "$work/A-$i")
    fi
  elif [[ -f $work/A-$i && -f $work/B-$i ]]; then
    cmp -s "$work/A-$i" "$work/B-$i" && same=yes || same=no
  fi
  [[ $same != no* ]] || status=1
  echo "run $i: same output bytes: $same"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
