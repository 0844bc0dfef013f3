// Folders and canonicalization patterns of the xgenmm dialect.
// RUN: xgenmm-opt %s -split-input-file -canonicalize | FileCheck %s

// CHECK-LABEL: func.func @linear_zero_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<6x4xf32>)
func.func @linear_zero_bias(%x: tensor<?x4xf32>, %w: tensor<6x4xf32>) -> tensor<?x6xf32> {
  %zero = arith.constant dense<0.0> : tensor<6xf32>
  // CHECK: %[[Y:.*]] = xgenmm.linear %[[X]], %[[W]] : tensor<?x4xf32>, tensor<6x4xf32> -> tensor<?x6xf32>
  // CHECK-NEXT: return %[[Y]]
  %y = xgenmm.linear %x, %w, %zero : tensor<?x4xf32>, tensor<6x4xf32>, tensor<6xf32> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// A non-zero bias stays.
// CHECK-LABEL: func.func @linear_nonzero_bias
func.func @linear_nonzero_bias(%x: tensor<?x4xf32>, %w: tensor<6x4xf32>) -> tensor<?x6xf32> {
  %b = arith.constant dense<0.5> : tensor<6xf32>
  // CHECK: xgenmm.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<6x4xf32>, tensor<6xf32>
  %y = xgenmm.linear %x, %w, %b : tensor<?x4xf32>, tensor<6x4xf32>, tensor<6xf32> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>)
func.func @add_zero(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  // CHECK-NEXT: return %[[X]]
  %y = xgenmm.add %x, %zero : tensor<2x4xf32>, tensor<4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @split_one
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
func.func @split_one(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // CHECK-NEXT: return %[[X]]
  %y = xgenmm.split %x : tensor<?x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_identity
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>)
func.func @broadcast_identity(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // CHECK-NEXT: return %[[X]]
  %y = xgenmm.broadcast %x : tensor<3x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @splice_no_vision
// CHECK-SAME: (%[[E:.*]]: tensor<?x8xf32>, %{{.*}}: tensor<?xi32>, %{{.*}}: tensor<0x8xf32>)
func.func @splice_no_vision(%e: tensor<?x8xf32>, %ids: tensor<?xi32>, %v: tensor<0x8xf32>) -> tensor<?x8xf32> {
  // CHECK-NEXT: return %[[E]]
  %s = xgenmm.splice %e, %ids, %v image_token 7 : tensor<?x8xf32>, tensor<?xi32>, tensor<0x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// Weights nobody reads are erased (weights are Pure).
// CHECK-LABEL: func.func @dead_weight
func.func @dead_weight() {
  // CHECK-NOT: xgenmm.weight
  %w = xgenmm.weight "unused" : tensor<4x4xf32>
  return
}

// -----

// Per-layer and shared inputs the body never reads are dropped, and so are
// the weights that only fed them.
// CHECK-LABEL: func.func @stack_unused_inputs
func.func @stack_unused_inputs(%x: tensor<?x4xf32>, %p: index, %m: tensor<4xi1>) -> tensor<?x4xf32> {
  // CHECK: %[[W:.*]] = xgenmm.weight "used.{}" layers 2
  // CHECK-NOT: xgenmm.weight "unused.{}"
  %w = xgenmm.weight "used.{}" layers 2 : tensor<2x4x4xf32>
  %u = xgenmm.weight "unused.{}" layers 2 : tensor<2x4xf32>
  // CHECK: xgenmm.layer_stack layers 2 carry(%{{.*}} : tensor<?x4xf32>) per_layer(%[[W]] : tensor<2x4x4xf32>) -> tensor<?x4xf32> {
  // CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x4xf32>, %[[WL:.*]]: tensor<4x4xf32>):
  // CHECK-NEXT: xgenmm.linear %[[H]], %[[WL]]
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<?x4xf32>)
      per_layer(%u, %w : tensor<2x4xf32>, tensor<2x4x4xf32>)
      shared(%p, %m : index, tensor<4xi1>) -> tensor<?x4xf32> {
  ^bb0(%hl: tensor<?x4xf32>, %ul: tensor<4xf32>, %wl: tensor<4x4xf32>, %pl: index, %ml: tensor<4xi1>):
    %y = xgenmm.linear %hl, %wl : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    xgenmm.yield %y : tensor<?x4xf32>
  }
  return %h : tensor<?x4xf32>
}

// -----

// A stack whose inputs are all used is left alone.
// CHECK-LABEL: func.func @stack_all_used
func.func @stack_all_used(%x: tensor<?x4xf32>, %w: tensor<2x4x4xf32>) -> tensor<?x4xf32> {
  // CHECK: per_layer(%{{.*}} : tensor<2x4x4xf32>)
  %h = xgenmm.layer_stack layers 2 carry(%x : tensor<?x4xf32>) per_layer(%w : tensor<2x4x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%hl: tensor<?x4xf32>, %wl: tensor<4x4xf32>):
    %y = xgenmm.linear %hl, %wl : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    xgenmm.yield %y : tensor<?x4xf32>
  }
  return %h : tensor<?x4xf32>
}
