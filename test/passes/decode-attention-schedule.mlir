// RUN: xgenmm-opt %s -xgenmm-lower-to-linalg -canonicalize -cse -xgenmm-transpose-attention-keys -xgenmm-apply-schedule | FileCheck %s

// Decode attention over a bf16 cache (2 kv heads of 32): the scores take
// the keys as the outer loop, shared among threads, and the heads inside it
// (the cache read row after row), 16 lanes of partial sums along the head
// dimension; p v shares the heads among threads, tiles of 32 of the head
// dimension outside the keys.
// CHECK-LABEL: func.func @decode
// CHECK: scf.for %[[T:.*]] = %c0 to %{{.*}} step %c1
// CHECK-NEXT: scf.for %[[H:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[D:.*]] = %c0 to %c32 step %c16
// CHECK: vector.transfer_read %{{.*}}[%c0, %[[T]], %[[H]], %[[D]]], {{.*}} : tensor<1x?x2x32xbf16>, vector<1x1x1x1x1x16xbf16>
// CHECK: } {xgenmm.parallel}
// CHECK: scf.for %[[H2:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[T2:.*]] = %c0 to %{{.*}} step %c1
// CHECK: vector.transfer_read %{{.*}}[%c0, %[[T2]], %[[H2]], %c0], {{.*}} : tensor<1x?x2x32xbf16>, vector<1x1x1x32xbf16>
// CHECK: } {xgenmm.parallel}
func.func @decode(%q: tensor<1x64xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>,
                  %kc: tensor<64x64xbf16>, %vc: tensor<64x64xbf16>, %p: index)
    -> (tensor<1x64xf32>, tensor<64x64xbf16>, tensor<64x64xbf16>) {
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<64x64xbf16>, tensor<64x64xbf16> at %p)
      heads 2 kv_heads 2 head_dim 32 scale 0.25 causal
      : tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32> -> tensor<1x64xf32>, tensor<64x64xbf16>, tensor<64x64xbf16>
  return %o, %kc2, %vc2 : tensor<1x64xf32>, tensor<64x64xbf16>, tensor<64x64xbf16>
}
