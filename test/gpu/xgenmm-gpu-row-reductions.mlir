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

// An RMS norm as lowered: the fill of the sum, the sum of squares, the
// apply step reading the sum (scale folded in). One launch: the fill's
// constant is the init; after the row's total the same block normalizes
// the row (4 elements per thread in flight), in the apply step's place.
// CHECK-LABEL: func.func @rms_norm
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: scf.for %{{.*}} = %{{.*}} to %c3072 step %c1024 iter_args
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %{{.*}}[%c0{{.*}}] : memref<8xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: memref.load %{{.*}}[%c0{{.*}}] : memref<8xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for %{{.*}} = %{{.*}} to %c3072{{.*}} step %c1024{{.*}} {
// CHECK-COUNT-4: math.rsqrt
// CHECK: xgenmm.kernel = "row_reduction"
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @rms_norm(%x: tensor<?x3072xf32>, %w: tensor<3072xf32>) -> tensor<?x3072xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 3.25520833e-04 : f32
  %eps = arith.constant 1.0e-5 : f32
  %n = tensor.dim %x, %c0 : tensor<?x3072xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %ss = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x3072xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %o0 = tensor.empty(%n) : tensor<?x3072xf32>
  %o = linalg.generic {indexing_maps = [#R2, #S2, #C2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %ss, %w : tensor<?x3072xf32>, tensor<?xf32>, tensor<3072xf32>) outs(%o0 : tensor<?x3072xf32>) {
  ^bb0(%a: f32, %s: f32, %g: f32, %out: f32):
    %m = arith.mulf %s, %inv : f32
    %v = arith.addf %m, %eps : f32
    %r = math.rsqrt %v : f32
    %y = arith.mulf %a, %r : f32
    %yw = arith.mulf %y, %g : f32
    linalg.yield %yw : f32
  } -> tensor<?x3072xf32>
  return %o : tensor<?x3072xf32>
}

// A softmax numerator over ragged rows of 45: the fill is -inf, the
// consumer reads the row's max and writes a second output too (its max,
// broadcast), and uses the column index.
// CHECK-LABEL: func.func @shifted_exp
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @shifted_exp(%x: tensor<?x45xf32>) -> (tensor<?x45xf32>, tensor<?x45xf32>) {
  %c0 = arith.constant 0 : index
  %ninf = arith.constant 0xFF800000 : f32
  %n = tensor.dim %x, %c0 : tensor<?x45xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %mx = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x45xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.maximumf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %o0 = tensor.empty(%n) : tensor<?x45xf32>
  %o:2 = linalg.generic {indexing_maps = [#R2, #S2, #R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mx : tensor<?x45xf32>, tensor<?xf32>) outs(%o0, %o0 : tensor<?x45xf32>, tensor<?x45xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32, %out2: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %d = arith.subf %a, %m : f32
    %p = math.exp %d : f32
    %pj = arith.addf %p, %jf : f32
    linalg.yield %pj, %m : f32, f32
  } -> (tensor<?x45xf32>, tensor<?x45xf32>)
  return %o#0, %o#1 : tensor<?x45xf32>, tensor<?x45xf32>
}

// A constant fill of an unrelated buffer right after (decode: zeroing the
// next matrix-vector kernel's output) is done by the same kernel, every
// thread of the grid storing its share; its allocation moves before it.
// CHECK-LABEL: func.func @trailing_fill
// CHECK: memref.alloc() {{.*}} : memref<1x9216xf32>
// CHECK: gpu.launch
// CHECK: math.rsqrt
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: arith.remui
// CHECK: memref.store %{{.*}} : memref<1x9216xf32>
// CHECK: xgenmm.kernel = "row_reduction"
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @trailing_fill(%x: tensor<1x3072xf32>, %w: tensor<3072xf32>) -> (tensor<1x3072xf32>, tensor<1x9216xf32>) {
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 3.25520833e-04 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1xf32>) -> tensor<1xf32>
  %ss = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<1x3072xf32>) outs(%z : tensor<1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  } -> tensor<1xf32>
  %o0 = tensor.empty() : tensor<1x3072xf32>
  %o = linalg.generic {indexing_maps = [#R2, #S2, #C2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %ss, %w : tensor<1x3072xf32>, tensor<1xf32>, tensor<3072xf32>) outs(%o0 : tensor<1x3072xf32>) {
  ^bb0(%a: f32, %s: f32, %g: f32, %out: f32):
    %m = arith.mulf %s, %inv : f32
    %v = arith.addf %m, %eps : f32
    %r = math.rsqrt %v : f32
    %y = arith.mulf %a, %r : f32
    %yw = arith.mulf %y, %g : f32
    linalg.yield %yw : f32
  } -> tensor<1x3072xf32>
  %two = arith.constant 2.5 : f32
  %n0 = tensor.empty() : tensor<1x9216xf32>
  %n = linalg.fill ins(%two : f32) outs(%n0 : tensor<1x9216xf32>) -> tensor<1x9216xf32>
  return %o, %n : tensor<1x3072xf32>, tensor<1x9216xf32>
}

// Left apart (on buffers, as the pass sees them): a consumer writing the
// reduction's input in place (another block may still be reading it); a
// store between the reduction and its consumer; a fill with a read of its
// buffer before the reduction (kept, and the init loaded).
// CHECK-LABEL: func.func @consumer_writes_input
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: linalg.generic
// CHECK-LABEL: func.func @store_between
// CHECK: gpu.launch
// CHECK: memref.store
// CHECK: linalg.generic
// CHECK-LABEL: func.func @fill_read_before
// CHECK: linalg.fill
// CHECK: memref.load
// CHECK: gpu.launch
func.func @consumer_writes_input(%x: memref<4x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<4xf32>)
  linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%acc : memref<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#S2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<4xf32>) outs(%x : memref<4x64xf32>) {
  ^bb0(%s: f32, %a: f32):
    %t = arith.subf %a, %s : f32
    linalg.yield %t : f32
  }
  return
}
func.func @store_between(%x: memref<4x64xf32>, %y: memref<4x64xf32>, %flag: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<4xf32>)
  linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%acc : memref<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  }
  memref.store %zero, %flag[%c0] : memref<1xf32>
  linalg.generic {indexing_maps = [#S2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<4xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%s: f32, %a: f32):
    linalg.yield %s : f32
  }
  return
}
func.func @fill_read_before(%x: memref<4x64xf32>, %out: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<4xf32>)
  %v = memref.load %acc[%c0] : memref<4xf32>
  memref.store %v, %out[%c0] : memref<1xf32>
  linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%acc : memref<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %t = arith.addf %s, %a : f32
    linalg.yield %t : f32
  }
  return
}

// PTX-LABEL: gpu.binary @row_sum_kernel
// PTX-SAME: shfl.sync.bfly.b32
// PTX-SAME: bar.sync
