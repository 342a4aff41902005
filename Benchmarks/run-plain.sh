#!/usr/bin/env bash
# Second opinion without the benchmark harness: a plain release-mode loop (Sources/V2Profile),
# no malloc interposer, median of 15 batches of ~60 ms per operation. Prints ns/op per line.
set -euo pipefail
cd "$(dirname "$0")"
bash ../scripts/install-system-packages.sh --build libprotobuf-c-dev libprotobuf-dev
swift build -c release --product V2Profile >&2
for scenario in a d b c1 c2; do
    for operation in decode encode; do
        for implementation in protowire c cpp swift-protobuf; do
            .build/release/V2Profile "$scenario" "$operation" "$implementation"
        done
    done
done
