#!/usr/bin/env bash
# Soak (docs/RELIABILITY.md): one release `inferwire serve` under SOAK_SECONDS (default 600) of
# mixed load, sampled every 5 s for its resident memory (VmRSS) and open files:
#   - the binary door: `inferwire load` on the echo model (4 calls in flight);
#   - HTTP, SOAK_THREADS (default 8) Python threads on keep-alive connections, each call one of:
#     echo; an LLM through the simulator (plain, a stream read to its end, a stream dropped after
#     its first event: a cancel); an LLM whose provider answers 503 to everything (injected); a
#     memory append on SQLite and on PostgreSQL; the chatbot pipeline (memory on SQLite); a body
#     that is not JSON (injected: 400).
# Passes when, after the warm-up (the first fifth), RSS and open files stay within ±10% of their
# median, and no call failed but the injected ones. Writes Benchmarks/soak/results/<UTC>.json
# and an SVG of RSS and open files over time next to it.
#
#   bash scripts/soak.sh            # SOAK_SECONDS=600 SOAK_THREADS=8
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SOAK_SECONDS:-600}"
threads="${SOAK_THREADS:-8}"
source scripts/lib/harness.sh
good="$(port_of)"; faulty="$(port_of)"
"$binary" simulate --port "$good" --latency-ms 20 > "$work/sim-good.log" 2>&1 &
pids+=($!)
"$binary" simulate --port "$faulty" --fault 503 > "$work/sim-faulty.log" 2>&1 &
pids+=($!)

models="$work/models"
mkdir -p "$models"
cp -r examples/chatbot/. "$models/"
cp -r examples/models/echo "$models/"
llm() {  # name provider model base
    mkdir -p "$models/$1"
    echo "{\"name\": \"$1\", \"implementation\": \"mlserver_llm_api.LLMRuntime\", \"parameters\": {\"extra\": {\"provider_id\": \"$2\", \"config\": {\"model_id\": \"$3\", \"base_url\": \"$4\", \"timeout_seconds\": 5}}}}" \
        > "$models/$1/model-settings.json"
}
memory() {  # name url
    mkdir -p "$models/$1"
    echo "{\"name\": \"$1\", \"implementation\": \"mlserver_memory.ConversationalMemory\", \"parameters\": {\"extra\": {\"database\": \"sql\", \"config\": {\"url\": \"$2\", \"window_size\": 10, \"tensor_names\": [\"role\", \"content\", \"type\"]}}}}" \
        > "$models/$1/model-settings.json"
}
llm chat-llm gemini gemini-1.5-flash "http://127.0.0.1:$good/v1beta"
llm llm-ok openai gpt-4o "http://127.0.0.1:$good/v1"
llm llm-faulty openai gpt-4o "http://127.0.0.1:$faulty/v1"
memory chat-memory "sqlite:///$work/chatbot.db"
memory chat-memory-answer "sqlite:///$work/chatbot.db"
memory sqlite-memory "sqlite:///$work/memory.db"
memory pg-memory "$postgres_url"

http="$(port_of)"; binary_port="$(port_of)"
GEMINI_API_KEY=sim-gemini-key OPENAI_API_KEY=sim-openai-key MLSERVER_METRICS_PORT=0 "$binary" serve --repository "$models" \
    --host 127.0.0.1 --port "$binary_port" --http-port "$http" --grpc-port=-1 --provider-simulator off > "$work/serve.log" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$http/v2/health/ready" >/dev/null 2>&1 && break
    sleep 0.05
done
curl -fsS "http://127.0.0.1:$http/v2/health/ready" >/dev/null || { echo "the server did not get ready" >&2; cat "$work/serve.log" >&2; exit 1; }

# Samples: seconds since start, RSS in KiB, open files.
(
    start=$(date +%s)
    while kill -0 "$server" 2>/dev/null; do
        echo "$(( $(date +%s) - start )) $(awk '/VmRSS/ {print $2}' "/proc/$server/status") $(ls "/proc/$server/fd" | wc -l)"
        sleep 5
    done
) > "$work/samples.txt" &
pids+=($!)

"$binary" load echo --port "$binary_port" --input x=soak --connections 1 --concurrency 4 --duration "$seconds" --json \
    > "$work/binary-load.json" 2> "$work/binary-load.err" &
binary_load=$!
pids+=($binary_load)

cat > "$work/mix.py" <<'PY'
import collections, http.client, json, random, sys, threading, time, uuid
port, seconds, threads, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
stop = time.time() + seconds
counts, lock = collections.Counter(), threading.Lock()
chat = json.dumps({"inputs": [
    {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
    {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["What is the capital of France?"]},
    {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]}]})
def memory_call(memory_id):
    return json.dumps({"inputs": [
        {"name": "memory_id", "shape": [1], "datatype": "BYTES", "data": [memory_id]},
        {"name": "role", "shape": [1], "datatype": "BYTES", "data": ["user"]},
        {"name": "content", "shape": [1], "datatype": "BYTES", "data": ["hello"]},
        {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["text"]}]})
