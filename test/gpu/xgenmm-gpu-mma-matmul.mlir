// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-mma-matmul | FileCheck %s
// RUN: xgenmm-opt %s --transform-preload-library=transform-library-paths=%xgenmm_src_root/passes/schedules/gpu.mlir \
// RUN:   --transform-interpreter=entry-point=xgenmm_gpu_tile_blocks | FileCheck %s --check-prefix=TILE
// The kernel executed by the SIMT emulator (test/gpu/Inputs/simt_emulator.py)
// on 70 rows (two row tiles, the second ragged), against float64.
// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-mma-matmul --mlir-print-op-generic -o %t.generic.mlir
// RUN: %if numpy %{ %numpy_python %S/Inputs/check_dense_kernels.py %t.generic.mlir dense:70:96:80 %}

// The schedule: one 64 x 64 output tile per block, K whole.
// TILE-LABEL: func.func @dense
// TILE: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 2)
// TILE: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x96xf32>, tensor<96x?xbf16>) outs(%{{.*}} : tensor<?x?xf32>) attrs = {xgenmm.matmul, xgenmm.mma_tile}
// TILE: } {mapping = [#gpu.block<y>, #gpu.block<x>]}

// The tile: a launch of 4 warps over (N tiles, M tiles), a and w^T staged
// in shared memory as bf16, 2 x 4 mma.sync m16n8k16 per warp and 16 of K,
// the accumulators loaded from and stored to the out tile.
// CHECK-LABEL: func.func @dense
// CHECK-NOT: scf.forall
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in (%{{.*}} = %c2, %{{.*}} = %{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[AS:.*]] : memref<64x40xbf16, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<64x40xbf16, #gpu.address_space<workgroup>>)
// CHECK-COUNT-32: memref.load %{{.*}} : memref<?x?xf32, strided<[80, 1], offset: ?>>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: memref.store %{{.*}}, %[[AS]]
// CHECK: memref.store %{{.*}}, %[[BS]]
// CHECK: gpu.barrier
// CHECK: vector.load %[[AS]]{{.*}} : memref<64x40xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// CHECK-COUNT-8: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK-COUNT-32: memref.store %{{.*}} : memref<?x?xf32, strided<[80, 1], offset: ?>>
// CHECK: gpu.terminator
#A = affine_map<(d0, d1, d2) -> (d0, d2)>
#W = affine_map<(d0, d1, d2) -> (d2, d1)>
#C = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @dense(%a: tensor<?x96xf32>, %w: tensor<96x80xbf16>, %c: tensor<?x80xf32>) -> tensor<?x80xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x96xf32>, tensor<96x80xbf16>) outs(%c : tensor<?x80xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x80xf32>
  return %r : tensor<?x80xf32>
}
