#!/usr/bin/env bash
# Creates (or reuses) the test venv with scripts/python-requirements.txt and prints its python.
# The venv lives in .build/ (not committed); it is rebuilt when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${INFERWIRE_VENV:-.build/python-venv}"
stamp="$venv/requirements.sha256"
wanted="$(sha256sum scripts/python-requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/python-requirements.txt >&2
    echo "$wanted" > "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"
