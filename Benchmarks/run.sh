#!/usr/bin/env bash
# Builds the benchmarks in release mode and runs them all in one run, then prints the summary
# tables used in docs/BENCHMARKS.md. Usage: Benchmarks/run.sh [extra `swift package benchmark` options]
# (e.g. --filter 'a-chat.*'). Raw output: Benchmarks/.build/benchmark-results.md
set -euo pipefail
cd "$(dirname "$0")"
# The reference codecs' libraries: protobuf-c and Google's C++ protobuf (Debian's packages).
bash ../scripts/install-system-packages.sh --build libprotobuf-c-dev libprotobuf-dev
mkdir -p .build
swift package --disable-sandbox benchmark --target V2Codec --format markdown --no-progress "$@" \
    | tee .build/benchmark-results.md
python3 summarize.py .build/benchmark-results.md
