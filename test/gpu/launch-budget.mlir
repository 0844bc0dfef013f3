// Kernel launches per call of each entry point of the full-size r-v1.5
// graph (test/models/r-v1.5.mlir), counted on the host code after the last
// kernel pass (every gpu.launch once per iteration of the layer loops
// around it; encode per crop batch, prefill per prompt, decode per token).
// Decode is launch-bound (hundreds of kernels of a few microseconds per
// token): these budgets keep the launch count from creeping back up. The
// counts when set (2026-11-29): decode 424, prefill 393, encode 439 (before
// the launch-saving passes: 843, 844, 1024).
// RUN: xgenmm-opt %xgenmm_src_root/test/models/r-v1.5.mlir --xgenmm-gpu-pipeline="chip=sm_90" \
// RUN:   --mlir-print-ir-after=xgenmm-gpu-map-loops -o /dev/null 2> %t.mlir
// RUN: %python %S/Inputs/count_launches.py %t.mlir xgenmm_decode=424 xgenmm_prefill=393 \
// RUN:   xgenmm_encode_image=439 | FileCheck %s
// CHECK: xgenmm_decode: {{[0-9]+}} launches ({{.*}}flash_attention=32{{.*}}), budget 424: ok
// CHECK: xgenmm_encode_image: {{[0-9]+}} launches ({{.*}}flash_attention=33{{.*}}), budget 439: ok
// CHECK: xgenmm_prefill: {{[0-9]+}} launches ({{.*}}flash_attention=32{{.*}}), budget 393: ok
