// RUN: xgenmm-opt %s -xgenmm-bind-weights | FileCheck %s
// RUN: xgenmm-opt %s -xgenmm-bind-weights=dtype=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not xgenmm-opt %s -xgenmm-bind-weights=dtype=f8 2>&1 | FileCheck %s --check-prefix=BAD

// Each name gets one slot (the second @prefill read of "head.w" reuses it),
// 64-byte aligned: 3*4*4*4 = 192 bytes, then 4*4*4 = 64, 6*4 = 24 (at 256),
// 6*4*4 = 96 (at 320), 416 in all, padded to 448.
// CHECK: module attributes {xgenmm.weight_bytes = 448 : i64, xgenmm.weight_layout = [
// CHECK-SAME: {bytes = 192 : i64, layers = 3 : i64, name = "l.{}.w", offset = 0 : i64, type = tensor<3x4x4xf32>},
// CHECK-SAME: {bytes = 64 : i64, name = "v.latents", offset = 192 : i64, type = tensor<4x4xf32>},
// CHECK-SAME: {bytes = 24 : i64, name = "n.bias", offset = 256 : i64, sources = [#xgenmm.source<"m.safetensors", 8, bf16>], type = tensor<6xf32>},
// CHECK-SAME: {bytes = 96 : i64, name = "head.w", offset = 320 : i64, type = tensor<6x4xf32>}]}

// Entry points become private until exported; the weights arrive as a
// leading byte buffer and each weight is a view of it.
// CHECK-LABEL: func.func private @encode_image(%arg0: memref<?xi8>, %arg1: tensor<?x4xf32>)
// CHECK: %[[OFF:.*]] = arith.constant 0 : index
// CHECK: %[[VIEW:.*]] = memref.view %arg0[%[[OFF]]][] : memref<?xi8> to memref<3x4x4xf32>
// CHECK: %[[W:.*]] = bufferization.to_tensor %[[VIEW]] restrict : memref<3x4x4xf32> to tensor<3x4x4xf32>
// CHECK: xgenmm.layer_stack layers 3 carry(%{{.*}} : tensor<?x4xf32>) per_layer(%[[W]] : tensor<3x4x4xf32>)
// CHECK-NOT: xgenmm.weight

// Matrices are stored in bf16 (the stack's block argument follows), vectors
// and the resampler latents (activations) in f32.
// BF16: xgenmm.weight_bytes = 320 : i64
// BF16-SAME: {bytes = 96 : i64, layers = 3 : i64, name = "l.{}.w", offset = 0 : i64, type = tensor<3x4x4xbf16>}
// BF16-SAME: {bytes = 64 : i64, name = "v.latents", offset = 128 : i64, type = tensor<4x4xf32>}
// BF16-SAME: name = "n.bias", offset = 192 : i64, {{.*}}type = tensor<6xf32>}
// BF16-SAME: {bytes = 48 : i64, name = "head.w", offset = 256 : i64, type = tensor<6x4xbf16>}
// BF16: ^bb0(%{{.*}}: tensor<?x4xf32>, %{{.*}}: tensor<4x4xbf16>):

// BAD: xgenmm-bind-weights: dtype must be f32, bf16 or stored, got 'f8'

module {
  func.func @encode_image(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = xgenmm.weight "l.{}.w" layers 3 : tensor<3x4x4xf32>
    %h = xgenmm.layer_stack layers 3 carry(%x : tensor<?x4xf32>) per_layer(%w : tensor<3x4x4xf32>) -> tensor<?x4xf32> {
    ^bb0(%hl: tensor<?x4xf32>, %wl: tensor<4x4xf32>):
      %y = xgenmm.linear %hl, %wl : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
      xgenmm.yield %y : tensor<?x4xf32>
    }
    %lat = xgenmm.weight "v.latents" : tensor<4x4xf32>
    %o = xgenmm.linear %h, %lat : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    return %o : tensor<?x4xf32>
  }
  func.func @prefill(%x: tensor<?x4xf32>) -> tensor<?x6xf32> {
    %b = xgenmm.weight "n.bias" from [#xgenmm.source<"m.safetensors", 8, bf16>] : tensor<6xf32>
    %w = xgenmm.weight "head.w" : tensor<6x4xf32>
    %w2 = xgenmm.weight "head.w" : tensor<6x4xf32>
    %y = xgenmm.linear %x, %w, %b : tensor<?x4xf32>, tensor<6x4xf32>, tensor<6xf32> -> tensor<?x6xf32>
    %z = xgenmm.linear %x, %w2, %b : tensor<?x4xf32>, tensor<6x4xf32>, tensor<6xf32> -> tensor<?x6xf32>
    %s = xgenmm.add %y, %z : tensor<?x6xf32>, tensor<?x6xf32>
    return %s : tensor<?x6xf32>
  }
}
