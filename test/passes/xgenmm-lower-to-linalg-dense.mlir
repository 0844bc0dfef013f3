// RUN: xgenmm-opt %s -split-input-file -xgenmm-lower-to-linalg | FileCheck %s

// A linear layer is one contraction over the flattened leading dimensions,
// accumulating into the broadcast bias; bf16 weights are extended in the body.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<?x5x6xf32> into tensor<?x6xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], {{.*}}], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<7xf32>)
// CHECK: %[[MM:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[W]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %{{.*}} : tensor<?x6xf32>, tensor<7x6xbf16>) outs(%[[INIT]] : tensor<?x7xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [%{{.*}}, 5, 7]
// CHECK-NOT: xgenmm.linear
func.func @linear(%x: tensor<?x5x6xf32>, %w: tensor<7x6xbf16>, %b: tensor<7xf32>) -> tensor<?x5x7xf32> {
  %y = xgenmm.linear %x, %w, %b : tensor<?x5x6xf32>, tensor<7x6xbf16>, tensor<7xf32> -> tensor<?x5x7xf32>
  return %y : tensor<?x5x7xf32>
}

// -----

// Without a bias the accumulator starts at zero.
// CHECK-LABEL: func.func @linear_no_bias
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x7xf32>)
// CHECK: linalg.generic {{.*}} outs(%[[Z]] : tensor<?x7xf32>)
func.func @linear_no_bias(%x: tensor<?x6xf32>, %w: tensor<7x6xf32>) -> tensor<?x7xf32> {
  %y = xgenmm.linear %x, %w : tensor<?x6xf32>, tensor<7x6xf32> -> tensor<?x7xf32>
  return %y : tensor<?x7xf32>
}

// -----

// The decoupled head multiplies only the first base_vocab rows of the base
// weight, then concatenates the added-token logits.
// CHECK-LABEL: func.func @lm_head
// CHECK-DAG: %[[W:.*]] = tensor.extract_slice %{{.*}}[0, 0] [18, 8] [1, 1] : tensor<20x8xf32> to tensor<18x8xf32>
// CHECK-DAG: %[[B:.*]] = tensor.extract_slice %{{.*}}[0] [18] [1] : tensor<20xf32> to tensor<18xf32>
// CHECK: linalg.generic {{.*}} ins(%[[B]] : tensor<18xf32>)
// CHECK: %[[BASE:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x8xf32>, tensor<18x8xf32>) outs(%{{.*}} : tensor<1x18xf32>)
// CHECK: %[[EXTRA:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<3x8xf32>) outs(%{{.*}} : tensor<1x3xf32>)
// CHECK: tensor.concat dim(1) %[[BASE]], %[[EXTRA]] : (tensor<1x18xf32>, tensor<1x3xf32>) -> tensor<1x21xf32>
func.func @lm_head(%h: tensor<1x8xf32>, %w: tensor<20x8xf32>, %b: tensor<20xf32>,
                   %wa: tensor<3x8xf32>, %ba: tensor<3xf32>) -> tensor<1x21xf32> {
  %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 18
      : tensor<1x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<1x21xf32>
  return %l : tensor<1x21xf32>
}

// -----

// Patch embedding: an im2col gather (index arithmetic + tensor.extract), one
// contraction with the [C, Cin*p*p] weight, then + position embedding.
// CHECK-LABEL: func.func @patch_embed
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x4x588xf32>)
// CHECK: linalg.index 0
// CHECK: tensor.extract %{{.*}}[{{.*}}] : tensor<?x3x30x30xf32>
// CHECK: %[[W2:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<12x3x14x14xf32> into tensor<12x588xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[W2]] : tensor<?x588xf32>, tensor<12x588xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x4x12xf32>, tensor<4x12xf32>)
// CHECK: arith.addf
func.func @patch_embed(%px: tensor<?x3x30x30xf32>, %w: tensor<12x3x14x14xf32>,
                       %b: tensor<12xf32>, %pos: tensor<4x12xf32>) -> tensor<?x4x12xf32> {
  %e = xgenmm.patch_embed %px, %w, %b, %pos
      : tensor<?x3x30x30xf32>, tensor<12x3x14x14xf32>, tensor<12xf32>, tensor<4x12xf32> -> tensor<?x4x12xf32>
  return %e : tensor<?x4x12xf32>
}

