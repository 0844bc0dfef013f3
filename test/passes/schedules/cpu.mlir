// The CPU schedule (passes/schedules/cpu.mlir), run from its source file by
// the transform interpreter and as embedded in the binaries by
// xgenmm-apply-schedule: the same tiles either way.
// RUN: xgenmm-opt %s --transform-preload-library=transform-library-paths=%xgenmm_src_root/passes/schedules/cpu.mlir --transform-interpreter=entry-point=xgenmm_tile_cache --transform-interpreter=entry-point=xgenmm_tile_vec --loop-invariant-subset-hoisting --canonicalize --cse | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-apply-schedule=entry-point=xgenmm_tile_cache --xgenmm-apply-schedule --loop-invariant-subset-hoisting --canonicalize --cse | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-apply-schedule=entry-point=xgenmm_tile_cache --xgenmm-apply-schedule=entry-point=xgenmm_tile_vec_avx2 --loop-invariant-subset-hoisting --canonicalize --cse | FileCheck %s --check-prefix=AVX2

// M dynamic: 8x32 register tiles (8 broadcasts of a x one 32-wide row of w
// per k), the accumulator kept in registers over the K loop; the static N
// remainder (40 = 32 + 8) at its own width; the dynamic M remainder row by
// row.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.for %{{.*}} step %c768
// CHECK: scf.for %{{.*}} step %c8
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<8x40xf32>, vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c20 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<?x20xf32>, vector<8x1xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<20x40xf32>, vector<1x32xf32>
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x8xf32> into vector<8x8xf32>
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x1xf32>, vector<1x8xf32> into vector<1x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: return

// AVX2 (xgenmm_tile_vec_avx2): the same products on 6x16 register tiles
// (12 ymm accumulators), the N remainder (40 = 2 x 16 + 8) at its own
// width, the M remainder row by row.
// AVX2-LABEL: func.func @matmul
// AVX2: scf.for %{{.*}} step %c768
// AVX2: scf.for %{{.*}} step %c6
// AVX2: scf.for %{{.*}} = %c0 to %c32 step %c16
// AVX2: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<6x40xf32>, vector<6x16xf32>
// AVX2: scf.for %{{.*}} = %c0 to %c20 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<6x16xf32>)
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x8xf32> into vector<6x8xf32>
// AVX2: scf.for %{{.*}} step %c6
// AVX2: vector.contract {{.*}} : vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// AVX2: vector.contract {{.*}} : vector<1x1xf32>, vector<1x8xf32> into vector<1x8xf32>
// AVX2-NOT: vector<8x32xf32>
// AVX2: return

// M = 1 (decode): the weight streamed 8 rows x 64 columns at a time, the
// remainders (72 = 64 + 8 columns, 20 = 16 + 4 rows) peeled; bf16 rows are
// widened as vectors.
// CHECK-LABEL: func.func @matvec_bf16
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: vector.transfer_read {{.*}} : tensor<20x72xbf16>, vector<8x64xbf16>
// CHECK: arith.extf {{.*}} : vector<8x64xbf16> to vector<8x64xf32>
// CHECK: vector.contract {{.*}} : vector<1x8xf32>, vector<8x64xf32> into vector<1x64xf32>
// CHECK: vector.contract {{.*}} : vector<1x8xf32>, vector<8x8xf32> into vector<1x8xf32>
// CHECK: vector.contract {{.*}} : vector<1x4xf32>, vector<4x64xf32> into vector<1x64xf32>
// CHECK: vector.contract {{.*}} : vector<1x4xf32>, vector<4x8xf32> into vector<1x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: return

