// RUN: xgenmm-opt %s -split-input-file -xgenmm-lower-to-linalg | FileCheck %s

// Grouped-query attention with a key mask: the 4 query heads are viewed as
// [2 kv heads, group 2], so both contractions have projected-permutation
// maps; the mask covers the first 7 of 9 keys and is padded with true.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d2, d5)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d1, d5)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @gqa_masked
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[Q5:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3, 4]] output_shape [%{{.*}}, 5, 2, 2, 3] : tensor<?x5x12xf32> into tensor<?x5x2x2x3xf32>
// CHECK: %[[K4:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [%{{.*}}, 9, 2, 3] : tensor<?x9x6xf32> into tensor<?x9x2x3xf32>
// CHECK: %[[SC:.*]] = linalg.generic {indexing_maps = [#[[Q]], #[[K]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[Q5]], %[[K4]] : tensor<?x5x2x2x3xf32>, tensor<?x9x2x3xf32>) outs(%{{.*}} : tensor<?x2x2x5x9xf32>)
// The padded key mask: keys below 7 read the mask, the others are true.
// CHECK: %[[M:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x9xi1>)
// CHECK: arith.cmpi ult
// CHECK: tensor.extract %{{.*}}[{{.*}}] : tensor<?x7xi1>
// CHECK: arith.select
// Scaled and masked to -inf.
// CHECK: linalg.generic {{.*}} ins(%[[SC]], %[[M]] : tensor<?x2x2x5x9xf32>, tensor<?x9xi1>)
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NINF]] : f32
// Softmax: max, exp, sum, divide.
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x2x2x5x9xf32>, tensor<?x9x2x3xf32>) outs(%{{.*}} : tensor<?x5x2x2x3xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3, 4]] : tensor<?x5x2x2x3xf32> into tensor<?x5x12xf32>
func.func @gqa_masked(%q: tensor<?x5x12xf32>, %k: tensor<?x9x6xf32>, %v: tensor<?x9x6xf32>,
                      %m: tensor<?x7xi1>) -> tensor<?x5x12xf32> {
  %o = xgenmm.attention %q, %k, %v mask(%m : tensor<?x7xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.57735
      : tensor<?x5x12xf32>, tensor<?x9x6xf32>, tensor<?x9x6xf32> -> tensor<?x5x12xf32>
  return %o : tensor<?x5x12xf32>
}

// -----

// With a KV cache: the new rows go into the caches at the position, then
// attention reads rows [0, position + S) only; causal and window masks use
// absolute positions.
// CHECK-LABEL: func.func @cached
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<?x8xf32>, %[[K:[^:]*]]: tensor<?x8xf32>, %[[V:[^:]*]]: tensor<?x8xf32>, %[[KC:[^:]*]]: tensor<32x8xf32>, %[[VC:[^:]*]]: tensor<32x8xf32>, %[[P:[^:]*]]: index)
// CHECK: %[[KC2:.*]] = tensor.insert_slice %[[K]] into %[[KC]][%[[P]], 0] [%{{.*}}, 8] [1, 1]
// CHECK: %[[VC2:.*]] = tensor.insert_slice %[[V]] into %[[VC]][%[[P]], 0] [%{{.*}}, 8] [1, 1]
// CHECK: %[[N:.*]] = arith.addi %[[P]], %{{.*}} : index
// CHECK: tensor.extract_slice %[[KC2]][0, 0] [%[[N]], 8] [1, 1] : tensor<32x8xf32> to tensor<?x8xf32>
// CHECK: tensor.extract_slice %[[VC2]][0, 0] [%[[N]], 8] [1, 1] : tensor<32x8xf32> to tensor<?x8xf32>
// CHECK: linalg.index 3
// CHECK: linalg.index 4
// CHECK: %[[ABS:.*]] = arith.addi %{{.*}}, %[[P]] : index
// CHECK: arith.cmpi ule, %{{.*}}, %[[ABS]] : index
// CHECK: arith.cmpi ugt, %{{.*}}, %[[ABS]] : index
// CHECK: return %{{.*}}, %[[KC2]], %[[VC2]]
func.func @cached(%q: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                  %kc: tensor<32x8xf32>, %vc: tensor<32x8xf32>, %p: index)
    -> (tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<32x8xf32>, tensor<32x8xf32> at %p)
      heads 2 kv_heads 2 head_dim 4 scale 0.5 causal window 16
      : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>
  return %o, %kc2, %vc2 : tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

