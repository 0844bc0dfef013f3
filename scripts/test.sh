#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test (lit/FileCheck, C++ unit tests, consistency checks) through ctest,
# whose closing lines report the counts.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
cd build
ctest -j "$(nproc)" --output-on-failure
