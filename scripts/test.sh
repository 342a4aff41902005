#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the system packages and the pinned Python test
# tools, checks that the committed protobuf-c reference code matches proto/, starts a throwaway
# PostgreSQL server on loopback, builds, and runs `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh

generated="$(mktemp -d)"
postgres_dir=""
trap 'rm -rf "$generated"; [ -z "$postgres_dir" ] || bash scripts/postgres-test-server.sh stop "$postgres_dir"' EXIT
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

# A real PostgreSQL server on loopback for the shared-memory tests, stopped on exit.
postgres="$(bash scripts/postgres-test-server.sh start)"
postgres_dir="${postgres#* }"
INFERWIRE_TEST_POSTGRES_URL="${postgres% *}"
export INFERWIRE_TEST_POSTGRES_URL

if [ "$#" -gt 0 ]; then
    swift test "$@"
else
    # Three phases, so that no test's timing depends on how much else runs on the two cores:
    # the suites that start servers and Python SDK scripts as processes run after the others,
    # and the load tool's latency percentiles alone at the end (with everything in parallel a
    # 5 ms call was once held up for 5 s, which no latency assertion can tell from a bug).
    heavy="TuneCommandTests|SDKFidelityTests|PipelineServeTests|SecretsTests"
    swift test --skip "LoadCommandTests|$heavy"
    swift test --skip-build --filter "$heavy"
    swift test --skip-build --filter LoadCommandTests
    # The container image and the manifests, checked statically (docs/DEPLOY.md).
    bash scripts/check-deploy.sh
fi
