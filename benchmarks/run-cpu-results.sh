#!/bin/bash
# The CPU figures of benchmarks/RESULTS.md in one run (issue 6), on an idle
# machine: the full-size random checkpoint (real r-v1.5 shapes), its bf16
# artifacts (fp32 matrix products, and AVX512-BF16 dot products where the
# CPU has them), the kernels and the model stages at 1 and at N threads with
# the machine's limits measured in the same programs, then the peers.
#   benchmarks/run-cpu-results.sh [OUT_DIR] [--no-peers]
# Needs a build (scripts/build.sh); the peer comparison needs
# benchmarks/requirements-peers.txt and ~20 GB of memory. Writes
# OUT_DIR/*.txt (default /tmp/xgenmm-cpu-results).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/xgenmm-cpu-results}
peers=1
[[ "${2:-}" == "--no-peers" || "${1:-}" == "--no-peers" ]] && peers=0
[[ "$out" == "--no-peers" ]] && out=/tmp/xgenmm-cpu-results
threads=$(nproc)
ckpt=${XGENMM_FULLSIZE:-/tmp/fullsize}
# The binaries (a copy lets the tree be rebuilt while this runs).
bin=${XGENMM_BIN:-build/bin}
mkdir -p "$out"
[[ -f "$ckpt/config.json" ]] || python3 test/reference/make_fixtures.py --full-size "$ckpt"
arts=(bf16)
/usr/bin/time -v "$bin"/xgenmm-compile "$ckpt" -o /tmp/xgenmm-full-bf16 --dtype bf16 \
  2> "$out/compile-bf16.txt" >/dev/null
# The language model's dense layers int8 (groups of 32), the rest bf16.
"$bin"/xgenmm-compile "$ckpt" -o /tmp/xgenmm-full-int8 --dtype bf16 --weights int8 \
  > "$out/compile-int8.txt" 2>&1
if grep -q avx512_bf16 /proc/cpuinfo; then
  "$bin"/xgenmm-compile "$ckpt" -o /tmp/xgenmm-full-bf16dot --dtype bf16 \
    --matmul-precision bf16 > /dev/null
  arts+=(bf16dot)
fi
for t in 1 "$threads"; do
  OMP_NUM_THREADS=$t "$bin"/xgenmm-bench-matmul > "$out/kernels-$t.txt" 2>&1
  # Prefill of 1024 tokens (about a minute) and decode after 2048 (whose
  # prefill takes minutes on one thread) at N threads only; the int8
  # artifact's vision side is the bf16 one's: no encode.
  filter='encode|prefill/16(/|$)|decode/context/(16|512)/'
  [[ $t != 1 ]] && filter='encode|prefill/16(/|$)|prefill/1024(/|$)|decode'
  for a in "${arts[@]}" int8; do
    [[ $a == int8 ]] && filter=${filter#encode|}
    XGENMM_BENCH_THREADS=$t XGENMM_BENCH_ARTIFACT=/tmp/xgenmm-full-$a \
      "$bin"/xgenmm-model-bench --benchmark_min_time=0 \
      --benchmark_filter="$filter" > "$out/model-$a-$t.txt" 2>&1
  done
done
if [[ $peers == 1 ]]; then
  python3 benchmarks/compare_peers.py --checkpoint "$ckpt" \
    --artifact-bf16 /tmp/xgenmm-full-"${arts[-1]}" --model-bench "$bin"/xgenmm-model-bench --threads "$threads" --reps 2 \
    --prefill-tokens 16 --decode-context 16,512 --json-out "$out/peers.json" \
    > "$out/peers.txt" 2>&1
fi
grep -h -E "machine|peak|bandwidth|Elapsed|Maximum resident|^BM_|^encode|^prefill|^decode|^\|" "$out"/*.txt
