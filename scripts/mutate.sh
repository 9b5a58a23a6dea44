#!/usr/bin/env bash
# scripts/mutate.sh — the mutation gate (issue 18): applies each one-line mutation of
# tests/mutations/mutations.txt to a scratch copy of the tree (never to the tree itself), builds,
# runs the tests of the mutation's scope within a fixed budget and prints a table: mutation → the
# tests that failed, or SURVIVED. A mutation whose text no longer matches its file is NOT-APPLIED
# (the list must be updated), never counted as caught; one that does not compile is BUILD-FAILED.
# A mutation caught only by tests that compare trace hashes (SchedulePins.*, regression:*) is
# marked "hash only": the verdicts did not change, only the trace did.
#
# Usage: scripts/mutate.sh [--list FILE] [--only ID[,ID...]] [--budget SECONDS] [--out FILE]
#                          [--keep] [--no-baseline] [--check]
#   --check    only check that every mutation applies to the tree (no build; seconds)
#   --budget   seconds of tests per mutation (default 150); the build is not counted
#   --out      also write the table (markdown) to FILE
#   --keep     keep the scratch copy (its path is printed)
# Exit status: 0 every applied mutation caught and none NOT-APPLIED or BUILD-FAILED; 1 otherwise;
# 2 bad usage. Needs what the release build needs, plus ccache (used when present).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIST=$ROOT/tests/mutations/mutations.txt
ONLY=""
BUDGET=150
OUT=""
KEEP=0
BASELINE=1
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --list) LIST=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-baseline) BASELINE=0; shift ;;
    --check) CHECK=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mutate.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$LIST" ] || { echo "mutate.sh: $LIST: no such file" >&2; exit 2; }
case "$BUDGET" in ''|*[!0-9]*) echo "mutate.sh: --budget: '$BUDGET' is not a number of seconds" >&2; exit 2 ;; esac

# ---- the tests of each scope ----
# gtest filters for the unit-test and property binaries, and a ctest regex for the scenario and
# regression tests of the scope (run through the scratch build's relaysim).
engine_unit='Engine*:PctReach.*:EngineRules.*:Toy*:Determinism.*:SchedulePins.*:SpinWait.*:Dfs*:Shrink*:Cli*:Schedule*:Bundled*'
engine_props='*:-DfsProp.*'
engine_ctest='^(scenario:scenarios/(toy|relay|bpf_ringbuf)/|regression:)'
relay_unit='Relay*:Ledger*:Bundled*:SchedulePins.*:Cli*:SpinWait.*'
relay_props='Relay*'
relay_ctest='^(scenario:scenarios/relay/|regression:scenarios/regressions/relay-)'
bpf_ringbuf_unit='BpfRingbuf*:Ledger*:Bundled*:SchedulePins.*:SpinWait.*'
bpf_ringbuf_props='BpfRingbuf*'
bpf_ringbuf_ctest='^(scenario:scenarios/bpf_ringbuf/|regression:scenarios/regressions/bpf_ringbuf-)'
bpf_relay_map_unit='BpfRelayMap*:Ledger*:Bundled*:SchedulePins.*:SpinWait.*'
bpf_relay_map_props='BpfRelayMap*'
bpf_relay_map_ctest='^(scenario:scenarios/bpf_relay_map/|regression:scenarios/regressions/bpf_relay_map-)'
ftrace_rb_unit='Ftrace*:Ledger*:Bundled*:SchedulePins.*:SpinWait.*'
ftrace_rb_props='Ftrace*'
ftrace_rb_ctest='^(scenario:scenarios/ftrace_rb/|regression:scenarios/regressions/ftrace_rb-)'
ledger_unit='Ledger*:Relay*:BpfRingbuf*:BpfRelayMap*:Ftrace*:Bundled*:SchedulePins.*'
ledger_props='*:-DfsProp.*'
ledger_ctest='^(scenario:scenarios/(relay|bpf_ringbuf|bpf_relay_map|ftrace_rb)/|regression:)'
HASH_TESTS='^(SchedulePins\.|regression:)'

