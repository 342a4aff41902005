#!/usr/bin/env python3
"""InferWire and MLServer side by side, in one run, on the same echo model and payloads.

  Benchmarks/compare/run.sh [seconds]        (builds, sets up the venv, then runs this)
  INFERWIRE_BASELINE=/path/to/inferwire Benchmarks/compare/run.sh [seconds]   (adds --baseline)

With --baseline BINARY, a second InferWire (e.g. the build before a change) is served and loaded
the same way, by its own binary, as target "inferwire-before"; InferWire is also run at its half
rate (the same offered load), and the ratios compare the two. --skip-mlserver leaves MLServer out.

For each payload (chat, image-1m, image-5m) and each target (InferWire binary via
`inferwire load`; the baseline InferWire if given; InferWire's HTTP door, "inferwire-rest", and
MLServer gRPC and REST via v2load.py; the two REST doors get the very same request bodies):
  1. a warm-up run (not recorded);
  2. saturation: a closed-loop run; requests/s, and the server process tree's CPU seconds
     (procstats, read just before and after) per 1,000 requests and its RSS after the run;
  3. half load: an open-loop run at half of that target's own saturation rate (coordinated
     omission corrected on both sides); p50/p99, and an .hgrm file for the plots.
InferWire's binary door runs at every other target's half rate, and its HTTP door at MLServer
REST's (the same offered load). Results go to results/<UTC time>/: every run's JSON, results.json, results.md, plots.
"""

import argparse
import datetime
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import payloads  # noqa: E402
import procstats  # noqa: E402

PAYLOADS = ["chat", "image-1m", "image-5m"]

