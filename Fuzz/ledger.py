#!/usr/bin/env python3
"""Sums Fuzz/campaigns.tsv per target as a Markdown table (docs/RELIABILITY.md quotes it).
Run from the repository root: python3 Fuzz/ledger.py"""
import csv, collections, os

rows = list(csv.DictReader(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "campaigns.tsv")), delimiter="\t"))
totals = collections.OrderedDict()
for row in rows:
    t = totals.setdefault(row["target"], {"campaigns": 0, "seconds": 0, "executions": 0, "findings": 0, "speeds": {}, "corpus": 0, "last": ""})
    t["campaigns"] += 1
    t["seconds"] += int(row["seconds"])
    t["executions"] += int(row["executions"])
    t["findings"] += int(row["findings"])
    t["speeds"].setdefault(row["config"], []).append(int(row["execs_per_s"]))
    t["corpus"], t["last"] = int(row["corpus"]), row["date"]
print("| target | campaigns | fuzzing time | executions | execs/s (median per config) | corpus kept | findings |")
print("|---|---|---|---|---|---|---|")
for target, t in totals.items():
    speeds = ", ".join(f"{config} {sorted(v)[len(v) // 2]:,}" for config, v in sorted(t["speeds"].items()))
    print(f"| {target} | {t['campaigns']} | {t['seconds'] // 60} min {t['seconds'] % 60} s | {t['executions']:,} | {speeds} | {t['corpus']} | {t['findings']} |")
