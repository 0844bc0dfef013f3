// Causal attention over a KV cache with a dynamic number of query rows
// (prefill), which xgenmm-fuse-attention runs one block of 32 query rows at
// a time over the keys that block can see, executed through the CPU
// pipeline against the same attention with a static row count (not
// blocked: whole score matrices over all the keys), on the same inputs.
// The keys a block leaves out are the ones its mask would have dropped
// (exp gives exactly 0 for them), so both must agree to the last bit.
// 77 rows = 2 x 32 + 13 at position 19 of a 128-row cache (the rows before
// 19 are an earlier chunk's, the rows past 96 stale), grouped heads (4
// query heads on 2 kv heads of 4); plain causal, with a window of 40, and
// over a bf16 cache (bf16 dot products for q k^T and p v where the CPU
// pipeline uses them).
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline=bf16-dot=false \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// CHECK: blocked vs whole causal attention (plain, window, bf16 cache), max error: 0

// The structure: a serial loop over blocks of 32 rows; in it, the whole
// chain over [heads, rows, keys] with keys = min(T, position + s0 + rows),
// the block inserted into the output.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-transpose-attention-keys \
// RUN:   --xgenmm-fuse-attention --canonicalize | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @blocked(
// IR-SAME: %[[POS:[a-z0-9]+]]: index)
// IR: scf.for %[[S0:.*]] = %c0 to %{{.*}} step %c32 iter_args
// IR: %[[R:.*]] = affine.min
// IR: %[[E0:.*]] = arith.addi %[[POS]], %[[S0]] : index
// IR: %[[E1:.*]] = arith.addi %[[E0]], %[[R]] : index
// IR: arith.minui %[[E1]], %{{.*}} : index
// IR-NOT: scf.for
// IR: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x2x?x?xf32>) attrs = {xgenmm.attn_qk}
// IR: arith.maximumf
// IR: math.exp
// IR: arith.divf
// IR: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x?x2x2x4xf32>) attrs = {xgenmm.attn_pv}
// IR: tensor.insert_slice {{.*}}[0, %[[S0]], 0, 0, 0]
// IR: scf.yield
// Static rows are left whole.
// IR-LABEL: func.func @whole
// IR-NOT: scf.for
// IR: return

#I2 = affine_map<(s, c) -> (s, c)>

func.func @blocked(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                   %kc: tensor<128x8xf32>, %vc: tensor<128x8xf32>, %pos: index) -> tensor<?x16xf32> {
  %a, %ak, %av = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<128x8xf32>, tensor<128x8xf32> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>
  return %a : tensor<?x16xf32>
}

func.func @whole(%q: tensor<77x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                 %kc: tensor<128x8xf32>, %vc: tensor<128x8xf32>, %pos: index) -> tensor<77x16xf32> {
  %a, %ak, %av = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<128x8xf32>, tensor<128x8xf32> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<77x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<77x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>
  return %a : tensor<77x16xf32>
}

