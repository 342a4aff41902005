#!/usr/bin/env bash
# Regenerates the protobuf-c reference codec from proto/*.proto into DIR (default
# Tests/CV2Reference: headers in DIR/include, sources in DIR). The output is committed;
# scripts/test.sh checks that it is current.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Tests/CV2Reference}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/include"
for proto in inference inferwire; do
    protoc-c --c_out="$tmp" -Iproto "proto/$proto.proto"
    cp "$tmp/$proto.pb-c.h" "$out/include/$proto.pb-c.h"
    cp "$tmp/$proto.pb-c.c" "$out/$proto.pb-c.c"
done
