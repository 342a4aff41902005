#!/usr/bin/env python3
"""The HTTP doors side by side with a load client that is not the bottleneck: h2load in
HTTP/1.1 mode (Debian's nghttp2-client, `--h1`) posting one prepared V2 JSON request, in one run:

  - inferwire-rest: InferWire's HTTP door (`inferwire serve --http-port`), the echo model;
  - mlserver-rest:  MLServer 1.7.1's REST door, the same echo model;
  - inferwire:      InferWire's binary door, loaded by `inferwire load` (its own client).

  Benchmarks/compare/rest_load.sh [seconds] [payloads]      (installs h2load, builds, then runs this)

Every target gets the same request body (the chat payload: role/content/type BYTES tensors as
JSON strings; image-5m: a 5 MiB image as base64) and the same connections and requests in
flight per connection (-c 32 -m 1: HTTP/1.1 has one request in flight per connection). Before
loading, one POST checks that each door echoes the request's tensors (h2load counts HTTP
statuses only). Measured: requests/s at saturation, the server process tree's CPU seconds per
1,000 requests, h2load's mean request time. Results: results/rest-<UTC time>/results.md and .json.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import payloads  # noqa: E402
from compare import free_port, wait_for_http, wait_for_inferwire  # noqa: E402
from grpc_load import binary_door, h2load, measure, write_results  # noqa: E402

CONNECTIONS = 32
PATH = "/v2/models/echo/infer"


def check_answer(port: int, body: bytes, inputs):
    """One POST of the prepared body: every input tensor must come back with its data."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    sent = {t["name"]: t["data"] for t in json.loads(body)["inputs"]}
    got = {o["name"]: o["data"] for o in answer.get("outputs", [])}
    for name, data in sent.items():
        if name not in got or json.dumps(got[name]) != json.dumps(data):
            raise SystemExit(f"port {port}: output {name!r} did not echo the input: {str(got.get(name))[:200]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inferwire", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--payloads", default="chat")
    a = parser.parse_args()
    out = os.path.join(HERE, "results", "rest-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(out, exist_ok=True)
    files = payloads.write_payload_files()
    scratch = tempfile.mkdtemp()

    binary_port, http_port, ml_http, ml_grpc = (free_port() for _ in range(4))
    serve = subprocess.Popen(
        [a.inferwire, "serve", "--repository", os.path.join(HERE, "inferwire-models"), "--host", "127.0.0.1", "--port", str(binary_port),
         "--http-port", str(http_port), "--grpc-port=-1"], stdout=open(os.path.join(out, "inferwire-serve.log"), "w"), stderr=subprocess.STDOUT)
    started = subprocess.run(["bash", os.path.join(HERE, "mlserver_side.sh"), "start"], capture_output=True, text=True,
                             env=dict(os.environ, MLSERVER_HTTP_PORT=str(ml_http), MLSERVER_GRPC_PORT=str(ml_grpc), RESULTS_DIR=out,
                                      MLSERVER_METRICS_PORT="0"))
    if started.returncode != 0:
        serve.terminate()
        raise SystemExit("MLServer did not start:\n" + started.stderr)
    mlserver_pid = int(started.stdout.split()[-1])
    rows = []
    try:
        wait_for_inferwire(a.inferwire, binary_port, serve)
        wait_for_http(http_port, serve)
        for payload in [p for p in a.payloads.split(",") if p]:
            inputs = payloads.logical_inputs(payload)
            body = payloads.rest_body(payloads.rest_inputs(inputs))
            path = os.path.join(scratch, f"{payload}.json")
            with open(path, "wb") as f:
                f.write(body)
            for port in (http_port, ml_http):
                check_answer(port, body, inputs)
            print(f"{payload}:", flush=True)
            rest = ["--h1", "-H", "content-type: application/json"]
            iw = measure("inferwire-rest", serve.pid, lambda: h2load(http_port, path, a.seconds, path=PATH, grpc=False, extra=rest,
                                                                     connections=CONNECTIONS, streams=1))
            ml = measure("mlserver-rest", mlserver_pid, lambda: h2load(ml_http, path, a.seconds, path=PATH, grpc=False, extra=rest,
                                                                      connections=CONNECTIONS, streams=1))

            binary = measure("inferwire", serve.pid, lambda: binary_door(a.inferwire, binary_port, payload, files, a.seconds, CONNECTIONS, 1))
            for row in (iw, ml, binary):
                row["payload"] = payload
                rows.append(row)
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        subprocess.run(["bash", os.path.join(HERE, "mlserver_side.sh"), "stop", str(mlserver_pid)])

    def ratios(row):
        iw, ml, binary = (row(t) for t in ("inferwire-rest", "mlserver-rest", "inferwire"))
        return (f"InferWire REST / MLServer REST: requests/s {iw['requests_per_second'] / ml['requests_per_second']:.1f}x, "
                f"CPU per request {iw['server_cpu_s_per_1k'] / ml['server_cpu_s_per_1k']:.3f}x; "
                f"binary door / HTTP door: requests/s {binary['requests_per_second'] / iw['requests_per_second']:.2f}x, "
                f"CPU per request {binary['server_cpu_s_per_1k'] / iw['server_cpu_s_per_1k']:.3f}x")
    write_results(out, rows, f"h2load --h1 {CONNECTIONS} connections, one request in flight each, {a.seconds:g} s per run; "
                  "binary door: inferwire load, same counts", ratios)

if __name__ == "__main__":
    main()
