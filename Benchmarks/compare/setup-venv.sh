#!/usr/bin/env bash
# Creates (or reuses) Benchmarks/compare/.venv with MLServer and the load-client packages pinned
# in requirements.txt / constraints.txt, then prints the venv path. Idempotent: a stamp holding
# the hash of the pin files skips pip when nothing changed. Needs python3 (3.11) and PyPI.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want="$(cat "$HERE/requirements.txt" "$HERE/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt" >&2
    echo "$want" >"$stamp"
fi
"$VENV/bin/python" -c 'import mlserver, grpc, aiohttp, uvloop, hdrh.histogram, matplotlib' >&2
echo "$VENV"
