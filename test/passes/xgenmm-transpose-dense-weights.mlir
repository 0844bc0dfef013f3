// RUN: xgenmm-opt %s -xgenmm-bind-weights -xgenmm-lower-to-linalg -canonicalize -cse -xgenmm-transpose-dense-weights | FileCheck %s
// RUN: xgenmm-opt %s -xgenmm-bind-weights=dtype=bf16 -xgenmm-lower-to-linalg -canonicalize -cse -xgenmm-transpose-dense-weights | FileCheck %s --check-prefix=BF16

// Weights read only as the w of dense contractions are stored as [K, N]:
// the patch embedding's [6, 3, 2, 2] as [12, 6], each layer of a stack
// transposed, the head's whole [10, 6] as [6, 10] (its first 8 rows used);
// offsets and sizes do not change. "embed.extra" is also gathered by the
// embedding: it keeps its layout.
// The contractions will read w[k, n].
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[WNK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK: module attributes {xgenmm.weight_bytes = 1600 : i64, xgenmm.weight_layout = [
// CHECK-SAME: {bytes = 288 : i64, name = "patch.w", offset = 0 : i64, transposed = true, type = tensor<12x6xf32>}
// CHECK-SAME: {bytes = 24 : i64, name = "patch.b", offset = 320 : i64, type = tensor<6xf32>}
// CHECK-SAME: {bytes = 288 : i64, layers = 2 : i64, name = "l.{}.w", offset = 512 : i64, transposed = true, type = tensor<2x6x6xf32>}
// CHECK-SAME: {bytes = 240 : i64, name = "embed", offset = 832 : i64, type = tensor<10x6xf32>}
// CHECK-SAME: {bytes = 72 : i64, name = "embed.extra", offset = 1088 : i64, type = tensor<3x6xf32>}
// CHECK-SAME: {bytes = 240 : i64, name = "head.w", offset = 1216 : i64, transposed = true, type = tensor<6x10xf32>}

// They are marked for the schedule.
// CHECK-LABEL: func.func private @encode_image
// CHECK: %[[PV:.*]] = memref.view %arg0[%{{.*}}][] : memref<?xi8> to memref<12x6xf32>
// CHECK: %[[PW:.*]] = bufferization.to_tensor %[[PV]] restrict : memref<12x6xf32> to tensor<12x6xf32>
// CHECK-NOT: tensor.collapse_shape %[[PW]]
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[W]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[PW]] : tensor<?x12xf32>, tensor<12x6xf32>) outs(%{{.*}} : tensor<?x6xf32>) attrs = {xgenmm.matmul}
// CHECK: %[[LV:.*]] = memref.view %arg0[%{{.*}}][] : memref<?xi8> to memref<2x6x6xf32>
// CHECK: %[[LW:.*]] = bufferization.to_tensor %[[LV]]
// CHECK: scf.for %[[L:[^ ]*]] = 
// CHECK: %[[S:.*]] = tensor.extract_slice %[[LW]][%[[L]], 0, 0] [1, 6, 6] [1, 1, 1] : tensor<2x6x6xf32> to tensor<6x6xf32>
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[W]], #[[C]]], {{.*}} ins(%{{.*}}, %[[S]] : tensor<?x6xf32>, tensor<6x6xf32>) {{.*}} attrs = {xgenmm.matmul}
// CHECK-LABEL: func.func private @decode
// CHECK: %[[HV:.*]] = memref.view %arg0[%{{.*}}][] : memref<?xi8> to memref<6x10xf32>
// CHECK: %[[HW:.*]] = bufferization.to_tensor %[[HV]]
// CHECK: %[[HS:.*]] = tensor.extract_slice %[[HW]][0, 0] [6, 8] [1, 1] : tensor<6x10xf32> to tensor<6x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[W]], #[[C]]], {{.*}} ins(%{{.*}}, %[[HS]] : tensor<1x6xf32>, tensor<6x8xf32>) {{.*}} attrs = {xgenmm.matmul}
// The shared weight's contraction keeps the [N, K] form, unmarked.
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[WNK]], #[[C]]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x6xf32>, tensor<3x6xf32>) outs(%{{.*}} : tensor<1x3xf32>) {
// CHECK-NOT: xgenmm.matmul
// CHECK: tensor.concat

// bf16 storage is transposed the same way; the body still widens w.
// BF16: name = "patch.w", offset = 0 : i64, transposed = true, type = tensor<12x6xbf16>}
// BF16: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x12xf32>, tensor<12x6xbf16>) {{.*}} attrs = {xgenmm.matmul}
// BF16: arith.extf %{{.*}} : bf16 to f32

module {
  func.func @encode_image(%px: tensor<?x3x4x4xf32>) -> tensor<?x4x6xf32> {
    %pw = xgenmm.weight "patch.w" : tensor<6x3x2x2xf32>
    %pb = xgenmm.weight "patch.b" : tensor<6xf32>
    %pos = xgenmm.weight "pos" : tensor<4x6xf32>
    %e = xgenmm.patch_embed %px, %pw, %pb, %pos : tensor<?x3x4x4xf32>, tensor<6x3x2x2xf32>, tensor<6xf32>, tensor<4x6xf32> -> tensor<?x4x6xf32>
    %w = xgenmm.weight "l.{}.w" layers 2 : tensor<2x6x6xf32>
    %h = xgenmm.layer_stack layers 2 carry(%e : tensor<?x4x6xf32>) per_layer(%w : tensor<2x6x6xf32>) -> tensor<?x4x6xf32> {
    ^bb0(%hl: tensor<?x4x6xf32>, %wl: tensor<6x6xf32>):
      %y = xgenmm.linear %hl, %wl : tensor<?x4x6xf32>, tensor<6x6xf32> -> tensor<?x4x6xf32>
      xgenmm.yield %y : tensor<?x4x6xf32>
    }
    return %h : tensor<?x4x6xf32>
  }
  func.func @decode(%ids: tensor<1xi32>, %x: tensor<1x6xf32>) -> tensor<1x11xf32> {
    %t = xgenmm.weight "embed" : tensor<10x6xf32>
    %t2 = xgenmm.weight "embed.extra" : tensor<3x6xf32>
    %e = xgenmm.embed %ids, %t, %t2 base_vocab 8 : tensor<1xi32>, tensor<10x6xf32>, tensor<3x6xf32> -> tensor<1x6xf32>
    %s = xgenmm.add %e, %x : tensor<1x6xf32>, tensor<1x6xf32>
    %hw = xgenmm.weight "head.w" : tensor<10x6xf32>
    %hb = xgenmm.weight "head.b" : tensor<10xf32>
    %hb3 = xgenmm.weight "head.extra.b" : tensor<3xf32>
    %l = xgenmm.lm_head %s, %hw, %hb, %t2, %hb3 base_vocab 8 : tensor<1x6xf32>, tensor<10x6xf32>, tensor<10xf32>, tensor<3x6xf32>, tensor<3xf32> -> tensor<1x11xf32>
    return %l : tensor<1x11xf32>
  }
}
