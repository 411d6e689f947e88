#!/usr/bin/env bash
# Serves a trained model on loopback and measures it with bench_serve: one-text requests at 1, 4 and 16
# connections, then 4 connections while labels are added. The model directory is copied first (the benchmark adds
# labels to it). Usage: bench/serve_load.sh MODEL_DIR TEXTS.txt [seconds per phase] [extra `ngame serve` flags]
source "$(dirname "$0")/serve_common.sh"
build/bench/bench_serve --port "$port" --texts "$texts" --seconds "$seconds"
stop_server 0
