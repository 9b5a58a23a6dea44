#!/usr/bin/env bash
# tests/litmus/kernel_suite.sh — the kernel's own litmus tests against `relaysim litmus`.
#
# Extracts tools/memory-model/litmus-tests/ from Debian's linux-source-6.12 tarball into the build
# tree (never into the repository; once per build tree), runs every *.litmus file, and compares the
# Observation (Never / Sometimes / Always) with the `Result:` line herd7's authors wrote in the
# file's comment. Then reproduces herd7's outputs printed in Documentation/litmus-tests.txt line
# for line. Prints one line per test and the totals; exit 0 when all agree, 1 otherwise, 77 (ctest:
# skipped) when the tarball is absent.
#
# usage: kernel_suite.sh RELAYSIM_BINARY TARBALL OUT_DIR
set -u
bin=$1 tarball=$2 out=$3
member=linux-source-6.12/tools/memory-model/litmus-tests
docmember=linux-source-6.12/tools/memory-model/Documentation/litmus-tests.txt
if [ ! -r "$tarball" ]; then
  echo "SKIP: $tarball is absent (Debian package linux-source-6.12); the kernel's litmus tests cannot be run"
  exit 77
fi
dir=$out/$member
if [ ! -f "$out/.extracted" ]; then
  rm -rf "$out" && mkdir -p "$out"
  tar -xJf "$tarball" -C "$out" --wildcards "$member/*" "$docmember" || { echo "FAIL: cannot extract $member from $tarball"; exit 1; }
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

# herd7's own outputs printed in Documentation/litmus-tests.txt (numbered listings): each test
# listing followed by herd7's output for it must be reproduced line for line (less Time and Hash).
doc=$out/linux-source-6.12/tools/memory-model/Documentation/litmus-tests.txt
docdir=$out/doc-examples
rm -rf "$docdir" && mkdir -p "$docdir"
awk -v dir="$docdir" '
  function flush(   i, name, f, k) {
    if (n == 0) return
    if (buf[0] ~ /^C /) {
      split(buf[0], w, /[ \t]+/); name = w[2]; src[name] = ++count
      f = dir "/" count ".litmus"
      for (i = 0; i < n; i++) { print buf[i] > f; if (buf[i] ~ /^[ \t]*(~?exists|forall)/) break }
      close(f)
    } else if (buf[0] ~ /^Test /) {
      split(buf[0], w, /[ \t]+/); name = w[2]
      if (name in src) {
        f = dir "/" src[name] ".expected"
        for (i = 0; i < n; i++) if (buf[i] !~ /^(Time |Hash=)/) print buf[i] > f
        close(f)
      }
    }
    n = 0
  }
  /^ *[0-9]+( |$)/ { match($0, /^ *[0-9]+ ?/); buf[n++] = substr($0, RLENGTH + 1); next }
  { flush() }
  END { flush() }' "$doc"
doc_total=0 doc_agree=0
for e in "$docdir"/*.expected; do
  [ -e "$e" ] || continue
  doc_total=$((doc_total + 1))
  src=${e%.expected}.litmus
  name=$(awk 'NR == 1 { print $2 }' "$src")
  if "$bin" litmus "$src" 2>&1 | sed '/^$/d' | diff -u "$e" - > "$docdir/diff"; then
    doc_agree=$((doc_agree + 1))
    printf 'same      %-60s (Documentation/litmus-tests.txt)\n' "$name"
  else
    printf 'DIFFERENT %-60s (Documentation/litmus-tests.txt)\n' "$name"
    sed 's/^/    /' "$docdir/diff"
  fi
done
echo "$doc_agree/$doc_total herd7 outputs in Documentation/litmus-tests.txt reproduced line for line"
[ "$total" -gt 0 ] && [ "$agree" -eq "$total" ] && [ "$doc_total" -gt 0 ] && [ "$doc_agree" -eq "$doc_total" ]
