#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): install what is missing, build (release preset, warnings
# as errors), and run every test with ctest. Heavy suites carry their own fixed budgets.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release
