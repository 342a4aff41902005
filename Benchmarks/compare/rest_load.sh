#!/usr/bin/env bash
# The HTTP doors under h2load (HTTP/1.1), side by side with MLServer's REST door
# (docs/BENCHMARKS.md, "The HTTP door under h2load").
#
#   Benchmarks/compare/rest_load.sh [seconds per measurement] [payloads]
#       seconds default 10; payloads default chat (also: image-1m, image-5m)
#
# Installs h2load and nghttpd (Debian's nghttp2-client and nghttp2-server) when missing, the
# pinned MLServer venv, builds `inferwire` in release mode, then runs rest_load.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-10}"
chosen="${2:-chat}"
if ! command -v h2load >/dev/null || ! command -v nghttpd >/dev/null; then
    sudo_if_needed=""
    [[ "$(id -u)" == 0 ]] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get update >&2
    $sudo_if_needed apt-get install -y nghttp2-client nghttp2-server >&2
fi
venv="$(bash "$here/setup-venv.sh" | tail -1)"
(cd "$root" && swift build -c release --product inferwire >&2)
exec "$venv/bin/python" "$here/rest_load.py" --inferwire "$root/.build/release/inferwire" --seconds "$seconds" --payloads "$chosen"
