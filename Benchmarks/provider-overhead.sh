#!/usr/bin/env bash
# The provider layer's added latency and its memory with many open streams, side by side with
# plain libcurl in C; then the whole gateway (binary client → InferWire → LLM runtime) against
# calling the provider directly, and bytes on the wire for a 5 MiB image. All against the
# provider simulator in its own process on loopback.
# Usage: Benchmarks/provider-overhead.sh [requests-per-round] [rounds] [streams]
set -euo pipefail
cd "$(dirname "$0")"
requests="${1:-2000}"; rounds="${2:-5}"; streams="${3:-10000}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
swift build -c release --product ProviderOverhead >&2
swift build -c release --product GatewayOverhead >&2
binary=.build/release/ProviderOverhead
port="${PORT:-9190}"
"$binary" simulator --port "$port" > .build/simulator.log 2>&1 &
simulator=$!
trap 'kill $simulator 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "simulator on" .build/simulator.log 2>/dev/null && break; sleep 0.1; done
"$binary" handoff
"$binary" latency --port "$port" --requests "$requests" --rounds "$rounds"
simulator_cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$simulator/stat"; }  # utime + stime, 100 ticks/s
before=$(simulator_cpu)
"$binary" streams --port "$port" --count "$streams" --chunk-delay-ms 1000
echo "simulator CPU during the streams: $(echo "$(simulator_cpu) $before" | awk '{printf "%.2f s", $1 - $2}')"
.build/release/GatewayOverhead --port "$port" --requests "$requests" --rounds "$rounds" 2>/dev/null
echo "simulator process at the end: $(ps -o rss= -p $simulator | awk '{printf "%d MiB RSS", $1/1024}')"
