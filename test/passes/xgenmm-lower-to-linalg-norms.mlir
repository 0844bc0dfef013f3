// RUN: xgenmm-opt %s -split-input-file -xgenmm-lower-to-linalg | FileCheck %s

// layer_norm: row mean, biased variance, then one normalising generic.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<?x5x6xf32>) outs(%{{.*}} : tensor<?x5xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x5xf32>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[MEAN]] : tensor<?x5x6xf32>, tensor<?x5xf32>)
// CHECK: arith.subf
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<?x5xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[MEAN]], %[[VAR]], %{{.*}}, %{{.*}} : tensor<?x5x6xf32>, tensor<?x5xf32>, tensor<?x5xf32>, tensor<6xf32>, tensor<6xbf16>)
// CHECK: math.rsqrt
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK-NOT: xgenmm.layer_norm
func.func @layer_norm(%x: tensor<?x5x6xf32>, %g: tensor<6xf32>, %b: tensor<6xbf16>) -> tensor<?x5x6xf32> {
  %y = xgenmm.layer_norm %x, %g, %b eps 1.0e-6 : tensor<?x5x6xf32>, tensor<6xf32>, tensor<6xbf16>
  return %y : tensor<?x5x6xf32>
}

// -----

// rms_norm: mean of squares, then gamma * x * rsqrt(ms + eps).
// CHECK-LABEL: func.func @rms_norm
// CHECK: %[[CST:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<?x8xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[MS:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<?xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[MS]], %{{.*}} : tensor<?x8xf32>, tensor<?xf32>, tensor<8xf32>)
// CHECK: arith.addf %{{.*}}, %[[CST]] : f32
// CHECK: math.rsqrt
func.func @rms_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = xgenmm.rms_norm %x, %g eps 1.0e-5 : tensor<?x8xf32>, tensor<8xf32>
  return %y : tensor<?x8xf32>
}
