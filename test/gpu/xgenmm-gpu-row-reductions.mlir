// RUN: xgenmm-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-row-reductions | FileCheck %s
// The kernels executed by the SIMT emulator (test/gpu/Inputs/simt_emulator.py)
// against float64 (Inputs/check_row_reductions.py).
// RUN: xgenmm-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -canonicalize -cse --xgenmm-gpu-row-reductions --mlir-print-op-generic -o %t.generic.mlir
// RUN: %if numpy %{ %numpy_python %S/Inputs/check_row_reductions.py %t.generic.mlir %}
// The whole GPU code generation takes them to PTX (shuffles, a barrier).
// RUN: xgenmm-opt %s --xgenmm-gpu-codegen-pipeline="chip=sm_90" | FileCheck %s --check-prefix=PTX

#R3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#S3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#R2 = affine_map<(d0, d1) -> (d0, d1)>
#S2 = affine_map<(d0, d1) -> (d0)>
#C2 = affine_map<(d0, d1) -> (d1)>

// A layer norm's sum: one block of 256 threads per row (batch x 70 rows),
// 4 accumulators per thread, shuffles within the warp, 8 warp sums through
// shared memory, thread 0 adds to the output's value.
// CHECK-LABEL: func.func @row_sum
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS:.*]] = arith.muli %{{.*}}, %c70 : index
// CHECK: gpu.launch blocks(%[[ROW:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ROWS]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TID:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c256, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[PART:.*]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %{{.*}} = %[[TID]] to %c300 step %c1024 iter_args(%{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}) -> (f32, f32, f32, f32)
// CHECK-COUNT-4: memref.load %{{.*}} : memref<?x70x300xf32>
// CHECK-COUNT-4: arith.addf
// CHECK: scf.yield
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: memref.store %{{.*}}, %[[PART]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[PART]]
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK: xgenmm.kernel = "row_reduction"
func.func @row_sum(%x: tensor<?x70x300xf32>, %init: tensor<?x70xf32>) -> tensor<?x70xf32> {
  %r = linalg.generic {indexing_maps = [#R3, #S3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<?x70x300xf32>) outs(%init : tensor<?x70xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?x70xf32>
  return %r : tensor<?x70xf32>
}

// Squared deviations from a per-row mean (a second input broadcast along
// the row), rows of 1152.
// CHECK-LABEL: func.func @squared_deviations
// CHECK: gpu.launch
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @squared_deviations(%x: tensor<?x5x1152xf32>, %mean: tensor<?x5xf32>, %init: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %r = linalg.generic {indexing_maps = [#R3, #S3, #S3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %mean : tensor<?x5x1152xf32>, tensor<?x5xf32>) outs(%init : tensor<?x5xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %q = arith.mulf %d, %d : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  } -> tensor<?x5xf32>
  return %r : tensor<?x5xf32>
}

// Decode's RMS norm: one row of 3072 (one block).
// CHECK-LABEL: func.func @decode_sum_of_squares
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
func.func @decode_sum_of_squares(%x: tensor<1x3072xf32>, %init: tensor<1xf32>) -> tensor<1xf32> {
  %r = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<1x3072xf32>) outs(%init : tensor<1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  } -> tensor<1xf32>
  return %r : tensor<1xf32>
}

// Two outputs with different combiners (a row's max and its sum), a short
// ragged row (45 elements: most threads hold only identities).
// CHECK-LABEL: func.func @max_and_sum
// CHECK: workgroup(%{{.*}} : memref<8xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.maximumf
// CHECK: arith.addf
func.func @max_and_sum(%x: tensor<?x45xf32>, %m0: tensor<?xf32>, %s0: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %r:2 = linalg.generic {indexing_maps = [#R2, #S2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x45xf32>) outs(%m0, %s0 : tensor<?xf32>, tensor<?xf32>) {
  ^bb0(%a: f32, %m: f32, %s: f32):
    %mx = arith.maximumf %m, %a : f32
    %sm = arith.addf %a, %s : f32
    linalg.yield %mx, %sm : f32, f32
  } -> (tensor<?xf32>, tensor<?xf32>)
  return %r#0, %r#1 : tensor<?xf32>, tensor<?xf32>
}

// Not row reductions this pass handles, left alone: a product (no
// combiner of the list), and a body that reads its output elsewhere.
// CHECK-LABEL: func.func @row_product
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK-LABEL: func.func @output_read_twice
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @row_product(%x: tensor<?x64xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x64xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.mulf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
func.func @output_read_twice(%x: tensor<?x64xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x64xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %d = arith.mulf %acc, %a : f32
    %s = arith.addf %acc, %d : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// PTX-LABEL: gpu.binary @row_sum_kernel
// PTX-SAME: shfl.sync.bfly.b32
// PTX-SAME: bar.sync
