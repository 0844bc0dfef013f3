// The bf16 dot-product path of the CPU pipeline (bf16-dot: cache tiles,
// each tile's weight packed into k pairs, 8x32 register tiles on
// vdpbf16ps) executed against the same product computed by scalar f32
// loops. Every value is a small multiple of 1/32 that bf16 holds exactly,
// so both results are exact and must agree to the last bit. The shape
// takes every remainder path: rows 773 (a 768-row cache tile of 8-row
// blocks, then 5 single rows), K 1028 (512 + 512 + 4), N 302 (3 x 96 + 14:
// packed by 32, 8, 4 and 2 columns; register tiles of 32, 8, 4 and two
// columns of FMAs).
// REQUIRES: avx512bf16
// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline=bf16-dot=true \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// The structure: the pack inside the parallel column tiles, on the stack.
// RUN: xgenmm-opt %s --xgenmm-bf16-dot-matmuls --xgenmm-apply-schedule=entry-point=xgenmm_tile_bf16_cache \
// RUN:   --xgenmm-pack-bf16-tiles | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @max_error
// IR: scf.for {{.*}} step %c768
// IR: scf.for {{.*}} step %c96
// IR: scf.for {{.*}} step %c512
// IR: tensor.empty() : tensor<256x192xbf16>
// IR: vector.shuffle {{.*}} : vector<32xbf16>, vector<32xbf16>
// IR: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]{{.*}} ins({{.*}} : tensor<?x256x2xbf16>, tensor<256x96x2xbf16>)
// IR-SAME: xgenmm.matmul_bf16

// CHECK: bf16 dot vs f32 loops, max error: 0

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
#I = affine_map<(i, j) -> (i, j)>

func.func @max_error(%rows: tensor<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %rows, %c0 : tensor<?xf32>
  // a[i, k] = ((5 i + 11 k) mod 13 - 6) / 4, w[k, n] = ((7 k + 3 n) mod 17 - 8) / 8.
  %ae = tensor.empty(%m) : tensor<?x1028xf32>
  %a = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%ae : tensor<?x1028xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c5 = arith.constant 5 : index
    %c11 = arith.constant 11 : index
    %c13 = arith.constant 13 : index
    %t0 = arith.muli %i, %c5 : index
    %t1 = arith.muli %k, %c11 : index
    %t2 = arith.addi %t0, %t1 : index
    %t3 = arith.remui %t2, %c13 : index
    %t4 = arith.index_cast %t3 : index to i32
    %t5 = arith.sitofp %t4 : i32 to f32
    %six = arith.constant 6.0 : f32
    %q = arith.constant 0.25 : f32
    %t6 = arith.subf %t5, %six : f32
    %v = arith.mulf %t6, %q : f32
    linalg.yield %v : f32
  } -> tensor<?x1028xf32>
  %we = tensor.empty() : tensor<1028x302xbf16>
  %w = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%we : tensor<1028x302xbf16>) {
  ^bb0(%o: bf16):
    %k = linalg.index 0 : index
    %n = linalg.index 1 : index
    %c7 = arith.constant 7 : index
    %c3 = arith.constant 3 : index
    %c17 = arith.constant 17 : index
    %t0 = arith.muli %k, %c7 : index
    %t1 = arith.muli %n, %c3 : index
    %t2 = arith.addi %t0, %t1 : index
    %t3 = arith.remui %t2, %c17 : index
    %t4 = arith.index_cast %t3 : index to i32
    %t5 = arith.sitofp %t4 : i32 to f32
    %eight = arith.constant 8.0 : f32
    %e = arith.constant 0.125 : f32
    %t6 = arith.subf %t5, %eight : f32
    %t7 = arith.mulf %t6, %e : f32
    %v = arith.truncf %t7 : f32 to bf16
    linalg.yield %v : bf16
  } -> tensor<1028x302xbf16>
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty(%m) : tensor<?x302xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<?x302xf32>) -> tensor<?x302xf32>
  // The marked product (bf16 dot products) and the unmarked one (loops).
  %dot = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1028xf32>, tensor<1028x302xbf16>) outs(%c : tensor<?x302xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x302xf32>
  %ref = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1028xf32>, tensor<1028x302xbf16>) outs(%c : tensor<?x302xf32>) {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x302xf32>
  %init = tensor.empty() : tensor<f32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %err = linalg.generic {indexing_maps = [#I, #I, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%dot, %ref : tensor<?x302xf32>, tensor<?x302xf32>) outs(%acc0 : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %e: f32):
    %d = arith.subf %x, %y : f32
    %ad = math.absf %d : f32
    %mx = arith.maximumf %e, %ad : f32
    linalg.yield %mx : f32
  } -> tensor<f32>
  %r = tensor.extract %err[] : tensor<f32>
  return %r : f32
}

func.func @main() {
  %rows = arith.constant dense<0.0> : tensor<773xf32>
  %dyn = tensor.cast %rows : tensor<773xf32> to tensor<?xf32>
  %e = call @max_error(%dyn) : (tensor<?xf32>) -> f32
  vector.print str "bf16 dot vs f32 loops, max error: "
  vector.print %e : f32
  return
}
