#!/usr/bin/env bash
# Prepares, on the development machine (Debian LLVM 22, CUDA toolkit for
# ptxas, no GPU needed), what benchmarks/gpu/device-check.sh runs on a GPU
# machine that may have neither LLVM nor a compiler: build-gpu/device/ with
#   bin/      xgenmm-run, xgenmm-gpu-e2e, xgenmm-gpu-bench (runtime only: no LLVM)
#   lib/      libxgenmm_cuda.so and the binaries' shared libraries but libc's
#   artifacts/<fixture>-<chip>   the tiny fixtures compiled for sm_80, sm_90
#   kernels/bench-kernels-<chip>.so   benchmarks/gpu/kernels.mlir compiled
# (about 22 MiB; the `run` tool carries it with carry=["build-gpu/device"],
# or only bin, lib, kernels and one chip's artifacts where the working tree
# leaves less than that of the 64 MiB).
#   benchmarks/gpu/prepare-device-bundle.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build-gpu}
DEV=$BUILD/device
LLVM=/usr/lib/llvm-22/bin
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
fi
ninja -C "$BUILD" -j2 xgenmm-opt xgenmm-compile xgenmm-run xgenmm-gpu-e2e xgenmm-gpu-bench
rm -rf "$DEV"
mkdir -p "$DEV/bin" "$DEV/lib" "$DEV/artifacts" "$DEV/kernels"
for b in xgenmm-run xgenmm-gpu-e2e xgenmm-gpu-bench; do
  cp "$BUILD/bin/$b" "$DEV/bin/"
  ldd "$BUILD/bin/$b" | awk '/=> \// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' |
    xargs -r -I{} cp -L -n {} "$DEV/lib/"
done
for chip in sm_80 sm_90; do
  $BUILD/bin/xgenmm-opt benchmarks/gpu/kernels.mlir \
    --xgenmm-gpu-codegen-pipeline="chip=$chip format=fatbin" -o "$DEV/kernels/k.mlir"
  $LLVM/mlir-translate --mlir-to-llvmir "$DEV/kernels/k.mlir" -o "$DEV/kernels/k.ll"
  $LLVM/clang -shared -fPIC -O2 -Wno-override-module "$DEV/kernels/k.ll" \
    -o "$DEV/kernels/bench-kernels-$chip.so"
  rm "$DEV/kernels/k.mlir" "$DEV/kernels/k.ll"
  for f in tiny_fp32_single tiny_bf16_2shards tiny_gqa_fp32_4shards; do
    $BUILD/bin/xgenmm-compile test/fixtures/$f -o "$DEV/artifacts/$f-$chip" --target $chip \
      | tail -1
  done
done
# model.so's own libraries (libomp where the link adds it).
for so in "$DEV"/artifacts/*/model.so; do
  ldd "$so" | awk '/=> \// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' |
    xargs -r -I{} cp -L -n {} "$DEV/lib/"
done
du -sh "$DEV"