# ---- the list ----
ids=() files=() afters=() finds=() replaces=() rules=() scopes=()
flush() {
  [ -n "${cur_id:-}" ] || return 0
  ids+=("$cur_id"); files+=("${cur_file:-}"); afters+=("${cur_after:-}"); finds+=("${cur_find:-}")
  replaces+=("${cur_replace-}"); rules+=("${cur_rule:-}"); scopes+=("${cur_scope:-engine}")
  cur_id="" cur_file="" cur_after="" cur_find="" cur_replace="" cur_rule="" cur_scope=""
}
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  case "$line" in
    ''|'#'*) continue ;;
    '['*']') flush; cur_id=${line#[}; cur_id=${cur_id%]} ;;
    *' = '*|*' ='*)
      key=${line%% =*}; val=${line#*=}; val=${val# }
      case "$key" in
        file) cur_file=$val ;; after) cur_after=$val ;; find) cur_find=$val ;; replace) cur_replace=$val ;;
        rule) cur_rule=$val ;; scope) cur_scope=$val ;;
        *) echo "mutate.sh: $LIST:$lineno: unknown key '$key'" >&2; exit 2 ;;
      esac ;;
    *) echo "mutate.sh: $LIST:$lineno: expected '[id]' or 'key = value', got: $line" >&2; exit 2 ;;
  esac
done <"$LIST"
flush
for i in "${!ids[@]}"; do
  s=${scopes[$i]}; u=${s}_unit
  [ -n "${!u+x}" ] || { echo "mutate.sh: $LIST: [${ids[$i]}]: unknown scope '$s'" >&2; exit 2; }
  [ -n "${files[$i]}" ] && [ -n "${finds[$i]}" ] || { echo "mutate.sh: $LIST: [${ids[$i]}]: needs file and find" >&2; exit 2; }
done

# apply FILE AFTER FIND REPLACE: rewrites FILE with the one occurrence replaced; status 1 if FIND
# is not on exactly one line (after AFTER: on the first line after the first line holding AFTER).
apply() {
  awk -v after="$2" -v find="$3" -v repl="$4" '
    { lines[NR] = $0 }
    END {
      start = 1
      if (after != "") {
        for (i = 1; i <= NR; i++) if (index(lines[i], after)) break
        if (i > NR) exit 1
        start = i + 1
        for (j = start; j <= NR; j++) if (index(lines[j], find)) break
        if (j > NR) exit 1
        hit = j
      } else {
        n = 0
        for (j = 1; j <= NR; j++) if (index(lines[j], find)) { n++; hit = j }
        if (n != 1) exit 1
      }
      p = index(lines[hit], find)
      lines[hit] = substr(lines[hit], 1, p - 1) repl substr(lines[hit], p + length(find))
      for (i = 1; i <= NR; i++) print lines[i] > (FILENAME ".mutated")
    }' "$1" && mv "$1.mutated" "$1"
}


if [ "$CHECK" = 1 ]; then
  tmp=$(mktemp -d /tmp/relaysim-mutate-check.XXXXXX)
  bad=0
  for i in "${!ids[@]}"; do
    [ -z "$ONLY" ] || [[ ",$ONLY," == *",${ids[$i]},"* ]] || continue
    if [ -f "$ROOT/${files[$i]}" ] && cp "$ROOT/${files[$i]}" "$tmp/f" && apply "$tmp/f" "${afters[$i]}" "${finds[$i]}" "${replaces[$i]}" &&
       ! cmp -s "$tmp/f" "$ROOT/${files[$i]}"; then
      :
    else
      echo "NOT-APPLIED ${ids[$i]}: '${finds[$i]}' is not on exactly one line of ${files[$i]}"
      bad=$((bad + 1))
    fi
  done
  rm -rf "$tmp"
  echo "mutate.sh --check: ${#ids[@]} mutations, $bad not applicable"
  [ "$bad" -eq 0 ]
  exit
fi

