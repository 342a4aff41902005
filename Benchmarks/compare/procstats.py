#!/usr/bin/env python3
"""procstats.py PID [PID ...] -> one JSON object with the process TREE's CPU time and RSS.

MLServer with parallel workers is several processes, so per-PID numbers undercount: this walks
/proc/PID/task/*/children recursively and sums over the tree (each given PID and all its
descendants):
  cpu_seconds  utime+stime of every live process in the tree, from /proc/P/stat (clock ticks
               / SC_CLK_TCK). CPU of descendants that already exited and were reaped is also
               included via cutime+cstime of their parent.
  rss_mib      sum of VmRSS (/proc/P/status) of the live processes, MiB. Shared pages (e.g. a
               forked worker's copy-on-write pages) count once per process, as `ps` would.
Take it before and after a run: CPU seconds per 1,000 requests = 1000 * delta_cpu / requests.
"""

import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return kids


def tree(pid):
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += children(p)
    return seen


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    # Fields after the ")" that closes comm; utime,stime,cutime,cstime are fields 14-17.
    fields = s[s.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0  # zombie / kernel thread


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pids, cpu, rss = [], 0.0, 0
    for root in (int(a) for a in sys.argv[1:]):
        for p in tree(root):
            if p in pids:
                continue
            try:
                c, r = cpu_seconds(p), rss_kib(p)
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited while we looked
            pids.append(p)
            cpu += c
            rss += r
    if not pids:
        sys.exit(f"procstats: no such process: {' '.join(sys.argv[1:])}")
    print(json.dumps({"pids": pids, "cpu_seconds": round(cpu, 3), "rss_mib": round(rss / 1024, 1)}))


if __name__ == "__main__":
    main()
