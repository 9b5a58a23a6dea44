#!/bin/sh
# tests/reports/browser_test.sh RELAYSIM OUTDIR — the HTML report in a real browser (Debian's
# chromium, headless, offline): the DOM after the page's script ran holds the verdict, the
# accesses, every CPU lane, the buffer diagram and the "rendered" mark the script sets last (it
# is missing if the script threw); no console error; a screenshot lands in OUTDIR.
# Exit 77 (ctest SKIP_RETURN_CODE) when /usr/bin/chromium is absent.
set -u
RELAYSIM=$1
OUT=$2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM not installed (scripts/install-deps.sh installs it)"; exit 77; }
rm -rf "$OUT" && mkdir -p "$OUT" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

"$RELAYSIM" explore scenarios/relay/relay_write_hardirq.toml --quiet --out "$OUT" --perfetto "$OUT/relay_write_hardirq.perfetto.json" >"$OUT/explore.txt" 2>&1 ||
  fail "explore: $(cat "$OUT/explore.txt")"
HTML=$OUT/relay_write_hardirq-mainline-no-corruption/report.html
[ -s "$HTML" ] || fail "explore published no report.html with the schedule"
HOME=$OUT/home
export HOME
flags="--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --enable-logging=stderr --v=0"
# shellcheck disable=SC2086
timeout 120 "$CHROMIUM" $flags --dump-dom "file://$HTML" >"$OUT/dom.html" 2>"$OUT/chromium.log" || fail "chromium --dump-dom failed: $(tail -5 "$OUT/chromium.log")"
for want in 'data-rendered="ok"' 'id="verdict"' 'VIOLATION no-corruption at step 82' \
            'message 1 written by writer0 (task, CPU 0) at step 17 over live message 2 written by hardirq1 (hardirq, CPU 0) at step 12' \
            'id="lane-cpu0"' 'id="lane-cpu1"' 'class="slice ctx-task"' 'class="slice ctx-hardirq"' 'data-buffer="buf0.start"' \
            'class="byte"' 'id="positions"' 'relaysim replay '; do
  grep -qF "$want" "$OUT/dom.html" || fail "the DOM lacks $want"
done
# The page logs nothing: any console line (an exception, console.error) is a failure.
if grep -E ':CONSOLE|Uncaught' "$OUT/chromium.log"; then fail "console output"; fi
# shellcheck disable=SC2086
timeout 120 "$CHROMIUM" $flags --screenshot="$OUT/report.png" --window-size=1200,800 "file://$HTML" >/dev/null 2>>"$OUT/chromium.log" ||
  fail "chromium --screenshot failed"
[ -s "$OUT/report.png" ] || fail "no screenshot"
echo "ok: $HTML in chromium; screenshot $OUT/report.png"