// Everything in one function (its buffers are planned together).
func.func @max_error(%rows: tensor<?xf32>, %pos: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c23 = arith.constant 23 : index
  %p1 = arith.constant 1 : index
  %p2 = arith.constant 2 : index
  %p3 = arith.constant 3 : index
  %p7 = arith.constant 7 : index
  %p11 = arith.constant 11 : index
  %f11 = arith.constant 11.0 : f32
  %f8 = arith.constant 0.125 : f32
  %n = tensor.dim %rows, %c0 : tensor<?xf32>
  // x[s, c] = ((p + 5 s + 3 c) mod 23 - 11) / 8 for q, k, v (p = 1, 2, 7)
  // and the caches' earlier rows (p = 3, 11)
  %q0e = tensor.empty(%n) : tensor<?x16xf32>
  %k0e = tensor.empty(%n) : tensor<?x8xf32>
  %v0e = tensor.empty(%n) : tensor<?x8xf32>
  %kce = tensor.empty() : tensor<128x8xf32>
  %vce = tensor.empty() : tensor<128x8xf32>
  %q0 = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]} outs(%q0e : tensor<?x16xf32>) {
  ^bb0(%o: f32):
    %s = linalg.index 0 : index
    %c = linalg.index 1 : index
    %s5 = arith.muli %s, %c5 : index
    %c3x = arith.muli %c, %c3 : index
    %t0 = arith.addi %s5, %c3x : index
    %t1 = arith.addi %t0, %p1 : index
    %t2 = arith.remui %t1, %c23 : index
    %t3 = arith.index_cast %t2 : index to i32
    %t4 = arith.sitofp %t3 : i32 to f32
    %t5 = arith.subf %t4, %f11 : f32
    %x = arith.mulf %t5, %f8 : f32
    linalg.yield %x : f32
  } -> tensor<?x16xf32>
  %k0 = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]} outs(%k0e : tensor<?x8xf32>) {
  ^bb0(%o: f32):
    %s = linalg.index 0 : index
    %c = linalg.index 1 : index
    %s5 = arith.muli %s, %c5 : index
    %c3x = arith.muli %c, %c3 : index
    %t0 = arith.addi %s5, %c3x : index
    %t1 = arith.addi %t0, %p2 : index
    %t2 = arith.remui %t1, %c23 : index
    %t3 = arith.index_cast %t2 : index to i32
    %t4 = arith.sitofp %t3 : i32 to f32
    %t5 = arith.subf %t4, %f11 : f32
    %x = arith.mulf %t5, %f8 : f32
    linalg.yield %x : f32
  } -> tensor<?x8xf32>
  %v0 = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]} outs(%v0e : tensor<?x8xf32>) {
  ^bb0(%o: f32):
    %s = linalg.index 0 : index
    %c = linalg.index 1 : index
    %s5 = arith.muli %s, %c5 : index
    %c3x = arith.muli %c, %c3 : index
    %t0 = arith.addi %s5, %c3x : index
    %t1 = arith.addi %t0, %p7 : index
    %t2 = arith.remui %t1, %c23 : index
    %t3 = arith.index_cast %t2 : index to i32
    %t4 = arith.sitofp %t3 : i32 to f32
    %t5 = arith.subf %t4, %f11 : f32
    %x = arith.mulf %t5, %f8 : f32
    linalg.yield %x : f32
  } -> tensor<?x8xf32>
  %kc = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]} outs(%kce : tensor<128x8xf32>) {
  ^bb0(%o: f32):
    %s = linalg.index 0 : index
    %c = linalg.index 1 : index
    %s5 = arith.muli %s, %c5 : index
    %c3x = arith.muli %c, %c3 : index
    %t0 = arith.addi %s5, %c3x : index
    %t1 = arith.addi %t0, %p3 : index
    %t2 = arith.remui %t1, %c23 : index
    %t3 = arith.index_cast %t2 : index to i32
    %t4 = arith.sitofp %t3 : i32 to f32
    %t5 = arith.subf %t4, %f11 : f32
    %x = arith.mulf %t5, %f8 : f32
    linalg.yield %x : f32
  } -> tensor<128x8xf32>
  %vc = linalg.generic {indexing_maps = [#I2], iterator_types = ["parallel", "parallel"]} outs(%vce : tensor<128x8xf32>) {
  ^bb0(%o: f32):
    %s = linalg.index 0 : index
    %c = linalg.index 1 : index
    %s5 = arith.muli %s, %c5 : index
    %c3x = arith.muli %c, %c3 : index
    %t0 = arith.addi %s5, %c3x : index
    %t1 = arith.addi %t0, %p11 : index
    %t2 = arith.remui %t1, %c23 : index
    %t3 = arith.index_cast %t2 : index to i32
    %t4 = arith.sitofp %t3 : i32 to f32
    %t5 = arith.subf %t4, %f11 : f32
    %x = arith.mulf %t5, %f8 : f32
    linalg.yield %x : f32
  } -> tensor<128x8xf32>
  %qs = tensor.cast %q0 : tensor<?x16xf32> to tensor<77x16xf32>
  %bfe = tensor.empty() : tensor<128x8xbf16>
  %kb = linalg.generic {indexing_maps = [#I2, #I2], iterator_types = ["parallel", "parallel"]} ins(%kc : tensor<128x8xf32>) outs(%bfe : tensor<128x8xbf16>) {
  ^bb0(%x: f32, %o: bf16):
    %y = arith.truncf %x : f32 to bf16
    linalg.yield %y : bf16
  } -> tensor<128x8xbf16>
  %vb = linalg.generic {indexing_maps = [#I2, #I2], iterator_types = ["parallel", "parallel"]} ins(%vc : tensor<128x8xf32>) outs(%bfe : tensor<128x8xbf16>) {
  ^bb0(%x: f32, %o: bf16):
    %y = arith.truncf %x : f32 to bf16
    linalg.yield %y : bf16
  } -> tensor<128x8xbf16>
  %a, %ak, %av = xgenmm.attention %q0, %k0, %v0 cache(%kc, %vc : tensor<128x8xf32>, tensor<128x8xf32> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>
  %b, %bk, %bv = xgenmm.attention %qs, %k0, %v0 cache(%kc, %vc : tensor<128x8xf32>, tensor<128x8xf32> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<77x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<77x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>
  %c, %ck, %cv = xgenmm.attention %q0, %k0, %v0 cache(%kc, %vc : tensor<128x8xf32>, tensor<128x8xf32> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal window 40
      : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>
  %d, %dk, %dv = xgenmm.attention %qs, %k0, %v0 cache(%kc, %vc : tensor<128x8xf32>, tensor<128x8xf32> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal window 40
      : tensor<77x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<77x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>
  %e, %ek, %ev = xgenmm.attention %q0, %k0, %v0 cache(%kb, %vb : tensor<128x8xbf16>, tensor<128x8xbf16> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32>, tensor<128x8xbf16>, tensor<128x8xbf16>
  %f, %fk, %fv = xgenmm.attention %qs, %k0, %v0 cache(%kb, %vb : tensor<128x8xbf16>, tensor<128x8xbf16> at %pos)
      heads 4 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<77x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<77x16xf32>, tensor<128x8xbf16>, tensor<128x8xbf16>
  %as = tensor.cast %a : tensor<?x16xf32> to tensor<77x16xf32>
  %cs = tensor.cast %c : tensor<?x16xf32> to tensor<77x16xf32>
  %es = tensor.cast %e : tensor<?x16xf32> to tensor<77x16xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<f32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %err = linalg.generic {indexing_maps = [#I2, #I2, #I2, #I2, #I2, #I2, affine_map<(s, c) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%as, %b, %cs, %d, %es, %f : tensor<77x16xf32>, tensor<77x16xf32>, tensor<77x16xf32>, tensor<77x16xf32>, tensor<77x16xf32>, tensor<77x16xf32>)
      outs(%acc0 : tensor<f32>) {
  ^bb0(%x0: f32, %y0: f32, %x1: f32, %y1: f32, %x2: f32, %y2: f32, %m: f32):
    %d0 = arith.subf %x0, %y0 : f32
    %d1 = arith.subf %x1, %y1 : f32
    %d2 = arith.subf %x2, %y2 : f32
    %a0 = math.absf %d0 : f32
    %a1 = math.absf %d1 : f32
    %a2 = math.absf %d2 : f32
    %m0 = arith.maximumf %m, %a0 : f32
    %m1 = arith.maximumf %m0, %a1 : f32
    %m2 = arith.maximumf %m1, %a2 : f32
    linalg.yield %m2 : f32
  } -> tensor<f32>
  %r = tensor.extract %err[] : tensor<f32>
  return %r : f32
}

func.func @main() {
  %rows = arith.constant dense<0.0> : tensor<77xf32>
  %rd = tensor.cast %rows : tensor<77xf32> to tensor<?xf32>
  %pos = arith.constant 19 : index
  %e = call @max_error(%rd, %pos) : (tensor<?xf32>, index) -> f32
  vector.print str "blocked vs whole causal attention (plain, window, bf16 cache), max error: "
  vector.print %e : f32
  return
}
