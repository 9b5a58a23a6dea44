#!/usr/bin/env bash
# scripts/mutate.sh — the mutation gate (issue 18): applies each one-line mutation of
# tests/mutations/mutations.txt to a scratch copy of the tree (never to the tree itself), builds,
# runs the tests of the mutation's scope within a fixed budget and prints a table: mutation → the
# first test that failed (all of them with --all-tests), or SURVIVED. A mutation whose text no longer matches its file is NOT-APPLIED
# (the list must be updated), never counted as caught; one that does not compile is BUILD-FAILED.
# A mutation caught only by tests that compare trace hashes (SchedulePins.*, regression:*) is
# marked "hash only": the verdicts did not change, only the trace did.
#
# Usage: scripts/mutate.sh [--list FILE] [--only ID[,ID...]] [--budget SECONDS] [--out FILE]
#                          [--fresh] [--no-baseline] [--check] [--all-tests] [--no-unit]
#   --check    only check that every mutation applies to the tree (no build; seconds)
#   --all-tests run every test of the scope (default: stop at the first failing test, which is
#              named; the trace-hash pins run last, and only when nothing else failed)
#   --no-unit  skip the unit tests: is each mutation also caught by a property or a scenario
#              (issue 18, item 4: no single point of detection)?
#   --budget   seconds of tests per mutation (default 150); the build is not counted
#   --out      also write the table (markdown) to FILE
#   --fresh    delete the kept scratch copy first (a clean build; default: incremental, its path is printed)
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
FRESH=0
ALL_TESTS=0
NO_UNIT=0
LAZY=1
while [ $# -gt 0 ]; do
  case "$1" in
    --list) LIST=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;  # (the scratch copy is always kept now; accepted for old command lines)
    --fresh) FRESH=1; shift ;;
    --no-baseline) BASELINE=0; shift ;;
    --check) CHECK=1; shift ;;
    --all-tests) ALL_TESTS=1; shift ;;
    --no-unit) NO_UNIT=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mutate.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$LIST" ] || { echo "mutate.sh: $LIST: no such file" >&2; exit 2; }
case "$BUDGET" in ''|*[!0-9]*) echo "mutate.sh: --budget: '$BUDGET' is not a number of seconds" >&2; exit 2 ;; esac

