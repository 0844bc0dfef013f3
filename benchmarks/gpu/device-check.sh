#!/usr/bin/env bash
# The GPU device check: on a machine with an NVIDIA GPU, in under 8 minutes,
#   1. finds the GPU (nvidia-smi) and its chip (sm_80 for 8.x, sm_90 for 9.x);
#   2. takes the prebuilt bundle build-gpu/device/ (benchmarks/gpu/
#      prepare-device-bundle.sh, run on the development machine: the GPU
#      machine may have no LLVM 22 or compiler) or, without one, builds it
#      here when /usr/lib/llvm-22 and ptxas exist;
#   3. runs every tiny fixture, compiled for that chip, against the
#      reference's goldens (xgenmm-gpu-e2e: vision tokens, prompt logits,
#      greedy steps; tolerance 3e-2 for bf16 tensor-core math), and one
#      xgenmm-run generation for its timing line, each three ways: launches
#      asynchronous (default), synchronized after every kernel, and decode
#      steps as CUDA graphs;
#   4. runs xgenmm-gpu-bench: the HBM bandwidth of a generated copy kernel
#      and of cuMemcpy, the generated tensor-core dense kernel at the
#      model's shapes as % of the nominal bf16 peak, decode's matrix-vector
#      kernels as % of the copy kernel's bandwidth, and the fused attention
#      kernel (one SigLIP crop, Phi-3 prefill 1k) checked and as % of peak;
#   5. the full-size model (synthetic weights, written here by
#      xgenmm-synth-weights): image encode per view, prefill of 1k tokens,
#      decode at contexts 512 and 4k, as % of the bf16 peak and of the copy
#      kernel's bandwidth ("fullsize" lines);
# and writes everything to one file, $OUT/gpu-results.txt (OUT defaults to
# build-gpu/device-results). Exit status 0 when every golden check passed.
#   benchmarks/gpu/device-check.sh
# With the `run` tool: carry=["build-gpu/device"], command
#   benchmarks/gpu/device-check.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-build-gpu/device-results}
mkdir -p "$OUT"
RESULTS="$OUT/gpu-results.txt"
DEV=${XGENMM_DEVICE_BUNDLE:-build-gpu/device}
exec > >(tee "$RESULTS") 2>&1
START=$(date +%s)
section() { echo; echo "== $* ($(( $(date +%s) - START )) s)"; }

section "machine"
date -u
uname -srm
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.max.sm,clocks.max.mem \
  --format=csv || { echo "no nvidia-smi: not a GPU machine"; exit 2; }
CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' ')
case "$CAP" in
  9.*|10.*|12.*) CHIP=sm_90 ;;
  8.*) CHIP=sm_80 ;;
  *) echo "compute capability $CAP: xgenmm targets sm_80 and sm_90"; exit 2 ;;
esac
echo "chip=$CHIP (compute capability $CAP)"

section "bundle"
if [ ! -x "$DEV/bin/xgenmm-gpu-e2e" ]; then
  if [ -x /usr/lib/llvm-22/bin/mlir-opt ] && command -v ptxas >/dev/null; then
    echo "no bundle at $DEV: building it"
    timeout 300 benchmarks/gpu/prepare-device-bundle.sh || { echo "bundle build failed"; exit 2; }
  else
    echo "no bundle at $DEV and no LLVM 22 + ptxas to build one: run"
    echo "benchmarks/gpu/prepare-device-bundle.sh where they are, and carry build-gpu/device"
    exit 2
  fi
fi
export LD_LIBRARY_PATH="$PWD/$DEV/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ls "$DEV/artifacts" "$DEV/kernels"
if ! "$DEV/bin/xgenmm-run" --help >/dev/null 2>&1; then
  echo "the bundle's binaries do not start here:"; ldd "$DEV/bin/xgenmm-run"; exit 2
fi