// Attention, per (batch, kv head, group): q k^T over the transposed keys
// with 8x32 tiles, the dynamic key remainder column by column, the dynamic
// query remainder row by row; p v with 8x32 tiles over the head dim (40 =
// 32 + 8), the keys one at a time.
// CHECK-LABEL: func.func @attn_qk
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}}) -> (vector<1x1x1x8x32xf32>)
// CHECK: vector.contract {{.*}} : vector<1x8x1x1x1xf32>, vector<1x1x1x32xf32> into vector<1x1x1x8x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x8x1x1x1xf32>, vector<1x1x1x1xf32> into vector<1x1x1x8x1xf32>
// CHECK: vector.contract {{.*}} : vector<1x1x1x1x1xf32>, vector<1x1x1x32xf32> into vector<1x1x1x1x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x1x1x1x1xf32>, vector<1x1x1x1xf32> into vector<1x1x1x1x1xf32>
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func.func @attn_pv
// CHECK: vector.contract {{.*}} : vector<1x1x1x8x1xf32>, vector<1x1x1x32xf32> into vector<1x8x1x1x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x1x1x8x1xf32>, vector<1x1x1x8xf32> into vector<1x8x1x1x8xf32>
// CHECK: vector.contract {{.*}} : vector<1x1x1x1x1xf32>, vector<1x1x1x32xf32> into vector<1x1x1x1x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x1x1x1x1xf32>, vector<1x1x1x8xf32> into vector<1x1x1x1x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: return

// Decode's scores over the keys as stored: the kv heads shared among
// threads, per key 16 lanes of partial sums over the head dim, kept in
// registers, the remainder (40 = 32 + 8) peeled off at its own width, then
// one horizontal sum.
// CHECK-LABEL: func.func @attn_qk_dot
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16 iter_args(%{{.*}} = %{{.*}}) -> (vector<1x1x1x1x1x16xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<1x?x2x40xf32>, vector<1x1x1x1x1x16xf32>
// CHECK: arith.addf {{.*}} : vector<1x1x1x1x1x16xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<1x?x2x40xf32>, vector<1x1x1x1x1x8xf32>
// CHECK: vector.multi_reduction <add>, %{{.*}}, %{{.*}} [5] : vector<1x1x1x1x1x16xf32> to vector<1x1x1x1x1xf32>
// CHECK: } {xgenmm.parallel}
// CHECK-NOT: linalg.generic

// int4 decode: column tiles of 64 (the remainder, 72 = 64 + 8, peeled),
// the groups and the pairs one at a time inside, the 1x64 accumulator
// carried in registers through both loops.
// CHECK-LABEL: func.func @matvec_int4
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x72xf32>, vector<1x64xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[ACC]], %{{.*}} = %{{.*}}) -> (vector<1x64xf32>, vector<1x8xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}}) -> (vector<1x64xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<2x4x72xi8>, vector<1x1x64xi8>
// CHECK: arith.shrsi {{.*}} : vector<1x1x64xi32>
// CHECK: vector.transfer_read {{.*}} : tensor<2x4x72xi8>, vector<1x1x8xi8>
// CHECK-NOT: linalg.generic

// Unmarked contractions are left alone.
// CHECK-LABEL: func.func @unmarked
// CHECK: linalg.generic
// CHECK-NOT: vector.contract

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
#BT = affine_map<(m, n, k) -> (n, k)>
#q = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d2, d5)>
#kt = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>
#s = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
#p = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d3, d1, d5)>
#v = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d5, d2, d4)>
#k = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d1, d5)>
#a4 = affine_map<(m, g, k, n) -> (m, g, k)>
#v4 = affine_map<(m, g, k, n) -> (g, k, n)>
#s4 = affine_map<(m, g, k, n) -> (g, n)>
#o4 = affine_map<(m, g, k, n) -> (m, n)>

func.func @matmul(%a: tensor<?x20xf32>, %w: tensor<20x40xf32>, %c: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x20xf32>, tensor<20x40xf32>) outs(%c : tensor<?x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  return %r : tensor<?x40xf32>
}

func.func @matvec_bf16(%a: tensor<1x20xf32>, %w: tensor<20x72xbf16>, %c: tensor<1x72xf32>) -> tensor<1x72xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x20xf32>, tensor<20x72xbf16>) outs(%c : tensor<1x72xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x72xf32>
  return %r : tensor<1x72xf32>
}

