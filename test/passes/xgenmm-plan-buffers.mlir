// RUN: xgenmm-opt %s -split-input-file -xgenmm-plan-buffers="max-tokens=100 max-views=5" -verify-diagnostics | FileCheck %s

// Three buffers of 100 rows x 8 f32 = 3200 bytes: %a dies when %b is made
// from it, so %c reuses %a's range; %b lives across the loop that reads it.
// CHECK: memref.global "private" @__xgenmm_arena : memref<6400xi8> = uninitialized {alignment = 64 : i64}
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: (%[[X:.*]]: memref<?x8xf32>,
// CHECK: %[[N:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x8xf32>
// CHECK: %[[G0:.*]] = memref.get_global @__xgenmm_arena : memref<6400xi8>
// CHECK: %[[A:.*]] = memref.view %[[G0]][%c0{{.*}}][%[[N]]] : memref<6400xi8> to memref<?x8xf32>
// CHECK: %[[G1:.*]] = memref.get_global @__xgenmm_arena
// CHECK: %[[B:.*]] = memref.view %[[G1]][%c3200{{.*}}][%[[N]]] : memref<6400xi8> to memref<?x8xf32>
// CHECK: %[[G2:.*]] = memref.get_global @__xgenmm_arena
// CHECK: %[[C:.*]] = memref.view %[[G2]][%c0{{.*}}][%[[N]]] : memref<6400xi8> to memref<?x8xf32>
// CHECK-NOT: memref.alloc
module attributes {} {
  func.func @reuse(%x: memref<?x8xf32>, %out: memref<?x8xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %n = memref.dim %x, %c0 : memref<?x8xf32>
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8xf32>
    linalg.copy ins(%x : memref<?x8xf32>) outs(%a : memref<?x8xf32>)
    %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8xf32>
    linalg.copy ins(%a : memref<?x8xf32>) outs(%b : memref<?x8xf32>)
    %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8xf32>
    scf.for %i = %c0 to %c3 step %c1 {
      %s = memref.subview %c[0, 0] [%n, 4] [1, 1] : memref<?x8xf32> to memref<?x4xf32, strided<[8, 1]>>
      %t = memref.subview %b[0, 0] [%n, 4] [1, 1] : memref<?x8xf32> to memref<?x4xf32, strided<[8, 1]>>
      linalg.copy ins(%t : memref<?x4xf32, strided<[8, 1]>>) outs(%s : memref<?x4xf32, strided<[8, 1]>>)
    }
    linalg.copy ins(%c : memref<?x8xf32>) outs(%out : memref<?x8xf32>)
    return
  }
}

// -----

// Sizes follow index arithmetic: a slice of a 64-row buffer is at most 64
// rows even when position + length could be larger; image views are
// bounded by max-views.
// CHECK: memref.global "private" @__xgenmm_arena : memref<1280xi8>
// CHECK-LABEL: func.func @bounds
// CHECK-NOT: memref.alloc
module {
  func.func @bounds(%px: memref<?x3x4x4xf32>, %cache: memref<64x8xf32>, %p: index, %ids: memref<?xi32>) {
    %c0 = arith.constant 0 : index
    %v = memref.dim %px, %c0 : memref<?x3x4x4xf32>
    %s = memref.dim %ids, %c0 : memref<?xi32>
    %end = arith.addi %p, %s : index
    %rows = memref.subview %cache[0, 0] [%end, 8] [1, 1] : memref<64x8xf32> to memref<?x8xf32, strided<[8, 1]>>
    %r = memref.dim %rows, %c0 : memref<?x8xf32, strided<[8, 1]>>
    // 5 views x 64 rows x 4 bytes
    %a = memref.alloc(%v, %r) : memref<?x?xf32>
    %zero = arith.constant 0.0 : f32
    linalg.fill ins(%zero : f32) outs(%a : memref<?x?xf32>)
    return
  }
}

// -----

// A buffer yielded out of its scope stays an allocation (with a remark);
// one carried by a loop lives as long as the loop's result.
// CHECK-LABEL: func.func @escape
// CHECK: memref.alloc
// CHECK: memref.alloc
// CHECK: %[[BUF:.*]] = memref.view
// CHECK: %[[CARRIED:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[BUF]])
// CHECK: %[[AFTER:.*]] = memref.view %{{.*}}[%c448{{.*}}]
// CHECK: memref.copy %[[CARRIED]], %[[AFTER]]
module {
  func.func @escape(%n: index) -> memref<?xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    // The loop may return it: it escapes too.
    // expected-remark @+1 {{xgenmm-plan-buffers: the buffer escapes its scope; it stays a heap allocation}}
    %init = memref.alloc(%n) : memref<?xf32>
    %r = scf.for %i = %c0 to %c1 step %c1 iter_args(%it = %init) -> (memref<?xf32>) {
      // expected-remark @+1 {{xgenmm-plan-buffers: the buffer escapes its scope; it stays a heap allocation}}
      %new = memref.alloc(%n) : memref<?xf32>
      scf.yield %new : memref<?xf32>
    }
    // Carried through a loop and read after it: one buffer for all of it.
    %buf = memref.alloc(%n) : memref<?xf32>
    %carried = scf.for %i = %c0 to %c1 step %c1 iter_args(%it = %buf) -> (memref<?xf32>) {
      scf.yield %it : memref<?xf32>
    }
    %after = memref.alloc(%n) : memref<?xf32>
    memref.copy %carried, %after : memref<?xf32> to memref<?xf32>
    return %r : memref<?xf32>
  }
}