# Three ways of running the same kernels: asynchronous launches (the
# default), a wait after every kernel (XGENMM_CUDA_SYNC=1, as before
# 2026-11-29), and decode steps replayed as CUDA graphs (XGENMM_CUDA_GRAPHS=1).
MODES=("default:" "sync-each-launch:XGENMM_CUDA_SYNC=1" "decode-graphs:XGENMM_CUDA_GRAPHS=1")
FAILED=0
for mode in "${MODES[@]}"; do
  name=${mode%%:*}; envset=${mode#*:}
  section "goldens (tiny fixtures, $CHIP, $name)"
  for f in tiny_fp32_single tiny_bf16_2shards tiny_gqa_fp32_4shards; do
    echo "-- $f"
    env $envset timeout 120 "$DEV/bin/xgenmm-gpu-e2e" "$DEV/artifacts/$f-$CHIP" "test/fixtures/$f" \
      || FAILED=$((FAILED + 1))
  done
  section "xgenmm-run (tiny_gqa_fp32_4shards, $CHIP, 32 tokens, text-only prompt, $name)"
  env $envset timeout 60 "$DEV/bin/xgenmm-run" -m "$DEV/artifacts/tiny_gqa_fp32_4shards-$CHIP" \
    --input-ids 1,5,9,13,17,21 --max-tokens 32 --greedy --print-ids || echo "xgenmm-run failed: $?"
done
echo "golden checks failed: $FAILED of 9"

section "benchmarks (xgenmm-gpu-bench, $CHIP kernels)"
timeout 240 "$DEV/bin/xgenmm-gpu-bench" "$DEV/kernels/bench-kernels-$CHIP.so" \
  || echo "xgenmm-gpu-bench exited with $?"

# The full-size model (synthetic weights: the work per token is the real
# model's): image encode per view, prefill of 1024 tokens, decode at
# contexts 512 and 4k, as fractions of the nominal bf16 peak and of the
# copy kernel's bandwidth above. FLOPs and bytes from benchmarks/
# ModelBench.cpp's formulas at r-v1.5's shapes: 729.5 GFLOP per view,
# 7628 GFLOP per 1024-token prefill; a decode step reads 7.85 GB at
# context 512 (bf16 weights, f32 KV cache), 10.67 GB at 4096.
FULL="$DEV/artifacts/r-v1.5-synthetic-$CHIP"
if [ -f "$FULL/model.so" ]; then
  section "full-size r-v1.5, synthetic weights ($CHIP)"
  if [ ! -f "$FULL/weights.bin" ]; then
    timeout 200 "$DEV/bin/xgenmm-synth-weights" "$FULL" || echo "xgenmm-synth-weights failed: $?"
  fi
  PEAK=$(sed -n 's/.*nominal_bf16_peak_tflops=\([0-9.]*\).*/\1/p' "$RESULTS" | head -1)
  COPY=$(sed -n 's/^copy_kernel .*gbs=\([0-9.]*\).*/\1/p' "$RESULTS" | head -1)
  ids() { seq -s, 100 $((99 + $1)); }
  # timing: image encode E ms, prefill N tokens at P tokens/s, decode M tokens at D tokens/s
  report() { # $1 what, $2 the timing line
    echo "$2" | awk -v what="$1" -v peak="${PEAK:-0}" -v copy="${COPY:-0}" '
      match($0, /image encode [0-9.]+ ms/) { split(substr($0, RSTART, RLENGTH), e, " "); enc = e[3] }
      match($0, /prefill [0-9]+ tokens at [0-9.]+/) { split(substr($0, RSTART, RLENGTH), p, " "); pn = p[2]; ps = p[5] }
      match($0, /decode [0-9]+ tokens at [0-9.]+/) { split(substr($0, RSTART, RLENGTH), d, " "); ds = d[5] }
      END {
        if (what == "encode" && enc > 0)
          printf "fullsize encode_ms_per_view=%.1f tflops=%.1f pct_bf16_peak=%.1f\n", enc / 5, 5 * 729.5 / enc, (peak > 0 ? 100 * 5 * 729.5 / enc / peak : 0)
        if (what == "prefill1k" && ps > 0)
          printf "fullsize prefill_tokens=%d tokens_per_s=%.1f tflops=%.1f pct_bf16_peak=%.1f\n", pn, ps, 7628.3 * ps / 1024 / 1000, (peak > 0 ? 100 * 7628.3 * ps / 1024 / 1000 / peak : 0)
        if (what ~ /^decode/ && ds > 0) {
          gb = (what == "decode512") ? 7.847 : 10.666
          printf "fullsize %s tokens_per_s=%.1f gbs=%.0f pct_copy_bw=%.1f\n", what, ds, gb * ds, (copy > 0 ? 100 * gb * ds / copy : 0)
        }
      }'
  }
  for mode in "${MODES[@]}"; do
    name=${mode%%:*}; envset=${mode#*:}
    [ "$name" = "sync-each-launch" ] && continue
    echo "-- $name"
    line=$(env $envset timeout 120 "$DEV/bin/xgenmm-run" -m "$FULL" --input-ids 1,32012,450 \
      --pixel-values "$DEV/pixels-2x2.safetensors" --max-tokens 1 2>&1 | tee /dev/stderr | grep '^timing:')
    report encode "$line"
    line=$(env $envset timeout 120 "$DEV/bin/xgenmm-run" -m "$FULL" --input-ids "$(ids 1024)" \
      --max-tokens 16 2>&1 | grep '^timing:'); echo "$line"
    report prefill1k "$line"
    line=$(env $envset timeout 120 "$DEV/bin/xgenmm-run" -m "$FULL" --input-ids "$(ids 512)" \
      --max-tokens 64 2>&1 | grep '^timing:'); echo "$line"
    report decode512 "$line"
    line=$(env $envset timeout 180 "$DEV/bin/xgenmm-run" -m "$FULL" --input-ids "$(ids 4000)" \
      --max-tokens 64 2>&1 | grep '^timing:'); echo "$line"
    report decode4k "$line"
  done
fi

section "done"
echo "results: $RESULTS"
[ "$FAILED" -eq 0 ]
