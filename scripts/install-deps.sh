#!/usr/bin/env bash
# Installs the Debian packages relaysim builds with (Debian 12). Idempotent: it only runs apt-get
# when something is missing, so CI and a developer's second run skip the network entirely.
set -euo pipefail
packages=(
  g++ cmake make
  libboost-context-dev        # 1.74: Boost.Context fibers (do not mix with the 1.81 packages)
  librapidcheck-dev           # property tests
  libgtest-dev                # unit tests
  libbenchmark-dev            # bench/
  nlohmann-json3-dev          # schedules, exec output, reports
  libtomlplusplus-dev         # scenarios
  libcli11-dev                # the relaysim command
  libfmt-dev
  time                        # /usr/bin/time -v for the memory figures
  python3                     # bench/ comparison scripts
  clang-16                    # the kernel-source mode: kernel files with TSan instrumentation (kernel/)
  libclang-rt-16-dev          # libFuzzer (scripts/fuzz.sh)
  linux-source-6.12           # the default kernel tree (files are extracted on first use into the cache)
  patch                       # check-patch and --patch
  binutils                    # addr2line: kernel functions and lines in traces
  chromium                    # the browser test of the HTML report (ctest -L browser; headless, offline)
  help2man                    # the man page, generated at build time from --help (man/relaysim.1)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
