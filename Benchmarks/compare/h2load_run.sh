#!/usr/bin/env bash
# What grpc_load.sh and rest_load.sh share: installs h2load and nghttpd (Debian's
# nghttp2-client and nghttp2-server) when missing, the pinned MLServer venv, builds `inferwire`
# in release mode, then runs the given driver.
#
#   Benchmarks/compare/h2load_run.sh DRIVER.py [seconds] [payloads]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
driver="$1"
seconds="${2:-10}"
chosen="${3:-chat}"
if ! command -v h2load >/dev/null || ! command -v nghttpd >/dev/null; then
    sudo_if_needed=""
    [[ "$(id -u)" == 0 ]] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get update >&2
    $sudo_if_needed apt-get install -y nghttp2-client nghttp2-server >&2
fi
venv="$(bash "$here/setup-venv.sh" | tail -1)"
(cd "$root" && swift build -c release --product inferwire >&2)
exec "$venv/bin/python" "$here/$driver" --inferwire "$root/.build/release/inferwire" --seconds "$seconds" --payloads "$chosen"
