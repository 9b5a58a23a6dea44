#!/usr/bin/env bash
# Regenerates the README's speed figures (issue 14), all from one run on this machine:
#   1. build/release/relaysim_bench (Google Benchmark, JSON): raw fiber switch, engine steps/s,
#      a step that does not switch vs a plain call, executions/s and heap allocations per execution
#      of every model workload, and the scaling table (ns/step at 2/4/8 CPUs x 8/32/128/1024
#      messages per writer, with the spin rule (the default) and without it), PCT's cost per step;
#   2. with --old BIN: scripts/ab.py times `relaysim explore` of the relay quickstart, this build (A)
#      against BIN (B, e.g. the commit before issue 14 built in a scratch worktree), A B A B ...;
#      also A with the spin rule off (the scenario plus `spin_wait = false`) against the same B;
#   3. with --relacy DIR: bench/compare-relacy DIR (Relacy's two peer workloads, same run).
# Prints the markdown; with --write-readme, replaces README.md's block between the markers
# `<!-- bench-figures:begin -->` and `<!-- bench-figures:end -->`.
#
# Usage: scripts/bench-figures.sh [--old BIN] [--relacy DIR] [--min-time SECONDS] [--write-readme]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD="" RELACY="" MIN_TIME=0.5 WRITE=0
while [ $# -gt 0 ]; do
  case $1 in
    --old) OLD=$2; shift 2 ;;
    --relacy) RELACY=$2; shift 2 ;;
    --min-time) MIN_TIME=$2; shift 2 ;;
    --write-readme) WRITE=1; shift ;;
    *) echo "usage: $0 [--old BIN] [--relacy DIR] [--min-time SECONDS] [--write-readme]" >&2; exit 2 ;;
  esac