# ---- the tests of each scope ----
# gtest filters for the unit-test and property binaries, and a ctest regex for the scenario and
# regression tests of the scope (run through the scratch build's relaysim).
engine_unit='KernelRuntime*:MemoryModelCli.*:MemoryLitmus.LB*:Engine*:PctReach.*:EngineRules.*:Toy*:Determinism.*:SchedulePins.*:SpinWait.*:Dfs*:Shrink*:Cli*:Schedule*:Bundled*'
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
perf_buf_unit='PerfBuf*:Ledger*:Bundled*:SchedulePins.*:SpinWait.*'
perf_buf_props='PerfBuf*'
perf_buf_ctest='^(scenario:scenarios/perf_buf/|regression:scenarios/regressions/perf_buf-)'
ledger_unit='Ledger*:Relay*:BpfRingbuf*:BpfRelayMap*:Ftrace*:PerfBuf*:Bundled*:SchedulePins.*'
ledger_props='*:-DfsProp.*'
ledger_ctest='^(scenario:scenarios/(relay|bpf_ringbuf|bpf_relay_map|ftrace_rb|perf_buf)/|regression:)'
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
# The scratch copy lives at a fixed path per tree (RELAYSIM_MUTATE_SCRATCH overrides it) and is
# kept between runs: its build is incremental, and its objects, which embed the scratch path (the
# tests' RELAYSIM_SOURCE_DIR), hit ccache run after run. --fresh deletes it first. One run at a
# time per scratch copy (flock).
SCRATCH=${RELAYSIM_MUTATE_SCRATCH:-/tmp/relaysim-mutate-$(id -u)-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)}
SRC=$SCRATCH/src
BUILD=$SRC/build/release
[ "$FRESH" = 0 ] || rm -rf "$SCRATCH"
mkdir -p "$SRC"
exec 9>"$SCRATCH.lock"
flock -n 9 || { echo "mutate.sh: another run holds $SCRATCH" >&2; exit 1; }
cleanup() { echo "mutate.sh: scratch copy (kept for the next run): $SCRATCH" >&2; }
trap cleanup EXIT
# Sync the tree's files into the copy: a file whose content differs (changed in the tree, or left
# mutated by an interrupted run) is rewritten and gets the current time, so exactly what changed
# rebuilds; files no longer in the tree are removed (the CMake globs would pick them up).
rm -rf "$SCRATCH/incoming"
mkdir -p "$SCRATCH/incoming"
(cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SCRATCH/incoming"
(cd "$SCRATCH/incoming" && find . \( -type f -o -type l \) -print) | while IFS= read -r f; do
  cmp -s "$SCRATCH/incoming/$f" "$SRC/$f" || { mkdir -p "$(dirname "$SRC/$f")"; rm -f "$SRC/$f"; cp -P "$SCRATCH/incoming/$f" "$SRC/$f"; }
done
(cd "$SRC" && find . -path ./build -prune -o \( -type f -o -type l \) -print) | while IFS= read -r f; do
  [ -e "$SCRATCH/incoming/$f" ] || [ -L "$SCRATCH/incoming/$f" ] || rm -f "$SRC/$f"
done
rm -rf "$SCRATCH/incoming"
# The scratch copy's objects hash like the tree's (ccache rewrites paths under its base dir).
export CCACHE_BASEDIR=$SCRATCH
[ -d /work/.ccache ] && export CCACHE_DIR=${CCACHE_DIR:-/work/.ccache}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# gold links the three test binaries several times faster than bfd (the link is most of a rebuild).
command -v ld.gold >/dev/null && launcher+=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=gold)
# build [TARGET...]: the given targets (default: all three). A mutation builds relaysim_tests
# (which needs relaysim) first, and relaysim_props only when no unit test caught it.
build() {
  local t=("$@"); [ "${#t[@]}" -gt 0 ] || t=(relaysim relaysim_tests relaysim_props)
  cmake --build "$BUILD" -j2 --target "${t[@]}" >"$SCRATCH/build.log" 2>&1
}
start=$(date +%s)
echo "mutate.sh: scratch copy $SRC; configuring and building the unmutated tree" >&2
(cd "$SRC" && cmake --preset release "${launcher[@]}" -DRELAYSIM_BENCH=OFF >"$SCRATCH/configure.log" 2>&1) ||
  { cat "$SCRATCH/configure.log" >&2; exit 1; }
build || { tail -30 "$SCRATCH/build.log" >&2; echo "mutate.sh: the unmutated tree does not build" >&2; exit 1; }

