// The fp32 matrix-product path of the CPU pipeline (cache tiles, each
// tile's weight window copied to contiguous rows by xgenmm-pack-weight-tiles,
// 8x32 register tiles of FMAs) executed against the same product computed
// by scalar loops. Every value is a small multiple of 1/32 and every sum
// exact in f32, so the results must agree to the last bit. The shape takes
// every remainder path: rows 773 (a 768-row cache tile, then 5 rows: no
// 8-row block, row by row), K 517 (256 + 256 + 5: the last window 5 rows),
// N 302 (3 x 96 + 14: windows copied by 16-lane rows, the last by 8, 4
// and 2 lanes; register tiles of 32 and then 14 columns).
// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// The same with AVX2's register tiles (6x16: 768 rows = 128 blocks of 6,
// then 5 rows one by one; 96 columns = 6 x 16, the 14-column remainder at
// its own width).
// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline=avx512=false \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline=avx512=false -mlir-print-ir-after=xgenmm-apply-schedule 2>&1 >/dev/null \
// RUN:   | FileCheck %s --check-prefix=AVX2
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// AVX2-NOT: vector<8x32xf32>
// The structure: the copy inside the parallel column tiles and the K
// windows, the product reading it.
// RUN: xgenmm-opt %s --xgenmm-apply-schedule=entry-point=xgenmm_tile_cache \
// RUN:   --xgenmm-pack-weight-tiles | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @max_error
// IR: scf.for {{.*}} step %c768
// IR: scf.for {{.*}} step %c96
// IR: scf.for {{.*}} step %c256
// IR: %[[E:.*]] = tensor.empty() : tensor<256x96xf32>
// IR: scf.for {{.*}} iter_args(%[[P:.*]] = %[[E]]) -> (tensor<256x96xf32>)
// IR: vector.transfer_read {{.*}} : tensor<256x96xf32>, vector<16xf32>
// IR: linalg.generic {{.*}} ins({{.*}} : tensor<?x256xf32>, tensor<256x96xf32>)
// IR-SAME: xgenmm.tile_matmul
// The K remainder's window (5 rows), the N remainder's (14 columns) and
// their corner:
// IR: tensor.empty() : tensor<5x96xf32>
// IR: tensor.empty() : tensor<256x14xf32>
// IR: vector.transfer_read {{.*}} : tensor<256x14xf32>, vector<8xf32>
// IR: vector.transfer_read {{.*}} : tensor<256x14xf32>, vector<4xf32>
// IR: vector.transfer_read {{.*}} : tensor<256x14xf32>, vector<2xf32>
// IR: tensor.empty() : tensor<5x14xf32>
// The unmarked reference product is not packed.
// IR-NOT: tensor.empty() : tensor<{{[0-9]+}}x{{[0-9]+}}xf32>
// IR: return

// CHECK: packed f32 tiles vs loops, max error: 0

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
#I = affine_map<(i, j) -> (i, j)>

func.func @max_error(%rows: tensor<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %rows, %c0 : tensor<?xf32>
  // a[i, k] = ((5 i + 11 k) mod 13 - 6) / 4, w[k, n] = ((7 k + 3 n) mod 17 - 8) / 8.
  %ae = tensor.empty(%m) : tensor<?x517xf32>
  %a = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%ae : tensor<?x517xf32>) {
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
  } -> tensor<?x517xf32>
  %we = tensor.empty() : tensor<517x302xf32>
  %w = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%we : tensor<517x302xf32>) {
  ^bb0(%o: f32):
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
    %v = arith.mulf %t6, %e : f32
    linalg.yield %v : f32
  } -> tensor<517x302xf32>
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty(%m) : tensor<?x302xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<?x302xf32>) -> tensor<?x302xf32>
  // The marked product (the schedule's tiles) and the unmarked one (loops).
  %dot = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x517xf32>, tensor<517x302xf32>) outs(%c : tensor<?x302xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x302xf32>
  %ref = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x517xf32>, tensor<517x302xf32>) outs(%c : tensor<?x302xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
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
  vector.print str "packed f32 tiles vs loops, max error: "
  vector.print %e : f32
  return
}
