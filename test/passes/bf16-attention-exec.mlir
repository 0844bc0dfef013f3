// Attention on AVX512-BF16 dot products (`bf16-dot`:
// xgenmm-bf16-dot-attention rounds q and the transposed keys to bf16 for
// q k^T, and, after those scores, the probabilities (written as bf16 by
// the softmax's division) and v for p v; the schedule tiles q k^T's head
// dimension and p v's keys by pairs, the odd last key of p v by itself;
// xgenmm-lower-bf16-dot makes the register tiles vdpbf16ps), through the
// whole CPU pipeline: the fused form (static rows and keys), the unfused
// one (dynamic rows) and one with dynamic keys too (32-column tiles, then
// column by column, where the static forms split the last 25 keys into
// 16 + 8 + 1). The inputs of fused-attention-exec.mlir with a head
// dimension of 4 (two pairs): every input is a multiple of 1/8 below 2,
// exact in bf16, and every score exact in f32; the probabilities are
// rounded to bf16 the same way in all three, and p v's 57 keys summed in
// the same order (28 pairs, then the last key), so the three must agree
// to the last bit.
// REQUIRES: avx512bf16
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline=bf16-dot=true \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// The structure: the dot products are there, in all three forms.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline=bf16-dot=true \
// RUN:   -mlir-print-ir-after=xgenmm-bf16-dot-attention 2>&1 >/dev/null | FileCheck %s --check-prefix=IR
// IR: arith.truncf {{.*}} : f32 to bf16
// IR: linalg.generic {{.*}} ins({{.*}} : tensor<2x77x2x2x4xbf16>, tensor<2x2x4x57xbf16>) {{.*}} attrs = {xgenmm.attn_qk, xgenmm.attn_qk_bf16}
// IR: linalg.generic {{.*}} ins({{.*}} : tensor<2x57x2x4xf32>) outs({{.*}} : tensor<2x57x2x4xbf16>) attrs = {xgenmm.attn_v}
// IR: linalg.generic {{.*}} ins({{.*}} : tensor<2x2x2x77x57xbf16>, tensor<2x57x2x4xbf16>) {{.*}} attrs = {xgenmm.attn_pv, xgenmm.attn_pv_bf16}
// IR: attrs = {xgenmm.attn_qk, xgenmm.attn_qk_bf16}
// IR: attrs = {xgenmm.attn_pv, xgenmm.attn_pv_bf16}
// IR: attrs = {xgenmm.attn_qk, xgenmm.attn_qk_bf16}
// IR: attrs = {xgenmm.attn_pv, xgenmm.attn_pv_bf16}
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline=bf16-dot=true \
// RUN:   -mlir-print-ir-after=xgenmm-lower-bf16-dot 2>&1 >/dev/null | FileCheck %s --check-prefix=DOT
// DOT: x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// DOT: x86vector.avx512.dot {{.*}} : vector<16xbf16> -> vector<8xf32>
// (p v's four columns)
// DOT: x86vector.avx512.dot {{.*}} : vector<8xbf16> -> vector<4xf32>

// CHECK: bf16 q k^T: fused vs unfused attention (static and dynamic keys), max error: 0

#I3 = affine_map<(b, s, c) -> (b, s, c)>
#I2 = affine_map<(b, t) -> (b, t)>

