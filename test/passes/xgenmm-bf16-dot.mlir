// RUN: xgenmm-opt %s --xgenmm-bf16-dot-matmuls --split-input-file | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-bf16-dot-matmuls --xgenmm-apply-schedule=entry-point=xgenmm_tile_bf16_cache --xgenmm-pack-bf16-tiles --split-input-file | FileCheck %s --check-prefix=PACK
// RUN: xgenmm-opt %s --xgenmm-bf16-dot-matmuls --xgenmm-apply-schedule=entry-point=xgenmm_tile_bf16_cache --xgenmm-pack-bf16-tiles --xgenmm-apply-schedule=entry-point=xgenmm_tile_cache --xgenmm-apply-schedule --loop-invariant-subset-hoisting --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=TILED
// RUN: xgenmm-opt %s --xgenmm-bf16-dot-matmuls --xgenmm-apply-schedule=entry-point=xgenmm_tile_bf16_cache --xgenmm-pack-bf16-tiles --xgenmm-apply-schedule=entry-point=xgenmm_tile_cache --xgenmm-apply-schedule --loop-invariant-subset-hoisting --canonicalize --cse --one-shot-bufferize=bufferize-function-boundaries --xgenmm-lower-bf16-dot --split-input-file | FileCheck %s --check-prefix=DOT
// The unpacked form (k pairs interleaved per register tile) still lowers.
// RUN: xgenmm-opt %s --xgenmm-lower-bf16-dot --split-input-file | FileCheck %s --check-prefix=UNPACKED

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>

