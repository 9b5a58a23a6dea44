#!/usr/bin/env python3
# scripts/compare-designs.py — the README's comparison of the four kernel-to-user designs (relay,
# the BPF ring buffer, the proposed BPF relay map, the perf buffer) on the same workloads:
#   loss      a burst: 96 samples of 100 bytes written alternately on CPUs 0 and 1 (global write
#             order = message id order) into 4 KiB per CPU (the BPF ring buffer, shared: 8 KiB),
#             drained once at the end; and the same drained every 8 samples. Loss = samples
#             written minus samples a reader received. From `relaysim exec` (sequential, exact).
#   ordering  in the steady run, the adjacent pairs of received samples whose ids go down
#             (received out of global write order), as the design's usual reader reads: relay and
#             the relay map read() CPU 0's buffer then CPU 1's, libbpf's perf_buffer reads CPU by
#             CPU, libbpf's ring_buffer reads the one shared ring.
#   cost      steps per sample under `relaysim explore` (random schedules, seed 1, 500 executions)
#             of a concurrent scenario: a task writer on CPUs 0 and 1 with 8 samples of 100 bytes
#             each and the design's reader on CPU 2, from the model and, where the design has one,
#             from the kernel's own source (kernel/relay.c, kernel/bpf/ringbuf.c,
#             kernel/events/ring_buffer.c).
# Usage: scripts/compare-designs.py [path/to/relaysim]   (default build/release/relaysim)
# Prints a Markdown table. Needs clang-16 and linux-source-6.12 for the kernel column.
import json
import os
import subprocess
import sys
import tempfile

RELAYSIM = sys.argv[1] if len(sys.argv) > 1 else "build/release/relaysim"
N, SIZE, EVERY = 96, 100, 8
env = dict(os.environ)
env.setdefault("RELAYSIM_CACHE", "build/release/kernel-cache")


def run(args):
    return subprocess.run([RELAYSIM] + args, check=True, capture_output=True, text=True, env=env).stdout


def exec_json(model, doc):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    try:
        return json.loads(run(["exec", "--model", model, f.name]))
    finally:
        os.unlink(f.name)


def drains(every):
    return [k for k in range(1, N + 1) if (every and k % every == 0) or k == N]


def relay_doc(every):
    ops = []
    for k in range(1, N + 1):
        ops.append({"op": "write", "cpu": (k - 1) % 2, "len": SIZE})
        if k in drains(every):
            ops += [{"op": "read", "buffer": b, "count": 1 << 20, "file": b} for b in (0, 1)]
    return {"params": {"subbuf_size": 512, "n_subbufs": 8, "cpus": 2}, "ops": ops}


def relay_map_doc(every):
    ops = [{"op": "update_elem", "value": "cmp"}]
    for k in range(1, N + 1):
        ops.append({"op": "output", "cpu": (k - 1) % 2, "len": SIZE})
        if k in drains(every):
            ops += [{"op": "read", "buffer": b, "count": 1 << 20} for b in (0, 1)]
    return {"cpus": 2, "map": {"max_entries": 512, "map_extra": 8, "map_name": "cmp"}, "ops": ops}


def ringbuf_doc(every):
    ops = []
    for k in range(1, N + 1):
        ops.append({"op": "output", "size": SIZE})
        if k in drains(every):
            ops.append({"op": "consume"})
    return {"params": {"max_entries": 8192}, "ops": ops}


def perf_doc(every):
    ops = []
    for k in range(1, N + 1):
        ops.append({"op": "output", "size": SIZE, "cpu": (k - 1) % 2})
        if k in drains(every):
            ops += [{"op": "read", "cpu": c} for c in (0, 1)]
    return {"params": {"nr_pages": 1, "cpus": 2, "wakeup_events": 1}, "ops": ops}


