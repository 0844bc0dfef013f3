// RUN: xgenmm-opt %s -split-input-file -xgenmm-lower-to-linalg | FileCheck %s

// The decoupled embedding: ids are clamped into the vocabulary (18 + 3),
// both tables read in bounds, and the right row selected.
// CHECK-LABEL: func.func @embed
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.cmpi ult
// CHECK: tensor.extract %{{.*}}[{{.*}}] : tensor<20x8xbf16>
// CHECK: tensor.extract %{{.*}}[{{.*}}] : tensor<3x8xbf16>
// CHECK: arith.select
func.func @embed(%ids: tensor<?xi32>, %t: tensor<20x8xbf16>, %x: tensor<3x8xbf16>) -> tensor<?x8xf32> {
  %e = xgenmm.embed %ids, %t, %x base_vocab 18 : tensor<?xi32>, tensor<20x8xbf16>, tensor<3x8xbf16> -> tensor<?x8xf32>
  return %e : tensor<?x8xf32>
}

// -----

// The splice walks the rows, counting image ids, and copies vision rows in.
// CHECK-LABEL: func.func @splice
// CHECK: %[[LOOP:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}}, %[[K:.*]] = %{{.*}}) -> (tensor<?x8xf32>, index)
// CHECK: %[[ID:.*]] = tensor.extract %{{.*}}[%[[I]]] : tensor<?xi32>
// CHECK: arith.cmpi eq, %[[ID]], %{{.*}} : i32
// CHECK: scf.if
// CHECK: %[[ROW:.*]] = tensor.extract_slice %{{.*}}[%[[K]], 0] [1, 8] [1, 1]
// CHECK: tensor.insert_slice %[[ROW]] into %[[OUT]][%[[I]], 0] [1, 8] [1, 1]
// CHECK: return %[[LOOP]]#0
func.func @splice(%e: tensor<?x8xf32>, %ids: tensor<?xi32>, %v: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %s = xgenmm.splice %e, %ids, %v image_token 18 : tensor<?x8xf32>, tensor<?xi32>, tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

// Anyres regrouping: a gather generic over the stitched map and a mask
// generic; the padding band comes from f64 arithmetic as unpad_image does.
// CHECK-LABEL: func.func @regroup
// CHECK: arith.uitofp %{{.*}} : i64 to f64
// CHECK: arith.cmpf ogt
// CHECK: arith.fptosi %{{.*}} : f64 to i64
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x9x4xf32>)
// CHECK: tensor.extract %{{.*}}[{{.*}}] : tensor<?x9x4xf32>
// CHECK: %[[M:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x9xi1>)
// CHECK-DAG: arith.cmpi sge
// CHECK-DAG: arith.cmpi slt
// CHECK: return %[[G]], %[[M]]
func.func @regroup(%f: tensor<?x9x4xf32>, %r: index, %c: index, %w: index, %h: index)
    -> (tensor<?x9x4xf32>, tensor<?x9xi1>) {
  %g, %m = xgenmm.anyres_regroup %f grid(%r, %c) size(%w, %h)
      : tensor<?x9x4xf32> -> tensor<?x9x4xf32>, tensor<?x9xi1>
  return %g, %m : tensor<?x9x4xf32>, tensor<?x9xi1>
}
