// RUN: xgenmm-opt %s -split-input-file -xgenmm-lower-to-linalg | FileCheck %s

// A stack is one loop: weights sliced at the loop index, the KV cache
// carried and updated in place (it starts from the cache operand and each
// layer reads its slice from the carried tensor), other stacked outputs
// assembled with insert_slice.
// CHECK-LABEL: func.func @stack
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>, %[[W:[^:]*]]: tensor<3x8x8xf32>, %[[KC:[^:]*]]: tensor<3x16x8xf32>, %[[VC:[^:]*]]: tensor<3x16x8xf32>, %[[P:[^:]*]]: index)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<3x8xf32>
// CHECK: %[[LOOP:.*]]:4 = scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H:.*]] = %[[X]], %[[KCI:.*]] = %[[KC]], %[[VCI:.*]] = %[[VC]], %[[ROWS:.*]] = %[[EMPTY]])
// CHECK: %[[WL:.*]] = tensor.extract_slice %[[W]][%[[L]], 0, 0] [1, 8, 8] [1, 1, 1] : tensor<3x8x8xf32> to tensor<8x8xf32>
// CHECK: %[[KCL:.*]] = tensor.extract_slice %[[KCI]][%[[L]], 0, 0] [1, 16, 8] [1, 1, 1] : tensor<3x16x8xf32> to tensor<16x8xf32>
// CHECK: %[[VCL:.*]] = tensor.extract_slice %[[VCI]][%[[L]], 0, 0] [1, 16, 8]
// CHECK: tensor.insert_slice %{{.*}} into %[[KCL]][%[[P]], 0]
// CHECK: %[[KN:.*]] = tensor.insert_slice %{{.*}} into %[[KCI]][%[[L]], 0, 0] [1, 16, 8] [1, 1, 1]
// CHECK: %[[VN:.*]] = tensor.insert_slice %{{.*}} into %[[VCI]][%[[L]], 0, 0] [1, 16, 8] [1, 1, 1]
// CHECK: %[[RN:.*]] = tensor.insert_slice %{{.*}} into %[[ROWS]][%[[L]], 0] [1, 8] [1, 1]
// CHECK: scf.yield %{{.*}}, %[[KN]], %[[VN]], %[[RN]]
// CHECK: return %[[LOOP]]#0, %[[LOOP]]#1, %[[LOOP]]#2, %[[LOOP]]#3
func.func @stack(%x: tensor<?x8xf32>, %w: tensor<3x8x8xf32>, %kc: tensor<3x16x8xf32>,
                 %vc: tensor<3x16x8xf32>, %p: index)
    -> (tensor<?x8xf32>, tensor<3x16x8xf32>, tensor<3x16x8xf32>, tensor<3x8xf32>) {
  %h, %kcs, %vcs, %rows = xgenmm.layer_stack layers 3 carry(%x : tensor<?x8xf32>)
      per_layer(%w, %kc, %vc : tensor<3x8x8xf32>, tensor<3x16x8xf32>, tensor<3x16x8xf32>)
      shared(%p : index) -> tensor<?x8xf32>, tensor<3x16x8xf32>, tensor<3x16x8xf32>, tensor<3x8xf32> {
  ^bb0(%hl: tensor<?x8xf32>, %wl: tensor<8x8xf32>, %kcl: tensor<16x8xf32>, %vcl: tensor<16x8xf32>, %pl: index):
    %y = xgenmm.linear %hl, %wl : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    %o, %kn, %vn = xgenmm.attention %y, %y, %y cache(%kcl, %vcl : tensor<16x8xf32>, tensor<16x8xf32> at %pl)
        heads 2 kv_heads 2 head_dim 4 scale 0.5 causal
        : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>
    %row = tensor.extract_slice %wl[0, 0] [1, 8] [1, 1] : tensor<8x8xf32> to tensor<8xf32>
    xgenmm.yield %o, %kn, %vn, %row : tensor<?x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8xf32>
  }
  return %h, %kcs, %vcs, %rows : tensor<?x8xf32>, tensor<3x16x8xf32>, tensor<3x16x8xf32>, tensor<3x8xf32>
}

// -----

// The whole hand-written tiny model lowers; only weights stay xgenmm ops.
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir -xgenmm-lower-to-linalg | FileCheck %s --check-prefix=TINY
// TINY-NOT: xgenmm.{{(linear|layer_norm|rms_norm|attention|layer_stack|rope|embed|splice|lm_head|anyres_regroup|patch_embed|gelu|swiglu|split|broadcast|add) }}
// TINY: func.func @encode_image
// TINY: scf.for
// TINY: func.func @prefill
// TINY: scf.for
// TINY: func.func @decode
// TINY: scf.for
// TINY-NOT: xgenmm.{{(linear|layer_norm|rms_norm|attention|layer_stack|rope|embed|splice|lm_head|anyres_regroup|patch_embed|gelu|swiglu|split|broadcast|add) }}

