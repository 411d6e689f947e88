#!/usr/bin/env bash
# Installs every Debian package that ngame's build, tests, benchmarks and demo need. Idempotent: packages that
# are already installed are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-dev libopenblas-openmp-dev libeigen3-dev libhnswlib-dev
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  wordnet-base fasttext wrk
  python3-dev pybind11-dev python3-numpy python3-scipy python3-pytest
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The image's default BLAS may be the slow reference one: make OpenBLAS (its OpenMP build, which ngame links)
# the provider of libblas.so.3 and libopenblas.so.0.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for alt in "libblas.so.3-$arch" "liblapack.so.3-$arch" "libopenblas.so.0-$arch"; do
  cand=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-openmp | head -n 1 || true)
  current=$(update-alternatives --query "$alt" 2>/dev/null | sed -n 's/^Value: //p')
  if [ -n "$cand" ] && [ "$cand" != "$current" ]; then "${sudo_cmd[@]}" update-alternatives --set "$alt" "$cand" >/dev/null; fi
done
echo "install-deps: done"
