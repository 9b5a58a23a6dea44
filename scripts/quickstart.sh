#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build (release preset), and run the main job —
# `relaysim explore` on the bundled quickstart scenario. Exit status is relaysim's.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
scenario=${1:-scenarios/relay/quickstart.toml}
echo "+ build/release/relaysim explore $scenario --jobs 2"
exec build/release/relaysim explore "$scenario" --jobs 2