# ---- the scratch copy and its build ----
# RELAYSIM_MUTATE_SCRATCH reuses a scratch directory (kept with --keep) from an earlier run: its
# build is then incremental (the tests' objects embed the scratch path, so a new one misses ccache).
SCRATCH=${RELAYSIM_MUTATE_SCRATCH:-$(mktemp -d /tmp/relaysim-mutate.XXXXXX)}
SRC=$SCRATCH/src
BUILD=$SRC/build/release
cleanup() { if [ "$KEEP" = 0 ]; then rm -rf "$SCRATCH"; else echo "scratch copy kept: $SCRATCH" >&2; fi; }
trap cleanup EXIT
mkdir -p "$SRC"
# -m: the copied files get the current time, so a reused scratch build recompiles whatever an
# interrupted run left mutated (its objects are newer than the tree's own mtimes).
(cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xmf - -C "$SRC"
# The scratch copy's objects hash like the tree's (ccache rewrites paths under its base dir).
export CCACHE_BASEDIR=$SCRATCH
[ -d /work/.ccache ] && export CCACHE_DIR=${CCACHE_DIR:-/work/.ccache}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# gold links the three test binaries several times faster than bfd (the link is most of a rebuild).
command -v ld.gold >/dev/null && launcher+=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold)
TARGETS=(relaysim relaysim_tests relaysim_props)
build() { cmake --build "$BUILD" -j2 --target "${TARGETS[@]}" >"$SCRATCH/build.log" 2>&1; }
start=$(date +%s)
echo "mutate.sh: scratch copy $SRC; configuring and building the unmutated tree" >&2
(cd "$SRC" && cmake --preset release "${launcher[@]}" -DRELAYSIM_BENCH=OFF >"$SCRATCH/configure.log" 2>&1) ||
  { cat "$SCRATCH/configure.log" >&2; exit 1; }
build || { tail -30 "$SCRATCH/build.log" >&2; echo "mutate.sh: the unmutated tree does not build" >&2; exit 1; }

# run_scope SCOPE BUDGET: prints the names of the failing tests (one a line), "TIMEOUT" when the
# budget ran out before every test ran.
run_scope() {
  local scope=$1 budget=$2 unit props ctre deadline left log
  unit=${scope}_unit; props=${scope}_props; ctre=${scope}_ctest
  deadline=$(( $(date +%s) + budget ))
  log=$SCRATCH/test.log
  : >"$log"
  for bin in relaysim_tests:"${!unit}" relaysim_props:"${!props}"; do
    left=$(( deadline - $(date +%s) )); [ "$left" -gt 0 ] || { echo TIMEOUT; return; }
    local exe=${bin%%:*} filter=${bin#*:}
    (cd "$SRC" && RC_PARAMS="seed=20261124 max_success=60" RELAYSIM_CACHE=$BUILD/kernel-cache \
      timeout "$left" "$BUILD/tests/$exe" --gtest_filter="$filter" >>"$log" 2>&1) || {
      [ $? = 124 ] && echo TIMEOUT; true; }
  done
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -gt 0 ]; then
    (cd "$SRC" && timeout "$left" ctest --test-dir "$BUILD" -R "${!ctre}" -LE 'kernel|browser|mutation' -j2 \
      --timeout "$left" >>"$log" 2>&1) || { [ $? = 124 ] && echo TIMEOUT; true; }
  else
    echo TIMEOUT
  fi
  # gtest: "[  FAILED  ] Suite.Name (12 ms)" (and once more in the summary); ctest: "... ***Failed".
  { sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_./]*\).*/\1/p' "$log" | grep -v '^$' | grep -v ' FAILED TEST' || true
    sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .*\*\*\*\(Failed\|Timeout\|Exception\).*/\1/p' "$log" || true
  } | grep -Ev '^[0-9]+$' | sort -u  # not gtest's "[  FAILED  ] 3 tests, listed below"
}

