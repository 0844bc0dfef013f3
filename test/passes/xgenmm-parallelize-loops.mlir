// RUN: xgenmm-opt %s --xgenmm-parallelize-loops --split-input-file | FileCheck %s

// A marked loop over disjoint tiles becomes an scf.parallel with the same
// bounds and body; the mark is gone.
// CHECK-LABEL: func.func @tiles
// CHECK: scf.parallel (%[[J:.*]]) = (%c0) to (%c256) step (%c128)
// CHECK: memref.subview %arg0[0, %[[J]]] [4, 128] [1, 1]
// CHECK: linalg.fill
// CHECK-NOT: xgenmm.parallel
func.func @tiles(%out: memref<4x256xf32>) {
  %c0 = arith.constant 0 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %one = arith.constant 1.0 : f32
  scf.for %j = %c0 to %c256 step %c128 {
    %tile = memref.subview %out[0, %j] [4, 128] [1, 1] : memref<4x256xf32> to memref<4x128xf32, strided<[256, 1], offset: ?>>
    linalg.fill ins(%one : f32) outs(%tile : memref<4x128xf32, strided<[256, 1], offset: ?>>)
  } {xgenmm.parallel}
  return
}

// Left serial, mark dropped: a loop that carries a value, loops that
// allocate in their body other than scratch (a dynamic size, more than
// 256 KiB, a buffer yielded out of its iteration), and a marked loop
// nested in a parallel one.
// CHECK-LABEL: func.func @serial
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.for
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<65537xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<16xf32>
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK-NOT: scf.parallel
// CHECK-NOT: xgenmm.parallel
// CHECK: return
func.func @serial(%out: memref<4x256xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %out[%i, %c0] : memref<4x256xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  } {xgenmm.parallel}
  scf.for %i = %c0 to %c4 step %c1 {
    %tmp = memref.alloc(%i) : memref<?xf32>
    memref.dealloc %tmp : memref<?xf32>
  } {xgenmm.parallel}
  scf.for %i = %c0 to %c4 step %c1 {
    %big = memref.alloc() : memref<65537xf32>
    memref.store %zero, %big[%i] : memref<65537xf32>
  } {xgenmm.parallel}
  scf.for %i = %c0 to %c4 step %c1 {
    %init = memref.alloc() : memref<16xf32>
    %last = scf.for %j = %c0 to %c4 step %c1 iter_args(%b = %init) -> memref<16xf32> {
      %next = memref.alloc() : memref<16xf32>
      scf.yield %next : memref<16xf32>
    }
    memref.store %zero, %last[%i] : memref<16xf32>
  } {xgenmm.parallel}
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %zero, %out[%i, %j] : memref<4x256xf32>
    } {xgenmm.parallel}
  } {xgenmm.parallel}
  return %s : f32
}

// -----

// Scratch: a small static buffer used only inside the iteration that
// allocates it (here inside an inner serial loop, through a view) becomes
// each thread's own: an alloca at the top of the parallel body, in an
// alloca_scope; its dealloc goes.
// CHECK-LABEL: func.func @scratch
// CHECK: scf.parallel (%[[J:.*]]) =
// CHECK-NEXT: memref.alloca_scope {
// CHECK-NEXT: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x32xbf16>
// CHECK: scf.for
// CHECK-NOT: memref.alloc()
// CHECK: memref.expand_shape %[[S]]
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @scratch(%out: memref<4x256xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : bf16
  scf.for %j = %c0 to %c256 step %c128 {
    scf.for %k = %c0 to %c4 step %c1 {
      %pack = memref.alloc() {alignment = 64 : i64} : memref<8x32xbf16>
      %pairs = memref.expand_shape %pack [[0], [1, 2]] output_shape [8, 16, 2] : memref<8x32xbf16> into memref<8x16x2xbf16>
      memref.store %zero, %pairs[%k, %c0, %c1] : memref<8x16x2xbf16>
      %v = memref.load %pack[%k, %c1] : memref<8x32xbf16>
      memref.store %v, %out[%k, %j] : memref<4x256xbf16>
      memref.dealloc %pack : memref<8x32xbf16>
    }
  } {xgenmm.parallel}
  return
}
