#!/usr/bin/env bash
# clang-16 ASan + UBSan (with -fsanitize=float-cast-overflow, which GCC's UBSan lacks) over the
# unit, scenario and fuzz-regression labels: the asan-clang preset, ucontext fibers. Slow (about
# 1 µs per fiber switch and a full clang build): not in CI's default path; run it before a merge.
# Usage: scripts/sanitize.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset asan-clang >/dev/null
cmake --build --preset asan-clang
ctest --preset asan-clang "$@"
