#!/usr/bin/env bash
# Fuzz the scenario loader and every model's validation with libFuzzer (clang-16, ASan + UBSan).
# Usage: scripts/fuzz.sh [SECONDS=60]. Seeds: every bundled scenario. Exit status: libFuzzer's
# (0: no crash, no leak, no error message without its file name).
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
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for f in scenarios/*/*.toml; do cp "$f" "$corpus/$(echo "$f" | tr / _)"; done
exec build/fuzz/fuzz_scenario_loader -max_total_time="${1:-60}" -rss_limit_mb=2048 "$corpus"