def received(model, out):
    ids = []
    for s in out["steps"]:
        r = s.get("return", {})
        op = s["op"]["op"]
        if model in ("relay", "bpf_relay_map") and op == "read":
            ids += [m[0] for m in r.get("messages", []) if m[0]]
        elif model == "bpf_ringbuf" and op == "consume":
            ids += [d["id"] for d in r.get("delivered", [])]
        elif model == "perf_buf" and op == "read":
            ids += [x["id"] for x in r.get("records", []) if x.get("type") == 9]
    return ids


def inversions(ids):
    return sum(1 for a, b in zip(ids, ids[1:]) if b < a)


SCEN = {
    "relay": """name = "cmp relay"
model = "relay"
[params]
subbuf_size = 512
n_subbufs = 8
mode = "no-overwrite"
[[cpu]]
count = 3
[[writer]]
cpu = 0
write = "relay_write"
messages = { count = 8, size = 100 }
[[writer]]
cpu = 1
write = "relay_write"
messages = { count = 8, size = 100 }
[[reader]]
kind = "read"
start = "after-stop"
cpu = 2
count = 65536
[check]
expect = "pass"
""",
    "bpf_relay_map": """name = "cmp relay map"
model = "bpf_relay_map"
variant = "proposed"
[map]
max_entries = 512
map_extra = 8
overwrite = false
map_name = "cmp"
[[cpu]]
count = 3
[[program]]
cpu = 0
context = "task"
messages = { count = 8, size = 100 }
[[program]]
cpu = 1
context = "task"
messages = { count = 8, size = 100 }
[[reader]]
kind = "read"
start = "after-stop"
cpu = 2
[check]
expect = "pass"
""",
    "bpf_ringbuf": """name = "cmp ringbuf"
model = "bpf_ringbuf"
[params]
max_entries = 8192
[[cpu]]
count = 3
[[producer]]
cpu = 0
api = "output"
messages = { count = 8, size = 100 }
[[producer]]
cpu = 1
api = "output"
messages = { count = 8, size = 100 }
[[consumer]]
cpu = 2
call = "poll"
[check]
expect = "pass"
""",
    "perf_buf": """name = "cmp perf"
model = "perf_buf"
[params]
nr_pages = 1
[[cpu]]
count = 3
[[producer]]
cpu = 0
messages = { count = 8, size = 100 }
[[producer]]
cpu = 1
messages = { count = 8, size = 100 }
[[reader]]
cpu = 2
buffer = 0
[[reader]]
cpu = 2
buffer = 1
[check]
expect = "pass"
""",
}
KERNEL = {"relay", "bpf_ringbuf", "perf_buf"}


def cost(model, source):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "cmp.toml")
        with open(p, "w") as f:
            f.write(SCEN[model])
        s = json.loads(run(["explore", p, "--json", "--quiet", "-n", "500", "--seed", "1", "--source", source,
                            "--out", os.path.join(d, "out")]))
    return s["steps"] / s["executions"] / 16.0


NAMES = {"relay": "relay (per-CPU)", "bpf_ringbuf": "BPF ring buffer (shared)", "bpf_relay_map": "BPF relay map (per-CPU)",
         "perf_buf": "perf buffer (per-CPU)"}
DOCS = {"relay": relay_doc, "bpf_ringbuf": ringbuf_doc, "bpf_relay_map": relay_map_doc, "perf_buf": perf_doc}

print("| design | lost, burst (of %d) | lost, drained every %d | out-of-order pairs, drained every %d | steps/sample, model | steps/sample, kernel source |" % (N, EVERY, EVERY))
print("|---|---|---|---|---|---|")
for m in ("relay", "bpf_ringbuf", "bpf_relay_map", "perf_buf"):
    burst = received(m, exec_json(m, DOCS[m](0)))
    steady = received(m, exec_json(m, DOCS[m](EVERY)))
    k = "%.1f" % cost(m, "kernel") if m in KERNEL else "—"
    print("| %s | %d | %d | %d | %.1f | %s |" % (NAMES[m], N - len(set(burst)), N - len(set(steady)), inversions(steady),
                                                 cost(m, "model"), k))
