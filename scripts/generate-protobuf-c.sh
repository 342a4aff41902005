#!/usr/bin/env bash
# Regenerates the protobuf-c reference codec from proto/inference.proto.
# Output is committed in Tests/CV2Reference; scripts/test.sh checks that it is current.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Tests/CV2Reference}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
protoc-c --c_out="$tmp" -Iproto proto/inference.proto
mkdir -p "$out/include"
cp "$tmp/inference.pb-c.h" "$out/include/inference.pb-c.h"

cp "$tmp/inference.pb-c.c" "$out/inference.pb-c.c"
