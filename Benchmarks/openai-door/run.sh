#!/usr/bin/env bash
# The OpenAI door's added latency over the binary door (docs/BENCHMARKS.md, "The OpenAI door").
#   Benchmarks/openai-door/run.sh [rounds] [seconds per run]
# Installs wrk (Debian) when missing, builds inferwire in release mode, runs run.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v wrk >/dev/null; then
    sudo_if_needed=""
    [[ "$(id -u)" == 0 ]] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get update >&2
    $sudo_if_needed apt-get install -y wrk >&2
fi
(cd "$here/../.." && swift build -c release --product inferwire >&2)
exec python3 "$here/run.py" "$@"
