// RUN: xgenmm-opt %s --xgenmm-parallelize-loops | FileCheck %s

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

// Left serial, mark dropped: a loop that carries a value, a loop that
// allocates in its body, and a marked loop nested in a parallel one.
// CHECK-LABEL: func.func @serial
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.for
// CHECK: memref.alloc
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
    %tmp = memref.alloc() : memref<256xf32>
    memref.dealloc %tmp : memref<256xf32>
  } {xgenmm.parallel}
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %zero, %out[%i, %j] : memref<4x256xf32>
    } {xgenmm.parallel}
  } {xgenmm.parallel}
  return %s : f32
}
