#!/usr/bin/env python3
"""Find a server's saturation throughput: run v2load.py closed-loop over a grid of
processes x concurrency and report each run plus the best one, optionally with the server's
CPU seconds per 1,000 requests and RSS (v2load.py --server-pid: the process tree, sampled at
the measured window's edges).

  saturate.py --protocol grpc --port 18081 --payload chat --grid 1x4,1x16,2x8 \
      [--server-pid PID] [--duration 8] [--warmup 2] [--out results/sat.jsonl] [--wait-idle 0.8]

--wait-idle F waits (up to --max-wait s) before each run until the machine was at least F idle
over one second (2 cores: 0.8 = at most 0.4 cores busy), so a build running next to us does not
silently halve the numbers; the idle fraction seen is stored in each row ("idle_before").
Extra arguments after `--` go to v2load.py unchanged (e.g. -- --grpc-raw).
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable


def cpu_idle_fraction(interval=1.0):
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # idle + iowait

    t1, i1 = snap()
    time.sleep(interval)
    t2, i2 = snap()
    return (i2 - i1) / max(1, t2 - t1)


def wait_idle(threshold, max_wait):
    deadline = time.monotonic() + max_wait
    idle = cpu_idle_fraction()
    while idle < threshold and time.monotonic() < deadline:
        idle = cpu_idle_fraction()
    return round(idle, 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--protocol", choices=["grpc", "rest"], required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--payload", default="chat")
    ap.add_argument("--grid", default="1x1,1x4,1x16,2x8", help="PxC,PxC,...")
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--server-pid", type=int)
    ap.add_argument("--out", help="append one JSON row per run to this file")
    ap.add_argument("--label", default="")
    ap.add_argument("--wait-idle", type=float, default=0.0)
    ap.add_argument("--max-wait", type=float, default=300)
    a, extra = ap.parse_known_args()
    extra = [x for x in extra if x != "--"]

    rows = []
    for spec in a.grid.split(","):
        p, c = (int(x) for x in spec.lower().split("x"))
        idle = wait_idle(a.wait_idle, a.max_wait) if a.wait_idle else None
        cmd = [PY, os.path.join(HERE, "v2load.py"), "--protocol", a.protocol, "--host", a.host,
               "--port", str(a.port), "--payload", a.payload, "--processes", str(p),
               "--concurrency", str(c), "--duration", str(a.duration), "--warmup", str(a.warmup),
               "--json", "--label", a.label or f"{a.protocol}-{a.payload}-{p}x{c}"] + extra
        if a.server_pid:
            cmd += ["--server-pid", str(a.server_pid)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"saturate: {spec}: v2load failed: {r.stderr.strip()[-500:]}", file=sys.stderr)
            continue
        row = json.loads(r.stdout.strip().splitlines()[-1])
        row["idle_before"] = idle
        rows.append(row)
        lat = row["latency_us"]
        # CPU/s used by neither client nor server during the window (should be ~0).
        other = (row["machine_cpu_seconds"] - row["client_cpu_seconds"]
                 - (row.get("server_cpu_seconds") or 0)) / row["duration_s"]
        row["other_cpu_per_s"] = round(other, 3)
        print(f"{spec:>6}  {row['requests_per_second']:10.1f} req/s  p50 {lat['p50'] / 1000:8.3f} ms"
              f"  p99 {lat['p99'] / 1000:8.3f} ms  errors {sum(row['errors'].values())}"
              f"  client cpu/1k {row.get('client_cpu_seconds_per_1k')}"
              + (f"  server cpu/1k {row['server_cpu_seconds_per_1k']} rss {row['server_rss_mib']} MiB"
                 if a.server_pid else "")
              + f"  other cpu {other:.2f}/s"
              + (f"  idle {idle}" if idle is not None else ""), flush=True)
        if a.out:
            with open(a.out, "a") as f:
                f.write(json.dumps(row) + "\n")
    if rows:
        best = max(rows, key=lambda r: r["requests_per_second"])
        print(f"best: {best['processes']}x{best['concurrency']} "
              f"{best['requests_per_second']:.1f} req/s")


if __name__ == "__main__":
    main()
