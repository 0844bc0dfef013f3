// RUN: xgenmm-opt %s -xgenmm-lower-to-linalg -canonicalize -cse -xgenmm-transpose-attention-keys | FileCheck %s

// The score contraction reads a [b, kv_heads, head_dim, keys] copy of the
// keys (rows contiguous along the keys, its output dimension); the probs-v
// contraction keeps its operands. Both are marked for the CPU schedule.
// CHECK-DAG: #[[KIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d2, d5)>
// CHECK-DAG: #[[KT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d3, d1, d5)>
// CHECK-DAG: #[[KD:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d1, d5)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d5, d2, d4)>
// CHECK-LABEL: func.func @gqa
// CHECK: %[[K4:.*]] = tensor.expand_shape %arg1 {{.*}} into tensor<?x9x2x3xf32>
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x2x3x9xf32>
// CHECK: %[[KTV:.*]] = linalg.generic {indexing_maps = [#[[KIN]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[K4]] : tensor<?x9x2x3xf32>) outs(%[[E]] : tensor<?x2x3x9xf32>) attrs = {xgenmm.attn_kt}
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[KT]], #[[S]]], {{.*}} ins(%{{.*}}, %[[KTV]] : tensor<?x5x2x2x3xf32>, tensor<?x2x3x9xf32>) outs(%{{.*}} : tensor<?x2x2x5x9xf32>) attrs = {xgenmm.attn_qk}
// CHECK: linalg.generic {indexing_maps = [#[[P]], #[[V]], #[[S]]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x2x2x5x9xf32>, tensor<?x9x2x3xf32>) outs(%{{.*}} : tensor<?x5x2x2x3xf32>) attrs = {xgenmm.attn_pv}

func.func @gqa(%q: tensor<?x5x12xf32>, %k: tensor<?x9x6xf32>, %v: tensor<?x9x6xf32>) -> tensor<?x5x12xf32> {
  %o = xgenmm.attention %q, %k, %v heads 4 kv_heads 2 head_dim 3 scale 0.57735
      : tensor<?x5x12xf32>, tensor<?x9x6xf32>, tensor<?x9x6xf32> -> tensor<?x5x12xf32>
  return %o : tensor<?x5x12xf32>
}

// Decode: one query row per kv head and group of two (2 rows <= 4): no copy
// of the keys; the scores are dot products over the keys as stored.
// CHECK-LABEL: func.func @decode
// CHECK-NOT: xgenmm.attn_kt
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[KD]], #[[S]]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x2x2x3xf32>, tensor<1x?x2x3xf32>) outs(%{{.*}} : tensor<1x2x2x1x?xf32>) attrs = {xgenmm.attn_qk_dot}
// CHECK: attrs = {xgenmm.attn_pv}

func.func @decode(%q: tensor<1x12xf32>, %k: tensor<?x6xf32>, %v: tensor<?x6xf32>) -> tensor<1x12xf32> {
  %o = xgenmm.attention %q, %k, %v heads 4 kv_heads 2 head_dim 3 scale 0.57735
      : tensor<1x12xf32>, tensor<?x6xf32>, tensor<?x6xf32> -> tensor<1x12xf32>
  return %o : tensor<1x12xf32>
}

// Decode over a bf16 KV cache: the contractions widen the keys and values
// in their bodies (arith.extf) and are still recognised and marked.
// CHECK-LABEL: func.func @decode_bf16_cache
// CHECK-NOT: xgenmm.attn_kt
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[KD]], #[[S]]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x2x2x3xf32>, tensor<1x?x2x3xbf16>) outs(%{{.*}} : tensor<1x2x2x1x?xf32>) attrs = {xgenmm.attn_qk_dot}
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<1x2x2x1x?xf32>, tensor<1x?x2x3xbf16>) {{.*}} attrs = {xgenmm.attn_pv}

func.func @decode_bf16_cache(%q: tensor<1x12xf32>, %k: tensor<1x6xf32>, %v: tensor<1x6xf32>,
                             %kc: tensor<16x6xbf16>, %vc: tensor<16x6xbf16>, %p: index)
    -> (tensor<1x12xf32>, tensor<16x6xbf16>, tensor<16x6xbf16>) {
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<16x6xbf16>, tensor<16x6xbf16> at %p)
      heads 4 kv_heads 2 head_dim 3 scale 0.57735 causal
      : tensor<1x12xf32>, tensor<1x6xf32>, tensor<1x6xf32> -> tensor<1x12xf32>, tensor<16x6xbf16>, tensor<16x6xbf16>
  return %o, %kc2, %vc2 : tensor<1x12xf32>, tensor<16x6xbf16>, tensor<16x6xbf16>
}
