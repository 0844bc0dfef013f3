// RUN: xgenmm-opt %s -split-input-file -xgenmm-lower-to-linalg | FileCheck %s

// The right operand of add broadcasts over the leading dimensions.
// CHECK-DAG: #[[TRAIL:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @add
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[TRAIL]], #{{.*}}], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x?x6xf32>, tensor<?x6xf32>)
// CHECK: arith.addf
func.func @add(%x: tensor<2x?x6xf32>, %r: tensor<?x6xf32>) -> tensor<2x?x6xf32> {
  %a = xgenmm.add %x, %r : tensor<2x?x6xf32>, tensor<?x6xf32>
  return %a : tensor<2x?x6xf32>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK-DAG: %[[RSQRT2:.*]] = arith.constant 0.707106769 : f32
// CHECK-DAG: %[[SQRT2PI:.*]] = arith.constant 0.797884583 : f32
// CHECK-DAG: %[[C:.*]] = arith.constant 4.471500e-02 : f32
// tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[C]] : f32
// CHECK: arith.mulf %{{.*}}, %[[SQRT2PI]] : f32
// CHECK: math.tanh
// exact: 0.5 x (1 + erf(x / sqrt 2))
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[RSQRT2]]
// CHECK: math.erf
func.func @gelu(%x: tensor<?x6xf32>) -> (tensor<?x6xf32>, tensor<?x6xf32>) {
  %t = xgenmm.gelu tanh %x : tensor<?x6xf32>
  %e = xgenmm.gelu none %x : tensor<?x6xf32>
  return %t, %e : tensor<?x6xf32>, tensor<?x6xf32>
}

// -----

// SwiGLU reads the gate half and the up half as slices: silu(g) * u.
// CHECK-LABEL: func.func @swiglu
// CHECK-DAG: %[[G:.*]] = tensor.extract_slice %{{.*}}[0, 0] [%{{.*}}, 5] [1, 1] : tensor<?x10xf32> to tensor<?x5xf32>
// CHECK-DAG: %[[U:.*]] = tensor.extract_slice %{{.*}}[0, 5] [%{{.*}}, 5] [1, 1] : tensor<?x10xf32> to tensor<?x5xf32>
// CHECK: linalg.generic {{.*}} ins(%[[G]], %[[U]] : tensor<?x5xf32>, tensor<?x5xf32>)
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf
func.func @swiglu(%x: tensor<?x10xf32>) -> tensor<?x5xf32> {
  %s = xgenmm.swiglu %x : tensor<?x10xf32> -> tensor<?x5xf32>
  return %s : tensor<?x5xf32>
}

// -----

// Split parts are column slices at their offsets.
// CHECK-LABEL: func.func @split
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0] [%{{.*}}, 8] [1, 1] : tensor<?x12xf32> to tensor<?x8xf32>
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 8] [%{{.*}}, 2] [1, 1] : tensor<?x12xf32> to tensor<?x2xf32>
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 10] [%{{.*}}, 2] [1, 1] : tensor<?x12xf32> to tensor<?x2xf32>
func.func @split(%x: tensor<?x12xf32>) -> (tensor<?x8xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %q, %k, %v = xgenmm.split %x : tensor<?x12xf32> -> tensor<?x8xf32>, tensor<?x2xf32>, tensor<?x2xf32>
  return %q, %k, %v : tensor<?x8xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast
// CHECK-SAME: (%[[L:.*]]: tensor<4x6xf32>, %[[N:.*]]: index)
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<2x?x4x6xf32>
// CHECK: linalg.broadcast ins(%[[L]] : tensor<4x6xf32>) outs(%[[E]] : tensor<2x?x4x6xf32>) dimensions = [0, 1]
func.func @broadcast(%l: tensor<4x6xf32>, %n: index) -> tensor<2x?x4x6xf32> {
  %b = xgenmm.broadcast %l [%n] : tensor<4x6xf32> -> tensor<2x?x4x6xf32>
  return %b : tensor<2x?x4x6xf32>
}