echo = json.dumps({"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["soak"]}]})
# (name, path, body, expected status, how to read)
calls = [
    ("echo", "/v2/models/echo/infer", lambda: echo, 200, "all"),
    ("llm", "/v2/models/llm-ok/infer", lambda: chat, 200, "all"),
    ("llm stream", "/v2/models/llm-ok/generate_stream", lambda: chat, 200, "all"),
    ("llm stream cancelled", "/v2/models/llm-ok/generate_stream", lambda: chat, 200, "cancel"),
    ("llm 503 (injected)", "/v2/models/llm-faulty/infer", lambda: chat, 503, "all"),
    ("memory sqlite", "/v2/models/sqlite-memory/infer", lambda: memory_call(f"soak-{random.randrange(200)}"), 200, "all"),
    ("memory postgresql", "/v2/models/pg-memory/infer", lambda: memory_call(f"soak-{random.randrange(200)}"), 200, "all"),
    ("chatbot pipeline", "/v2/models/chatbot/infer", lambda: memory_call(str(uuid.uuid4())), 200, "all"),
    ("bad JSON (injected)", "/v2/models/echo/infer", lambda: '{"inputs": [', 400, "all"),
]
def worker():
    connection = None
    while time.time() < stop:
        name, path, body, expected, read = random.choice(calls)
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", path, body(), {"content-type": "application/json"})
            response = connection.getresponse()
            if read == "cancel":
                response.read(1)
                connection.close()  # the client goes away mid-stream
                connection = None
                outcome = "ok"
            else:
                response.read()
                outcome = "ok" if response.status == expected else f"unexpected {response.status}"
        except Exception as error:  # noqa: BLE001 - counted, then a new connection
            outcome = f"unexpected {type(error).__name__}"
            if connection is not None:
                connection.close()
            connection = None
        with lock:
            counts[(name, outcome)] += 1
pool = [threading.Thread(target=worker) for _ in range(threads)]
for thread in pool: thread.start()
for thread in pool: thread.join()
json.dump([{"call": name, "outcome": outcome, "count": count} for (name, outcome), count in sorted(counts.items())], open(out, "w"))
PY
"$python" "$work/mix.py" "$http" "$seconds" "$threads" "$work/mix.json"
wait "$binary_load" || true
sleep 5  # one more sample after the load

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p Benchmarks/soak/results
"$python" - "$work" "Benchmarks/soak/results/$stamp" "$seconds" <<'PY'
import json, statistics, sys
work, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
samples = [tuple(map(int, line.split())) for line in open(f"{work}/samples.txt") if len(line.split()) == 3]
mix = json.load(open(f"{work}/mix.json"))
try:
    binary = json.load(open(f"{work}/binary-load.json"))
except Exception:  # noqa: BLE001
    binary = {"error": open(f"{work}/binary-load.err").read()[-400:]}
# After the warm-up and while the load runs (the last sample, taken after it, has fewer connections).
warm = [s for s in samples if seconds / 5 <= s[0] <= seconds]
def spread(values):
    median = statistics.median(values)
    return median, min(values) / median - 1, max(values) / median - 1
rss_median, rss_low, rss_high = spread([s[1] for s in warm])
fd_median, fd_low, fd_high = spread([s[2] for s in warm])
unexpected = [m for m in mix if m["outcome"] != "ok"]
report = {"seconds": seconds, "samples": samples, "calls": mix, "binary_door_load": binary,
          "rss_kib_median_after_warmup": rss_median, "rss_spread": [round(rss_low, 3), round(rss_high, 3)],
          "open_files_median_after_warmup": fd_median, "open_files_spread": [round(fd_low, 3), round(fd_high, 3)],
          "unexpected": unexpected}
json.dump(report, open(out + ".json", "w"), indent=1)
# The plot: RSS (MiB) and open files over time, one SVG.
width, height, pad = 720, 260, 40
t_max = max(s[0] for s in samples) or 1
def line(values, top, color):
    low, high = 0, max(values) * 1.2 or 1
    points = " ".join(f"{pad + s[0] / t_max * (width - 2 * pad):.1f},{height - pad - v / high * (height - 2 * pad):.1f}" for s, v in zip(samples, values))
    return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>', high
rss_line, rss_top = line([s[1] / 1024 for s in samples], 0, "#1f77b4")
fd_line, fd_top = line([s[2] for s in samples], 0, "#d62728")
svg = f'''<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{pad}" y="20">inferwire serve, {int(seconds)} s of mixed load: RSS (blue, MiB, top {rss_top:.0f}) and open files (red, top {fd_top:.0f})</text>
<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>
<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>
<text x="{pad}" y="{height - 15}">0 s</text><text x="{width - pad - 30}" y="{height - 15}">{t_max} s</text>
<line x1="{pad + seconds / 5 / t_max * (width - 2 * pad):.1f}" y1="{pad}" x2="{pad + seconds / 5 / t_max * (width - 2 * pad):.1f}" y2="{height - pad}" stroke="#999" stroke-dasharray="4"/>
{rss_line}{fd_line}</svg>'''
open(out + ".svg", "w").write(svg)
print(f"RSS after warm-up: median {rss_median / 1024:.1f} MiB, {rss_low:+.1%} / {rss_high:+.1%}; open files: median {fd_median}, {fd_low:+.1%} / {fd_high:+.1%}")
print("| call | outcome | count |")
print("|---|---|---|")
for m in mix:
    print(f"| {m['call']} | {m['outcome']} | {m['count']} |")
if "error" not in binary:
    print(f"binary door (inferwire load echo): {json.dumps(binary)[:300]}")
print(f"(written to {out}.json and {out}.svg)")
ok = abs(rss_low) <= 0.1 and abs(rss_high) <= 0.1 and abs(fd_low) <= 0.1 and abs(fd_high) <= 0.1 and not unexpected
print("PASSED" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
