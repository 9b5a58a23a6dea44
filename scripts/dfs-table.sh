#!/usr/bin/env bash
# The README's systematic-search table: every bundled scenario under
#   relaysim explore S --strategy dfs --preemption-bound 2 [--interrupt-bound 1] --time T
# (--interrupt-bound 1 where the scenario names an interrupt context). One markdown row per
# scenario: whether the search completed within the bounds, executions, seconds, the coverage of an
# incomplete search, and whether the expected violation was found and at which preemption bound.
#
# Usage: scripts/dfs-table.sh [--readme] [TIME_BUDGET_SECONDS=60] [PARALLEL=1] > table.md
#   --readme   write the table into README.md instead, between the lines
#              <!-- dfs-table:begin --> and <!-- dfs-table:end --> (the command that made it goes
#              on the line after the begin marker)
#   RELAYSIM   relaysim binary (default build/release/relaysim)
set -euo pipefail
cd "$(dirname "$0")/.."
README=0
if [ "${1:-}" = "--readme" ]; then README=1; shift; fi
T=${1:-60}
P=${2:-1}
RELAYSIM=${RELAYSIM:-build/release/relaysim}
[ -x "$RELAYSIM" ] || { echo "dfs-table: no relaysim binary at $RELAYSIM" >&2; exit 2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/dfs-table.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

row() {  # $1 scenario
  local s=$1 extra="" irq="no"
  if grep -Eqi '^\s*kind\s*=\s*"(hardirq|softirq|nmi)"|\[\[interrupt\]\]|context\s*=\s*"(hardirq|softirq|nmi)"|^\s*fires\s*=' "$s"; then
    extra="--interrupt-bound 1"; irq="yes"
  fi
  local j
  j=$("$RELAYSIM" explore "$s" --strategy dfs --preemption-bound 2 $extra --time "$T" --json --quiet \
        --out "$OUT/$(basename "$s" .toml)" 2>/dev/null || true)
  printf '%s\n' "$j" | python3 -c '
import json, sys
s, irq = sys.argv[1], sys.argv[2]
text = sys.stdin.read().strip()
try:
    j = json.loads(text)
except Exception:
    print("| `%s` | %s | error | | | | |" % (s, irq)); sys.exit(0)
c = j["coverage"]
it = c["iterations"][-1]
b = it["preemption_bound"]
if c["complete"]:
    cov = "complete (bound %s)" % b
else:
    d = c["deepest_bound_covered"]
    cov = "incomplete at bound %s: ~%.2g of it (bounds <= %s complete)" % (b, c["fraction"], "none" if d is None else d) if d is not None or b else "incomplete at bound 0: ~%.2g" % c["fraction"]
v = j.get("violation")
exp = j["expect"]
if v:
    found = "%s at bound %s" % (v["property"], v["preemption_bound"])
else:
    found = "none"
ok = "yes" if j["as_expected"] else "**no**"
print("| `%s` | %s | %s | %d | %.2f | %s | %s | %s |" % (s, irq, cov, j["executions"], j["seconds"], exp, found, ok))
' "$s" "$irq" > "$OUT/rows/$(echo "$s" | tr / _).row"
}
export -f row
export RELAYSIM T OUT
mkdir -p "$OUT/rows"
table() {
  echo "| scenario | interrupts | search (preemption bound 2) | executions | seconds | expected | found (smallest bound) | as expected |"
  echo "|---|---|---|---|---|---|---|---|"
  find scenarios -name '*.toml' | sort | xargs -P "$P" -I{} bash -c 'row "$1"' _ {}
  cat "$OUT"/rows/*.row
}
if [ "$README" = 0 ]; then
  table
  exit 0
fi
grep -q '^<!-- dfs-table:begin -->$' README.md && grep -q '^<!-- dfs-table:end -->$' README.md ||
  { echo "dfs-table: README.md has no <!-- dfs-table:begin --> / <!-- dfs-table:end --> lines" >&2; exit 2; }
table > "$OUT/table.md"
python3 - "$OUT/table.md" "scripts/dfs-table.sh --readme $T $P" <<'PY'
import sys
table, cmd = open(sys.argv[1]).read(), sys.argv[2]
text = open("README.md").read()
head, rest = text.split("<!-- dfs-table:begin -->\n", 1)
_, tail = rest.split("<!-- dfs-table:end -->\n", 1)
block = "<!-- dfs-table:begin -->\n<!-- made by: %s -->\n\n%s\n<!-- dfs-table:end -->\n" % (cmd, table.rstrip("\n"))
open("README.md.tmp", "w").write(head + block + tail)
PY
mv README.md.tmp README.md
echo "dfs-table: README.md updated" >&2
