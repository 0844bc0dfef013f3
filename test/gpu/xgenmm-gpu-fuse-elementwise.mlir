// RUN: xgenmm-opt %s --xgenmm-gpu-fuse-elementwise | FileCheck %s

#R2 = affine_map<(d0, d1) -> (d0, d1)>
#S2 = affine_map<(d0, d1) -> (d0)>
#C2 = affine_map<(d0, d1) -> (d1)>
#S1 = affine_map<(d0) -> (d0)>
#Q = affine_map<(d0, d1, d2) -> (d0, d2)>
#K = affine_map<(d0, d1, d2) -> (d1, d2)>
#O = affine_map<(d0, d1, d2) -> (d0, d1)>

// A norm: the scale of the sum by 1 / n (a broadcast of one op) goes into
// the apply step; the sum's fill, used by two reductions, is given to each
// its own (on the same empty tensor: bufferization gives the second its
// own buffer without a copy).
// CHECK-LABEL: func.func @norm
// CHECK: %[[E1:.*]] = tensor.empty
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}}) outs(%[[E1]]
// CHECK: %[[F2:.*]] = linalg.fill ins(%{{.*}}) outs(%[[E1]]
// CHECK: %[[S1:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}) outs(%[[F2]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %[[S1]], %{{.*}} : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32>)
// CHECK: arith.mulf
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}) outs(%[[F1]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %y: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 1.5625e-02 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %ss = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x64xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %mean = linalg.generic {indexing_maps = [#S1, #S1], iterator_types = ["parallel"]}
      ins(%ss : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%s: f32, %out: f32):
    %m = arith.mulf %s, %inv : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  %o0 = tensor.empty(%n) : tensor<?x64xf32>
  %o = linalg.generic {indexing_maps = [#R2, #S2, #C2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mean, %w : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32>) outs(%o0 : tensor<?x64xf32>) {
  ^bb0(%a: f32, %m: f32, %g: f32, %out: f32):
    %r = math.rsqrt %m : f32
    %t = arith.mulf %a, %r : f32
    %u = arith.mulf %t, %g : f32
    linalg.yield %u : f32
  } -> tensor<?x64xf32>
  %s2 = linalg.generic {indexing_maps = [#R2, #S2], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<?x64xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %o, %s2 : tensor<?x64xf32>, tensor<?xf32>
}

// A table computed from indices alone (RoPE's cos of the position) is
// recomputed by each of its two consumers; a single-use elementwise
// producer of the same rank joins its consumer.
// CHECK-LABEL: func.func @table
// CHECK: linalg.generic
// CHECK: math.cos
// CHECK: arith.mulf
// CHECK: linalg.generic
// CHECK: math.cos
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @table(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %cos = linalg.generic {indexing_maps = [#R2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<4x8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %c = math.cos %f : f32
    linalg.yield %c : f32
  } -> tensor<4x8xf32>
  %neg = linalg.generic {indexing_maps = [#R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#R2, #R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %cos : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %m = arith.mulf %p, %q : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#R2, #R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%neg, %cos : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %m = arith.addf %p, %q : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// Left apart: a producer of the consumer's rank with two uses (attention's
// masked scores, read by the row max and the exp step); any producer of a
// contraction (two inputs indexed by the reduction loop: q k^T) or of a
// step on a contraction's result (a key mask computed from indices, as the
// resampler's, into attention's mask step); a marked producer (an
// epilogue).
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-8: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @kept(%s: tensor<4x8xf32>, %q: tensor<4x16xf32>, %k: tensor<8x16xf32>, %acc: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %eq = tensor.empty() : tensor<4x16xf32>
  %masked = linalg.generic {indexing_maps = [#R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %exp = linalg.generic {indexing_maps = [#R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%masked : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = math.exp %a : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %rq = linalg.generic {indexing_maps = [#R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<4x16xf32>) outs(%eq : tensor<4x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x16xf32>
  %qk = linalg.generic {indexing_maps = [#Q, #K, #O], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%rq, %k : tensor<4x16xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %c, %m : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %epi = linalg.generic {indexing_maps = [#R2], iterator_types = ["parallel", "parallel"]}
      outs(%qk : tensor<4x8xf32>) attrs = {xgenmm.epilogue} {
  ^bb0(%out: f32):
    %n = math.tanh %out : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#R2, #R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%masked, %epi : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %ek = tensor.empty() : tensor<4x8xi1>
  %keys = linalg.generic {indexing_maps = [#R2], iterator_types = ["parallel", "parallel"]}
      outs(%ek : tensor<4x8xi1>) {
  ^bb0(%out: i1):
    %j = linalg.index 1 : index
    %c5 = arith.constant 5 : index
    %v = arith.cmpi ult, %j, %c5 : index
    linalg.yield %v : i1
  } -> tensor<4x8xi1>
  %ninf = arith.constant 0xFF800000 : f32
  %mk = linalg.generic {indexing_maps = [#R2, #R2, #R2], iterator_types = ["parallel", "parallel"]}
      ins(%qk, %keys : tensor<4x8xf32>, tensor<4x8xi1>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %kb: i1, %out: f32):
    %t = arith.select %kb, %a, %ninf : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %exp, %sum, %mk : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