// A bf16 KV cache: the new rows are rounded into it (truncf, nearest even)
// before they are written; both contractions widen the cached keys and
// values to f32 in their bodies.
// CHECK-LABEL: func.func @cached_bf16
// CHECK-SAME: %[[KC:[^:]*]]: tensor<32x8xbf16>, %[[VC:[^:]*]]: tensor<32x8xbf16>, %[[P:[^:]*]]: index
// CHECK: %[[KR:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<?x8xf32>) outs(%{{.*}} : tensor<?x8xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[KC2:.*]] = tensor.insert_slice %[[KR]] into %[[KC]][%[[P]], 0]
// CHECK: %[[VR:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x8xbf16>)
// CHECK: arith.truncf
// CHECK: %[[VC2:.*]] = tensor.insert_slice %[[VR]] into %[[VC]][%[[P]], 0]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x?x2x1x4xf32>, tensor<1x?x2x4xbf16>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x1x?x?xf32>, tensor<1x?x2x4xbf16>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: return %{{.*}}, %[[KC2]], %[[VC2]] : tensor<?x8xf32>, tensor<32x8xbf16>, tensor<32x8xbf16>
func.func @cached_bf16(%q: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                       %kc: tensor<32x8xbf16>, %vc: tensor<32x8xbf16>, %p: index)
    -> (tensor<?x8xf32>, tensor<32x8xbf16>, tensor<32x8xbf16>) {
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<32x8xbf16>, tensor<32x8xbf16> at %p)
      heads 2 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x8xbf16>, tensor<32x8xbf16>
  return %o, %kc2, %vc2 : tensor<?x8xf32>, tensor<32x8xbf16>, tensor<32x8xbf16>
}

// -----

// An int8 KV cache (rows [kv_heads, head_dim + 4]): each new row's heads are
// quantized (max |x| per head, round to even, clamp to [-127, 127]) and the
// scale's f32 bytes appended; both contractions read the int8 values
// (sitofp) through a [.., kv_heads, 0:head_dim] slice of the rows; the
// scales, reassembled from their bytes, multiply the scores (keys) and the
// probabilities (values).
// CHECK-LABEL: func.func @cached_int8
// CHECK-SAME: %[[KC:[^:]*]]: tensor<32x16xi8>, %[[VC:[^:]*]]: tensor<32x16xi8>, %[[P:[^:]*]]: index
// CHECK: %[[AMAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<1x?x2x4xf32>) outs(%{{.*}} : tensor<1x?x2xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[VALS:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[AMAX]] : tensor<1x?x2x4xf32>, tensor<1x?x2xf32>) outs(%{{.*}} : tensor<1x?x2x4xi8>)
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: %[[BYTES:.*]] = linalg.generic {{.*}} ins(%[[AMAX]] : tensor<1x?x2xf32>) outs(%{{.*}} : tensor<1x?x2x4xi8>)
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: tensor.insert_slice %[[VALS]] into %{{.*}}[0, 0, 0, 0] [1, %{{.*}}, 2, 4] [1, 1, 1, 1] : tensor<1x?x2x4xi8> into tensor<1x?x2x8xi8>
// CHECK: tensor.insert_slice %[[BYTES]] into %{{.*}}[0, 0, 0, 4] [1, %{{.*}}, 2, 4] [1, 1, 1, 1] : tensor<1x?x2x4xi8> into tensor<1x?x2x8xi8>
// CHECK: %[[KC2:.*]] = tensor.insert_slice %{{.*}} into %[[KC]][%[[P]], 0] [%{{.*}}, 16] [1, 1] : tensor<?x16xi8> into tensor<32x16xi8>
// CHECK: %[[VC2:.*]] = tensor.insert_slice %{{.*}} into %[[VC]][%[[P]], 0]
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x?x2x4xi8>) outs(%{{.*}} : tensor<1x?x2xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x?x2x1x4xf32>, tensor<1x?x2x4xi8>)
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x1x?x?xf32>, tensor<1x?x2xi32>)
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2x1x?x?xf32>, tensor<1x2x1x?xf32>, tensor<1x?x2xi32>)
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x1x?x?xf32>, tensor<1x?x2x4xi8>)
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: return %{{.*}}, %[[KC2]], %[[VC2]] : tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>
func.func @cached_int8(%q: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                       %kc: tensor<32x16xi8>, %vc: tensor<32x16xi8>, %p: index)
    -> (tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>) {
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<32x16xi8>, tensor<32x16xi8> at %p)
      heads 2 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>
  return %o, %kc2, %vc2 : tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>
}

// -----

// RoPE: the head dimension viewed as [2, D/2]; a first generic tabulates
// cos/sin of (position + row) * theta^(-2j/D) per row and frequency (not
// per head), a second yields both rotated halves of every head from them.
// CHECK-LABEL: func.func @rope
// CHECK: tensor.expand_shape %{{.*}} output_shape [1, %{{.*}}, 2, 2, 3] : tensor<1x?x12xf32> into tensor<1x?x2x2x3xf32>
// CHECK: %[[T:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK: math.powf
// CHECK: math.cos
// CHECK: math.sin
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[T]]#0, %[[T]]#1 : tensor<1x?x2x3xf32>, tensor<1x?x2x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) outs(%{{.*}}, %{{.*}} : tensor<1x?x2x3xf32>, tensor<1x?x2x3xf32>)
// CHECK-NOT: math.cos
// CHECK: tensor.insert_slice %[[R]]#0
// CHECK: tensor.insert_slice %[[R]]#1
func.func @rope(%x: tensor<?x12xf32>, %p: index) -> tensor<?x12xf32> {
  %r = xgenmm.rope %x at %p heads 2 head_dim 6 theta 1.0e4 : tensor<?x12xf32>
  return %r : tensor<?x12xf32>
}
