#!/usr/bin/env bash
# Serves a model repository on a fresh machine: installs the Debian packages the build needs
# (libcurl, SQLite), builds, and runs `inferwire serve` with the arguments given; without
# --repository it serves the example repository (examples/models).
#   bash scripts/serve.sh                                  # examples/models on 0.0.0.0:8083
#   bash scripts/serve.sh --repository ./models --port 9000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh --build
arguments=("$@")
if [[ " ${arguments[*]-} " != *" --repository "* && " ${arguments[*]-} " != *" --settings "* ]]; then
    arguments=(--repository examples/models "${arguments[@]+"${arguments[@]}"}")
fi
swift build --product inferwire
exec .build/debug/inferwire serve "${arguments[@]}"