func.func @attn_qk(%q: tensor<1x?x2x1x4xf32>, %kt: tensor<1x2x4x?xf32>, %s: tensor<1x2x1x?x?xf32>) -> tensor<1x2x1x?x?xf32> {
  %r = linalg.generic {indexing_maps = [#q, #kt, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %kt : tensor<1x?x2x1x4xf32>, tensor<1x2x4x?xf32>) outs(%s : tensor<1x2x1x?x?xf32>) attrs = {xgenmm.attn_qk} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %x = arith.addf %c, %m : f32
    linalg.yield %x : f32
  } -> tensor<1x2x1x?x?xf32>
  return %r : tensor<1x2x1x?x?xf32>
}

func.func @attn_pv(%p: tensor<1x2x1x?x?xf32>, %v: tensor<1x?x2x40xf32>, %o: tensor<1x?x2x1x40xf32>) -> tensor<1x?x2x1x40xf32> {
  %r = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<1x2x1x?x?xf32>, tensor<1x?x2x40xf32>) outs(%o : tensor<1x?x2x1x40xf32>) attrs = {xgenmm.attn_pv} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %x = arith.addf %c, %m : f32
    linalg.yield %x : f32
  } -> tensor<1x?x2x1x40xf32>
  return %r : tensor<1x?x2x1x40xf32>
}

func.func @attn_qk_dot(%q: tensor<1x1x2x1x40xf32>, %k: tensor<1x?x2x40xf32>, %s: tensor<1x2x1x1x?xf32>) -> tensor<1x2x1x1x?xf32> {
  %r = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<1x1x2x1x40xf32>, tensor<1x?x2x40xf32>) outs(%s : tensor<1x2x1x1x?xf32>) attrs = {xgenmm.attn_qk_dot} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %x = arith.addf %c, %m : f32
    linalg.yield %x : f32
  } -> tensor<1x2x1x1x?xf32>
  return %r : tensor<1x2x1x1x?xf32>
}

func.func @matvec_int4(%ae: tensor<1x2x4xf32>, %ao: tensor<1x2x4xf32>, %v: tensor<2x4x72xi8>, %s: tensor<2x72xf32>, %o: tensor<1x72xf32>) -> tensor<1x72xf32> {
  %r = linalg.generic {indexing_maps = [#a4, #a4, #v4, #s4, #o4], iterator_types = ["parallel", "reduction", "reduction", "parallel"]}
      ins(%ae, %ao, %v, %s : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<2x4x72xi8>, tensor<2x72xf32>) outs(%o : tensor<1x72xf32>) attrs = {xgenmm.matvec_int4} {
  ^bb0(%e: f32, %d: f32, %w: i8, %sc: f32, %acc: f32):
    %x = arith.extsi %w : i8 to i32
    %c28 = arith.constant 28 : i32
    %c4 = arith.constant 4 : i32
    %l = arith.shli %x, %c28 : i32
    %lo = arith.shrsi %l, %c28 : i32
    %hi = arith.shrsi %x, %c4 : i32
    %lf = arith.sitofp %lo : i32 to f32
    %hf = arith.sitofp %hi : i32 to f32
    %p1 = arith.mulf %e, %lf : f32
    %p2 = arith.mulf %d, %hf : f32
    %p = arith.addf %p1, %p2 : f32
    %ps = arith.mulf %p, %sc : f32
    %y = arith.addf %acc, %ps : f32
    linalg.yield %y : f32
  } -> tensor<1x72xf32>
  return %r : tensor<1x72xf32>
}

func.func @unmarked(%a: tensor<?x20xf32>, %w: tensor<40x20xf32>, %c: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %r = linalg.generic {indexing_maps = [#A, #BT, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x20xf32>, tensor<40x20xf32>) outs(%c : tensor<?x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  return %r : tensor<?x40xf32>
}
