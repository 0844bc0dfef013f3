// RUN: xgenmm-opt %s -xgenmm-model-summary -o /dev/null | FileCheck %s
// RUN: xgenmm-opt %s -xgenmm-model-summary=output=%t.txt | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s < %t.txt

// Parameters count each checkpoint tensor once even when two functions use
// it; stored dtypes come from the sources; stacks multiply op counts and
// FLOPs by their depth.
// CHECK: == xgenmm model summary ==
// CHECK: component parameters tensors MiB
// 3 layers x 16 x 16, and 8 x 8 counted once although @f and @g both use it.
// CHECK-NEXT: vlm.lang_model 768 3
// CHECK-NEXT: vlm.vision_encoder 64 1
// CHECK-NEXT: total 832 4
// CHECK-NEXT: stored dtypes: bf16 0.0 MiB f32 0.0 MiB
// CHECK-LABEL: == @f
// CHECK: layer stacks: 1 (3 layers)
// 3 layers x 2 x 5 rows x 16 x 16 = 7680, plus 2 x 1 (dynamic) row x 8 x 8 = 128
// CHECK: FLOPs (dynamic dims = 1): 7808 (
// 3 layers x 4 x 2 heads x 8 head_dim
// CHECK: attention FLOPs per query-key pair: 192
// CHECK: xgenmm.linear 4
// CHECK-NEXT: xgenmm.attention 3
// CHECK-NEXT: xgenmm.weight 2
// CHECK-NEXT: xgenmm.layer_stack 1
// CHECK-LABEL: == @g
// CHECK: FLOPs (dynamic dims = 1): 128 (
// CHECK: attention FLOPs per query-key pair: 0

// The IR itself is unchanged.
// IR: func.func @f
// IR: xgenmm.layer_stack layers 3

module {
  func.func @f(%x: tensor<5x16xf32>, %y: tensor<?x8xf32>) -> (tensor<5x16xf32>, tensor<?x8xf32>) {
    %w = xgenmm.weight "vlm.lang_model.layers.{}.w" layers 3 from [
        #xgenmm.source<"a.safetensors", 0, bf16>, #xgenmm.source<"a.safetensors", 512, bf16>,
        #xgenmm.source<"a.safetensors", 1024, bf16>] : tensor<3x16x16xf32>
    %v = xgenmm.weight "vlm.vision_encoder.v" : tensor<8x8xf32>
    %h = xgenmm.layer_stack layers 3 carry(%x : tensor<5x16xf32>) per_layer(%w : tensor<3x16x16xf32>) -> tensor<5x16xf32> {
    ^bb0(%hl: tensor<5x16xf32>, %wl: tensor<16x16xf32>):
      %l = xgenmm.linear %hl, %wl : tensor<5x16xf32>, tensor<16x16xf32> -> tensor<5x16xf32>
      %a = xgenmm.attention %l, %l, %l heads 2 kv_heads 2 head_dim 8 scale 0.35 : tensor<5x16xf32>, tensor<5x16xf32>, tensor<5x16xf32> -> tensor<5x16xf32>
      xgenmm.yield %a : tensor<5x16xf32>
    }
    %z = xgenmm.linear %y, %v : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    return %h, %z : tensor<5x16xf32>, tensor<?x8xf32>
  }
  func.func @g(%y: tensor<?x8xf32>) -> tensor<?x8xf32> {
    %v = xgenmm.weight "vlm.vision_encoder.v" : tensor<8x8xf32>
    %z = xgenmm.linear %y, %v : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    return %z : tensor<?x8xf32>
  }
}
