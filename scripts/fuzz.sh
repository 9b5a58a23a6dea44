#!/usr/bin/env bash
# Fuzz every input of relaysim with libFuzzer (clang-16, ASan + UBSan incl. float-cast-overflow):
# scenario files, schedule files (parse + validate + replay), exec operation files of each model,
# and the command line. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Seeds: the bundled files plus fuzz/corpus/<kind>/. New inputs go to build/fuzz/corpus/<target>/
# (not checked in; copy a crasher into fuzz/corpus/<kind>/ so CI replays it). Prints, per target,
# the inputs run; exit status 0 only if no target crashed, leaked, timed out or ran out of memory.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if ! command -v clang++-16 >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-16-dev 2>/dev/null | grep -q "ok installed"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang-16 libclang-rt-16-dev
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario_loader schedule cli exec_relay exec_bpf_ringbuf exec_bpf_relay_map exec_ftrace_rb)

seeds() {  # the seed directories of a target
  case "$1" in
    scenario_loader) echo scenarios/relay scenarios/bpf_ringbuf scenarios/bpf_relay_map scenarios/ftrace_rb scenarios/toy fuzz/corpus/scenario_loader ;;
    schedule) echo scenarios/regressions fuzz/corpus/schedule ;;
    cli) echo fuzz/corpus/cli ;;
    exec_*) echo "scenarios/${1#exec_}/exec" fuzz/corpus/exec ;;
  esac
}
max_len() { case "$1" in schedule) echo 1048576 ;; *) echo 65536 ;; esac; }

status=0
summary=()
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  mkdir -p "$corpus"
  log=build/fuzz/$t.log
  echo "== fuzz_$t for ${seconds}s (log: $log)"
  # Options: -max_len bounds an input; -rss_limit_mb and -timeout turn unbounded memory or time
  # into findings; -close_fd_mask=1 silences stdout. Artifacts (crashers) go to build/fuzz/.
  # The time is run in slices of at most 60 s, each a fresh process on the growing corpus: under
  # ASan with ucontext fibers the RSS of a fiber-running target creeps up by a few KB per input
  # (allocator and shadow churn: LeakSanitizer reports no leak, and the release driver does not
  # grow beyond its own list of files over 237k inputs), which
  # would otherwise reach -rss_limit_mb in long runs and hide real out-of-memory findings.
  result=ok
  runs=0
  left=$seconds
  : >"$log"
  while [ "$left" -gt 0 ]; do
    slice=$(( left < 60 ? left : 60 ))
    left=$(( left - slice ))
    # shellcheck disable=SC2046
    if ! build/fuzz/fuzz_"$t" -max_total_time="$slice" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=20 \
         -close_fd_mask=1 -print_final_stats=1 -artifact_prefix=build/fuzz/"$t"- "$corpus" $(seeds "$t") >>"$log" 2>&1; then
      result="FAILED (see $log)"
      status=1
      left=0
    fi
    n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    runs=$(( runs + ${n:-0} ))
  done
  summary+=("$(printf '%-20s %12s inputs in %ss  %s' "$t" "${runs:-?}" "$seconds" "$result")")
done
printf '%s\n' "${summary[@]}"
exit $status
