#!/usr/bin/env bash
# Writes relaysim's two demonstration kernel patches into DIR (default ./relaysim-out/patches). They
# are made at run time from the tree's own files, so that no kernel text is committed here; each
# edit is ours, and the script fails (exit 2) if the tree's text is not what the edit expects.
#
#   relay_write-no-irqsave.patch   relay_write (include/linux/relay.h) without local_irq_save: a
#                                  hardirq that logs on the same CPU can now land inside a write.
#                                  check-patch: exit 1, a new no-corruption violation.
#   relay-read-switch-lock.patch   closes the read()/relay_switch_subbuf window: a spinlock in
#                                  struct rchan_buf taken (irqs off) around the sub-buffer switch
#                                  and around read()'s position computations and its consume, so
#                                  a reader never sees subbufs_produced moved with data/offset not
#                                  yet moved. check-patch: no new violation, the race fixed.
#   perf-wakeup-before-nest.patch  a candidate fix for the perf buffer's lost wakeup
#                                  (scenarios/perf_buf/refused_sample_swallows_nested_wakeups.toml):
#                                  perf_output_get_handle (kernel/events/ring_buffer.c) reads
#                                  rb->wakeup before it increments rb->nest, so an interrupt in
#                                  between is the outermost writer and wakes by itself, and one
#                                  after it changes rb->wakeup after the read. check-patch: no new
#                                  violation, the lost wakeup fixed.
#
# Usage: scripts/kernel-demo-patches.sh [DIR]. Needs the tree extracted in the cache (any
# `relaysim ... --source kernel` run does it) or RELAYSIM_KERNEL_TREE pointing at a tree.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-relaysim-out/patches}
mkdir -p "$dir"
out=$(cd "$dir" && pwd)
cache=${RELAYSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relaysim}
tree=${RELAYSIM_KERNEL_TREE:-$cache/linux-source-6.12}
for f in include/linux/relay.h kernel/relay.c kernel/events/ring_buffer.c; do
  [ -f "$tree/$f" ] || { echo "kernel-demo-patches: no $tree/$f (run a --source kernel command first)" >&2; exit 2; }
done
exec python3 - "$tree" "$out" <<'EOF'
import difflib, sys
tree, out = sys.argv[1], sys.argv[2]

def read(path):
    with open(f"{tree}/{path}") as f:
        return f.read()

def edit(text, old, new, what):
    if text.count(old) < 1:
        sys.exit(f"kernel-demo-patches: {what}: the tree's text differs from what the edit expects")
    return text.replace(old, new, 1)

def diff(path, before, after):
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{path}", f"b/{path}"))

relay_h, relay_c = read("include/linux/relay.h"), read("kernel/relay.c")

# 1. relay_write without local_irq_save (the first save/restore pair in relay.h is relay_write's).
h1 = edit(relay_h, "\tlocal_irq_save(flags);\n", "\tflags = 0; /* demo: irqs stay on */\n", "relay_write save")
h1 = edit(h1, "\tlocal_irq_restore(flags);\n", "\t(void)flags;\n", "relay_write restore")
with open(f"{out}/relay_write-no-irqsave.patch", "w") as f:
    f.write(diff("include/linux/relay.h", relay_h, h1))

# 2. A switch lock between relay_switch_subbuf and read().
h2 = edit(relay_h, "\tunsigned int cpu;\t\t/* this buf's cpu */\n",
          "\tunsigned int cpu;\t\t/* this buf's cpu */\n"
          "\tspinlock_t switch_lock;\t\t/* orders switches against readers */\n", "rchan_buf")
c2 = edit(relay_c, "\t\tinit_irq_work(&buf->wakeup_work, wakeup_readers);\n",
          "\t\tinit_irq_work(&buf->wakeup_work, wakeup_readers);\n"
          "\t\tspin_lock_init(&buf->switch_lock);\n", "__relay_reset")
