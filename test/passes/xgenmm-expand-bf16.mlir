// xgenmm-expand-bf16: f32 -> bf16 roundings (arith.truncf), scalar and
// vector, become integer operations on the bit patterns (round to nearest
// even, NaN kept quiet), so that no __truncsfbf2 libcall is left for CPUs
// without AVX512-BF16; widenings (arith.extf) are left to LLVM (a shift),
// and other truncations are untouched.
// RUN: xgenmm-opt %s --xgenmm-expand-bf16 | FileCheck %s
// The rounding executed: values that round up, down, to even at a tie,
// and a NaN, widened back and printed.
// RUN: xgenmm-opt %s --xgenmm-expand-bf16 --convert-vector-to-scf --convert-scf-to-cf \
// RUN:   --convert-vector-to-llvm --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN:   | FileCheck %s --check-prefix=EXEC

// CHECK-LABEL: func.func @scalar
// CHECK-NOT: arith.truncf
// CHECK: arith.bitcast {{.*}} : f32 to i32
// CHECK: arith.bitcast {{.*}} : i16 to bf16
func.func @scalar(%x: f32) -> bf16 {
  %r = arith.truncf %x : f32 to bf16
  return %r : bf16
}

// CHECK-LABEL: func.func @vector
// CHECK-NOT: arith.truncf
// CHECK: arith.bitcast {{.*}} : vector<16xf32> to vector<16xi32>
// CHECK: arith.bitcast {{.*}} : vector<16xi16> to vector<16xbf16>
func.func @vector(%x: vector<16xf32>) -> vector<16xbf16> {
  %r = arith.truncf %x : vector<16xf32> to vector<16xbf16>
  return %r : vector<16xbf16>
}

// CHECK-LABEL: func.func @untouched
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: arith.truncf {{.*}} : f32 to f16
func.func @untouched(%x: bf16, %y: f32) -> (f32, f16) {
  %e = arith.extf %x : bf16 to f32
  %h = arith.truncf %y : f32 to f16
  return %e, %h : f32, f16
}

// 1 + 2^-8 + 2^-9 rounds up to 1 + 2^-7; 1 + 2^-9 down to 1; 1 + 2^-8 (a
// tie, even below) down to 1; 1 + 3 x 2^-8 (a tie, odd below) up to
// 1 + 2^-6; -3.0e38 to the nearest bf16, -3.00406e38 (torch's
// .to(torch.bfloat16) gives the same), finite; the NaN stays a NaN.
// EXEC: ( 1.00781, 1, 1, 1.01562, -3.00406e+38, nan )
func.func @main() {
  %v = arith.constant dense<[1.005859375, 1.001953125, 1.00390625, 1.01171875, -3.0e38, 0x7FC00001]> : vector<6xf32>
  %b = arith.truncf %v : vector<6xf32> to vector<6xbf16>
  %w = arith.extf %b : vector<6xbf16> to vector<6xf32>
  vector.print %w : vector<6xf32>
  return
}
