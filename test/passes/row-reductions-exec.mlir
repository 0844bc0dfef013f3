// Row reductions on 16-lane partial results (xgenmm-vectorize-elementwise)
// executed through the whole CPU pipeline against the same reductions by
// scalar loops: a sum of squares over 729 columns (45 vector steps and 9
// peeled), a maximum over the same rows, and a sum over a dynamic number
// of columns (37: 2 steps and 5 peeled; 7: no vector step at all). Every
// value is a small multiple of 1/4, so every partial sum is exact in f32
// and the results must agree to the last bit whatever the order.
// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s
// The structure: one row at a time (shared among threads), a loop of
// 16-lane steps combining into a vector, the lanes combined once per row.
// RUN: xgenmm-opt %s --xgenmm-vectorize-elementwise --canonicalize \
// RUN:   --loop-invariant-subset-hoisting --canonicalize | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @max_error
// IR: scf.for
// IR: scf.for {{.*}} to %c720 step %c16 iter_args(%{{.*}} = %{{.*}}) -> (vector<1x16xf32>
// IR: arith.mulf {{.*}} : vector<1x16xf32>
// IR: arith.addf {{.*}} : vector<1x16xf32>
// IR: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x9xf32>)
// IR: linalg.reduce
// IR: arith.addf
// IR: xgenmm.parallel
// IR: arith.maximumf {{.*}} : vector<1x16xf32>
// IR: xgenmm.parallel

// (Everything is computed inside one function: the compiled functions share
// one buffer arena, so calls between them would overwrite each other's
// intermediates.)

// CHECK: sum of squares, max error: 0
// CHECK: maximum, max error: 0
// CHECK: sum over 37 columns, max error: 0
// CHECK: sum over 7 columns, max error: 0

#I = affine_map<(i, j) -> (i, j)>
#R = affine_map<(i, j) -> (i)>

