#!/usr/bin/env bash
# Writes relaysim's demonstration kernel patches into DIR (default ./relaysim-out/patches), made at
# run time from the default tree so that no kernel text is committed here:
#   relay_write-no-irqsave.patch  relay_write (include/linux/relay.h) without local_irq_save: a
#                                 hardirq that logs on the same CPU can now land inside a write.
# Usage: scripts/kernel-demo-patches.sh [DIR]. Needs the tree extracted in the cache (any
# `relaysim ... --source kernel` run does it) or RELAYSIM_KERNEL_TREE pointing at a tree.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-relaysim-out/patches}" && cd "${1:-relaysim-out/patches}" && pwd)
cache=${RELAYSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relaysim}
tree=${RELAYSIM_KERNEL_TREE:-$cache/linux-source-6.12}
[ -f "$tree/include/linux/relay.h" ] || { echo "kernel-demo-patches: no $tree/include/linux/relay.h (run a --source kernel command first)" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a/include/linux" "$tmp/b/include/linux"
cp "$tree/include/linux/relay.h" "$tmp/a/include/linux/relay.h"
# Only relay_write's pair (the first local_irq_save/restore in the file) changes.
awk 'BEGIN{s=0;r=0} /local_irq_save\(flags\);/ && !s {sub(/local_irq_save\(flags\);/, "flags = 0; /* demo: irqs stay on */"); s=1}
     /local_irq_restore\(flags\);/ && !r {sub(/local_irq_restore\(flags\);/, "(void)flags;"); r=1} {print}' \
  "$tmp/a/include/linux/relay.h" > "$tmp/b/include/linux/relay.h"
(cd "$tmp" && diff -u a/include/linux/relay.h b/include/linux/relay.h > "$out/relay_write-no-irqsave.patch") || true
echo "$out/relay_write-no-irqsave.patch"