// -----

// A residual connection: the contraction accumulates onto h + b, so the add
// has no pass of its own.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[H:[^:]*]]: tensor<?x7xf32>, %[[X:[^:]*]]: tensor<?x6xf32>, %[[W:[^:]*]]: tensor<7x6xf32>, %[[B:[^:]*]]: tensor<7xf32>)
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[B]] : tensor<?x7xf32>, tensor<7xf32>) outs(%{{.*}} : tensor<?x7xf32>)
// CHECK: arith.addf
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[W]] : tensor<?x6xf32>, tensor<7x6xf32>) outs(%[[INIT]] : tensor<?x7xf32>)
// CHECK-NEXT: ^bb0
// CHECK: return %[[MM]]
func.func @residual(%h: tensor<?x7xf32>, %x: tensor<?x6xf32>, %w: tensor<7x6xf32>, %b: tensor<7xf32>) -> tensor<?x7xf32> {
  %y = xgenmm.linear %x, %w, %b : tensor<?x6xf32>, tensor<7x6xf32>, tensor<7xf32> -> tensor<?x7xf32>
  %r = xgenmm.add %h, %y : tensor<?x7xf32>, tensor<?x7xf32>
  return %r : tensor<?x7xf32>
}

// -----

// A linear result used twice is not folded into one of its uses.
// CHECK-LABEL: func.func @residual_shared
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[MM]] : tensor<?x7xf32>, tensor<?x7xf32>)
// CHECK: arith.addf
func.func @residual_shared(%h: tensor<?x7xf32>, %x: tensor<?x6xf32>, %w: tensor<7x6xf32>)
    -> (tensor<?x7xf32>, tensor<?x7xf32>) {
  %y = xgenmm.linear %x, %w : tensor<?x6xf32>, tensor<7x6xf32> -> tensor<?x7xf32>
  %r = xgenmm.add %h, %y : tensor<?x7xf32>, tensor<?x7xf32>
  return %r, %y : tensor<?x7xf32>, tensor<?x7xf32>
}

// -----

// GELU of a single-use linear: an in-place epilogue over the contraction's
// [M, N] result, marked for xgenmm-fuse-epilogues, before the reshape back.
// CHECK-LABEL: func.func @gelu_epilogue
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#{{.*}}], iterator_types = ["parallel", "parallel"]} outs(%[[MM]] : tensor<?x7xf32>) attrs = {xgenmm.epilogue}
// CHECK: math.tanh
// CHECK: tensor.expand_shape %[[G]]
// CHECK-NOT: linalg.generic
func.func @gelu_epilogue(%x: tensor<?x5x6xf32>, %w: tensor<7x6xf32>, %b: tensor<7xf32>) -> tensor<?x5x7xf32> {
  %y = xgenmm.linear %x, %w, %b : tensor<?x5x6xf32>, tensor<7x6xf32>, tensor<7xf32> -> tensor<?x5x7xf32>
  %g = xgenmm.gelu tanh %y : tensor<?x5x7xf32>
  return %g : tensor<?x5x7xf32>
}

// -----

// A linear whose result has other uses keeps its own GELU generic.
// CHECK-LABEL: func.func @gelu_shared
// CHECK-NOT: xgenmm.epilogue
// CHECK: math.erf
func.func @gelu_shared(%x: tensor<?x6xf32>, %w: tensor<7x6xf32>) -> (tensor<?x7xf32>, tensor<?x7xf32>) {
  %y = xgenmm.linear %x, %w : tensor<?x6xf32>, tensor<7x6xf32> -> tensor<?x7xf32>
  %g = xgenmm.gelu none %y : tensor<?x7xf32>
  return %g, %y : tensor<?x7xf32>, tensor<?x7xf32>
}
