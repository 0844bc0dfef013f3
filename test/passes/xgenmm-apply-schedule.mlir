// RUN: xgenmm-opt %s -xgenmm-apply-schedule=entry-point=xgenmm_lower_vec | FileCheck %s
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir -xgenmm-bind-weights -xgenmm-lower-to-linalg -canonicalize -cse -xgenmm-transpose-dense-weights -xgenmm-apply-schedule=entry-point=xgenmm_tile_cache -xgenmm-apply-schedule | FileCheck %s --check-prefix=MODEL
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir -xgenmm-bind-weights -xgenmm-lower-to-linalg -canonicalize -cse -xgenmm-transpose-dense-weights -xgenmm-fuse-epilogues -canonicalize -xgenmm-apply-schedule=entry-point=xgenmm_tile_cache -xgenmm-apply-schedule | FileCheck %s --check-prefix=FUSED
// RUN: not xgenmm-opt %s -xgenmm-apply-schedule=entry-point=nope 2>&1 | FileCheck %s --check-prefix=NOENTRY
// RUN: not xgenmm-opt %s -xgenmm-apply-schedule=schedule=tpu 2>&1 | FileCheck %s --check-prefix=NOSCHED

// xgenmm_lower_vec, after bufferization: a register-tile contraction
// becomes one broadcast and one FMA per row (an outer product per k).
// CHECK-LABEL: func.func @contract
// CHECK-NOT: vector.contract
// CHECK: %[[A0:.*]] = vector.extract %arg0[0, 0] : f32 from vector<2x1xf32>
// CHECK: %[[B0:.*]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// CHECK: vector.fma %[[B0]], %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[A1:.*]] = vector.extract %arg0[1, 0] : f32 from vector<2x1xf32>
// CHECK: %[[B1:.*]] = vector.broadcast %[[A1]] : f32 to vector<16xf32>
// CHECK: vector.fma %[[B1]], %{{.*}}, %{{.*}} : vector<16xf32>

// On the hand-written tiny model, every dense contraction is marked and
// vectorized by xgenmm_tile_vec: none is left as a linalg op.
// MODEL: vector.contract
// MODEL-NOT: xgenmm.matmul

// With the epilogues fused first (as in the pipeline), the resampler's
// GELU is applied per cache tile, right after that tile's register-tile
// contractions, inside the same loop.
// FUSED-LABEL: func.func private @encode_image
// FUSED: scf.for %{{.*}} step %c768 iter_args(%{{.*}}) -> (tensor<?x40xf32>)
// FUSED: vector.contract {{.*}} into vector<8x32xf32>
// FUSED-NOT: return
// FUSED: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x40xf32>) attrs = {xgenmm.epilogue}
// FUSED-NEXT: ^bb0
// FUSED: math.tanh
// FUSED: tensor.insert_slice
// FUSED: scf.yield

// NOENTRY: error: xgenmm-apply-schedule: schedule 'cpu' has no named sequence 'nope'
// NOSCHED: error: xgenmm-apply-schedule: unknown schedule 'tpu' (known: cpu, gpu)

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
func.func @contract(%a: vector<2x1xf32>, %b: vector<1x16xf32>, %c: vector<2x16xf32>) -> vector<2x16xf32> {
  %r = vector.contract {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>
  return %r : vector<2x16xf32>
}
