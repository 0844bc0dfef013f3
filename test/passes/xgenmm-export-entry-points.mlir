// RUN: xgenmm-opt %s -split-input-file -xgenmm-export-entry-points -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @xgenmm_decode(%{{.*}}: memref<?xi8>, %{{.*}}: memref<1xi32>, %{{.*}}: index, %{{.*}}: memref<2x8x4xf32>, %{{.*}}: memref<2x8x4xf32>, %{{.*}}: memref<1x9xf32>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func private @helper
// CHECK: call @xgenmm_decode
func.func private @decode(%w: memref<?xi8>, %ids: memref<1xi32>, %p: index, %kc: memref<2x8x4xf32>,
                          %vc: memref<2x8x4xf32>, %logits: memref<1x9xf32>) {
  return
}
func.func private @helper(%w: memref<?xi8>, %ids: memref<1xi32>, %p: index, %kc: memref<2x8x4xf32>,
                          %vc: memref<2x8x4xf32>, %logits: memref<1x9xf32>) {
  call @decode(%w, %ids, %p, %kc, %vc, %logits) : (memref<?xi8>, memref<1xi32>, index, memref<2x8x4xf32>, memref<2x8x4xf32>, memref<1x9xf32>) -> ()
  return
}

// -----

// expected-error @+1 {{entry point still returns 1 value(s) after bufferization; expected out-parameters only}}
func.func private @decode(%w: memref<?xi8>, %ids: memref<1xi32>, %p: index, %kc: memref<2x8x4xf32>,
                          %vc: memref<2x8x4xf32>, %l: memref<1x9xf32>) -> memref<1x9xf32> {
  %a = memref.alloc() : memref<1x9xf32>
  return %a : memref<1x9xf32>
}

// -----

// expected-error @+1 {{entry point has 8 arguments after bufferization; the artifact ABI (runtime/ArtifactAbi.h) expects 7}}
func.func private @prefill(%w: memref<?xi8>, %ids: memref<?xi32>, %v: memref<?x4xf32>, %p: index,
                           %kc: memref<2x8x4xf32>, %vc: memref<2x8x4xf32>, %logits: memref<1x9xf32>,
                           %extra: memref<2x8x4xf32>) {
  return
}
