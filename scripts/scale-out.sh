#!/usr/bin/env bash
# Replicas, measured here: N `inferwire serve` processes on loopback behind HAProxy, sharing one
# PostgreSQL (the chatbot's memory), running the chatbot pipeline against the provider simulator
# with 50 ms of upstream latency. For 1, 2 and 4 replicas: requests/s and latency; then, with 2
# replicas, kill -9 of one mid-run, and a rolling restart (SIGTERM: each drains, restarts, is
# ready before the next). After every run the store is checked: each acknowledged turn has its
# question and answer exactly once; turns that failed are counted, with what they left behind.
#
#   bash scripts/scale-out.sh            # SCALE_SECONDS=10 SCALE_CONCURRENCY=64 by default
# Writes Benchmarks/scale-out/results/<UTC time>.json and prints a table (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SCALE_SECONDS:-10}"
concurrency="${SCALE_CONCURRENCY:-64}"
source scripts/lib/harness.sh haproxy
simulator_port="$(port_of)"
"$binary" simulate --port "$simulator_port" --latency-ms 50 > "$work/simulator.log" 2>&1 &
pids+=($!)

# The chatbot with its memory in the shared PostgreSQL and the LLM on the simulator.
mkdir -p "$work/models"
cp -r examples/chatbot/. "$work/models/"
for memory in chat-memory chat-memory-answer; do
    cat > "$work/models/$memory/model-settings.json" <<JSON
{"name": "$memory", "implementation": "mlserver_memory.ConversationalMemory",
 "parameters": {"extra": {"database": "sql", "config": {"url": "$postgres_url", "window_size": 20,
   "tensor_names": ["role", "content", "type"], "connection_options": {"pool_size": 8}}}}}
JSON
done
cat > "$work/models/chat-llm/model-settings.json" <<JSON
{"name": "chat-llm", "implementation": "mlserver_llm_api.LLMRuntime",
 "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-flash",
   "base_url": "http://127.0.0.1:$simulator_port/v1beta"}}}}
JSON

declare -A replica_pid replica_http
start_replica() {  # name; a restarted replica keeps its port, so the balancer's list holds
    local http="${replica_http[$1]:-}"
    [ -n "$http" ] || http="$(port_of)"
    GEMINI_API_KEY=sim-gemini-key MLSERVER_METRICS_PORT=0 "$binary" serve --repository "$work/models" --host 127.0.0.1 \
        --port 0 --http-port "$http" --grpc-port=-1 --provider-simulator off > "$work/$1.log" 2>&1 &
    replica_pid[$1]=$!
    replica_http[$1]=$http
    pids+=($!)
    for _ in $(seq 1 200); do
        curl -fsS "http://127.0.0.1:$http/v2/health/ready" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "replica $1 did not get ready" >&2; cat "$work/$1.log" >&2; exit 1
}

balancer_port="$(port_of)"
start_balancer() {  # replica names
    {
        echo "global"; echo "  maxconn 4096"
        echo "defaults"; echo "  mode http"; echo "  timeout connect 2s"; echo "  timeout client 60s"; echo "  timeout server 60s"
        echo "  option http-keep-alive"; echo "  retries 3"; echo "  option redispatch"
        # A replica that is draining answers 503 before doing anything, and one killed mid-call
        # leaves an empty response: both are retried on another replica. Safe for these POSTs
        # because a pipeline's memory appends are keyed by the request id (docs/PIPELINES.md).
        echo "  retry-on conn-failure empty-response response-timeout 503"; echo "  option http-buffer-request"
        echo "frontend chat"; echo "  bind 127.0.0.1:$balancer_port"; echo "  default_backend replicas"
        echo "backend replicas"; echo "  balance leastconn"; echo "  option httpchk GET /v2/health/ready"
        echo "  default-server inter 200ms fall 2 rise 2"
        for name in "$@"; do echo "  server $name 127.0.0.1:${replica_http[$name]} check"; done
    } > "$work/haproxy.cfg"
    haproxy -f "$work/haproxy.cfg" -D -p "$work/haproxy.pid"
    sleep 0.5
}
stop_balancer() { kill "$(cat "$work/haproxy.pid")" 2>/dev/null || true; sleep 0.2; }