# Closed-loop settings that saturate each server here (2 cores, client and server sharing them);
# found by exploration (NOTES.md). InferWire: connections x calls in flight, one client thread.
# MLServer and InferWire's HTTP door (v2load.py): client processes x in flight per process.
SATURATION = {
    "inferwire": {"chat": (4, 64), "image-1m": (2, 4), "image-5m": (1, 1)},
    "inferwire-rest": {"chat": (2, 16), "image-1m": (2, 2), "image-5m": (1, 2)},
    "mlserver-grpc": {"chat": (2, 8), "image-1m": (1, 4), "image-5m": (1, 4)},
    "mlserver-rest": {"chat": (1, 8), "image-1m": (1, 1), "image-5m": (1, 1)},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_stats(pid):
    """CPU seconds, current RSS and peak RSS (MiB) of pid and its descendants."""
    cpu, rss, peak = 0.0, 0, 0
    for p in procstats.tree(pid):
        try:
            cpu += procstats.cpu_seconds(p)
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        peak += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return cpu, rss / 1024, peak / 1024


def run_json(command, log):
    started = time.monotonic()
    usage_before = os.times()
    result = subprocess.run(command, capture_output=True, text=True)
    usage_after = os.times()
    with open(log, "a") as f:
        f.write("$ " + " ".join(command) + "\n" + result.stdout + result.stderr + "\n")
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # The client's own processes, whole run (startup included): what loading costs each side.
    report["client_process_cpu_seconds"] = (usage_after.children_user + usage_after.children_system) - (
        usage_before.children_user + usage_before.children_system)
    report["wall_seconds"] = time.monotonic() - started
    return report


class Target:
    def __init__(self, name, pid, command):
        self.name, self.pid, self.command = name, pid, command


def inferwire_command(binary, port, payload, files):
    def command(mode, seconds, warmup, label, hdr=None):
        args = [binary, "load", "echo", "--port", str(port), "--json", "--label", label,
                "--duration", str(seconds), "--warmup", str(warmup)]
        if payload == "chat":
            args += ["--message", payloads.CHAT_CONTENT]
        else:
            args += ["--file", files[payload], "--type", "image/jpeg"]
        if mode[0] == "closed":
            connections, concurrency = SATURATION["inferwire"][payload]
            args += ["--connections", str(connections), "--concurrency", str(concurrency)]
        else:
            args += ["--connections", "4", "--rate", f"{mode[1]:.1f}"]
        if hdr:
            args += ["--hdr-file", hdr]
        return args
    return command


def v2load_command(protocol, port, payload, target):
    def command(mode, seconds, warmup, label, hdr=None):
        args = [sys.executable, os.path.join(HERE, "v2load.py"), "--protocol", protocol, "--port", str(port),
                "--payload", payload, "--json", "--label", label, "--duration", str(seconds), "--warmup", str(warmup)]
        processes, concurrency = SATURATION[target][payload]
        if mode[0] == "closed":
            args += ["--processes", str(processes), "--concurrency", str(concurrency)]
        else:
            args += ["--processes", str(processes), "--rate", f"{mode[1]:.1f}"]
        if hdr:
            args += ["--hdr-file", hdr]
        return args
    return command


def measure(target, payload, seconds, out, log):
    command = target.command(payload)
    label = f"{target.name} {payload}"
    run_json(command(("closed",), 3, 0, label + " warm-up"), log)
    cpu_before, _, _ = tree_stats(target.pid)
    saturation = run_json(command(("closed",), seconds, 0, label + " saturation"), log)
    cpu_after, rss, peak = tree_stats(target.pid)
    rate = saturation["requests_per_second"]
    hdr = os.path.join(out, f"{target.name}-{payload}-half.hgrm")
    half = run_json(command(("open", rate / 2), seconds, 1, label + " half load", hdr), log)
    with open(os.path.join(out, f"{target.name}-{payload}.json"), "w") as f:
        json.dump({"saturation": saturation, "half": half}, f, indent=1)
    requests = max(1, saturation["requests"])
    row = {
        "target": target.name, "payload": payload,
        "saturation_rps": rate, "saturation_errors": sum(saturation["errors"].values()),
        "half_rate": rate / 2, "half_rps": half["requests_per_second"], "half_errors": sum(half["errors"].values()),
        "half_p50_us": (half["latency_us"] or {}).get("p50"), "half_p99_us": (half["latency_us"] or {}).get("p99"),
        "server_cpu_s_per_1k": 1000 * (cpu_after - cpu_before) / requests,
        "client_cpu_s_per_1k": 1000 * saturation["client_process_cpu_seconds"] / requests,
        "server_rss_mib": rss, "server_peak_rss_mib": peak, "hgrm": hdr,
    }
    print(f"  {target.name:14} {payload:8}  {rate:10,.0f} req/s   half: p50 {row['half_p50_us']} µs"
          f" p99 {row['half_p99_us']} µs   server CPU {row['server_cpu_s_per_1k']:.3f} s/1k   RSS {rss:.0f} MiB", flush=True)
    return row


def wait_for_inferwire(binary, port, process):
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"{binary} serve exited during startup")
        if subprocess.run([binary, "health", "--port", str(port), "--model", "echo"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit(f"{binary} serve not ready after 30 s")


def wait_for_http(port, process):
    url = f"http://127.0.0.1:{port}/v2/models/echo/ready"
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("inferwire serve exited during startup")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"inferwire's HTTP door not ready after 30 s ({url})")


def serves_http(binary):
    """Whether this inferwire has the HTTP door (a baseline built before it has not)."""
    return "--http-port" in subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--inferwire", required=True, help="the release-built inferwire binary")
    parser.add_argument("--baseline", help="a second inferwire binary (e.g. built before a change), target inferwire-before")
    parser.add_argument("--skip-mlserver", action="store_true", help="measure the InferWire binaries only")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--payloads", default=",".join(PAYLOADS))
    parser.add_argument("--out")
    a = parser.parse_args()
    out = a.out or os.path.join(HERE, "results", datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "commands.log")
    files = payloads.write_payload_files()
    chosen = [p for p in a.payloads.split(",") if p]

    http_port, grpc_port = free_port(), free_port()
    environment = dict(os.environ, MLSERVER_METRICS_PORT="0")
    # Each InferWire binary serves on its own port and is loaded by its own `inferwire load`.
    binaries = [("inferwire", a.inferwire)] + ([("inferwire-before", a.baseline)] if a.baseline else [])
    # The first also serves its HTTP door (target inferwire-rest); a baseline's is switched off.
    inferwire_http_port = free_port()
    servers = []
    for name, binary in binaries:
        port = free_port()
        http = ["--http-port", str(inferwire_http_port if name == "inferwire" else -1)] if serves_http(binary) else []
        if name == "inferwire" and not http:
            raise SystemExit(f"{binary} has no HTTP door (serve --http-port)")
        process = subprocess.Popen(
            [binary, "serve", "--repository", os.path.join(HERE, "inferwire-models"), "--host", "127.0.0.1",
             "--port", str(port)] + http, stdout=open(os.path.join(out, f"{name}-serve.log"), "w"),
            stderr=subprocess.STDOUT, env=environment)
        servers.append((name, binary, port, process))
    mlserver_pid = None
    try:
        for name, binary, port, process in servers:
            wait_for_inferwire(binary, port, process)
        wait_for_http(inferwire_http_port, servers[0][3])
        targets = [Target(name, process.pid, lambda p, b=binary, port=port: inferwire_command(b, port, p, files))
                   for name, binary, port, process in servers]
        rest = Target("inferwire-rest", servers[0][3].pid,
                      lambda p: v2load_command("rest", inferwire_http_port, p, "inferwire-rest"))
        targets.append(rest)
        if not a.skip_mlserver:
            started = subprocess.run(
                ["bash", os.path.join(HERE, "mlserver_side.sh"), "start"], capture_output=True, text=True,
                env=dict(os.environ, MLSERVER_HTTP_PORT=str(http_port), MLSERVER_GRPC_PORT=str(grpc_port), RESULTS_DIR=out))
            if started.returncode != 0:
                raise SystemExit("MLServer did not start:\n" + started.stderr)
            mlserver_pid = int(started.stdout.split()[-1])
            targets += [
                Target("mlserver-grpc", mlserver_pid, lambda p: v2load_command("grpc", grpc_port, p, "mlserver-grpc")),
                Target("mlserver-rest", mlserver_pid, lambda p: v2load_command("rest", http_port, p, "mlserver-rest")),
            ]
        rows = []
        for payload in chosen:
            for target in targets:
                rows.append(measure(target, payload, a.seconds, out, log))
            # The same offered load: InferWire at each other target's half rate (MLServer's front
            # ends, the baseline InferWire).
            for row in rows[-len(targets):][1:]:
                command = targets[0].command(payload)
                same = run_json(command(("open", row["half_rate"]), a.seconds, 1,
                                        f"inferwire {payload} at {row['target']}'s half rate"), log)
                row["inferwire_same_rate_p50_us"] = (same["latency_us"] or {}).get("p50")
                row["inferwire_same_rate_p99_us"] = (same["latency_us"] or {}).get("p99")
                print(f"  inferwire at {row['target']}'s half rate ({row['half_rate']:,.0f}/s): "
                      f"p50 {row['inferwire_same_rate_p50_us']} µs p99 {row['inferwire_same_rate_p99_us']} µs", flush=True)
                if row["target"] == "mlserver-rest":
                    # REST against REST: InferWire's HTTP door at MLServer REST's half rate.
                    same = run_json(rest.command(payload)(("open", row["half_rate"]), a.seconds, 1,
                                                          f"inferwire-rest {payload} at mlserver-rest's half rate"), log)
                    row["inferwire_rest_same_rate_p50_us"] = (same["latency_us"] or {}).get("p50")
                    row["inferwire_rest_same_rate_p99_us"] = (same["latency_us"] or {}).get("p99")
                    print(f"  inferwire-rest at mlserver-rest's half rate ({row['half_rate']:,.0f}/s): "
                          f"p50 {row['inferwire_rest_same_rate_p50_us']} µs p99 {row['inferwire_rest_same_rate_p99_us']} µs",
                          flush=True)
    finally:
        for _, _, _, process in servers:
            process.terminate()
            process.wait(timeout=30)
        if mlserver_pid:
            subprocess.run(["bash", os.path.join(HERE, "mlserver_side.sh"), "stop", str(mlserver_pid)])

    versions = {
        # The commit of the checkout the binary was built in (run.sh: this one), -dirty if it has changes.
        "inferwire": subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(a.inferwire)), "describe", "--always", "--dirty"],
                                    capture_output=True, text=True).stdout.strip(),
        "inferwire_before": a.baseline and f"{os.path.abspath(a.baseline)} (sha256 {sha256(a.baseline)[:12]})",
        "mlserver": None if a.skip_mlserver else __import__("mlserver").__version__,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "seconds_per_run": a.seconds,
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"versions": versions, "rows": rows}, f, indent=1)
    write_markdown(rows, versions, out)
    for payload in chosen:
        curves = [f"{row['target']}={row['hgrm']}" for row in rows if row["payload"] == payload]
        for extension in ("png", "svg"):
            subprocess.run([sys.executable, os.path.join(HERE, "plot_latency.py"),
                            os.path.join(out, f"latency-{payload}.{extension}"), *curves,
                            "--title", f"echo, {payload}, open loop at half of each server's saturation"], check=True)
    print(f"results in {out}")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_markdown(rows, versions, out):
    def cell(row, key, scale=1, digits=0):
        value = row.get(key)
        return "–" if value is None else f"{value / scale:,.{digits}f}"

    lines = [f"InferWire {versions['inferwire']}, "
             + (f"inferwire-before {versions['inferwire_before']}, " if versions["inferwire_before"] else "")
             + (f"MLServer {versions['mlserver']}, " if versions["mlserver"] else "")
             + f"Python {versions['python']}, {versions['cpus']} CPUs, {versions['seconds_per_run']:g} s per run", "",
             "| payload | server | req/s at saturation | p50 at half load | p99 at half load | server CPU s / 1k req | server RSS MiB | client CPU s / 1k req |",
             "|:--|:--|--:|--:|--:|--:|--:|--:|"]
    for row in rows:
        lines.append(f"| {row['payload']} | {row['target']} | {cell(row, 'saturation_rps')} | "
                     f"{cell(row, 'half_p50_us', 1000, 2)} ms | {cell(row, 'half_p99_us', 1000, 2)} ms | "
                     f"{cell(row, 'server_cpu_s_per_1k', 1, 3)} | {cell(row, 'server_rss_mib')} | {cell(row, 'client_cpu_s_per_1k', 1, 3)} |")
    lines += ["", "The same offered load: InferWire (binary door) at each other target's half-load rate, and its "
              "HTTP door (inferwire-rest) at MLServer REST's:", "",
              "| payload | rate (that target's half load) | that target's p50 / p99 | InferWire p50 / p99 | InferWire REST p50 / p99 |",
              "|:--|--:|--:|--:|--:|"]
    for row in rows:
        if "inferwire_same_rate_p99_us" in row:
            rest = ("–" if "inferwire_rest_same_rate_p99_us" not in row else
                    f"{cell(row, 'inferwire_rest_same_rate_p50_us', 1000, 2)} / {cell(row, 'inferwire_rest_same_rate_p99_us', 1000, 2)} ms")
            lines.append(f"| {row['payload']} | {row['half_rate']:,.0f}/s ({row['target']}) | "
                         f"{cell(row, 'half_p50_us', 1000, 2)} / {cell(row, 'half_p99_us', 1000, 2)} ms | "
                         f"{cell(row, 'inferwire_same_rate_p50_us', 1000, 2)} / {cell(row, 'inferwire_same_rate_p99_us', 1000, 2)} ms | {rest} |")
    lines += ["", "Ratios (InferWire / the other target):", ""]
    by = {(r["target"], r["payload"]): r for r in rows}
    for payload in PAYLOADS:
        iw = by.get(("inferwire", payload))
        if not iw:
            continue
        for other in ("inferwire-before", "inferwire-rest", "mlserver-grpc", "mlserver-rest"):
            ml = by.get((other, payload))
            if not ml:
                continue
            digits = 1 if other.startswith("mlserver") else 3  # before/after, binary/HTTP: small differences matter
            lines.append(
                f"- {payload} vs {other}: requests/s {iw['saturation_rps'] / ml['saturation_rps']:.{digits}f}×, "
                f"p99 at half load {iw['half_p99_us'] / ml['half_p99_us']:.3f}×, "
                f"p99 at the same rate {ml['inferwire_same_rate_p99_us'] / ml['half_p99_us']:.3f}×, "
                f"server CPU per request {iw['server_cpu_s_per_1k'] / ml['server_cpu_s_per_1k']:.3f}×")
    lines += ["", "Ratios (InferWire's HTTP door / MLServer REST, the same request bodies):", ""]
    for payload in PAYLOADS:
        iw, ml = by.get(("inferwire-rest", payload)), by.get(("mlserver-rest", payload))
        if not iw or not ml:
            continue
        lines.append(
            f"- {payload}: requests/s {iw['saturation_rps'] / ml['saturation_rps']:.1f}×, "
            f"p99 at half load {iw['half_p99_us'] / ml['half_p99_us']:.3f}×, "
            f"p99 at the same rate {ml['inferwire_rest_same_rate_p99_us'] / ml['half_p99_us']:.3f}×, "
            f"server CPU per request {iw['server_cpu_s_per_1k'] / ml['server_cpu_s_per_1k']:.3f}×")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