c2 = edit(c2, "size_t relay_switch_subbuf(struct rchan_buf *buf, size_t length)\n{",
          "static size_t __relay_switch_subbuf(struct rchan_buf *buf, size_t length)\n{", "relay_switch_subbuf")
c2 = edit(c2, "EXPORT_SYMBOL_GPL(relay_switch_subbuf);\n",
          "size_t relay_switch_subbuf(struct rchan_buf *buf, size_t length)\n"
          "{\n\tunsigned long flags;\n\tsize_t ret;\n\n"
          "\tspin_lock_irqsave(&buf->switch_lock, flags);\n"
          "\tret = __relay_switch_subbuf(buf, length);\n"
          "\tspin_unlock_irqrestore(&buf->switch_lock, flags);\n"
          "\treturn ret;\n}\n"
          "EXPORT_SYMBOL_GPL(relay_switch_subbuf);\n", "relay_switch_subbuf wrapper")
c2 = edit(c2, "\tsize_t written = 0;\n\tint ret;\n\n\tif (!count)\n\t\treturn 0;\n",
          "\tsize_t written = 0;\n\tunsigned long flags;\n\tint ret;\n\n\tif (!count)\n\t\treturn 0;\n",
          "relay_file_read locals")
c2 = edit(c2, "\t\tif (!relay_file_read_avail(buf))\n\t\t\tbreak;\n\n"
          "\t\tread_start = relay_file_read_start_pos(buf);\n"
          "\t\tavail = relay_file_read_subbuf_avail(read_start, buf);\n"
          "\t\tif (!avail)\n\t\t\tbreak;\n",
          "\t\tspin_lock_irqsave(&buf->switch_lock, flags);\n"
          "\t\tavail = 0;\n"
          "\t\tif (relay_file_read_avail(buf)) {\n"
          "\t\t\tread_start = relay_file_read_start_pos(buf);\n"
          "\t\t\tavail = relay_file_read_subbuf_avail(read_start, buf);\n"
          "\t\t}\n"
          "\t\tspin_unlock_irqrestore(&buf->switch_lock, flags);\n"
          "\t\tif (!avail)\n\t\t\tbreak;\n", "relay_file_read positions")
c2 = edit(c2, "\t\trelay_file_read_consume(buf, read_start, ret);\n"
          "\t\t*ppos = relay_file_read_end_pos(buf, read_start, ret);\n",
          "\t\tspin_lock_irqsave(&buf->switch_lock, flags);\n"
          "\t\trelay_file_read_consume(buf, read_start, ret);\n"
          "\t\t*ppos = relay_file_read_end_pos(buf, read_start, ret);\n"
          "\t\tspin_unlock_irqrestore(&buf->switch_lock, flags);\n", "relay_file_read consume")
with open(f"{out}/relay-read-switch-lock.patch", "w") as f:
    f.write(diff("include/linux/relay.h", relay_h, h2) + diff("kernel/relay.c", relay_c, c2))

# 3. perf_output_get_handle: the load of rb->wakeup before the nest increment.
rb_c = read("kernel/events/ring_buffer.c")
r3 = edit(rb_c, "\t(*(volatile unsigned int *)&rb->nest)++;\n\thandle->wakeup = local_read(&rb->wakeup);\n",
          "\thandle->wakeup = local_read(&rb->wakeup);\n"
          "\t/* an interrupt from here on either is the outermost writer or moves rb->wakeup after our load */\n"
          "\tbarrier();\n"
          "\t(*(volatile unsigned int *)&rb->nest)++;\n", "perf_output_get_handle")
with open(f"{out}/perf-wakeup-before-nest.patch", "w") as f:
    f.write(diff("kernel/events/ring_buffer.c", rb_c, r3))

print(f"{out}/relay_write-no-irqsave.patch")
print(f"{out}/relay-read-switch-lock.patch")
print(f"{out}/perf-wakeup-before-nest.patch")
EOF
