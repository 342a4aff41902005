#!/usr/bin/env python3
"""The gRPC doors side by side with a load client that is not the bottleneck: h2load (Debian's
nghttp2-client) posting one prepared gRPC message, in one run:

  - ceiling:      nghttpd (Debian's nghttp2-server) answering a static file of the response's
                  size: what h2load reaches against a server that does nothing;
  - inferwire-grpc: InferWire's gRPC door (`inferwire serve --grpc-port`), the echo model;
  - mlserver-grpc:  MLServer 1.7.1's gRPC door, the same echo model;
  - inferwire:      InferWire's binary door, loaded by `inferwire load` (its own client), for
                    the binary/gRPC ratio.

  Benchmarks/compare/grpc_load.sh [seconds] [payloads]      (installs h2load, builds, then runs this)

Every target gets the same request (the chat payload: role/content/type BYTES tensors in
`raw_input_contents`; image-5m: one 5 MiB BYTES element) and, for h2load, the same connections
and streams (-c 4 -m 32). Before loading, one call through grpcio checks that each gRPC target
answers the prepared message correctly (h2load counts HTTP statuses, not gRPC ones). Measured:
requests/s at saturation, the server process tree's CPU seconds per 1,000 requests, h2load's
mean request time. Results: results/grpc-<UTC time>/results.md and .json.
"""

import argparse
import datetime
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import payloads  # noqa: E402
from compare import free_port, tree_stats, wait_for_inferwire  # noqa: E402

CONNECTIONS, STREAMS = 4, 32
METHOD = "/inference.GRPCInferenceService/ModelInfer"


def grpc_frame(message: bytes) -> bytes:
    """gRPC's length-prefixed message: not compressed, 4-byte big-endian length."""
    return b"\0" + struct.pack(">I", len(message)) + message


def check_answer(port: int, request: bytes, inputs):
    """One call through grpcio with the prepared bytes; the echo must come back intact."""
    import grpc
    from mlserver.grpc import dataplane_pb2 as pb

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(METHOD, request_serializer=lambda b: b, response_deserializer=pb.ModelInferResponse.FromString)
        answer = call(request, timeout=30)
    elements = []
    for index, output in enumerate(answer.outputs):
        if index < len(answer.raw_output_contents):
            raw, offset, got = answer.raw_output_contents[index], 0, []
            while offset < len(raw):
                length = int.from_bytes(raw[offset:offset + 4], "little")
                got.append(raw[offset + 4:offset + 4 + length])
                offset += 4 + length
            elements.append(got)
        else:
            elements.append(list(output.contents.bytes_contents))
    expected = [elems for _, _, _, _, elems in inputs]
    if elements != expected:
        raise SystemExit(f"port {port}: the echo did not come back intact")


def h2load(port: int, body: str, seconds: float, path: str = METHOD, grpc: bool = True, extra=(), connections=CONNECTIONS, streams=STREAMS):
    command = ["h2load", "-c", str(connections), "-m", str(streams), "-D", f"{seconds:g}", "--warm-up-time", "1",
               "-d", body, *extra, f"http://127.0.0.1:{port}{path}"]
    if grpc:
        command[1:1] = ["-H", "content-type: application/grpc", "-H", "te: trailers"]
    result = subprocess.run(command, capture_output=True, text=True)
    text = result.stdout + result.stderr
    done = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    rate = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", text)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", text)
    if not done or not rate:
        raise SystemExit(f"h2load output not understood:\n{text}")
    return {"requests": int(done.group(3)), "succeeded": int(done.group(4)), "failed": int(done.group(5)),
            "errored": int(done.group(6)), "requests_per_second": float(rate.group(1)), "mean_request_time": mean and mean.group(1),
            "command": " ".join(command)}


def binary_door(inferwire: str, port: int, payload: str, files: dict, seconds: float, connections: int, concurrency: int):
    """The same call over the binary door, loaded by `inferwire load` with the same counts."""
    args = [inferwire, "load", "echo", "--port", str(port), "--json", "--duration", f"{seconds:g}", "--warmup", "1",
            "--connections", str(connections), "--concurrency", str(concurrency)]
    args += ["--message", payloads.CHAT_CONTENT] if payload == "chat" else ["--file", files[payload], "--type", "image/jpeg"]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {"requests": report["requests"], "requests_per_second": report["requests_per_second"],
            "failed": sum(report["errors"].values()), "mean_request_time": f"{(report['latency_us'] or {}).get('p50')}us (p50)"}


def write_results(out: str, rows, heading: str, ratios):
    """results.json and results.md (the table, then one line of ratios per payload) in `out`."""
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    lines = [heading, "", "| payload | target | req/s | server CPU s / 1k req | mean request time | failed |", "|:--|:--|--:|--:|--:|--:|"]
    for row in rows:
        lines.append(f"| {row['payload']} | {row['target']} | {row['requests_per_second']:,.0f} | {row['server_cpu_s_per_1k']:.3f} | "
                     f"{row.get('mean_request_time')} | {row.get('failed', 0) + row.get('errored', 0)} |")
    by = {(r["target"], r["payload"]): r for r in rows}
    lines += ["", "Ratios:", ""]
    for payload in sorted({r["payload"] for r in rows}):
        lines.append(f"- {payload}: " + ratios(lambda target: by[(target, payload)]))
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"results in {out}")


