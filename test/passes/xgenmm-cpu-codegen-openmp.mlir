// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline | FileCheck %s

// The column tiles of a matmul row block (N = 384: four tiles of 96) are
// shared among threads: the loop the schedule marks xgenmm.parallel becomes
// an OpenMP work-sharing loop (libomp calls in the LLVM IR); inside it the
// 8x32 register tiles are vector FMAs (32 lanes: two zmm).
// CHECK-LABEL: llvm.func @mm
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: omp.loop_nest
// CHECK: llvm.intr.fmuladd{{.*}}vector<32xf32>
#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
func.func @mm(%am: memref<?x64xf32>, %wm: memref<64x384xf32>, %cm: memref<?x384xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x64xf32> to tensor<?x64xf32>
  %w = bufferization.to_tensor %wm restrict : memref<64x384xf32> to tensor<64x384xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x384xf32> to tensor<?x384xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x64xf32>, tensor<64x384xf32>) outs(%c : tensor<?x384xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x384xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x384xf32>, memref<?x384xf32>) -> ()
  return
}