func.func @max_error(%rows: tensor<?xf32>) -> f32 {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c7 = arith.constant 7 : index
  %c0r = arith.constant 0 : index
  %c77 = tensor.dim %rows, %c0r : tensor<?xf32>
  %c45 = arith.constant 57 : index
  %c12 = arith.constant 16 : index
  %c6 = arith.constant 8 : index
  // x[b, s, c] = ((p b + 5 s + 3 c) mod 23 - 11) / 8, p = 1, 2, 7 for q, k, v
  %qe = tensor.empty(%c77, %c12) : tensor<2x?x?xf32>
  %ke = tensor.empty(%c45, %c6) : tensor<2x?x?xf32>
  %q0 = linalg.generic {indexing_maps = [#I3], iterator_types = ["parallel", "parallel", "parallel"]} outs(%qe : tensor<2x?x?xf32>) {
  ^bb0(%o: f32):
    %b = linalg.index 0 : index
    %s = linalg.index 1 : index
    %c = linalg.index 2 : index
    %c5 = arith.constant 5 : index
    %c3 = arith.constant 3 : index
    %c23 = arith.constant 23 : index
    %t0 = arith.muli %b, %c1 : index
    %t1 = arith.muli %s, %c5 : index
    %t2 = arith.muli %c, %c3 : index
    %t3 = arith.addi %t0, %t1 : index
    %t4 = arith.addi %t3, %t2 : index
    %t5 = arith.remui %t4, %c23 : index
    %t6 = arith.index_cast %t5 : index to i32
    %t7 = arith.sitofp %t6 : i32 to f32
    %c11 = arith.constant 11.0 : f32
    %e8 = arith.constant 0.125 : f32
    %t8 = arith.subf %t7, %c11 : f32
    %v = arith.mulf %t8, %e8 : f32
    linalg.yield %v : f32
  } -> tensor<2x?x?xf32>
  %k0 = linalg.generic {indexing_maps = [#I3], iterator_types = ["parallel", "parallel", "parallel"]} outs(%ke : tensor<2x?x?xf32>) {
  ^bb0(%o: f32):
    %b = linalg.index 0 : index
    %s = linalg.index 1 : index
    %c = linalg.index 2 : index
    %c5 = arith.constant 5 : index
    %c3 = arith.constant 3 : index
    %c23 = arith.constant 23 : index
    %t0 = arith.muli %b, %c2 : index
    %t1 = arith.muli %s, %c5 : index
    %t2 = arith.muli %c, %c3 : index
    %t3 = arith.addi %t0, %t1 : index
    %t4 = arith.addi %t3, %t2 : index
    %t5 = arith.remui %t4, %c23 : index
    %t6 = arith.index_cast %t5 : index to i32
    %t7 = arith.sitofp %t6 : i32 to f32
    %c11 = arith.constant 11.0 : f32
    %e8 = arith.constant 0.125 : f32
    %t8 = arith.subf %t7, %c11 : f32
    %v = arith.mulf %t8, %e8 : f32
    linalg.yield %v : f32
  } -> tensor<2x?x?xf32>
  %v0 = linalg.generic {indexing_maps = [#I3], iterator_types = ["parallel", "parallel", "parallel"]} outs(%ke : tensor<2x?x?xf32>) {
  ^bb0(%o: f32):
    %b = linalg.index 0 : index
    %s = linalg.index 1 : index
    %c = linalg.index 2 : index
    %c5 = arith.constant 5 : index
    %c3 = arith.constant 3 : index
    %c23 = arith.constant 23 : index
    %t0 = arith.muli %b, %c7 : index
    %t1 = arith.muli %s, %c5 : index
    %t2 = arith.muli %c, %c3 : index
    %t3 = arith.addi %t0, %t1 : index
    %t4 = arith.addi %t3, %t2 : index
    %t5 = arith.remui %t4, %c23 : index
    %t6 = arith.index_cast %t5 : index to i32
    %t7 = arith.sitofp %t6 : i32 to f32
    %c11 = arith.constant 11.0 : f32
    %e8 = arith.constant 0.125 : f32
    %t8 = arith.subf %t7, %c11 : f32
    %v = arith.mulf %t8, %e8 : f32
    linalg.yield %v : f32
  } -> tensor<2x?x?xf32>
  %q = tensor.cast %q0 : tensor<2x?x?xf32> to tensor<2x77x16xf32>
  %qd = tensor.cast %q0 : tensor<2x?x?xf32> to tensor<2x?x16xf32>
  %k = tensor.cast %k0 : tensor<2x?x?xf32> to tensor<2x57x8xf32>
  %v = tensor.cast %v0 : tensor<2x?x?xf32> to tensor<2x57x8xf32>
  // mask[b, t]: every key but those with (b + t) mod 5 = 0
  %me = tensor.empty() : tensor<2x40xi1>
  %m = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]} outs(%me : tensor<2x40xi1>) {
  ^bb0(%o: i1):
    %b = linalg.index 0 : index
    %t = linalg.index 1 : index
    %c5 = arith.constant 5 : index
    %c0 = arith.constant 0 : index
    %s = arith.addi %b, %t : index
    %r = arith.remui %s, %c5 : index
    %keep = arith.cmpi ne, %r, %c0 : index
    linalg.yield %keep : i1
  } -> tensor<2x40xi1>
  %f = xgenmm.attention %q, %k, %v mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 4 scale 0.5
      : tensor<2x77x16xf32>, tensor<2x57x8xf32>, tensor<2x57x8xf32> -> tensor<2x77x16xf32>
  %u = xgenmm.attention %qd, %k, %v mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 4 scale 0.5
      : tensor<2x?x16xf32>, tensor<2x57x8xf32>, tensor<2x57x8xf32> -> tensor<2x?x16xf32>
  %us = tensor.cast %u : tensor<2x?x16xf32> to tensor<2x77x16xf32>
  %kd = tensor.cast %k0 : tensor<2x?x?xf32> to tensor<2x?x8xf32>
  %vd = tensor.cast %v0 : tensor<2x?x?xf32> to tensor<2x?x8xf32>
  %w = xgenmm.attention %qd, %kd, %vd mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 4 scale 0.5
      : tensor<2x?x16xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32> -> tensor<2x?x16xf32>
  %ws = tensor.cast %w : tensor<2x?x16xf32> to tensor<2x77x16xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<f32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %err = linalg.generic {indexing_maps = [#I3, #I3, #I3, affine_map<(b, s, c) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%f, %us, %ws : tensor<2x77x16xf32>, tensor<2x77x16xf32>, tensor<2x77x16xf32>) outs(%acc0 : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %z: f32, %e: f32):
    %d = arith.subf %x, %y : f32
    %ad = math.absf %d : f32
    %d2 = arith.subf %x, %z : f32
    %ad2 = math.absf %d2 : f32
    %mx0 = arith.maximumf %e, %ad : f32
    %mx = arith.maximumf %mx0, %ad2 : f32
    linalg.yield %mx : f32
  } -> tensor<f32>
  %r = tensor.extract %err[] : tensor<f32>
  return %r : f32
}

func.func @main() {
  %rows = arith.constant dense<0.0> : tensor<77xf32>
  %dyn = tensor.cast %rows : tensor<77xf32> to tensor<?xf32>
  %e = call @max_error(%dyn) : (tensor<?xf32>) -> f32
  vector.print str "bf16 q k^T: fused vs unfused attention (static and dynamic keys), max error: "
  vector.print %e : f32
  return
}
