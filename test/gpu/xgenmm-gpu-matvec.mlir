// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-mma-matmul | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-gpu-codegen-pipeline="chip=sm_90" | FileCheck %s --check-prefix=PTX
// The kernels executed by the SIMT emulator (test/gpu/Inputs/simt_emulator.py)
// against float64: the ragged tile in place, and f32 weights with K split
// over 4 blocks adding atomically (the 3072 x 3072 case takes 13 s there).
// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-mma-matmul --mlir-print-op-generic -o %t.generic.mlir
// RUN: %if numpy %{ %numpy_python %S/Inputs/check_dense_kernels.py %t.generic.mlir short_ragged:1:120:100 f32_weights:1:1024:256 %}

// One row of activations (decode): the matrix-vector kernel, not tensor
// cores. 3072 x 3072 bf16: 24 column tiles of 128, K split in 22 slices of
// 144 rows (24 x 22 = 528 blocks of 256 threads), 4 rows' 16-byte loads
// per iteration, partial sums reduced in shared memory and added to out
// atomically (every slice adds to the bias the layer starts from).
// CHECK-LABEL: func.func @decode_dense
// CHECK-NOT: scf.forall
// CHECK: gpu.launch blocks(%{{.*}}, %[[SPLIT:.*]], %{{.*}}) in (%{{.*}} = %c24, %{{.*}} = %c22, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c256, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[SUMS:.*]] : memref<16x128xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.muli %[[SPLIT]], %c144
// CHECK: scf.if
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c64 iter_args(%{{.*}} = %{{.*}}) -> (vector<8xf32>)
// CHECK-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<3072x{{[0-9?]+}}xbf16, strided<[3072, 1], offset: ?>>, vector<8xbf16>
// CHECK-COUNT-4: vector.fma %{{.*}} : vector<8xf32>
// CHECK: } else {
// CHECK: vector.from_elements
// CHECK: vector.store %{{.*}}, %[[SUMS]]
// CHECK: gpu.barrier
// CHECK: memref.atomic_rmw addf %{{.*}}, %{{.*}}[%c0{{.*}}, %[[TX]]] : (f32, memref<1x{{[0-9?]+}}xf32, strided<[3072, 1], offset: ?>>) -> f32
// CHECK: gpu.terminator
// CHECK: xgenmm.kernel = "dense_matvec"

// Short K (120 rows: one slice) and a row length that is not a multiple
// of 16 bytes (N = 100 bf16 = 200 bytes): one block, out updated
// in place (no atomics), loads without the alignment promise.
// CHECK-LABEL: func.func @short_ragged
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK-NOT: alignment
// CHECK: vector.load %{{.*}} : memref<120x100xbf16>, vector<8xbf16>
// CHECK-NOT: memref.atomic_rmw
// CHECK: gpu.barrier
// CHECK: %[[OLD:.*]] = memref.load %{{.*}}[%c0{{.*}}, %{{.*}}] : memref<1x100xf32>
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %{{.*}} : f32
// CHECK: memref.store %[[NEW]]
// CHECK-NOT: memref.atomic_rmw
// CHECK: gpu.terminator

// f32 weights: two 16-byte loads of 4 per row.
// CHECK-LABEL: func.func @f32_weights
// CHECK-COUNT-2: vector.load %{{.*}} {alignment = 16 : i64} : memref<1024x{{[0-9?]+}}xf32, strided<[256, 1], offset: ?>>, vector<4xf32>
// CHECK: vector.shuffle

// The PTX has 16-byte global loads, a block barrier, the atomic add; no mma.
// PTX-LABEL: gpu.binary @decode_dense_kernel
// PTX-SAME: ld.global.v4.b32
// PTX-SAME: bar.sync
// PTX-SAME: atom.global.add.f32
// PTX-NOT: mma.sync
#A = affine_map<(d0, d1, d2) -> (d0, d2)>
#W = affine_map<(d0, d1, d2) -> (d2, d1)>
#C = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @decode_dense(%a: tensor<1x3072xf32>, %w: tensor<3072x3072xbf16>, %c: tensor<1x3072xf32>) -> tensor<1x3072xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x3072xf32>, tensor<3072x3072xbf16>) outs(%c : tensor<1x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x3072xf32>
  return %r : tensor<1x3072xf32>
}
func.func @short_ragged(%a: tensor<1x120xf32>, %w: tensor<120x100xbf16>, %c: tensor<1x100xf32>) -> tensor<1x100xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x120xf32>, tensor<120x100xbf16>) outs(%c : tensor<1x100xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x100xf32>
  return %r : tensor<1x100xf32>
}
func.func @f32_weights(%a: tensor<1x1024xf32>, %w: tensor<1024x256xf32>, %c: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x1024xf32>, tensor<1024x256xf32>) outs(%c : tensor<1x256xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}
