#!/usr/bin/env bash
# tests/litmus/kernel_suite.sh — the kernel's own litmus tests against `relaysim litmus`.
#
# Extracts tools/memory-model/litmus-tests/ from Debian's linux-source-6.12 tarball into the build
# tree (never into the repository; once per build tree), runs every *.litmus file, and compares the
# Observation (Never / Sometimes / Always) with the `Result:` line herd7's authors wrote in the
# file's comment. Prints one line per test and the total; exit 0 when all agree, 1 otherwise,
# 77 (ctest: skipped) when the tarball is absent.
#
# usage: kernel_suite.sh RELAYSIM_BINARY TARBALL OUT_DIR
set -u
bin=$1 tarball=$2 out=$3
member=linux-source-6.12/tools/memory-model/litmus-tests
if [ ! -r "$tarball" ]; then
  echo "SKIP: $tarball is absent (Debian package linux-source-6.12); the kernel's litmus tests cannot be run"
  exit 77
fi
dir=$out/$member
if [ ! -f "$out/.extracted" ]; then
  rm -rf "$out" && mkdir -p "$out"
  tar -xJf "$tarball" -C "$out" --wildcards "$member/*" || { echo "FAIL: cannot extract $member from $tarball"; exit 1; }
  touch "$out/.extracted"
fi
total=0 agree=0
for f in "$dir"/*.litmus; do
  total=$((total + 1))
  name=$(basename "$f" .litmus)
  expected=$(sed -n 's/^[ *]*Result: *\([A-Za-z]*\).*/\1/p' "$f" | head -n 1)
  output=$("$bin" litmus "$f" 2>&1)
  status=$?
  got=$(printf '%s\n' "$output" | awk '$1 == "Observation" { print $3 }')
  if [ "$status" -eq 0 ] && [ -n "$expected" ] && [ "$got" = "$expected" ]; then
    agree=$((agree + 1))
    printf 'agree     %-60s %s\n' "$name" "$got"
  else
    printf 'DISAGREE  %-60s expected %s, got %s (exit %s)\n' "$name" "${expected:-?}" "${got:-?}" "$status"
    printf '%s\n' "$output" | sed 's/^/    /'
  fi
done
echo "$agree/$total kernel litmus tests agree with their Result line"
[ "$total" -gt 0 ] && [ "$agree" -eq "$total" ]