// A bf16-weight product with a dynamic row count: the activations rounded
// to bf16 once, the product reads them, marked for the bf16 tiles.
// CHECK-LABEL: func.func @encode
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x96xbf16>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x96xf32>) outs(%[[E]] : tensor<?x96xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: linalg.generic {{.*}} ins(%[[R]], %arg1 : tensor<?x96xbf16>, tensor<96x40xbf16>) outs(%arg2 : tensor<?x40xf32>) attrs = {xgenmm.matmul_bf16}
// CHECK-COUNT-2: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
// The cache tile's weight (here all of it: 96 x 40) packed into k pairs,
// p[kp, 2 n + j] = w[2 kp + j, n]: per pair of rows, 32 columns and then
// the 8 left interleaved by one shuffle each; the product over the pairs.
// PACK-LABEL: func.func @encode
// PACK: scf.for {{.*}} step %c768
// PACK: tensor.empty() : tensor<48x80xbf16>
// PACK: scf.for {{.*}} -> (tensor<48x80xbf16>)
// PACK: vector.shuffle %{{.*}}, %{{.*}} [0, 32, 1, 33, 2, 34, {{.*}}, 31, 63] : vector<32xbf16>, vector<32xbf16>
// PACK: vector.transfer_write {{.*}} : vector<64xbf16>, tensor<48x80xbf16>
// PACK: vector.shuffle %{{.*}}, %{{.*}} [0, 8, 1, 9, {{.*}}, 7, 15] : vector<8xbf16>, vector<8xbf16>
// PACK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [48, 40, 2] : tensor<48x80xbf16> into tensor<48x40x2xbf16>
// PACK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 48, 2] : tensor<?x96xbf16> into tensor<?x48x2xbf16>
// PACK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<?x48x2xbf16>, tensor<48x40x2xbf16>) outs(%{{.*}} : tensor<?x40xf32>) attrs =  {xgenmm.matmul_bf16}
// The schedule: 8x32 register tiles over one k pair (bf16 [8x1x2] and
// [1x32x2]), the 8-column remainder at its own width, the row remainder
// row by row.
// TILED-LABEL: func.func @encode
// TILED: scf.for {{.*}} step %c1 iter_args(%{{.*}}) -> (vector<8x32xf32>)
// TILED: vector.transfer_read {{.*}} : tensor<?x48x2xbf16>, vector<8x1x2xbf16>
// TILED: vector.transfer_read {{.*}} : tensor<48x40x2xbf16>, vector<1x32x2xbf16>
// TILED: vector.contract {{.*}} : vector<8x1x2xf32>, vector<1x32x2xf32> into vector<8x32xf32>
// TILED: vector.contract {{.*}} : vector<8x1x2xf32>, vector<1x8x2xf32> into vector<8x8xf32>
// TILED: vector.contract {{.*}} : vector<1x1x2xf32>, vector<1x32x2xf32> into vector<1x32xf32>
// Lowered: the packed pairs read as 64 contiguous bf16 (no shuffle in the
// register tile), per row one broadcast of its pair as 32 bits and one
// vdpbf16ps per 16 columns; the 8-column remainder on 8 lanes.
// DOT-LABEL: func.func @encode
// DOT-NOT: vector.contract {{.*}} into vector<8x32xf32>
// DOT: scf.for {{.*}} -> (vector<8x32xf32>)
// DOT-NOT: vector.shuffle
// DOT: vector.transfer_read {{.*}} : memref<48x80xbf16>, vector<64xbf16>
// DOT: vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// DOT: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// DOT: vector.bitcast %{{.*}} : vector<16xi32> to vector<32xbf16>
// DOT: x86vector.avx512.dot %{{.*}}, %{{.*}}, %{{.*}} : vector<32xbf16> -> vector<16xf32>
// DOT: x86vector.avx512.dot %{{.*}}, %{{.*}}, %{{.*}} : vector<32xbf16> -> vector<16xf32>
// DOT: vector.transfer_read {{.*}} : memref<48x80xbf16>, vector<16xbf16>
// DOT: x86vector.avx512.dot %{{.*}}, %{{.*}}, %{{.*}} : vector<16xbf16> -> vector<8xf32>
func.func @encode(%a: tensor<?x96xf32>, %w: tensor<96x40xbf16>, %c: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x96xf32>, tensor<96x40xbf16>) outs(%c : tensor<?x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  return %r : tensor<?x40xf32>
}

// -----

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>

// Left alone: one row (decode keeps f32 activations), f32 weights, odd K.
// CHECK-LABEL: func.func @not_bf16
// CHECK-NOT: arith.truncf
// CHECK-NOT: xgenmm.matmul_bf16
// CHECK: return
func.func @not_bf16(%a1: tensor<1x96xf32>, %w: tensor<96x40xbf16>, %c1: tensor<1x40xf32>,
                    %a: tensor<?x96xf32>, %wf: tensor<96x40xf32>, %c: tensor<?x40xf32>,
                    %a7: tensor<?x7xf32>, %w7: tensor<7x40xbf16>) -> (tensor<1x40xf32>, tensor<?x40xf32>, tensor<?x40xf32>) {
  %0 = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a1, %w : tensor<1x96xf32>, tensor<96x40xbf16>) outs(%c1 : tensor<1x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x40xf32>
  %1 = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %wf : tensor<?x96xf32>, tensor<96x40xf32>) outs(%c : tensor<?x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  %2 = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a7, %w7 : tensor<?x7xf32>, tensor<7x40xbf16>) outs(%c : tensor<?x40xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  return %0, %1, %2 : tensor<1x40xf32>, tensor<?x40xf32>, tensor<?x40xf32>
}

// -----

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>

// A register tile over two weight rows as stored (not packed): per 16
// columns one interleave of the rows into pairs, shared by the 8 rows,
// then the same dot products; 2 columns left take FMAs.
// UNPACKED-LABEL: func.func @unpacked
// UNPACKED-NOT: vector.contract
// UNPACKED: vector.shuffle %{{.*}}, %{{.*}} [0, 34, 1, 35, 2, 36, {{.*}}, 33, 67] : vector<34xbf16>, vector<34xbf16>
// UNPACKED: x86vector.avx512.dot %{{.*}}, %{{.*}}, %{{.*}} : vector<32xbf16> -> vector<16xf32>
// UNPACKED: x86vector.avx512.dot %{{.*}}, %{{.*}}, %{{.*}} : vector<32xbf16> -> vector<16xf32>
// UNPACKED: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<2xf32>
// UNPACKED: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<2xf32>
func.func @unpacked(%a: vector<8x2xbf16>, %w: vector<2x34xbf16>, %acc: vector<8x34xf32>) -> vector<8x34xf32> {
  %af = arith.extf %a : vector<8x2xbf16> to vector<8x2xf32>
  %wf = arith.extf %w : vector<2x34xbf16> to vector<2x34xf32>
  %r = vector.contract {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %af, %wf, %acc : vector<8x2xf32>, vector<2x34xf32> into vector<8x34xf32>
  return %r : vector<8x34xf32>
}
