#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine lacks to build and test xgenmm.
# Idempotent: when every package is present it only checks (about a second).
set -euo pipefail

PACKAGES=(
  cmake ninja-build python3
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
  libomp-22-dev
  libgtest-dev libbenchmark-dev
  libjpeg-dev libpng-dev
  libsentencepiece-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi
