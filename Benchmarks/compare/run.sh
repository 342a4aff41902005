#!/usr/bin/env bash
# InferWire vs MLServer on the same echo model, side by side in one run (docs/BENCHMARKS.md).
#
#   Benchmarks/compare/run.sh [seconds per measurement] [payloads]
#       seconds default 10; payloads default chat,image-1m,image-5m
#
# Installs the pinned MLServer and client packages in Benchmarks/compare/.venv, builds
# `inferwire` in release mode, then runs compare.py: results/<UTC time>/ gets every run's JSON,
# results.md (the table), latency-*.png/svg (the plots). Everything listens on 127.0.0.1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-10}"
chosen="${2:-chat,image-1m,image-5m}"

venv="$(bash "$here/setup-venv.sh" | tail -1)"
(cd "$root" && swift build -c release --product inferwire >&2)
exec "$venv/bin/python" "$here/compare.py" --inferwire "$root/.build/release/inferwire" --seconds "$seconds" --payloads "$chosen"
