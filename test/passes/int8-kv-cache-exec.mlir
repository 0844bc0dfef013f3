// The int8 KV cache of xgenmm.attention, executed (CPU pipeline,
// mlir-runner): the layout of a written row, and attention over an int8
// cache against the same attention over an f32 one, for a prefill of 3 rows
// (keys copied transposed) and then a decode step (keys read as stored).
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --xgenmm-cpu-codegen-pipeline \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s

// A key row [1, -2, 0.5, 4, 0, 0, 0, 0] (one kv head of 8): max |x| = 4, so
// s = 4 / 127 and the values round(x / s) = 32, -64 (-63.5 to even), 16,
// 127; then s's f32 bytes, little-endian (0x3D010204).
// CHECK: row: ( 32, -64, 16, 127, 0, 0, 0, 0, 4, 2, 1, 61 )
// The scheme's error on these rows is a few per mille of the largest
// output (per row); the bound checked is 1e-2.
// CHECK: prefill within 1e-2: 1
// CHECK: decode within 1e-2: 1

// Prefill of 3 rows into empty caches, then one decode row at position 3,
// through an int8 cache and an f32 one; returns the int8 cache's first key
// row and both outputs of both (the comparison is in @main: buffers of one
// entry function are planned into the shared arena, so @run calls nothing).
func.func @run(%q: tensor<?x16xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
               %q1: tensor<1x16xf32>, %k1: tensor<1x8xf32>, %v1: tensor<1x8xf32>)
    -> (vector<12xi8>, vector<3x16xf32>, vector<3x16xf32>, vector<16xf32>, vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %i0 = arith.constant 0 : i8
  %f0 = arith.constant 0.0 : f32
  %e8 = tensor.empty() : tensor<8x12xi8>
  %ic = linalg.fill ins(%i0 : i8) outs(%e8 : tensor<8x12xi8>) -> tensor<8x12xi8>
  %e32 = tensor.empty() : tensor<8x8xf32>
  %fc = linalg.fill ins(%f0 : f32) outs(%e32 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %o8, %k8, %v8 = xgenmm.attention %q, %k, %v cache(%ic, %ic : tensor<8x12xi8>, tensor<8x12xi8> at %c0)
      heads 2 kv_heads 1 head_dim 8 scale 0.35 causal
      : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32>, tensor<8x12xi8>, tensor<8x12xi8>
  %o32, %k32, %v32 = xgenmm.attention %q, %k, %v cache(%fc, %fc : tensor<8x8xf32>, tensor<8x8xf32> at %c0)
      heads 2 kv_heads 1 head_dim 8 scale 0.35 causal
      : tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>
  %row = vector.transfer_read %k8[%c0, %c0], %i0 : tensor<8x12xi8>, vector<12xi8>
  // One query row, statically: the decode form (scores as dot products
  // over the keys as stored).
  %p8, %kk8, %vv8 = xgenmm.attention %q1, %k1, %v1 cache(%k8, %v8 : tensor<8x12xi8>, tensor<8x12xi8> at %c3)
      heads 2 kv_heads 1 head_dim 8 scale 0.35 causal
      : tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x8xf32> -> tensor<1x16xf32>, tensor<8x12xi8>, tensor<8x12xi8>
  %p32, %kk32, %vv32 = xgenmm.attention %q1, %k1, %v1 cache(%k32, %v32 : tensor<8x8xf32>, tensor<8x8xf32> at %c3)
      heads 2 kv_heads 1 head_dim 8 scale 0.35 causal
      : tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x8xf32> -> tensor<1x16xf32>, tensor<8x8xf32>, tensor<8x8xf32>
  %a = vector.transfer_read %o8[%c0, %c0], %f0 : tensor<?x16xf32>, vector<3x16xf32>
  %b = vector.transfer_read %o32[%c0, %c0], %f0 : tensor<?x16xf32>, vector<3x16xf32>
  %c = vector.transfer_read %p8[%c0, %c0], %f0 : tensor<1x16xf32>, vector<16xf32>
  %d = vector.transfer_read %p32[%c0, %c0], %f0 : tensor<1x16xf32>, vector<16xf32>
  return %row, %a, %b, %c, %d : vector<12xi8>, vector<3x16xf32>, vector<3x16xf32>, vector<16xf32>, vector<16xf32>
}

// max |a - b| < 1e-2 * max |b|
func.func @close(%a: vector<16xf32>, %b: vector<16xf32>) -> i1 {
  %d = arith.subf %a, %b : vector<16xf32>
  %ad = math.absf %d : vector<16xf32>
  %ab = math.absf %b : vector<16xf32>
  %err = vector.reduction <maximumf>, %ad : vector<16xf32> into f32
  %big = vector.reduction <maximumf>, %ab : vector<16xf32> into f32
  %tol = arith.constant 1.0e-2 : f32
  %bound = arith.mulf %big, %tol : f32
  %ok = arith.cmpf olt, %err, %bound : f32
  return %ok : i1
}

func.func @main() {
  %q = arith.constant dense<[
    [0.3, -1.2, 0.8, 0.1, -0.5, 0.9, -0.2, 0.4, 1.1, 0.0, -0.7, 0.6, 0.2, -0.3, 0.5, -0.9],
    [-0.6, 0.4, 0.2, -1.0, 0.7, -0.1, 0.3, 0.8, -0.4, 1.3, 0.1, -0.2, 0.9, 0.5, -0.8, 0.0],
    [0.5, 0.5, -0.9, 0.3, 0.2, -1.1, 0.6, -0.4, 0.0, 0.7, -0.3, 0.8, -0.6, 0.1, 0.4, 1.0]]> : tensor<3x16xf32>
  %k = arith.constant dense<[
    [1.0, -2.0, 0.5, 4.0, 0.0, 0.0, 0.0, 0.0],
    [0.7, 0.3, -1.4, 0.2, 0.9, -0.6, 1.8, -0.1],
    [-0.3, 1.1, 0.4, -0.8, 0.05, 2.2, -0.9, 0.6]]> : tensor<3x8xf32>
  %v = arith.constant dense<[
    [0.2, -0.4, 1.5, 0.3, -0.7, 0.6, 0.1, -1.2],
    [1.0, 0.8, -0.3, -0.6, 0.4, 0.0, 0.9, 0.25],
    [-0.5, 0.35, 0.7, 1.3, -0.2, -0.9, 0.45, 0.6]]> : tensor<3x8xf32>
  %q1 = arith.constant dense<[[0.8, -0.1, 0.6, 0.2, -1.0, 0.3, 0.7, -0.5, 0.4, 0.9, -0.2, -0.6, 1.2, 0.0, 0.3, -0.4]]> : tensor<1x16xf32>
  %k1 = arith.constant dense<[[0.4, -0.9, 1.3, 0.6, -0.2, 0.1, 0.75, -1.6]]> : tensor<1x8xf32>
  %v1 = arith.constant dense<[[-1.1, 0.2, 0.55, -0.35, 0.9, 1.4, -0.6, 0.05]]> : tensor<1x8xf32>
  %qd = tensor.cast %q : tensor<3x16xf32> to tensor<?x16xf32>
  %kd = tensor.cast %k : tensor<3x8xf32> to tensor<?x8xf32>
  %vd = tensor.cast %v : tensor<3x8xf32> to tensor<?x8xf32>
  %row, %a, %b, %c, %d = call @run(%qd, %kd, %vd, %q1, %k1, %v1)
      : (tensor<?x16xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x8xf32>)
        -> (vector<12xi8>, vector<3x16xf32>, vector<3x16xf32>, vector<16xf32>, vector<16xf32>)
  %a0 = vector.extract %a[0] : vector<16xf32> from vector<3x16xf32>
  %b0 = vector.extract %b[0] : vector<16xf32> from vector<3x16xf32>
  %a1 = vector.extract %a[1] : vector<16xf32> from vector<3x16xf32>
  %b1 = vector.extract %b[1] : vector<16xf32> from vector<3x16xf32>
  %a2 = vector.extract %a[2] : vector<16xf32> from vector<3x16xf32>
  %b2 = vector.extract %b[2] : vector<16xf32> from vector<3x16xf32>
  %r0 = call @close(%a0, %b0) : (vector<16xf32>, vector<16xf32>) -> i1
  %r1 = call @close(%a1, %b1) : (vector<16xf32>, vector<16xf32>) -> i1
  %r2 = call @close(%a2, %b2) : (vector<16xf32>, vector<16xf32>) -> i1
  %r01 = arith.andi %r0, %r1 : i1
  %ok1 = arith.andi %r01, %r2 : i1
  %ok2 = call @close(%c, %d) : (vector<16xf32>, vector<16xf32>) -> i1
  vector.print str "row: "
  vector.print %row : vector<12xi8>
  vector.print str "prefill within 1e-2: "
  vector.print %ok1 : i1
  vector.print str "decode within 1e-2: "
  vector.print %ok2 : i1
  return
}
