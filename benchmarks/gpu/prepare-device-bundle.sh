#!/usr/bin/env bash
# Prepares, on the development machine (Debian LLVM 22, CUDA toolkit for
# ptxas, no GPU needed), what benchmarks/gpu/device-check.sh runs on a GPU
# machine that may have neither LLVM nor a compiler: build-gpu/device/ with
#   bin/      xgenmm-run, xgenmm-gpu-e2e, xgenmm-gpu-bench, xgenmm-synth-weights
#             (runtime only: no LLVM)
#   lib/      libxgenmm_cuda.so and the binaries' shared libraries but libc's
#   artifacts/<fixture>-<chip>   the tiny fixtures compiled for sm_80, sm_90
#   artifacts/r-v1.5-synthetic-<chip>   the full-size model, weights.bin left
#             out (xgenmm-synth-weights writes it on the device)
#   pixels-2x2.safetensors   one image's 5 preprocessed views (--pixel-values)
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
ninja -C "$BUILD" -j2 xgenmm-opt xgenmm-compile xgenmm-run xgenmm-gpu-e2e xgenmm-gpu-bench \
  xgenmm-synth-weights
rm -rf "$DEV"
mkdir -p "$DEV/bin" "$DEV/lib" "$DEV/artifacts" "$DEV/kernels"
for b in xgenmm-run xgenmm-gpu-e2e xgenmm-gpu-bench xgenmm-synth-weights; do
  cp "$BUILD/bin/$b" "$DEV/bin/"
  ldd "$BUILD/bin/$b" | awk '/=> \// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' |
    xargs -r -I{} cp -L -n {} "$DEV/lib/"
done
for chip in sm_80 sm_90; do
  $BUILD/bin/xgenmm-opt benchmarks/gpu/kernels.mlir --xgenmm-lower-to-linalg \
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
# The full-size r-v1.5 model for each chip, without its 8.7 GB weights.bin:
# compiled from the hand-written full graph with synthetic weights
# (xgenmm-compile --synthetic-weights); the device check writes the same
# weights.bin there with xgenmm-synth-weights. And one image's
# preprocessed views (global + 2 x 2 crops, values in [-1, 1]) for the
# encode timing.
for chip in sm_80 sm_90; do
  art="$DEV/artifacts/r-v1.5-synthetic-$chip"
  $BUILD/bin/xgenmm-compile test/models/r-v1.5.mlir --synthetic-weights --target $chip \
    -o "$art" | tail -1
  rm "$art/weights.bin"
done
python3 - "$DEV/pixels-2x2.safetensors" <<'PY'
import json, random, struct, sys
views, size = 5, 384
random.seed(0)
pixels = struct.pack("<%df" % (views * 3 * size * size),
                     *(random.uniform(-1, 1) for _ in range(views * 3 * size * size)))
meta = {"image0": {"dtype": "F32", "shape": [views, 3, size, size], "data_offsets": [0, len(pixels)]},
        "image0.size": {"dtype": "I64", "shape": [2], "data_offsets": [len(pixels), len(pixels) + 16]},
        "image0.grid": {"dtype": "I64", "shape": [2], "data_offsets": [len(pixels) + 16, len(pixels) + 32]}}
header = json.dumps(meta).encode()
header += b" " * (-len(header) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + pixels + struct.pack("<qq", 768, 768) + struct.pack("<qq", 2, 2))
PY
# model.so's own libraries (libomp where the link adds it).
for so in "$DEV"/artifacts/*/model.so; do
  ldd "$so" | awk '/=> \// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' |
    xargs -r -I{} cp -L -n {} "$DEV/lib/"
done
du -sh "$DEV"
