#!/usr/bin/env bash
# Writes relaysim's weak-memory kernel patch (issue 13) into DIR (default ./relaysim-out/patches),
# made at run time from the tree's tools/lib/bpf/ringbuf.c so that no kernel text is committed here;
# each edit is ours, and the script fails (exit 2) if the tree's text is not what the edit expects.
#
#   libbpf-ringbuf-plain-consumer-pos.patch
#       the new user's design (issue 13) in libbpf's own ringbuf_process_ring: consumer_pos
#       published after each record with WRITE_ONCE instead of smp_store_release. Under
#       --memory-model lkmm the record's reads are no longer ordered before the store that frees
#       its space, and scenarios/bpf_ringbuf/plain_consumer_pos.toml finds the corrupted record
#       with --source kernel --patch; sc and tso find nothing (tests/kernel/wmem_kernel_test.cpp).
#
# Usage: scripts/kernel-wmem-patches.sh [DIR]. Needs the tree extracted in the cache (any
# `relaysim ... --source kernel` run does it) or RELAYSIM_KERNEL_TREE pointing at a tree.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-relaysim-out/patches}
mkdir -p "$dir"
out=$(cd "$dir" && pwd)
cache=${RELAYSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relaysim}
tree=${RELAYSIM_KERNEL_TREE:-$cache/linux-source-6.12}
f=tools/lib/bpf/ringbuf.c
[ -f "$tree/$f" ] || { echo "kernel-wmem-patches: no $tree/$f (run a --source kernel command first)" >&2; exit 2; }
exec python3 - "$tree" "$out" <<'EOF'
import difflib, sys
tree, out = sys.argv[1], sys.argv[2]
path = "tools/lib/bpf/ringbuf.c"
with open(f"{tree}/{path}") as f:
    text = f.read()

def diff(before, after):
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{path}", f"b/{path}"))

# The store of consumer_pos after each record in ringbuf_process_ring.
each = "\t\t\tsmp_store_release(r->consumer_pos, cons_pos);\n"
if text.count(each) != 1:
    print("kernel-wmem-patches: the tree's ringbuf_process_ring differs from what the edits expect", file=sys.stderr)
    sys.exit(2)

plain = text.replace(each, "\t\t\tWRITE_ONCE(*r->consumer_pos, cons_pos); /* relaysim: a plain store */\n", 1)
with open(f"{out}/libbpf-ringbuf-plain-consumer-pos.patch", "w") as f:
    f.write(diff(text, plain))

print(f"{out}/libbpf-ringbuf-plain-consumer-pos.patch")
EOF