done
BENCH="$ROOT/build/release/relaysim_bench"
RELAYSIM="$ROOT/build/release/relaysim"
[ -x "$BENCH" ] && [ -x "$RELAYSIM" ] || { echo "$0: build the release preset first" >&2; exit 2; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/bench-figures.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

echo "running relaysim_bench (min time $MIN_TIME s per benchmark) ..." >&2
"$BENCH" --benchmark_min_time="$MIN_TIME" --benchmark_format=json --benchmark_out="$OUT/bench.json" \
  --benchmark_out_format=json >/dev/null 2>"$OUT/bench.err" || { cat "$OUT/bench.err" >&2; exit 1; }

QS=scenarios/relay/quickstart.toml
if [ -n "$OLD" ]; then
  [ -x "$OLD" ] || { echo "$0: --old $OLD is not an executable" >&2; exit 2; }
  cp "$ROOT/$QS" "$OUT/quickstart_spin_off.toml"
  printf 'spin_wait = false\n' >>"$OUT/quickstart_spin_off.toml"  # the file ends in [explore]
  ARGS="--executions 100000 --jobs 1 --quiet --json"
  echo "scripts/ab.py: relay quickstart, this build vs $OLD ..." >&2
  (cd "$ROOT" && scripts/ab.py -n 5 --vs "$OLD explore $QS $ARGS" -- "$RELAYSIM" explore $QS $ARGS) >"$OUT/ab.txt" 2>&1
  (cd "$ROOT" && scripts/ab.py -n 5 --vs "$OLD explore $QS $ARGS" -- "$RELAYSIM" explore "$OUT/quickstart_spin_off.toml" $ARGS) >"$OUT/ab_spin_off.txt" 2>&1
fi
if [ -n "$RELACY" ]; then
  echo "bench/compare-relacy $RELACY ..." >&2
  "$ROOT/bench/compare-relacy" "$RELACY" >"$OUT/relacy.txt" 2>"$OUT/relacy.err" || { cat "$OUT/relacy.err" >&2; exit 1; }
fi

python3 - "$OUT" "$ROOT/README.md" "$WRITE" "$OLD" <<'PY'
import json, os, re, sys, datetime
out, readme, write, old = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
b = {x["name"]: x for x in json.load(open(os.path.join(out, "bench.json")))["benchmarks"]}
def c(name, counter):  # inverted counters (ns/...) are stored in seconds
    return b[name][counter] * (1e9 if counter.startswith("ns/") else 1)
def si(v):
    for d, s in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if v >= d: return f"{v / d:.3g}{s}"
    return f"{v:.3g}"
L = []
sw, eng = c("BM_FiberPingPong", "switches/s"), c("BM_EngineSteps", "steps/s")
nosw, call = c("BM_EngineStepsNoSwitch", "ns/step"), c("BM_PlainCall", "ns/call")
L.append("| benchmark | figure |")
L.append("|---|---|")
L.append(f"| raw fiber ping-pong (`BM_FiberPingPong`) | {c('BM_FiberPingPong', 'ns/switch'):.2f} ns/switch, {si(sw)} switches/s |")
L.append(f"| engine steps/s, two CPUs, uniform random choices (`BM_EngineSteps`, half the steps switch) | {si(eng)} steps/s = 1/{sw / eng:.2f} of the raw switch rate (target 1/2) |")
L.append(f"| a step that does not switch (`BM_EngineStepsNoSwitch`, all choices 0) | {nosw:.2f} ns/step |")
L.append(f"| the same with the spin rule off (`BM_EngineStepsNoSwitchSpinOff`) | {c('BM_EngineStepsNoSwitchSpinOff', 'ns/step'):.2f} ns/step |")
L.append(f"| a plain, not inlined function call (`BM_PlainCall`) | {call:.2f} ns/call: a step costs {nosw - call:.2f} ns more |")
for cpus in (2, 4, 8):
    u, h = f"BM_EngineStepsCpus/cpus:{cpus}", f"BM_EngineStepsCpusHalfSwitch/cpus:{cpus}"
    L.append(f"| engine alone at {cpus} CPUs, one task each (`BM_EngineStepsCpus`; uniform / every other step a switch) | "
             f"{c(u, 'ns/step'):.1f} ns/step ({c(u, 'switch-ratio'):.2f} of steps switch) / {c(h, 'ns/step'):.1f} ns/step ({c(h, 'switch-ratio'):.2f}) |")
L.append("| PCT at 2/4/8 CPUs, one task each (`BM_EngineStepsPct`: the ranked pick) | " +
         " / ".join(f"{c(f'BM_EngineStepsPct/cpus:{n}', 'ns/step'):.1f}" for n in (2, 4, 8)) + " ns/step |")
names = {"toy_counter": "`toy_counter`", "mpsc_ring": "`mpsc_ring`", "irq_counter_locked": "`irq_counter_locked`",
         "relay_quickstart": "relay quickstart (spin rule on: the default)", "relay_quickstart_spin_off": "relay quickstart, spin rule off",
         "relay_quickstart_pct": "relay quickstart under PCT (depth 3)",
         "bpf_ringbuf_quickstart": "BPF ring buffer quickstart", "bpf_relay_map_task_every_cpu": "BPF relay map `task_every_cpu`",
         "ftrace_rb_quickstart": "tracing ring buffer quickstart"}
worst = 0.0
for k, label in names.items():
    n = "BM_Executions/" + k
    if n not in b: continue
    a = c(n, "allocs/exec"); worst = max(worst, a)
    extra = ""
    if a >= 1e-3 and "allocs/passing exec" in b[n]:
        p, v = c(n, "allocs/passing exec"), c(n, "violating share")
        extra = (f" ({'0' if p < 1e-3 else f'{p:.3g}'} per execution without a violation; the {v * 100:.2g}% that violate "
                 f"allocate {(a - p * (1 - v)) / v if v > 0 else 0:.3g} each, building their reports)")
    L.append(f"| {label} executions | {si(c(n, 'exec/s'))} exec/s, {si(c(n, 'steps/s'))} steps/s, "
             f"{'0' if a < 1e-3 else f'{a:.3g}'} heap allocations per execution{extra} |")
L.append("")
L.append("Cost per step of the relay model (`BM_Scaling`: one `relay_write` writer per CPU, a `read()` reader")
L.append("per buffer on that buffer's CPU after the writers stop, uniform random choices; ns of CPU time per")
L.append("step with the spin rule on (the default); in brackets the same with it off; the last row is the share")
L.append("of steps that switch with it on). A `read()` of a whole sub-buffer is one step that copies and checks every byte, which")
L.append("is why the cost grows with the messages per writer:")
L.append("")
msgs = [8, 32, 128, 1024]
L.append("| CPUs | " + " | ".join(f"{m} messages" for m in msgs) + " |")
L.append("|---" * (len(msgs) + 1) + "|")
ns, ns_off = {}, {}
for cpus in (2, 4, 8):
    row = []
    for m in msgs:
        a = c(f"BM_Scaling/cpus:{cpus}/messages:{m}/spin_wait:1", "ns/step")
        s = c(f"BM_Scaling/cpus:{cpus}/messages:{m}/spin_wait:0", "ns/step")
        ns[(cpus, m)] = a
        ns_off[(cpus, m)] = s
        row.append(f"{a:.1f} ({s:.1f})")
    L.append(f"| {cpus} | " + " | ".join(row) + " |")
L.append("| switch ratio 2/4/8 CPUs | " + " | ".join("/".join(f"{c(f'BM_Scaling/cpus:{n}/messages:{m}/spin_wait:1', 'switch-ratio'):.2f}" for n in (2, 4, 8)) for m in msgs) + " |")
r82 = [ns[(8, m)] / ns[(2, m)] for m in msgs]
r82_off = [ns_off[(8, m)] / ns_off[(2, m)] for m in msgs]
L.append("")
L.append(f"8 CPUs / 2 CPUs: {', '.join(f'{x:.2f}' for x in r82)} (spin rule off: {', '.join(f'{x:.2f}' for x in r82_off)}; target at most 1.20).")
def ab_ratio(f):
    p = os.path.join(out, f)
    if not os.path.exists(p): return None
    for line in open(p):
        m = re.match(r"\s*A/B cpu\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", line)
        if m: return [float(x) for x in m.groups()]
    return None
ab, abs_ = ab_ratio("ab.txt"), ab_ratio("ab_spin_off.txt")
if ab:
    L.append("")
    L.append(f"Relay quickstart, whole `relaysim explore ... --executions 100000 --jobs 1` against `{old}` in one")
    L.append(f"`scripts/ab.py` run (5 pairs, CPU time, median): {1 / ab[1]:.2f}x as many executions/s "
             f"({1 / ab[2]:.2f}-{1 / ab[0]:.2f}) with the spin rule on (the default); with it off: {1 / abs_[1]:.2f}x ({1 / abs_[2]:.2f}-{1 / abs_[0]:.2f}). Target 2x.")
rp = os.path.join(out, "relacy.txt")
if os.path.exists(rp):
    t = open(rp).read().splitlines()
    L.append("")
    L.append("Against Relacy (`bench/compare-relacy`, medians of 3, same run):")
    L.append("")
    L.append("| workload | executions | Relacy exec/s | relaysim exec/s | ratio (target 2.0) |")
    L.append("|---|---|---|---|---|")
    ratios = dict(re.match(r"ratio (\S+) (\S+)", x).groups() for x in t if x.startswith("ratio "))
    for x in t:
        f = x.split()
        if len(f) == 4 and f[0] in ratios:
            L.append(f"| `{f[0]}` | {f[1]} | {f[2]} | {f[3]} | **{ratios[f[0]]}** |")
L.append("")
L.append(f"Generated by `scripts/bench-figures.sh` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC "
         f"({b and json.load(open(os.path.join(out, 'bench.json')))['context'].get('num_cpus', '?')} cores).")
text = "\n".join(L) + "\n"
print(text)
if write:
    r = open(readme).read()
    beg, end = "<!-- bench-figures:begin -->\n", "<!-- bench-figures:end -->"
    i, j = r.index(beg) + len(beg), r.index(end)
    open(readme, "w").write(r[:i] + text + r[j:])
    print(f"wrote {readme}", file=sys.stderr)
PY