def measure(name, pid, run):
    cpu_before, _, _ = tree_stats(pid)
    report = run()
    cpu_after, rss, _ = tree_stats(pid)
    report.update(target=name, server_cpu_s_per_1k=1000 * (cpu_after - cpu_before) / max(1, report["requests"]), server_rss_mib=rss)
    print(f"  {name:15} {report['requests_per_second']:10,.0f} req/s   server CPU {report['server_cpu_s_per_1k']:.3f} s/1k"
          f"   failed {report.get('failed', 0) + report.get('errored', 0)}   mean {report.get('mean_request_time')}", flush=True)
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inferwire", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--payloads", default="chat")
    a = parser.parse_args()
    out = os.path.join(HERE, "results", "grpc-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(out, exist_ok=True)
    files = payloads.write_payload_files()
    scratch = tempfile.mkdtemp()

    binary_port, grpc_port, ml_http, ml_grpc, null_port = (free_port() for _ in range(5))
    serve = subprocess.Popen(
        [a.inferwire, "serve", "--repository", os.path.join(HERE, "inferwire-models"), "--host", "127.0.0.1", "--port", str(binary_port),
         "--http-port=-1", "--grpc-port", str(grpc_port)], stdout=open(os.path.join(out, "inferwire-serve.log"), "w"), stderr=subprocess.STDOUT)
    started = subprocess.run(["bash", os.path.join(HERE, "mlserver_side.sh"), "start"], capture_output=True, text=True,
                             env=dict(os.environ, MLSERVER_HTTP_PORT=str(ml_http), MLSERVER_GRPC_PORT=str(ml_grpc), RESULTS_DIR=out,
                                      MLSERVER_METRICS_PORT="0"))
    if started.returncode != 0:
        serve.terminate()
        raise SystemExit("MLServer did not start:\n" + started.stderr)
    mlserver_pid = int(started.stdout.split()[-1])
    null = None
    rows = []
    try:
        wait_for_inferwire(a.inferwire, binary_port, serve)
        for payload in [p for p in a.payloads.split(",") if p]:
            inputs = payloads.logical_inputs(payload)
            request = payloads.grpc_request(inputs, "echo", raw=True)
            body = os.path.join(scratch, f"{payload}.grpc")
            with open(body, "wb") as f:
                f.write(grpc_frame(request))
            for port in (grpc_port, ml_grpc):
                check_answer(port, request, inputs)
            # The do-nothing server answers a file as large as the echo's answer.
            www = os.path.join(scratch, f"www-{payload}")
            os.makedirs(www, exist_ok=True)
            with open(os.path.join(www, "answer"), "wb") as f:
                f.write(b"\0" * (len(request) + 64))
            null = subprocess.Popen(["nghttpd", "--no-tls", "-d", www, str(null_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            print(f"{payload}:", flush=True)
            ceiling = measure("ceiling", null.pid, lambda: h2load(null_port, body, a.seconds, path="/answer", grpc=False))
            null.terminate()
            null.wait()
            null = None
            iw = measure("inferwire-grpc", serve.pid, lambda: h2load(grpc_port, body, a.seconds))
            ml = measure("mlserver-grpc", mlserver_pid, lambda: h2load(ml_grpc, body, a.seconds))

            binary = measure("inferwire", serve.pid, lambda: binary_door(a.inferwire, binary_port, payload, files, a.seconds, CONNECTIONS, STREAMS))
            for row in (ceiling, iw, ml, binary):
                row["payload"] = payload
                rows.append(row)
    finally:
        if null:
            null.terminate()
        serve.terminate()
        serve.wait(timeout=30)
        subprocess.run(["bash", os.path.join(HERE, "mlserver_side.sh"), "stop", str(mlserver_pid)])

    def ratios(row):
        iw, ml, binary, ceiling = (row(t) for t in ("inferwire-grpc", "mlserver-grpc", "inferwire", "ceiling"))
        return (f"InferWire gRPC / MLServer gRPC: requests/s {iw['requests_per_second'] / ml['requests_per_second']:.1f}x, "
                f"CPU per request {iw['server_cpu_s_per_1k'] / ml['server_cpu_s_per_1k']:.3f}x; "
                f"binary door / gRPC door: requests/s {binary['requests_per_second'] / iw['requests_per_second']:.2f}x, "
                f"CPU per request {binary['server_cpu_s_per_1k'] / iw['server_cpu_s_per_1k']:.3f}x; "
                f"InferWire gRPC at {iw['requests_per_second'] / ceiling['requests_per_second']:.2f}x of h2load's ceiling")
    write_results(out, rows, f"h2load {CONNECTIONS} connections x {STREAMS} streams, {a.seconds:g} s per run; binary door: inferwire load, same counts",
                  ratios)

if __name__ == "__main__":
    main()
