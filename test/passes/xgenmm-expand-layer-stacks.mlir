// RUN: xgenmm-opt %s -split-input-file -xgenmm-expand-layer-stacks | FileCheck %s
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir -xgenmm-expand-layer-stacks -canonicalize | FileCheck %s --check-prefix=TINY

// Each layer reads its slice of the per-layer operands, the carry threads
// from copy to copy, shared operands are used as they are, and per-layer
// outputs are stacked.
// CHECK-LABEL: func.func @stack
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<2x4x4xf32>, %[[C:.*]]: tensor<2x8x4xf32>, %[[B:.*]]: tensor<4xf32>)
func.func @stack(%x: tensor<?x4xf32>, %w: tensor<2x4x4xf32>, %c: tensor<2x8x4xf32>, %b: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<2x8x4xf32>) {
  // CHECK: %[[W0:.*]] = tensor.extract_slice %[[W]][0, 0, 0] [1, 4, 4] [1, 1, 1] : tensor<2x4x4xf32> to tensor<4x4xf32>
  // CHECK: %[[C0:.*]] = tensor.extract_slice %[[C]][0, 0, 0] [1, 8, 4] [1, 1, 1] : tensor<2x8x4xf32> to tensor<8x4xf32>
  // CHECK: %[[H0:.*]] = xgenmm.linear %[[X]], %[[W0]], %[[B]]
  // CHECK: %[[W1:.*]] = tensor.extract_slice %[[W]][1, 0, 0] [1, 4, 4] [1, 1, 1]
  // CHECK: %[[C1:.*]] = tensor.extract_slice %[[C]][1, 0, 0] [1, 8, 4] [1, 1, 1]
  // CHECK: %[[H1:.*]] = xgenmm.linear %[[H0]], %[[W1]], %[[B]]
  // CHECK: %[[E:.*]] = tensor.empty() : tensor<2x8x4xf32>
  // CHECK: %[[S0:.*]] = tensor.insert_slice %[[C0]] into %[[E]][0, 0, 0] [1, 8, 4] [1, 1, 1]
  // CHECK: %[[S1:.*]] = tensor.insert_slice %[[C1]] into %[[S0]][1, 0, 0] [1, 8, 4] [1, 1, 1]
  // CHECK-NOT: xgenmm.layer_stack
  // CHECK: return %[[H1]], %[[S1]]
  %h, %cs = xgenmm.layer_stack layers 2 carry(%x : tensor<?x4xf32>)
      per_layer(%w, %c : tensor<2x4x4xf32>, tensor<2x8x4xf32>) shared(%b : tensor<4xf32>)
      -> tensor<?x4xf32>, tensor<2x8x4xf32> {
  ^bb0(%hl: tensor<?x4xf32>, %wl: tensor<4x4xf32>, %cl: tensor<8x4xf32>, %bl: tensor<4xf32>):
    %y = xgenmm.linear %hl, %wl, %bl : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    xgenmm.yield %y, %cl : tensor<?x4xf32>, tensor<8x4xf32>
  }
  return %h, %cs : tensor<?x4xf32>, tensor<2x8x4xf32>
}

// -----

// Per-layer outputs with a dynamic size take it from the first layer's value.
// CHECK-LABEL: func.func @dynamic_stacked_result
func.func @dynamic_stacked_result(%x: tensor<?x4xf32>) -> tensor<3x?x4xf32> {
  // CHECK: %[[D:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x4xf32>
  // CHECK: tensor.empty(%[[D]]) : tensor<3x?x4xf32>
  // CHECK-COUNT-3: tensor.insert_slice
  %s = xgenmm.layer_stack layers 3 shared(%x : tensor<?x4xf32>) -> tensor<3x?x4xf32> {
  ^bb0(%xl: tensor<?x4xf32>):
    xgenmm.yield %xl : tensor<?x4xf32>
  }
  return %s : tensor<3x?x4xf32>
}

// The tiny model unrolls to 2 + 2 + 2 + 2 layers, with no stack left.
// TINY-NOT: xgenmm.layer_stack
// TINY-LABEL: func.func @encode_image
// TINY-COUNT-2: xgenmm.gelu tanh
// TINY-COUNT-2: xgenmm.gelu none
// TINY-LABEL: func.func @prefill
// TINY-COUNT-2: xgenmm.swiglu
// TINY-LABEL: func.func @decode
// TINY-COUNT-2: xgenmm.swiglu
// TINY-NOT: xgenmm.layer_stack
