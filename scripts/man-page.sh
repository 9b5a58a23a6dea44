#!/usr/bin/env bash
# scripts/man-page.sh RELAYSIM OUT.1 — the man page, generated from the command's own help.
#
# help2man (Debian) turns `relaysim --help` and `--version` into a man page; every command's own
# `relaysim help CMD` text goes in as a COMMANDS section, so the page never drifts from the code.
# Run by the build (target `man`, when help2man is installed) and installed by `cmake --install`.
set -euo pipefail
relaysim=$1
out=$2
include=$(mktemp)
trap 'rm -f "$include"' EXIT
{
  echo "[COMMANDS]"
  for cmd in explore run replay shrink diff exec check-patch list litmus; do
    "$relaysim" help "$cmd" >/dev/null 2>&1 || continue  # a command this build does not have
    echo ".SS $cmd"
    echo ".nf"
    "$relaysim" help "$cmd" | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
    echo ".fi"
  done
  echo "[SEE ALSO]"
  echo "The README and DESIGN.md of the relaysim source tree."
} >"$include"
help2man --no-info --name="deterministic simulator and model checker for kernel-to-user buffers" \
  --include="$include" --output="$out.tmp" "$relaysim"
mv "$out.tmp" "$out"
