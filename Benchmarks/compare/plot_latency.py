#!/usr/bin/env python3
"""Plot latency by percentile from HdrHistogram percentile-distribution files (.hgrm).

  plot_latency.py OUT.png|OUT.svg LABEL=FILE.hgrm [LABEL=FILE.hgrm ...] [--title T]

The classic HdrHistogram plot: x = percentile, spaced as 1/(1-percentile) on a log scale so
the tail gets room (ticks 50%, 90%, 99%, 99.9%, 99.99%, 99.999%); y = latency in ms, log scale;
one line per file. Reads the text .hgrm that v2load.py --hdr-file and HdrHistogram's
outputPercentileDistribution write (Value in ms, Percentile, TotalCount, 1/(1-Percentile)).
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display; png and svg alike
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator  # noqa: E402

TICKS = [(2, "50%"), (10, "90%"), (100, "99%"), (1e3, "99.9%"), (1e4, "99.99%"), (1e5, "99.999%")]


def read_hgrm(path):
    """[(inverse_tail, value_ms)] from the rows; the 100% row has no 1/(1-p) column."""
    rows, last_value, total = [], None, 0
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts or line.startswith("#") or parts[0] == "Value":
                continue
            try:
                value, pct = float(parts[0]), float(parts[1])
            except ValueError:
                continue
            total = int(parts[2])
            if len(parts) >= 4:
                rows.append((float(parts[3]), value))
            else:
                last_value = value
    return rows, last_value, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("series", nargs="+", metavar="LABEL=FILE.hgrm")
    ap.add_argument("--title", default="Latency by percentile")
    a = ap.parse_args()
    if not a.out.endswith((".png", ".svg")):
        ap.error("OUT must end in .png or .svg")

    fig, ax = plt.subplots(figsize=(10, 6))
    x_max = 10.0
    for spec in a.series:
        label, sep, path = spec.partition("=")
        if not sep:
            label, path = os.path.splitext(os.path.basename(spec))[0], spec
        rows, max_value, total = read_hgrm(path)
        if not rows:
            print(f"plot_latency: {path}: no data rows", file=sys.stderr)
            continue
        xs = [r[0] for r in rows]
        ys = [r[1] for r in rows]
        # The 100% row (max) has no finite x; the last finite rows already reach it closely.
        x_max = max(x_max, xs[-1])
        extra = f", max {max_value:g} ms" if max_value is not None else ""
        ax.plot(xs, ys, label=f"{label} (n={total:,}{extra})", linewidth=1.6)

    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [t for t in TICKS if t[0] <= x_max * 1.01] or TICKS[:2]
    ax.set_xlim(1, max(x_max, ticks[-1][0]))
    ax.xaxis.set_major_locator(FixedLocator([t[0] for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([t[1] for t in ticks])
    # 1-2-5 ticks with plain numbers: easier to read off than bare decades.
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("Percentile")
    ax.set_ylabel("Latency (ms, log scale)")
    ax.set_title(a.title)
    ax.grid(True, which="major", linestyle="-", alpha=0.4)
    ax.grid(True, which="minor", axis="y", linestyle=":", alpha=0.25)
    ax.legend(loc="upper left")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    fig.savefig(a.out)
    print(a.out)


if __name__ == "__main__":
    main()
