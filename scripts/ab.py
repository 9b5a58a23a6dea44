#!/usr/bin/env python3
"""scripts/ab.py — time two whole commands side by side: A B A B ..., ratios pair by pair.

Each run's CPU time (user + sys) comes from the kernel's accounting of the finished child
(os.wait4's rusage), its wall time from a monotonic clock around it; the command's output is
thrown away. After --warmup pairs that are not counted, -n pairs are run, A then B; the report
gives the median (min-max) of each figure and of the ratio A/B taken pair by pair, so that a
machine whose speed drifts during the run still gives a fair ratio.

Usage: scripts/ab.py [-n PAIRS] [--warmup PAIRS] --vs 'COMMAND B' -- COMMAND A ...
Output (one figure per line, seconds, then the ratios):
  A wall  MIN MEDIAN MAX
  A cpu   MIN MEDIAN MAX
  B wall  ...
  B cpu   ...
  A/B wall MIN MEDIAN MAX
  A/B cpu  MIN MEDIAN MAX
Exit 2 on bad arguments or when a command cannot be started; 1 when a command exits non-zero.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def run(cmd):
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as e:
        print(f"ab: cannot start {cmd[0]}: {e}", file=sys.stderr)
        sys.exit(2)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        print(f"ab: {shlex.join(cmd)} exited {p.returncode}", file=sys.stderr)
        sys.exit(1)
    return wall, ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5, help="counted pairs (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="pairs run first and not counted (default 1)")
    ap.add_argument("--vs", required=True, help="command B, one string split as a shell splits words")
    ap.add_argument("a", nargs=argparse.REMAINDER, help="-- command A and its arguments")
    o = ap.parse_args()
    a = o.a[1:] if o.a and o.a[0] == "--" else o.a
    if not a or o.n < 1 or o.warmup < 0:
        ap.print_usage(sys.stderr)
        sys.exit(2)
    b = shlex.split(o.vs)
    for _ in range(o.warmup):
        run(a)
        run(b)
    fig = {k: [] for k in ("A wall", "A cpu", "B wall", "B cpu", "A/B wall", "A/B cpu")}
    for _ in range(o.n):
        aw, ac = run(a)
        bw, bc = run(b)
        fig["A wall"].append(aw)
        fig["A cpu"].append(ac)
        fig["B wall"].append(bw)
        fig["B cpu"].append(bc)
        fig["A/B wall"].append(aw / bw if bw > 0 else float("nan"))
        fig["A/B cpu"].append(ac / bc if bc > 0 else float("nan"))
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"pairs {o.n} (warm-up {o.warmup}), cores {os.cpu_count()}, load average at the end {load:.2f}")
    print("figure    min median max")
    for k, v in fig.items():
        print(f"{k:<9} {min(v):.4f} {statistics.median(v):.4f} {max(v):.4f}")


if __name__ == "__main__":
    main()