# kinds NAME...: how many of the failing tests are unit tests, properties, scenarios, hash pins.
kinds() {
  local u=0 p=0 sc=0 h=0 t
  for t in "$@"; do
    if [[ $t =~ $HASH_TESTS ]]; then h=$((h + 1))
    elif [[ $t =~ ^scenario ]]; then sc=$((sc + 1))
    elif [[ $t =~ (Properties|Prop)\. ]]; then p=$((p + 1))
    else u=$((u + 1)); fi
  done
  echo "unit $u, property $p, scenario $sc, hash $h"
}

# ---- baseline: the unmutated tree passes every scope it will be judged by ----
declare -A baseline_fail=()
if [ "$BASELINE" = 1 ]; then
  for s in $(printf '%s\n' "${scopes[@]}" | sort -u); do
    while IFS= read -r t; do [ -n "$t" ] && baseline_fail[$t]=1; done < <(run_scope "$s" $((BUDGET * 3)))
  done
  if [ "${#baseline_fail[@]}" -gt 0 ]; then
    echo "mutate.sh: the unmutated tree fails (ignored below): ${!baseline_fail[*]}" >&2
  fi
fi

# ---- the mutations ----
[ -z "$OUT" ] || : >"$OUT.partial"
rows=() caught=0 applied=0 survived=0 not_applied=0 build_failed=0 hash_only=0
for i in "${!ids[@]}"; do
  id=${ids[$i]}
  [ -z "$ONLY" ] || [[ ",$ONLY," == *",$id,"* ]] || continue
  f=$SRC/${files[$i]}
  t0=$(date +%s)
  if [ ! -f "$f" ] || ! cp "$f" "$SCRATCH/orig" || ! apply "$f" "${afters[$i]}" "${finds[$i]}" "${replaces[$i]}"; then
    rm -f "$f.mutated"
    result="NOT-APPLIED (text not found once in ${files[$i]})"
    not_applied=$((not_applied + 1))
  elif ! build; then
    result="BUILD-FAILED"
    build_failed=$((build_failed + 1))
    cp "$SCRATCH/orig" "$f"
  else
    applied=$((applied + 1))
    failed=()
    timeout_hit=""
    while IFS= read -r t; do
      [ -n "$t" ] || continue
      if [ "$t" = TIMEOUT ]; then timeout_hit=" (budget reached)"; continue; fi
      [ -n "${baseline_fail[$t]+x}" ] || failed+=("$t")
    done < <(run_scope "${scopes[$i]}" "$BUDGET")
    cp "$SCRATCH/orig" "$f"
    if [ "${#failed[@]}" -eq 0 ]; then
      result="SURVIVED$timeout_hit"
      survived=$((survived + 1))
    else
      caught=$((caught + 1))
      nonhash=$(printf '%s\n' "${failed[@]}" | grep -Ev "$HASH_TESTS" | wc -l)
      list=$(printf '%s\n' "${failed[@]}" | head -6 | paste -sd, - | sed 's/,/, /g')
      [ "${#failed[@]}" -gt 6 ] && list="$list, … (${#failed[@]} tests)"
      if [ "$nonhash" -eq 0 ]; then result="caught, hash only: $list"; hash_only=$((hash_only + 1)); else result="caught: $list"; fi
      result="$result ($(kinds "${failed[@]}"))"
    fi
  fi
  t1=$(date +%s)
  printf '%-42s %s [%ss]\n' "$id" "$result" "$((t1 - t0))" >&2
  rows+=("| \`$id\` | ${rules[$i]} | $result |")
  [ -z "$OUT" ] || printf '%s\n' "${rows[-1]}" >>"$OUT.partial"  # survives an interrupted run
done
# Leave the scratch build as unmutated as it started (for --keep).
total=$((applied + not_applied + build_failed))
summary="caught $caught/$total (applied $applied, survived $survived, hash only $hash_only, not applied $not_applied, build failed $build_failed), budget ${BUDGET}s per mutation, wall $(( $(date +%s) - start ))s"
{
  echo "| mutation | rule it breaks | result |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "$summary"
} | tee ${OUT:+"$OUT"}
[ -z "$OUT" ] || rm -f "$OUT.partial"
[ "$caught" -eq "$total" ] && [ "$hash_only" -eq 0 ]
