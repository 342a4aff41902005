#!/usr/bin/env python3
"""Summarises `swift package benchmark --format markdown` output of the V2Codec target into the
tables of docs/BENCHMARKS.md: median ns/op, MB/s (10^6 bytes of encoded message per second,
from the encoded size and the median time), median allocations/op, and how many times faster
ProtoWire is than each other implementation (their median time / ProtoWire's; > 1 = ProtoWire faster).
Usage: python3 summarize.py .build/benchmark-results.md"""
import re
import sys
from collections import OrderedDict

IMPLS = ["ProtoWire", "protobuf-c", "C++", "swift-protobuf"]
TITLES = {
    "a-chat": "(a) chat request: 3 BYTES inputs + 3 request parameters",
    "b-chat+image1MiB": "(b) chat request + 1 MiB image input",
    "c1-fp32x1M-raw": "(c) FP32 x 1M, raw_input_contents",
    "c2-fp32x1M-typed": "(c) FP32 x 1M, contents.fp32_contents",
    "d-response-json4KiB": "(d) response: one BYTES output holding 4 KiB of JSON",
}

def parse(path):
    results = OrderedDict()  # (scenario, bytes, op) -> impl -> {time, mallocs}
    current = None
    header = None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^### (\S+) \((\d+) B\) (decode|encode) (\S+)", line)
        if m:
            scenario, size, op, impl = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            current = results.setdefault((scenario, size, op), {}).setdefault(impl, {})
            header = None
            continue
        if current is None or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "Metric":
            header = cells
            continue
        if header is None or cells[0].startswith(":"):
            continue
        p50 = cells[header.index("p50")]
        if cells[0].startswith("Time (wall clock)"):
            unit = re.search(r"\((ns|us|μs|ms|s)\)", cells[0]).group(1)
            scale = {"ns": 1, "us": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9}[unit]
            current["time"] = float(p50) * scale
        elif cells[0].startswith("Malloc (total)"):
            factor = {"": 1, "(K)": 1e3, "(M)": 1e6}[re.search(r"(\(K\)|\(M\)|)\s*\*?$", cells[0]).group(1)]
            current["mallocs"] = float(p50) * factor
    return results

def fmt_ns(ns):
    return f"{ns:,.0f}"

def main():
    results = parse(sys.argv[1])
    last = None
    for (scenario, size, op), impls in results.items():
        if scenario != last:
            print(f"\n### {TITLES.get(scenario, scenario)} — {size:,} bytes encoded\n")
            last = scenario
        print(f"**{op}**\n")
        print("| implementation | median ns/op | MB/s | allocs/op | ProtoWire speed-up |")
        print("|:--|--:|--:|--:|--:|")
        pw = impls.get("ProtoWire", {}).get("time")
        for impl in IMPLS:
            r = impls.get(impl)
            if not r or "time" not in r:
                continue
            mbps = size / r["time"] * 1e3
            ratio = "—" if impl == "ProtoWire" or not pw else f"{r['time'] / pw:.2f}×"
            allocs = r.get("mallocs")
            print(f"| {impl} | {fmt_ns(r['time'])} | {mbps:,.0f} | {allocs:,.0f} | {ratio} |")
        print()

if __name__ == "__main__":
    main()
