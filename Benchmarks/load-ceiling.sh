#!/usr/bin/env bash
# The load generator's own ceiling: `inferwire load` against NullServer (the binary protocol,
# no work behind it) and, for scale, against `inferwire serve` with the echo model.
#
#   Benchmarks/load-ceiling.sh [seconds]     (default 10)
#
# Builds both in release mode; everything on 127.0.0.1 (ports picked free).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
seconds="${1:-10}"
(cd "$root" && swift build -c release --product inferwire >&2)
(cd "$here" && swift build -c release --product NullServer >&2)
inferwire="$root/.build/release/inferwire"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

null_port="$(free_port)"
"$here/.build/release/NullServer" "$null_port" 1 >/dev/null &
null_pid=$!
echo_port="$(free_port)"
repository="$(mktemp -d)"
mkdir -p "$repository/echo"
echo '{"name": "echo", "implementation": "echo"}' >"$repository/echo/model-settings.json"
MLSERVER_METRICS_PORT=0 "$inferwire" serve --repository "$repository" --host 127.0.0.1 --port "$echo_port" >/dev/null 2>&1 &
serve_pid=$!
trap 'kill $null_pid $serve_pid 2>/dev/null; rm -rf "$repository"' EXIT
for _ in $(seq 100); do "$inferwire" health --port "$echo_port" --model echo >/dev/null 2>&1 && break; sleep 0.1; done

for target in "null server:$null_port" "inferwire serve:$echo_port"; do
    name="${target%%:*}"
    port="${target##*:}"
    for shape in "1 1 1" "1 64 1" "4 16 1" "4 16 2"; do
        read -r connections concurrency threads <<<"$shape"
        printf '%-16s %d connections × %-3d in flight, %d thread(s): ' "$name" "$connections" "$concurrency" "$threads"
        "$inferwire" load echo --port "$port" --input text=hello --duration "$seconds" \
            --connections "$connections" --concurrency "$concurrency" --threads "$threads" --json |
            python3 -c 'import json, sys; r = json.load(sys.stdin); l = r["latency_us"]
print("{:9,.0f} req/s  p50 {} µs  p99 {} µs".format(r["requests_per_second"], l["p50"], l["p99"]))'
    done
done
