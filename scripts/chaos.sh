#!/usr/bin/env bash
# Chaos, measured here (docs/RELIABILITY.md):
# 1. kill -9 under load: `inferwire serve` runs the chatbot pipeline (memory → Gemini on the
#    simulator, 50 ms upstream latency → memory) with its memory on SQLite, then on PostgreSQL.
#    A client keeps CHAOS_CONCURRENCY turns in flight, each retried with its request id until it
#    is acknowledged (for up to ~10 s). Midway the server is killed with SIGKILL and started again
#    on the same port. Then the store is read back: every acknowledged turn holds its question
#    and answer exactly once, and SQLite's integrity_check says ok.
# 2. Upstream faults: for each fault the simulator can inject (429, 500, 503, invalid JSON, a
#    truncated or reset stream, a blocked answer) and for a provider that never answers, a model
#    with a 3 s timeout is called CHAOS_CALLS times, plain and streaming: each call must end (an
#    answer or a clear error) within its budget, never hang.
#
#   bash scripts/chaos.sh          # CHAOS_SECONDS=12 CHAOS_CONCURRENCY=32 CHAOS_CALLS=6
# Writes Benchmarks/chaos/results/<UTC time>.json and prints two tables.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${CHAOS_SECONDS:-12}"
concurrency="${CHAOS_CONCURRENCY:-32}"
calls="${CHAOS_CALLS:-6}"
source scripts/lib/harness.sh
simulator_port="$(port_of)"
"$binary" simulate --port "$simulator_port" --latency-ms 50 > "$work/simulator.log" 2>&1 &
pids+=($!)

http="$(port_of)"
server_pid=""
start_server() {  # repository
    GEMINI_API_KEY=sim-gemini-key OPENAI_API_KEY=sim-openai-key MLSERVER_METRICS_PORT=0 "$binary" serve --repository "$1" \
        --host 127.0.0.1 --port 0 --http-port "$http" --grpc-port=-1 --provider-simulator off >> "$work/serve.log" 2>&1 &
    server_pid=$!
    pids+=($server_pid)
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$http/v2/health/ready" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "the server did not get ready" >&2; tail -20 "$work/serve.log" >&2; exit 1
}

# --- 1. kill -9 under load, memory on SQLite then PostgreSQL ---
chatbot() {  # store → a repository folder
    local models="$work/models-$1"
    mkdir -p "$models"
    cp -r examples/chatbot/. "$models/"
    local url
    if [ "$1" = sqlite ]; then url="sqlite:///$work/memory.db"; else url="$postgres_url"; fi
    for memory in chat-memory chat-memory-answer; do
        cat > "$models/$memory/model-settings.json" <<JSON
{"name": "$memory", "implementation": "mlserver_memory.ConversationalMemory",
 "parameters": {"extra": {"database": "sql", "config": {"url": "$url", "window_size": 20, "tensor_names": ["role", "content", "type"]}}}}
JSON
    done
    cat > "$models/chat-llm/model-settings.json" <<JSON
{"name": "chat-llm", "implementation": "mlserver_llm_api.LLMRuntime",
 "parameters": {"extra": {"provider_id": "gemini", "config": {"model_id": "gemini-1.5-flash",
   "base_url": "http://127.0.0.1:$simulator_port/v1beta"}}}}
JSON
    echo "$models"
}

check_store() {  # store report.json
    "$python" - "$1" "$2" "$work/memory.db" "$postgres_url" <<'PY'
import json, sqlite3, subprocess, sys
store, path, db, url = sys.argv[1:5]
report = json.load(open(path))
query = "SELECT memory_id, role, count(*) FROM inferwire_memory GROUP BY memory_id, role"
if store == "sqlite":
    connection = sqlite3.connect(db)
    rows = connection.execute(query).fetchall()
    report["integrity"] = connection.execute("PRAGMA integrity_check").fetchone()[0]
else:
    out = subprocess.run(["psql", url, "-At", "-c", query], capture_output=True, text=True, check=True).stdout.split()
    rows = [(r.split("|")[0], r.split("|")[1], int(r.split("|")[2])) for r in out]
    report["integrity"] = "ok"  # PostgreSQL's own; the check is lost/duplicated
counts = {}
for memory_id, role, count in rows:
    counts.setdefault(memory_id, {})[role] = count
acknowledged = report.pop("acknowledged_ids")
failed = report.pop("failed_ids")
report["lost"] = sum(1 for m in acknowledged if counts.get(m, {}).get("user", 0) == 0 or counts.get(m, {}).get("assistant", 0) == 0)
report["duplicated"] = sum(1 for m in acknowledged if counts.get(m, {}).get("user", 0) > 1 or counts.get(m, {}).get("assistant", 0) > 1)
report["failed_with_both_stored"] = sum(1 for m in failed if counts.get(m, {}).get("assistant"))
json.dump(report, open(path, "w"))
PY
}

