// RUN: xgenmm-opt %s --xgenmm-vectorize-elementwise | FileCheck %s

#I = affine_map<(m, n) -> (m, n)>
#R = affine_map<(m, n) -> (m)>
#T = affine_map<(m, n) -> (n, m)>

// Elementwise with a per-row broadcast operand, 40 columns: rows one at a
// time, 16-lane vectors (2 x 16), the last 8 columns peeled and left to the
// scalar path. The vector tanh is a polynomial (no math.tanh on vectors);
// the scalar remainder keeps math.tanh (libm).
// CHECK-LABEL: func.func @rows
// CHECK: scf.for %{{.*}} step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK: vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK-NOT: math.tanh {{.*}} : vector
// CHECK: vector.transfer_write {{.*}} : vector<1x16xf32>, tensor<1x16xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x8xf32>)
// CHECK: math.tanh %{{.*}} : f32
func.func @rows(%x: tensor<?x40xf32>, %s: tensor<?xf32>) -> tensor<?x40xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x40xf32>
  %e = tensor.empty(%m) : tensor<?x40xf32>
  %r = linalg.generic {indexing_maps = [#I, #R, #I], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<?x40xf32>, tensor<?xf32>) outs(%e : tensor<?x40xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %t = math.tanh %p : f32
    linalg.yield %t : f32
  } -> tensor<?x40xf32>
  return %r : tensor<?x40xf32>
}

// A dynamic innermost extent (the keys of a softmax): full 16-lane steps,
// then a dynamic remainder loop that stays scalar.
// CHECK-LABEL: func.func @keys
// CHECK: vector<1x16xf32>
// CHECK-NOT: math.exp {{.*}} : vector
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x?xf32>)
// CHECK: math.exp %{{.*}} : f32
func.func @keys(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %x, %c1 : tensor<4x?xf32>
  %e = tensor.empty(%t) : tensor<4x?xf32>
  %r = linalg.generic {indexing_maps = [#I, #I], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x?xf32>) outs(%e : tensor<4x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<4x?xf32>
  return %r : tensor<4x?xf32>
}

// A row reduction over the innermost loop: one row at a time (the rows
// shared among threads), 16 lanes' partial sums over 16-lane steps, the
// lanes summed once per row (linalg.reduce); 40 = 2 x 16 + 8, the last 8
// peeled and scalar.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.for %[[R:.*]] = %c0 to %c32 step %c1
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<1x16xf32>
// CHECK: scf.for {{.*}} = %c0 to %c32 step %c16 iter_args(%{{.*}} = %[[Z]])
// CHECK: vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK: arith.addf {{.*}} : vector<1x16xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x8xf32>)
// CHECK: linalg.reduce ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1xf32>) dimensions = [1]
// CHECK: } {xgenmm.parallel}
func.func @row_sum(%x: tensor<32x40xf32>) -> tensor<32xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<32xf32>) -> tensor<32xf32>
  %s = linalg.generic {indexing_maps = [#I, #R], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<32x40xf32>) outs(%f : tensor<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<32xf32>
  return %s : tensor<32xf32>
}

// Left alone: a transpose, a reduction over a strided operand (a column
// sum), a reduction shorter than a vector, and a gather.
// CHECK-LABEL: func.func @others
// CHECK-NOT: vector.
// CHECK: return
func.func @others(%x: tensor<32x32xf32>, %ids: tensor<32xi32>, %table: tensor<64x32xf32>,
                  %narrow: tensor<32x8xf32>)
    -> (tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32x32xf32>) {
  %e = tensor.empty() : tensor<32x32xf32>
  %t = linalg.generic {indexing_maps = [#T, #I], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x32xf32>) outs(%e : tensor<32x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<32x32xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<32xf32>) -> tensor<32xf32>
  %s = linalg.generic {indexing_maps = [#T, #R], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<32x32xf32>) outs(%f : tensor<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<32xf32>
  %n = linalg.generic {indexing_maps = [#I, #R], iterator_types = ["parallel", "reduction"]}
      ins(%narrow : tensor<32x8xf32>) outs(%f : tensor<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<32xf32>
  %g = linalg.generic {indexing_maps = [#R, #I], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<32xi32>) outs(%e : tensor<32x32xf32>) {
  ^bb0(%i: i32, %o: f32):
    %row = arith.index_cast %i : i32 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<64x32xf32>
    linalg.yield %v : f32
  } -> tensor<32x32xf32>
  return %t, %s, %n, %g : tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32x32xf32>
}

// Attention's scale and causal mask (key t kept for query row s at
// position p + s when t <= p + s): the loop indices become a step vector
// over the 16 keys of a step plus the step's offset, compared with the
// row's broadcast position; rows shared among threads. (Before, the index
// ops kept the whole mask on the scalar path, outside any parallel loop:
// ~6% of a prefill attention's time serial, the other thread waiting.)
// CHECK-LABEL: func.func @causal_mask
// CHECK: scf.for %[[S:.*]] = %c0 to %{{.*}} step %c1
// CHECK: scf.for %[[T:.*]] = %c0 to %{{.*}} step %c16
// CHECK: %[[STEP:.*]] = vector.step : vector<16xindex>
// CHECK: %[[OFF:.*]] = vector.broadcast %[[T]] : index to vector<16xindex>
// CHECK: %[[KEYS:.*]] = arith.addi %[[OFF]], %[[STEP]] : vector<16xindex>
// CHECK: %[[POS:.*]] = arith.addi %[[S]], %{{.*}} : index
// CHECK: %[[POSV:.*]] = vector.broadcast %[[POS]] : index to vector<16xindex>
// CHECK: arith.cmpi ule, %[[KEYS]], %[[POSV]] : vector<16xindex>
// CHECK: arith.select {{.*}} : vector<1x16xi1>, vector<1x16xf32>
// CHECK: } {xgenmm.parallel}
func.func @causal_mask(%x: tensor<?x?xf32>, %p: index) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %r = linalg.generic {indexing_maps = [#I, #I], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = linalg.index 0 : index
    %t = linalg.index 1 : index
    %abs = arith.addi %s, %p : index
    %keep = arith.cmpi ule, %t, %abs : index
    %scaled = arith.mulf %a, %a : f32
    %ninf = arith.constant 0xFF800000 : f32
    %v = arith.select %keep, %scaled, %ninf : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
