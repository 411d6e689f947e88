#!/usr/bin/env bash
# Installs every Debian package that ngame's build, tests, benchmarks and demo need. Idempotent: packages that
# are already installed are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-dev libeigen3-dev libhnswlib-dev
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  wordnet-base
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The image's default BLAS may be the slow reference one: make OpenBLAS the provider of libblas.so.3.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for alt in "libblas.so.3-$arch" "liblapack.so.3-$arch"; do
  cand=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas | head -n 1 || true)
  if [ -n "$cand" ]; then "${sudo_cmd[@]}" update-alternatives --set "$alt" "$cand" >/dev/null; fi
done
echo "install-deps: done"
