// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-mma-matmul | FileCheck %s
// RUN: xgenmm-opt %s --transform-preload-library=transform-library-paths=%xgenmm_src_root/passes/schedules/gpu.mlir \
// RUN:   --transform-interpreter=entry-point=xgenmm_gpu_tile_blocks | FileCheck %s --check-prefix=TILE
// The kernels executed by the SIMT emulator (test/gpu/Inputs/simt_emulator.py)
// against float64: 70 x 200 (2 x 2 tiles, the last row and column tiles
// ragged); f32 weights
// with K = 60 (a ragged K step) and N = 36; w rows of 6 bytes (never
// vector-loaded); a views at column offsets 2 (misaligned: element by
// element, decided at run time) and 4 (16-byte aligned: vector loads). The
// emulator rejects vector accesses whose promised alignment does not hold.
// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-mma-matmul --mlir-print-op-generic -o %t.generic.mlir
// RUN: %if numpy %{ %numpy_python %S/Inputs/check_dense_kernels.py %t.generic.mlir dense:70:96:200 \
// RUN:   f32_weights:65:60:36 narrow:33:40:3 slice2:70:64:64:72:2 slice4:70:64:64:72:4 epilogue:70:96:200 %}

// The schedule: one 64 x 128 output tile per block, K whole.
// TILE-LABEL: func.func @dense
// TILE: scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, 2)
// TILE: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x96xf32>, tensor<96x?xbf16>) outs(%{{.*}} : tensor<?x?xf32>) attrs = {xgenmm.matmul, xgenmm.mma_tile}
// TILE: } {mapping = [#gpu.block<y>, #gpu.block<x>]}

// The tile: a launch of 4 warps over (N tiles, M tiles); a and w staged in
// two shared buffers as bf16 in 16-byte chunks (their alignment checked at
// run time from the views' offsets), the next K step loaded while the
// current one is multiplied; per warp and 16 of K 2 ldmatrix of a, 2
// transposed ldmatrix of w, 2 x 8 mma.sync m16n8k16; the accumulators
// loaded from and stored to the out tile.
// CHECK-LABEL: func.func @dense
// CHECK-NOT: scf.forall
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in (%{{.*}} = %c2, %{{.*}} = %{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[AS:.*]] : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, %[[WS:.*]] : memref<2x32x136xbf16, #gpu.address_space<workgroup>>)
// CHECK: memref.extract_strided_metadata %{{.*}} : memref<?x96xf32, strided<[96, 1], offset: ?>>
// CHECK: memref.extract_strided_metadata %{{.*}} : memref<96x?xbf16, strided<[200, 1], offset: ?>>
// CHECK-COUNT-64: memref.load %{{.*}} : memref<?x?xf32, strided<[200, 1], offset: ?>>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x96xf32, strided<[96, 1], offset: ?>>, vector<4xf32>
// CHECK: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<96x?xbf16, strided<[200, 1], offset: ?>>, vector<8xbf16>
// CHECK: vector.store %{{.*}}, %[[AS]][%{{.*}}] {alignment = 16 : i64} : memref<2x64x40xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK: vector.store %{{.*}}, %[[WS]][%{{.*}}] {alignment = 16 : i64} : memref<2x32x136xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK: scf.if %{{.*}} -> (vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>)
// CHECK: nvgpu.ldmatrix %[[AS]][%{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.ldmatrix %[[AS]][%{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK-COUNT-4: nvgpu.ldmatrix %[[WS]][%{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK-COUNT-16: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: vector.store %{{.*}}, %[[AS]]
// CHECK: vector.store %{{.*}}, %[[WS]]
// CHECK: gpu.barrier
// CHECK-NEXT: scf.yield
// CHECK-COUNT-64: memref.store %{{.*}} : memref<?x?xf32, strided<[200, 1], offset: ?>>
// CHECK: gpu.terminator

// f32 weights: two 16-byte loads per chunk of w as well.
// CHECK-LABEL: func.func @f32_weights
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<60x36xf32>, vector<4xf32>

// Rows of w 6 bytes long: no vector loads of w at all.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: vector.load {{.*}}memref<40x?xbf16
// CHECK: gpu.terminator
// The layer's init (residual + bias, written just before) and its in-place
// epilogue (tanh) computed by the kernel: no other op left, the init's
// inputs loaded where the accumulators start, tanh before the stores.
// CHECK-LABEL: func.func @epilogue
// CHECK-NOT: linalg.generic
// CHECK: gpu.launch
// CHECK-COUNT-64: memref.load %{{.*}} : memref<200xf32>
// CHECK: nvvm.mma.sync
// CHECK-COUNT-64: math.tanh
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: return
// A fill and an epilogue with other ops touching the output in between
// stay apart.
// CHECK-LABEL: func.func @kept_apart
// CHECK: linalg.fill
// CHECK: gpu.launch
// CHECK: memref.store
// CHECK: linalg.generic {{.*}}xgenmm.epilogue
#A = affine_map<(d0, d1, d2) -> (d0, d2)>
#W = affine_map<(d0, d1, d2) -> (d2, d1)>
#C = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @dense(%a: tensor<?x96xf32>, %w: tensor<96x200xbf16>, %c: tensor<?x200xf32>) -> tensor<?x200xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x96xf32>, tensor<96x200xbf16>) outs(%c : tensor<?x200xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x200xf32>
  return %r : tensor<?x200xf32>
}

