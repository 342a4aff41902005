#!/usr/bin/env bash
# Regenerates Google's C++ protobuf code for proto/inference.proto into DIR (default
# Benchmarks/Sources/CppV2Reference), the third reference codec of the ProtoWire benchmarks.
# The output is committed; it must come from the protoc of the libprotobuf-dev it links
# against (Debian bookworm: 3.21.12), which the generated header checks when it compiles.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Benchmarks/Sources/CppV2Reference}"
bash scripts/install-system-packages.sh --build libprotobuf-dev protobuf-compiler
protoc --cpp_out="$out" -Iproto proto/inference.proto
