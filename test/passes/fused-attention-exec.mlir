// Attention with static query rows (xgenmm-fuse-attention: per kv head and
// block of 32 query rows, the scores, softmax and p v in tile-sized
// buffers) executed through the CPU pipeline against the same attention
// with a dynamic row count (not fused: whole score matrices), on the same
// inputs, both in @max_error. Both do the same arithmetic per element in
// the same order, so they must agree to the last bit. A third form has
// dynamic keys as well: its scores take the 32-column tiles and then one
// column at a time, where the static forms split the last 25 keys into
// 16 + 8 + 1 columns. 77 rows = 2 x 32 + 13 (the peeled partial block),
// 57 keys (32 + 25) with a key mask over the first 40,
// grouped heads (4 query heads on 2 kv heads), 2 batches. @fused and
// @unfused, the two forms alone, are for the structure checks.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// The structure: the heads loop parallel, the intermediates on each
// thread's stack (not views of whole score matrices).
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-transpose-attention-keys \
// RUN:   --xgenmm-fuse-attention --canonicalize | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @fused
// IR: scf.for
// IR: scf.for {{.*}} to %c2 step %c1
// IR: scf.for {{.*}} to %c64 step %c32
// IR: tensor.empty() : tensor<1x1x1x32x57xf32>
// IR: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x1x32x57xf32>) attrs = {xgenmm.attn_qk}
// IR: arith.maximumf
// IR: math.exp
// IR: arith.divf
// IR: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x32x1x1x3xf32>) attrs = {xgenmm.attn_pv}
// The peeled partial block, 13 rows:
// IR: tensor.empty() : tensor<1x1x1x13x57xf32>
// IR: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x13x1x1x3xf32>) attrs = {xgenmm.attn_pv}
// IR: } {xgenmm.parallel}
// The dynamic one is left whole.
// IR-LABEL: func.func @unfused
// IR-NOT: scf.for
// IR: return
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline=bf16-dot=false \
// RUN:   -mlir-print-ir-after=xgenmm-parallelize-loops 2>&1 >/dev/null | FileCheck %s --check-prefix=PAR
// PAR-LABEL: func.func @fused
// PAR: scf.parallel
// PAR: memref.alloca_scope
// PAR: memref.alloca() {{.*}} : memref<1x1x1x32x57xf32>

// The keys' transposes (computed once, outside the fused row blocks): the
// kv heads shared among threads, 16 keys at a time as one register
// transpose, the last 9 of the 57 key by key.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline=bf16-dot=false \
// RUN:   -mlir-print-ir-after=xgenmm-vectorize-elementwise 2>&1 >/dev/null | FileCheck %s --check-prefix=KT
// KT-LABEL: func.func @fused
// KT: scf.for {{.*}} to %c48 step %c16
// KT: vector.transpose {{.*}} : vector<1x16x1x3xf32> to vector<1x1x3x16xf32>
// KT: scf.for {{.*}} to %c9 step %c1
// KT: vector.transpose {{.*}} : vector<1x1x1x3xf32> to vector<1x1x3x1xf32>
// KT: } {xgenmm.parallel}

// CHECK: fused vs unfused attention (static and dynamic keys), max error: 0

#I3 = affine_map<(b, s, c) -> (b, s, c)>
#I2 = affine_map<(b, t) -> (b, t)>

func.func @fused(%q: tensor<2x77x12xf32>, %k: tensor<2x57x6xf32>, %v: tensor<2x57x6xf32>,
                 %m: tensor<2x40xi1>) -> tensor<2x77x12xf32> {
  %a = xgenmm.attention %q, %k, %v mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.5
      : tensor<2x77x12xf32>, tensor<2x57x6xf32>, tensor<2x57x6xf32> -> tensor<2x77x12xf32>
  return %a : tensor<2x77x12xf32>
}

func.func @unfused(%q: tensor<2x?x12xf32>, %k: tensor<2x57x6xf32>, %v: tensor<2x57x6xf32>,
                   %m: tensor<2x40xi1>) -> tensor<2x?x12xf32> {
  %a = xgenmm.attention %q, %k, %v mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.5
      : tensor<2x?x12xf32>, tensor<2x57x6xf32>, tensor<2x57x6xf32> -> tensor<2x?x12xf32>
  return %a : tensor<2x?x12xf32>
}

func.func @max_error(%rows: tensor<?xf32>) -> f32 {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c7 = arith.constant 7 : index
  %c0r = arith.constant 0 : index
  %c77 = tensor.dim %rows, %c0r : tensor<?xf32>
  %c45 = arith.constant 57 : index
  %c12 = arith.constant 12 : index
  %c6 = arith.constant 6 : index
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
  %q = tensor.cast %q0 : tensor<2x?x?xf32> to tensor<2x77x12xf32>
  %qd = tensor.cast %q0 : tensor<2x?x?xf32> to tensor<2x?x12xf32>
  %k = tensor.cast %k0 : tensor<2x?x?xf32> to tensor<2x57x6xf32>
  %v = tensor.cast %v0 : tensor<2x?x?xf32> to tensor<2x57x6xf32>
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
  %f = xgenmm.attention %q, %k, %v mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.5
      : tensor<2x77x12xf32>, tensor<2x57x6xf32>, tensor<2x57x6xf32> -> tensor<2x77x12xf32>
  %u = xgenmm.attention %qd, %k, %v mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.5
      : tensor<2x?x12xf32>, tensor<2x57x6xf32>, tensor<2x57x6xf32> -> tensor<2x?x12xf32>
  %us = tensor.cast %u : tensor<2x?x12xf32> to tensor<2x77x12xf32>
  %kd = tensor.cast %k0 : tensor<2x?x?xf32> to tensor<2x?x6xf32>
  %vd = tensor.cast %v0 : tensor<2x?x?xf32> to tensor<2x?x6xf32>
  %w = xgenmm.attention %qd, %kd, %vd mask(%m : tensor<2x40xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.5
      : tensor<2x?x12xf32>, tensor<2x?x6xf32>, tensor<2x?x6xf32> -> tensor<2x?x12xf32>
  %ws = tensor.cast %w : tensor<2x?x12xf32> to tensor<2x77x12xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<f32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %err = linalg.generic {indexing_maps = [#I3, #I3, #I3, affine_map<(b, s, c) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%f, %us, %ws : tensor<2x77x12xf32>, tensor<2x77x12xf32>, tensor<2x77x12xf32>) outs(%acc0 : tensor<f32>) {
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
  vector.print str "fused vs unfused attention (static and dynamic keys), max error: "
  vector.print %e : f32
  return
}