for store in sqlite postgresql; do
    models="$(chatbot "$store")"
    start_server "$models"
    "$python" Benchmarks/scale-out/client.py "http://127.0.0.1:$http" "$seconds" "$concurrency" "$work/kill-$store.json" 100 &
    client=$!
    sleep "$(echo "$seconds / 2" | bc -l)"
    kill -9 "$server_pid"
    started=$(date +%s.%N)
    start_server "$models"
    echo "$store: killed, serving again after $(echo "$(date +%s.%N) - $started" | bc -l | cut -c1-4) s" >&2
    wait "$client"
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
    check_store "$store" "$work/kill-$store.json"
    echo "kill -9 ($store): $(cat "$work/kill-$store.json")" >&2
done

# --- 2. upstream faults: every call ends within its budget ---
cat > "$work/faults.py" <<'PY'
import json, sys, time, urllib.request
base, calls, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = json.dumps({"inputs": [
    {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
    {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["hi"]},
    {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]}]}).encode()
results = []
for model in ["gemini-chat", "openai-chat"]:
    for route in ["infer", "generate_stream"]:
        for _ in range(calls):
            started = time.time()
            request = urllib.request.Request(f"{base}/v2/models/{model}/{route}", body, {"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    text = response.read().decode()
                    status = response.status
            except urllib.error.HTTPError as error:
                text, status = error.read().decode(), error.code
            except Exception as error:  # noqa: BLE001 - a client-side timeout is the hang this looks for
                text, status = repr(error), 0
            outcome = "error event" if route == "generate_stream" and '"error"' in text else ("ok" if status == 200 else str(status))
            results.append({"model": model, "route": route, "outcome": outcome, "seconds": round(time.time() - started, 2),
                            "message": text[-160:] if outcome != "ok" else ""})
json.dump(results, open(out, "w"))
PY
faults=(429 500 503 invalid-json truncate reset block hang)
for fault in "${faults[@]}"; do
    fault_port="$(port_of)"
    if [ "$fault" = hang ]; then
        "$binary" simulate --port "$fault_port" --latency-ms 600000 > "$work/sim-$fault.log" 2>&1 &
    else
        "$binary" simulate --port "$fault_port" --fault "$fault" > "$work/sim-$fault.log" 2>&1 &
    fi
    fault_pid=$!
    pids+=($fault_pid)
    models="$work/models-fault-$fault"
    mkdir -p "$models/gemini-chat" "$models/openai-chat"
    echo "{\"name\": \"gemini-chat\", \"implementation\": \"mlserver_llm_api.LLMRuntime\", \"parameters\": {\"extra\": {\"provider_id\": \"gemini\", \"config\": {\"model_id\": \"gemini-1.5-flash\", \"base_url\": \"http://127.0.0.1:$fault_port/v1beta\", \"timeout_seconds\": 3}}}}" > "$models/gemini-chat/model-settings.json"
    echo "{\"name\": \"openai-chat\", \"implementation\": \"mlserver_llm_api.LLMRuntime\", \"parameters\": {\"extra\": {\"provider_id\": \"openai\", \"config\": {\"model_id\": \"gpt-4o\", \"base_url\": \"http://127.0.0.1:$fault_port/v1\", \"timeout_seconds\": 3}}}}" > "$models/openai-chat/model-settings.json"
    start_server "$models"
    "$python" "$work/faults.py" "http://127.0.0.1:$http" "$calls" "$work/fault-$fault.json"
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
    kill -9 "$fault_pid" 2>/dev/null || true
done

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p Benchmarks/chaos/results
"$python" - "$work" "Benchmarks/chaos/results/$stamp.json" "${faults[@]}" <<'PY'
import collections, json, sys
work, out, faults = sys.argv[1], sys.argv[2], sys.argv[3:]
kills = {store: json.load(open(f"{work}/kill-{store}.json")) for store in ["sqlite", "postgresql"]}
fault_runs = {fault: json.load(open(f"{work}/fault-{fault}.json")) for fault in faults}
json.dump({"kill9": kills, "faults": fault_runs}, open(out, "w"), indent=1)
print("| kill -9 mid-run | turns/s | acknowledged | failed | client retries | lost | duplicated | store integrity |")
print("|---|---|---|---|---|---|---|---|")
for store, r in kills.items():
    print(f"| {store} | {r['requests_per_second']} | {r['acknowledged']} | {r['failed']} | {r['retries']} | {r['lost']} | {r['duplicated']} | {r['integrity']} |")
print()
print("| upstream fault | route | outcomes | slowest s | a message |")
print("|---|---|---|---|---|")
worst = 0
for fault, results in fault_runs.items():
    for route in ["infer", "generate_stream"]:
        rows = [r for r in results if r["route"] == route]
        outcomes = collections.Counter(r["outcome"] for r in rows)
        slowest = max(r["seconds"] for r in rows)
        worst = max(worst, slowest)
        message = next((r["message"] for r in rows if r["message"]), "").replace("|", "/").replace("\n", " ")[:110]
        print(f"| {fault} | {route} | {', '.join(f'{k} ×{v}' for k, v in sorted(outcomes.items()))} | {slowest} | {message} |")
print(f"(written to {out}; slowest call {worst} s)")
bad = [s for s, r in kills.items() if r["lost"] or r["duplicated"] or r["integrity"] != "ok"]
hung = [f for f, results in fault_runs.items() if any(r["outcome"] == "0" for r in results)]
if bad or hung:
    print(f"FAILED: stores {bad}, hangs {hung}")
    sys.exit(1)
PY