// x[i, k] = ((5 i + 11 k) mod 13 - 6) / 4 for each input.
func.func @max_error(%rows: tensor<?xf32>, %short: tensor<?xf32>, %shorter: tensor<?xf32>)
    -> (f32, f32, f32, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c11 = arith.constant 11 : index
  %c13 = arith.constant 13 : index
  %c729 = arith.constant 729 : index
  %six = arith.constant 6.0 : f32
  %q = arith.constant 0.25 : f32
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %m = tensor.dim %rows, %c0 : tensor<?xf32>
  %xe = tensor.empty(%m) : tensor<?x729xf32>
  %x = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%xe : tensor<?x729xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %t0 = arith.muli %i, %c5 : index
    %t1 = arith.muli %k, %c11 : index
    %t2 = arith.addi %t0, %t1 : index
    %t3 = arith.remui %t2, %c13 : index
    %t4 = arith.index_cast %t3 : index to i32
    %t5 = arith.sitofp %t4 : i32 to f32
    %t6 = arith.subf %t5, %six : f32
    %v = arith.mulf %t6, %q : f32
    linalg.yield %v : f32
  } -> tensor<?x729xf32>
  %e = tensor.empty(%m) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %sq = linalg.generic {indexing_maps = [#I, #R], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x729xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = arith.mulf %a, %a : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %sq_refe = tensor.empty(%m) : tensor<?xf32>
  %sq_ref = scf.for %i = %c0 to %m step %c1 iter_args(%out = %sq_refe) -> tensor<?xf32> {
    %s = scf.for %k = %c0 to %c729 step %c1 iter_args(%acc = %zero) -> f32 {
      %v = tensor.extract %x[%i, %k] : tensor<?x729xf32>
      %vv = arith.mulf %v, %v : f32
      %a = arith.addf %acc, %vv : f32
      scf.yield %a : f32
    }
    %o = tensor.insert %s into %out[%i] : tensor<?xf32>
    scf.yield %o : tensor<?xf32>
  }
  %e0 = scf.for %i = %c0 to %m step %c1 iter_args(%err = %zero) -> f32 {
    %dx = tensor.extract %sq[%i] : tensor<?xf32>
    %dy = tensor.extract %sq_ref[%i] : tensor<?xf32>
    %dd = arith.subf %dx, %dy : f32
    %dad = math.absf %dd : f32
    %dmx = arith.maximumf %err, %dad : f32
    scf.yield %dmx : f32
  }

  %ni = linalg.fill ins(%ninf : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %mx = linalg.generic {indexing_maps = [#I, #R], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x729xf32>) outs(%ni : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  // The row maximum: x[i, k] is largest where (5 i + 11 k) mod 13 is 12,
  // which some k < 13 reaches in every row: 6 / 4.
  %top = arith.constant 1.5 : f32
  %mx_ref = linalg.fill ins(%top : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %e1 = scf.for %i = %c0 to %m step %c1 iter_args(%err = %zero) -> f32 {
    %dx = tensor.extract %mx[%i] : tensor<?xf32>
    %dy = tensor.extract %mx_ref[%i] : tensor<?xf32>
    %dd = arith.subf %dx, %dy : f32
    %dad = math.absf %dd : f32
    %dmx = arith.maximumf %err, %dad : f32
    scf.yield %dmx : f32
  }

  // Dynamic columns.
  %empty3 = tensor.empty() : tensor<3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%empty3 : tensor<3xf32>) -> tensor<3xf32>
  %n2 = tensor.dim %short, %c0 : tensor<?xf32>
  %ye = tensor.empty(%n2) : tensor<3x?xf32>
  %y = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%ye : tensor<3x?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %t0 = arith.muli %i, %c5 : index
    %t1 = arith.muli %k, %c11 : index
    %t2 = arith.addi %t0, %t1 : index
    %t3 = arith.remui %t2, %c13 : index
    %t4 = arith.index_cast %t3 : index to i32
    %t5 = arith.sitofp %t4 : i32 to f32
    %t6 = arith.subf %t5, %six : f32
    %v = arith.mulf %t6, %q : f32
    linalg.yield %v : f32
  } -> tensor<3x?xf32>
  %s2 = linalg.generic {indexing_maps = [#I, #R], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<3x?xf32>) outs(%z3 : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  %s2d = tensor.cast %s2 : tensor<3xf32> to tensor<?xf32>
  %s2_refe = tensor.empty(%c3) : tensor<?xf32>
  %s2_ref = scf.for %i = %c0 to %c3 step %c1 iter_args(%out = %s2_refe) -> tensor<?xf32> {
    %s = scf.for %k = %c0 to %n2 step %c1 iter_args(%acc = %zero) -> f32 {
      %v = tensor.extract %y[%i, %k] : tensor<3x?xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    %o = tensor.insert %s into %out[%i] : tensor<?xf32>
    scf.yield %o : tensor<?xf32>
  }
  %e2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%err = %zero) -> f32 {
    %dx = tensor.extract %s2d[%i] : tensor<?xf32>
    %dy = tensor.extract %s2_ref[%i] : tensor<?xf32>
    %dd = arith.subf %dx, %dy : f32
    %dad = math.absf %dd : f32
    %dmx = arith.maximumf %err, %dad : f32
    scf.yield %dmx : f32
  }

  %n3 = tensor.dim %shorter, %c0 : tensor<?xf32>
  %we = tensor.empty(%n3) : tensor<3x?xf32>
  %w = linalg.generic {indexing_maps = [#I], iterator_types = ["parallel", "parallel"]} outs(%we : tensor<3x?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %t0 = arith.muli %i, %c5 : index
    %t1 = arith.muli %k, %c11 : index
    %t2 = arith.addi %t0, %t1 : index
    %t3 = arith.remui %t2, %c13 : index
    %t4 = arith.index_cast %t3 : index to i32
    %t5 = arith.sitofp %t4 : i32 to f32
    %t6 = arith.subf %t5, %six : f32
    %v = arith.mulf %t6, %q : f32
    linalg.yield %v : f32
  } -> tensor<3x?xf32>
  %s3 = linalg.generic {indexing_maps = [#I, #R], iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<3x?xf32>) outs(%z3 : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  %s3d = tensor.cast %s3 : tensor<3xf32> to tensor<?xf32>
  %s3_refe = tensor.empty(%c3) : tensor<?xf32>
  %s3_ref = scf.for %i = %c0 to %c3 step %c1 iter_args(%out = %s3_refe) -> tensor<?xf32> {
    %s = scf.for %k = %c0 to %n3 step %c1 iter_args(%acc = %zero) -> f32 {
      %v = tensor.extract %w[%i, %k] : tensor<3x?xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    %o = tensor.insert %s into %out[%i] : tensor<?xf32>
    scf.yield %o : tensor<?xf32>
  }
  %e3 = scf.for %i = %c0 to %c3 step %c1 iter_args(%err = %zero) -> f32 {
    %dx = tensor.extract %s3d[%i] : tensor<?xf32>
    %dy = tensor.extract %s3_ref[%i] : tensor<?xf32>
    %dd = arith.subf %dx, %dy : f32
    %dad = math.absf %dd : f32
    %dmx = arith.maximumf %err, %dad : f32
    scf.yield %dmx : f32
  }
  return %e0, %e1, %e2, %e3 : f32, f32, f32, f32
}

func.func @main() {
  %rows = arith.constant dense<0.0> : tensor<21xf32>
  %short = arith.constant dense<0.0> : tensor<37xf32>
  %shorter = arith.constant dense<0.0> : tensor<7xf32>
  %r = tensor.cast %rows : tensor<21xf32> to tensor<?xf32>
  %s = tensor.cast %short : tensor<37xf32> to tensor<?xf32>
  %t = tensor.cast %shorter : tensor<7xf32> to tensor<?xf32>
  %e0, %e1, %e2, %e3 = call @max_error(%r, %s, %t)
      : (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) -> (f32, f32, f32, f32)
  vector.print str "sum of squares, max error: "
  vector.print %e0 : f32
  vector.print str "maximum, max error: "
  vector.print %e1 : f32
  vector.print str "sum over 37 columns, max error: "
  vector.print %e2 : f32
  vector.print str "sum over 7 columns, max error: "
  vector.print %e3 : f32
  return
}
