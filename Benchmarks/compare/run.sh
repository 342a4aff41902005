#!/usr/bin/env bash
# InferWire vs MLServer on the same echo model, side by side in one run (docs/BENCHMARKS.md):
# InferWire's binary door and its HTTP door (inferwire-rest), MLServer's gRPC and REST doors.
#
#   Benchmarks/compare/run.sh [seconds per measurement] [payloads]
#       seconds default 10; payloads default chat,image-1m,image-5m
#   INFERWIRE_BASELINE=/path/to/inferwire   also serve and load that binary (e.g. the build
#                                           before a change) as "inferwire-before", side by side
#   COMPARE_SKIP_MLSERVER=1                 leave MLServer out (a quick before/after run)
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
extra=()
if [[ -n "${INFERWIRE_BASELINE:-}" ]]; then
    [[ -x "$INFERWIRE_BASELINE" ]] || { echo "INFERWIRE_BASELINE: no executable at $INFERWIRE_BASELINE" >&2; exit 1; }
    extra+=(--baseline "$INFERWIRE_BASELINE")
fi
[[ "${COMPARE_SKIP_MLSERVER:-0}" == 0 ]] || extra+=(--skip-mlserver)
exec "$venv/bin/python" "$here/compare.py" --inferwire "$root/.build/release/inferwire" --seconds "$seconds" --payloads "$chosen" "${extra[@]}"
