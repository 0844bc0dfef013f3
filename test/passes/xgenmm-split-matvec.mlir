// RUN: xgenmm-opt %s --xgenmm-split-matvec --split-input-file | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-split-matvec=max-parts=2 --split-input-file | FileCheck %s --check-prefix=TWO
// RUN: not xgenmm-opt %s --xgenmm-split-matvec=max-parts=1 --split-input-file 2>&1 | FileCheck %s --check-prefix=BADOPT

#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// A decode product over bf16 weights, K = 96: 8 parts of 12 consecutive
// weight rows, each part's contraction (still marked, now also
// xgenmm.matvec_part) into its own zeroed row of the partial sums, in a
// loop marked for the threads; then the parts added to the original
// accumulator (here the residual %r).
// CHECK-LABEL: func.func @decode_bf16
// CHECK-SAME: (%[[A:.*]]: tensor<1x96xf32>, %[[W:.*]]: tensor<96x40xbf16>, %[[R:.*]]: tensor<1x40xf32>)
// CHECK: %[[P:.*]] = tensor.empty() : tensor<8x1x40xf32>
// CHECK: %[[L:.*]] = scf.for %[[I:.*]] = %c0 to %c8 step %c1 iter_args(%[[ACC:.*]] = %[[P]]) -> (tensor<8x1x40xf32>)
// CHECK: %[[K0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: tensor.extract_slice %[[A]][0, %[[K0]]] [1, 12] [1, 1] : tensor<1x96xf32> to tensor<1x12xf32>
// CHECK: tensor.extract_slice %[[W]][%[[K0]], 0] [12, 40] [1, 1] : tensor<96x40xbf16> to tensor<12x40xbf16>
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[ACC]][%[[I]], 0, 0] [1, 1, 40] [1, 1, 1] : tensor<8x1x40xf32> to tensor<1x40xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[ROW]] : tensor<1x40xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x12xf32>, tensor<12x40xbf16>) outs(%[[Z]] : tensor<1x40xf32>) attrs = {xgenmm.matmul, xgenmm.matvec_part}
// CHECK: arith.extf
// CHECK: tensor.insert_slice %[[G]] into %[[ACC]][%[[I]], 0, 0] [1, 1, 40] [1, 1, 1]
// CHECK: } {xgenmm.parallel}
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[L]] : tensor<8x1x40xf32>) outs(%[[R]] : tensor<1x40xf32>)
// CHECK: arith.addf
// CHECK: return %[[S]]
// With at most two parts: 2 x 48 rows.
// TWO-LABEL: func.func @decode_bf16
// TWO: tensor.empty() : tensor<2x1x40xf32>
// TWO: tensor.extract_slice %{{.*}} : tensor<96x40xbf16> to tensor<48x40xbf16>
// BADOPT: max-parts must be at least 2
func.func @decode_bf16(%a: tensor<1x96xf32>, %w: tensor<96x40xbf16>, %r: tensor<1x40xf32>) -> tensor<1x40xf32> {
  %0 = linalg.generic {indexing_maps = [#a, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x96xf32>, tensor<96x40xbf16>) outs(%r : tensor<1x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x40xf32>
  return %0 : tensor<1x40xf32>
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#o = affine_map<(m, n, k) -> (m, n)>

// Left alone: several rows (prefill), an unmarked product, and a K with no
// divisor leaving 8 rows per part (13 is prime).
// CHECK-LABEL: func.func @not_split
// CHECK-NOT: scf.for
// CHECK-NOT: xgenmm.matvec_part
// CHECK: return
func.func @not_split(%a: tensor<4x96xf32>, %w: tensor<96x40xf32>, %o4: tensor<4x40xf32>,
                     %a1: tensor<1x96xf32>, %o1: tensor<1x40xf32>,
                     %a13: tensor<1x13xf32>, %w13: tensor<13x40xf32>) -> (tensor<4x40xf32>, tensor<1x40xf32>, tensor<1x40xf32>) {
  %0 = linalg.generic {indexing_maps = [#a, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<4x96xf32>, tensor<96x40xf32>) outs(%o4 : tensor<4x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x40xf32>
  %1 = linalg.generic {indexing_maps = [#a, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a1, %w : tensor<1x96xf32>, tensor<96x40xf32>) outs(%o1 : tensor<1x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x40xf32>
  %2 = linalg.generic {indexing_maps = [#a, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a13, %w13 : tensor<1x13xf32>, tensor<13x40xf32>) outs(%o1 : tensor<1x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x40xf32>
  return %0, %1, %2 : tensor<4x40xf32>, tensor<1x40xf32>, tensor<1x40xf32>
}