# Each acknowledged turn: its question and answer exactly once. Failed turns: what they left.
check_store() {  # report.json
    "$python" - "$1" "$postgres_url" <<'PY'
import json, subprocess, sys
report = json.load(open(sys.argv[1]))
rows = subprocess.run(["psql", sys.argv[2], "-At", "-c", "SELECT memory_id, role, count(*) FROM inferwire_memory GROUP BY memory_id, role"],
                      capture_output=True, text=True, check=True).stdout.split()
counts = {}
for row in rows:
    memory_id, role, count = row.split("|")
    counts.setdefault(memory_id, {})[role] = int(count)
lost = [m for m in report["acknowledged_ids"] if counts.get(m, {}).get("user", 0) == 0 or counts.get(m, {}).get("assistant", 0) == 0]
duplicated = [m for m in report["acknowledged_ids"] if counts.get(m, {}).get("user", 0) > 1 or counts.get(m, {}).get("assistant", 0) > 1]
left = {"nothing": 0, "question only": 0, "question and answer": 0}
for m in report["failed_ids"]:
    c = counts.get(m, {})
    left["question and answer" if c.get("assistant") else "question only" if c.get("user") else "nothing"] += 1
report.update({"lost": len(lost), "duplicated": len(duplicated), "failed_left": left})
del report["acknowledged_ids"], report["failed_ids"]
json.dump(report, open(sys.argv[1], "w"))
PY
}

run() {  # label replicas... ; SCALE_EVENT=kill|rolling during the run
    local label="$1"; shift
    start_balancer "$@"
    "$python" Benchmarks/scale-out/client.py "http://127.0.0.1:$balancer_port" "$seconds" "$concurrency" "$work/$label.json" &
    local client=$!
    case "${SCALE_EVENT:-}" in
        kill)
            sleep "$(echo "$seconds / 2" | bc -l)"
            kill -9 "${replica_pid[$1]}"
            ;;
        rolling)
            sleep 1
            for name in "$@"; do
                kill -TERM "${replica_pid[$name]}"
                wait "${replica_pid[$name]}" 2>/dev/null || true
                start_replica "$name"
                sleep 1
            done
            ;;
    esac
    wait "$client"
    stop_balancer
    check_store "$work/$label.json"
    echo "$label: $(cat "$work/$label.json")"
}

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results=()
start_replica r1; start_replica r2; start_replica r3; start_replica r4
run "1-replica" r1; results+=("1-replica")
run "2-replicas" r1 r2; results+=("2-replicas")
run "4-replicas" r1 r2 r3 r4; results+=("4-replicas")
SCALE_EVENT=kill run "2-replicas-kill-9" r2 r3; results+=("2-replicas-kill-9")
SCALE_EVENT=rolling run "2-replicas-rolling-restart" r1 r4; results+=("2-replicas-rolling-restart")

mkdir -p Benchmarks/scale-out/results
"$python" - "$work" "Benchmarks/scale-out/results/$stamp.json" "$seconds" "$concurrency" "${results[@]}" <<'PY'
import json, sys
work, out, seconds, concurrency, labels = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
runs = {label: json.load(open(f"{work}/{label}.json")) for label in labels}
json.dump({"seconds": float(seconds), "concurrency": int(concurrency), "runs": runs}, open(out, "w"), indent=1)
print(f"| run | turns/s | p50 ms | p99 ms | acknowledged | failed after retry | retries | lost | duplicated |")
print("|---|---|---|---|---|---|---|---|---|")
for label, r in runs.items():
    print(f"| {label} | {r['requests_per_second']} | {r['p50_ms']} | {r['p99_ms']} | {r['acknowledged']} | {r['failed']} {r['failed_left']} | {r['retries']} | {r['lost']} | {r['duplicated']} |")
print(f"(written to {out})")
PY
