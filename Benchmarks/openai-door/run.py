#!/usr/bin/env python3
"""What the OpenAI-compatible door adds over the binary door, same LLM model, same simulator,
in one run (docs/BENCHMARKS.md, "The OpenAI door"):

  Benchmarks/openai-door/run.sh [rounds] [seconds per run]

`inferwire serve` on examples/models with no API key (the bundled provider simulator answers
openai-chat-completions). Each round runs, one call at a time (one connection, one in flight):
  - binary:   `inferwire load openai-chat-completions --message ...` over the binary protocol;
  - openai:   wrk posting the same message to /v1/chat/completions;
  - provider: wrk posting the same message straight to the simulator (what the provider alone takes).
Reported: each target's p50/p99 per round, and the median over rounds of p50(openai) - p50(binary),
the door's added latency. Rounds alternate the targets so drift hits all alike.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MESSAGE = "What is the capital of France? Answer in one word."


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def micros(text):
    found = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not found:
        raise SystemExit(f"wrk latency not understood: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 1, "ms": 1000, "s": 1_000_000, "m": 60_000_000}[unit]


def wrk(url, body, seconds, key=None):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    if key:
        script.write(f'wrk.headers["Authorization"] = "Bearer {key}"\n')
    script.write(f"wrk.body = {json.dumps(body)}\n")
    script.close()
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency", "-s", script.name, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    if "Non-2xx" in out:
        raise SystemExit(f"wrk got errors from {url}:\n{out}")
    p50 = micros(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = micros(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    return p50, p99


def main():
    binary = os.path.join(ROOT, ".build", "release", "inferwire")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    port, http_port = free_port(), free_port()
    serve = subprocess.Popen([binary, "serve", "--repository", os.path.join(ROOT, "examples", "models"), "--host", "127.0.0.1",
                              "--port", str(port), "--http-port", str(http_port), "--grpc-port=-1", "--provider-simulator", "auto"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={k: v for k, v in os.environ.items() if "API_KEY" not in k})
    simulator, lines = None, []
    try:
        for line in serve.stdout:
            lines.append(line)
            found = re.search(r"simulator on (http://127\.0\.0\.1:\d+)", line)
            simulator = simulator or (found and found.group(1))
            if "http on" in line:
                break
        if not simulator:
            raise SystemExit("no simulator address in serve's output:\n" + "".join(lines))
        time.sleep(0.5)
        openai_body = json.dumps({"model": "openai-chat-completions", "messages": [{"role": "user", "content": MESSAGE}]})
        provider_body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": MESSAGE}]})
        rows = []
        for round_number in range(rounds):
            load = subprocess.run([binary, "load", "openai-chat-completions", "--port", str(port), "--message", MESSAGE,
                                   "--connections", "1", "--concurrency", "1", "--duration", str(seconds), "--warmup", "1", "--json"],
                                  capture_output=True, text=True, check=True)
            report = json.loads(load.stdout.strip().splitlines()[-1])
            if report["errors"]:
                raise SystemExit(f"binary door errors: {report['errors']}")
            row = {"binary": (report["latency_us"]["p50"], report["latency_us"]["p99"]),
                   "openai": wrk(f"http://127.0.0.1:{http_port}/v1/chat/completions", openai_body, seconds),
                   "provider": wrk(f"{simulator}/v1/chat/completions", provider_body, seconds, key="sim-openai-key")}
            rows.append(row)
            print(f"round {round_number + 1}: " + "   ".join(f"{name} p50 {p50:.0f} µs p99 {p99:.0f} µs" for name, (p50, p99) in row.items()), flush=True)
        added = [row["openai"][0] - row["binary"][0] for row in rows]
        print(f"\nmedians over {rounds} rounds of {seconds} s, one call at a time:")
        for name in ("provider", "binary", "openai"):
            print(f"  {name:9} p50 {statistics.median(r[name][0] for r in rows):.0f} µs   p99 {statistics.median(r[name][1] for r in rows):.0f} µs")
        print(f"  OpenAI door's added p50 over the binary door: median {statistics.median(added):.0f} µs (rounds: {', '.join(f'{a:.0f}' for a in added)})")
    finally:
        serve.terminate()
        serve.wait(timeout=30)


if __name__ == "__main__":
    main()