func.func @f32_weights(%a: tensor<?x60xf32>, %w: tensor<60x36xf32>, %c: tensor<?x36xf32>) -> tensor<?x36xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x60xf32>, tensor<60x36xf32>) outs(%c : tensor<?x36xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x36xf32>
  return %r : tensor<?x36xf32>
}

func.func @narrow(%a: tensor<?x40xf32>, %w: tensor<40x3xbf16>, %c: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x40xf32>, tensor<40x3xbf16>) outs(%c : tensor<?x3xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

func.func @slice2(%a: tensor<?x72xf32>, %w: tensor<64x64xbf16>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %a, %c0 : tensor<?x72xf32>
  %v = tensor.extract_slice %a[0, 2] [%rows, 64] [1, 1] : tensor<?x72xf32> to tensor<?x64xf32>
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v, %w : tensor<?x64xf32>, tensor<64x64xbf16>) outs(%c : tensor<?x64xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

func.func @slice4(%a: tensor<?x72xf32>, %w: tensor<64x64xbf16>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %a, %c0 : tensor<?x72xf32>
  %v = tensor.extract_slice %a[0, 4] [%rows, 64] [1, 1] : tensor<?x72xf32> to tensor<?x64xf32>
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v, %w : tensor<?x64xf32>, tensor<64x64xbf16>) outs(%c : tensor<?x64xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

#I2 = affine_map<(d0, d1) -> (d0, d1)>
#B2 = affine_map<(d0, d1) -> (d1)>
func.func @epilogue(%a: tensor<?x96xf32>, %w: tensor<96x200xbf16>, %res: tensor<?x200xf32>, %bias: tensor<200xf32>) -> tensor<?x200xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x96xf32>
  %e = tensor.empty(%m) : tensor<?x200xf32>
  %init = linalg.generic {indexing_maps = [#I2, #B2, #I2], iterator_types = ["parallel", "parallel"]}
      ins(%res, %bias : tensor<?x200xf32>, tensor<200xf32>) outs(%e : tensor<?x200xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<?x200xf32>
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x96xf32>, tensor<96x200xbf16>) outs(%init : tensor<?x200xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %ef = arith.extf %y : bf16 to f32
    %mm = arith.mulf %x, %ef : f32
    %s = arith.addf %acc, %mm : f32
    linalg.yield %s : f32
  } -> tensor<?x200xf32>
  %g = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]}
      outs(%r : tensor<?x200xf32>) attrs = {xgenmm.epilogue} {
  ^bb0(%o: f32):
    %t = math.tanh %o : f32
    linalg.yield %t : f32
  } -> tensor<?x200xf32>
  return %g : tensor<?x200xf32>
}

func.func @kept_apart(%a: memref<70x96xf32>, %w: memref<96x200xbf16>, %c: memref<70x200xf32>, %flag: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<70x200xf32>)
  %v = memref.load %c[%c0, %c0] : memref<70x200xf32>
  memref.store %v, %flag[%c0] : memref<1xf32>
  scf.forall (%i, %j) in (2, 2) {
    %i0 = affine.apply affine_map<(d0) -> (d0 * 64)>(%i)
    %j0 = affine.apply affine_map<(d0) -> (d0 * 128)>(%j)
    %mi = affine.min affine_map<(d0) -> (70 - d0 * 64, 64)>(%i)
    %nj = affine.min affine_map<(d0) -> (200 - d0 * 128, 128)>(%j)
    %as = memref.subview %a[%i0, 0] [%mi, 96] [1, 1] : memref<70x96xf32> to memref<?x96xf32, strided<[96, 1], offset: ?>>
    %ws = memref.subview %w[0, %j0] [96, %nj] [1, 1] : memref<96x200xbf16> to memref<96x?xbf16, strided<[200, 1], offset: ?>>
    %cs = memref.subview %c[%i0, %j0] [%mi, %nj] [1, 1] : memref<70x200xf32> to memref<?x?xf32, strided<[200, 1], offset: ?>>
    linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%as, %ws : memref<?x96xf32, strided<[96, 1], offset: ?>>, memref<96x?xbf16, strided<[200, 1], offset: ?>>)
        outs(%cs : memref<?x?xf32, strided<[200, 1], offset: ?>>) attrs = {xgenmm.mma_tile} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %ef = arith.extf %y : bf16 to f32
      %mm = arith.mulf %x, %ef : f32
      %s = arith.addf %acc, %mm : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  memref.store %zero, %c[%c0, %c0] : memref<70x200xf32>
  linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]}
      outs(%c : memref<70x200xf32>) attrs = {xgenmm.epilogue} {
  ^bb0(%o: f32):
    %th = math.tanh %o : f32
    linalg.yield %th : f32
  }
  return
}
