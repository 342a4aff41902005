#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the system packages and the pinned Python test
# tools, checks that the committed protobuf-c reference code matches proto/, builds, and runs
# `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh

generated="$(mktemp -d)"
trap 'rm -rf "$generated"' EXIT
bash scripts/generate-protobuf-c.sh "$generated"
for file in include/inference.pb-c.h inference.pb-c.c include/inferwire.pb-c.h inferwire.pb-c.c; do
    if ! cmp -s "$generated/$file" "Tests/CV2Reference/$file"; then
        echo "Tests/CV2Reference/$file is stale: run scripts/generate-protobuf-c.sh" >&2
        exit 1
    fi
done

# Python for the differential tests: the official provider SDKs and Jinja2, pinned, in a venv.
INFERWIRE_PYTHON="$(bash scripts/python-env.sh)"
export INFERWIRE_PYTHON

swift test "$@"
