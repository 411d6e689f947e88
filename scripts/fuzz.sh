#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/) under address and undefined-behaviour sanitizers, each for SECONDS, in a clang
# build of its own (build-fuzz/). Each target's corpus grows in build-fuzz/corpus/TARGET, seeded from the inputs kept
# in fuzz/corpus/TARGET; a crash is written as build-fuzz/crash-TARGET-* and stops that target.
# Usage: scripts/fuzz.sh [SECONDS (default 600)] [TARGET ...]   (targets: sparse_matrix text_file container label_log
# request_body)
# Prints one line per target: executions, new corpus inputs, and crashes found. Exit status 1 when any crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sparse_matrix text_file container label_log request_body)
command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang and libomp-dev (Debian packages)" >&2; exit 2; }
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNGAME_FUZZ=ON \
  -DNGAME_BUILD_TESTS=OFF -DNGAME_BUILD_BENCH=OFF -DNGAME_BUILD_PYTHON=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" --target $(printf 'fuzz_%s ' "${targets[@]}")
status=0
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  before=$(find "$corpus" -type f | wc -l)
  log=build-fuzz/fuzz-$t.log
  # One process, no fork: a crash stops the run with its input saved; leaks are checked at exit (ASan).
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 OMP_NUM_THREADS=1 \
    "build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crash-$t-" "$corpus" "fuzz/corpus/$t" > "$log" 2>&1; then
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  [ -n "$runs" ] || runs=$(grep -o '#[0-9]*' "$log" | tail -n 1 | tr -d '#')
  after=$(find "$corpus" -type f | wc -l)
  crashes=$(find build-fuzz -maxdepth 1 -name "crash-$t-*" | wc -l)
  echo "fuzz $t: ${seconds}s, ${runs:-?} executions, corpus $before -> $after, $crashes crash files (log $log)"
done
exit $status
