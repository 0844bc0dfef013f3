#!/usr/bin/env bash
# Installs what is missing, configures (Release, Ninja, LLVM/MLIR 22) and
# builds everything into build/ (binaries in build/bin/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$(nproc)"
