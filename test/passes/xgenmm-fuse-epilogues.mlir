// RUN: xgenmm-opt %s --xgenmm-fuse-epilogues --canonicalize | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-fuse-epilogues=tile-n=64 --canonicalize | FileCheck %s --check-prefix=N64
// RUN: not xgenmm-opt %s --xgenmm-fuse-epilogues=tile-m=0 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: xgenmm-fuse-epilogues: tile sizes must be positive

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
#I = affine_map<(m, n) -> (m, n)>
#R = affine_map<(m, n) -> (n)>

// fc1 of a dense layer with a GELU-like epilogue, N = 300 = 3 x 96 + 12:
// one loop nest over 768 x 96 tiles holding the bias broadcast, the
// contraction and the epilogue; the partial last column tile (12) peeled
// into a loop of its own with static widths. The producer of the
// contraction's input (the scaling generic) is not fused: it is computed
// once, before the loops. The column tiles are marked to be shared among
// threads (xgenmm-parallelize-loops).
// CHECK-LABEL: func.func @fc1
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x48xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} step %c768
// CHECK: scf.for %{{.*}} = %c0 to %c288 step %c96
// CHECK: tensor.extract_slice %[[X]]
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<96xf32>) outs(%{{.*}} : tensor<?x96xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x96xf32>) attrs = {xgenmm.matmul}
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x96xf32>) attrs = {xgenmm.epilogue}
// CHECK: } {xgenmm.parallel}
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<12xf32>) outs(%{{.*}} : tensor<?x12xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x12xf32>) attrs = {xgenmm.matmul}
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x12xf32>) attrs = {xgenmm.epilogue}
// CHECK-NOT: linalg.generic
// CHECK: return

// N64: scf.for %{{.*}} = %c0 to %c256 step %c64
// N64: tensor<?x64xf32>) attrs = {xgenmm.matmul}
// N64: tensor<?x44xf32>) attrs = {xgenmm.matmul}
func.func @fc1(%a: tensor<?x48xf32>, %w: tensor<48x300xf32>, %b: tensor<300xf32>) -> tensor<?x300xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x48xf32>
  %ex = tensor.empty(%m) : tensor<?x48xf32>
  %x = linalg.generic {indexing_maps = [#I, #I], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x48xf32>) outs(%ex : tensor<?x48xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<?x48xf32>
  %e = tensor.empty(%m) : tensor<?x300xf32>
  %init = linalg.generic {indexing_maps = [#R, #I], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<300xf32>) outs(%e : tensor<?x300xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x300xf32>
  %mm = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x48xf32>, tensor<48x300xf32>) outs(%init : tensor<?x300xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %t = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  } -> tensor<?x300xf32>
  %g = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%mm : tensor<?x300xf32>) attrs = {xgenmm.epilogue} {
  ^bb0(%v: f32):
    %t = math.tanh %v : f32
    %s = arith.mulf %v, %t : f32
    linalg.yield %s : f32
  } -> tensor<?x300xf32>
  return %g : tensor<?x300xf32>
}

// An epilogue that does not sit on a marked contraction is left alone.
// CHECK-LABEL: func.func @unmarked
// CHECK-NOT: scf.for
// CHECK: attrs = {xgenmm.epilogue}
func.func @unmarked(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %g = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%a : tensor<?x8xf32>) attrs = {xgenmm.epilogue} {
  ^bb0(%v: f32):
    %t = math.tanh %v : f32
    linalg.yield %t : f32
  } -> tensor<?x8xf32>
  return %g : tensor<?x8xf32>
}