# run_scope SCOPE BUDGET: runs the scope's tests in stages and prints the names of the failing
# tests (one a line), "TIMEOUT" when the budget ran out first, "BUILD-FAILED" when a stage's binary
# did not build. The stages, in order: each unit-test group of the scope (relaysim_tests, one gtest
# run per filter pattern, the model's own tests first), the properties (relaysim_props), the
# scenarios (ctest), and last the trace-hash pins (SchedulePins.*, regression:*). Unless
# --all-tests, the first failing test ends the run (gtest --gtest_fail_fast, ctest
# --stop-on-failure): one test is enough to say "caught", and it is named. The hash pins run only
# when nothing else failed, so "caught, hash only" means exactly that no verdict changed.
run_scope() {
  local scope=$1 budget=$2 unit props ctre deadline left log pat rc
  unit=${scope}_unit; props=${scope}_props; ctre=${scope}_ctest
  deadline=$(( $(date +%s) + budget ))
  log=$SCRATCH/test.log
  : >"$log"
  local ff=(--gtest_fail_fast) stop=(--stop-on-failure)
  [ "$ALL_TESTS" = 0 ] || { ff=(); stop=(); }
  # gtest: "[  FAILED  ] Suite.Name (12 ms)" (and once more in the summary); ctest: "... ***Failed".
  failures() {
    { sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_./]*\).*/\1/p' "$log" | grep -v '^$' | grep -v ' FAILED TEST' || true
      sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .*\*\*\*\(Failed\|Timeout\|Exception\).*/\1/p' "$log" || true
    } | { grep -Ev '^[0-9]+$' || true; } | sort -u  # not gtest's "[  FAILED  ] 3 tests, listed below"
  }
  caught() { [ "$ALL_TESTS" = 0 ] && [ -n "$(failures)" ]; }
  gtest() {  # gtest EXE FILTER
    left=$(( deadline - $(date +%s) )); [ "$left" -gt 0 ] || { echo TIMEOUT; return 1; }
    rc=0
    local start_line
    start_line=$(wc -l <"$log")
    (cd "$SRC" && RC_PARAMS="seed=20261124 max_success=60" RELAYSIM_CACHE=$BUILD/kernel-cache \
      timeout "$left" "$BUILD/tests/$1" --gtest_filter="$2" "${ff[@]}" >>"$log" 2>&1) || rc=$?
    if [ "$rc" = 124 ]; then
      # The budget ran out inside one test: the last test started and not finished hung (a
      # mutation that makes an execution run forever, e.g. the step bound ignored). Name it.
      local hung
      hung=$(tail -n +"$((start_line + 1))" "$log" | sed -n 's/^\[ RUN      \] \([A-Za-z0-9_./]*\).*/\1/p' | tail -1)
      if [ -n "$hung" ] && ! tail -n +"$((start_line + 1))" "$log" | grep -q "^\[ *\(OK\|FAILED\) *\] $hung "; then
        echo "[  FAILED  ] $hung (hung: the budget ran out inside it)" >>"$log"
      fi
      echo TIMEOUT
      return 1
    fi
    ! caught
  }
  ctests() {  # ctests REGEX [EXCLUDE-REGEX]
    left=$(( deadline - $(date +%s) )); [ "$left" -gt 0 ] || { echo TIMEOUT; return 1; }
    rc=0
    (cd "$SRC" && timeout "$left" ctest --test-dir "$BUILD" -R "$1" ${2:+-E "$2"} -LE 'kernel|browser|mutation' -j2 "${stop[@]}" \
      --timeout "$left" >>"$log" 2>&1) || rc=$?
    [ "$rc" != 124 ] || { echo TIMEOUT; return 1; }
    ! caught
  }
  stages() {
    local IFS=:
    for pat in ${!unit}; do
      [ "$NO_UNIT" = 0 ] || break
      [[ $pat =~ ^SchedulePins ]] && continue
      gtest relaysim_tests "$pat-SchedulePins.*" || return 0
    done
    unset IFS
    [ "$LAZY" = 0 ] || build relaysim_props || { echo BUILD-FAILED; return 0; }
    gtest relaysim_props "${!props}" || return 0
    ctests "${!ctre}" '^regression:' || return 0
    gtest relaysim_tests 'SchedulePins.*' || return 0
    ctests "${!ctre}" '^scenario:' || return 0
  }
  stages
  failures
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
    # A test that fails anyway would end a fail-fast stage before the tests after it ran.
    [ "$ALL_TESTS" = 1 ] || { echo "mutate.sh: fix the tree first, or run with --all-tests" >&2; exit 1; }
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
  elif ! build relaysim relaysim_tests; then
    result="BUILD-FAILED"
    build_failed=$((build_failed + 1))
    cp "$SCRATCH/orig" "$f"
  else
    applied=$((applied + 1))
    failed=()
    timeout_hit=""
    build_hit=0
    while IFS= read -r t; do
      [ -n "$t" ] || continue
      if [ "$t" = TIMEOUT ]; then timeout_hit=" (budget reached)"; continue; fi
      if [ "$t" = BUILD-FAILED ]; then build_hit=1; continue; fi
      [ -n "${baseline_fail[$t]+x}" ] || failed+=("$t")
    done < <(run_scope "${scopes[$i]}" "$BUDGET")
    cp "$SCRATCH/orig" "$f"
    if [ "$build_hit" = 1 ] && [ "${#failed[@]}" -eq 0 ]; then
      result="BUILD-FAILED"
      build_failed=$((build_failed + 1))
      applied=$((applied - 1))
    elif [ "${#failed[@]}" -eq 0 ]; then
      result="SURVIVED$timeout_hit"
      survived=$((survived + 1))
    else
      caught=$((caught + 1))
      # (grep finds no line when every failing test is a hash pin: under pipefail that status
      # would end the script, which is why the 00:00 run stopped after the row before the first
      # hash-only mutation.)
      nonhash=$(printf '%s\n' "${failed[@]}" | { grep -Ev "$HASH_TESTS" || true; } | wc -l)
      list=$(printf '%s\n' "${failed[@]:0:6}" | paste -sd, - | sed 's/,/, /g')
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
