// RUN: xgenmm-opt %s -xgenmm-copies-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[A:.*]]: memref<4x8xf32, strided<[16, 1], offset: ?>>, %[[B:.*]]: memref<4x8xf32>)
// CHECK-NEXT: linalg.copy ins(%[[A]] : memref<4x8xf32, strided<[16, 1], offset: ?>>) outs(%[[B]] : memref<4x8xf32>)
// A copy of a buffer onto itself is dropped.
// CHECK-NEXT: return
func.func @copies(%a: memref<4x8xf32, strided<[16, 1], offset: ?>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 1], offset: ?>> to memref<4x8xf32>
  memref.copy %b, %b : memref<4x8xf32> to memref<4x8xf32>
  return
}
