// xgenmm-gpu-expand-math: the math functions of device code become
// arithmetic (MLIR's f32 polynomial approximations and expansions) and
// intrinsic calls that the NVPTX backend selects to instructions, so that
// convert-gpu-to-nvvm leaves no libdevice (__nv_*) call.
// RUN: xgenmm-opt %s --xgenmm-gpu-expand-math | FileCheck %s
// Through the NVVM conversion: no libdevice declaration is left.
// RUN: xgenmm-opt %s --pass-pipeline="builtin.module(gpu.module(xgenmm-gpu-expand-math,convert-gpu-to-nvvm))" \
// RUN:   | FileCheck %s --check-prefix=NVVM
// The approximations executed (here on the CPU: the same arithmetic),
// against double-precision libm on the same f32 inputs.
// RUN: xgenmm-opt %s --xgenmm-gpu-expand-math --convert-vector-to-scf --convert-scf-to-cf \
// RUN:   --convert-vector-to-llvm --convert-to-llvm --reconcile-unrealized-casts \
// RUN:   | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs > %t.out
// RUN: %python %S/Inputs/check_expand_math.py %t.out

// CHECK-LABEL: func.func @scalar
// CHECK-NOT: math.
// CHECK: llvm.call_intrinsic "llvm.sqrt"(%{{.*}}) : (f32) -> f32
// CHECK: arith.divf
// CHECK-NOT: math.
// CHECK: return
func.func @scalar(%x: f32) -> f32 {
  %r = math.rsqrt %x : f32
  return %r : f32
}

// NVVM-NOT: __nv_
// NVVM: llvm.func @kernel
// NVVM-DAG: llvm.call_intrinsic "llvm.sqrt"
// NVVM-DAG: llvm.call_intrinsic "llvm.fma"
// NVVM-NOT: __nv_
gpu.module @device {
  gpu.func @kernel(%x: f32, %y: f32, %out: memref<8xf32>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c4 = arith.constant 4 : index
    %c5 = arith.constant 5 : index
    %c6 = arith.constant 6 : index
    %c7 = arith.constant 7 : index
    %0 = math.exp %x : f32
    %1 = math.tanh %x : f32
    %2 = math.erf %x : f32
    %3 = math.cos %x : f32
    %4 = math.sin %x : f32
    %5 = math.powf %x, %y : f32
    %6 = math.rsqrt %x : f32
    %7 = math.log %x : f32
    memref.store %0, %out[%c0] : memref<8xf32>
    memref.store %1, %out[%c1] : memref<8xf32>
    memref.store %2, %out[%c2] : memref<8xf32>
    memref.store %3, %out[%c3] : memref<8xf32>
    memref.store %4, %out[%c4] : memref<8xf32>
    memref.store %5, %out[%c5] : memref<8xf32>
    memref.store %6, %out[%c6] : memref<8xf32>
    memref.store %7, %out[%c7] : memref<8xf32>
    gpu.return
  }
}

// One line per function: its name, then its values on the inputs below
// (check_expand_math.py holds the same inputs).
func.func private @printString(!llvm.ptr) -> ()
func.func @main() {
  %exp_in = arith.constant dense<[-20.0, -1.0, -0.5, 0.0, 0.3, 1.0, 5.0, 20.0]> : vector<8xf32>
  %tanh_in = arith.constant dense<[-10.0, -1.0, -0.1, 0.0, 0.01, 0.5, 3.0, 10.0]> : vector<8xf32>
  %erf_in = arith.constant dense<[-3.0, -1.0, -0.2, 0.0, 0.1, 0.7, 2.0, 4.0]> : vector<8xf32>
  %trig_in = arith.constant dense<[0.0, 0.5, 1.0, 3.14159274, 10.0, 100.0, 1000.0, 4095.5]> : vector<8xf32>
  %pow_x = arith.constant dense<10000.0> : vector<8xf32>
  %pow_y = arith.constant dense<[0.0, 0.0208333, 0.125, 0.333333, 0.5, 0.75, 0.9375, 0.979167]> : vector<8xf32>
  %pos_in = arith.constant dense<[1.0e-6, 1.0e-3, 0.5, 1.0, 2.0, 3.0, 100.0, 10000.0]> : vector<8xf32>
  %e = math.exp %exp_in : vector<8xf32>
  vector.print %e : vector<8xf32>
  %t = math.tanh %tanh_in : vector<8xf32>
  vector.print %t : vector<8xf32>
  %r = math.erf %erf_in : vector<8xf32>
  vector.print %r : vector<8xf32>
  %c = math.cos %trig_in : vector<8xf32>
  vector.print %c : vector<8xf32>
  %s = math.sin %trig_in : vector<8xf32>
  vector.print %s : vector<8xf32>
  %p = math.powf %pow_x, %pow_y : vector<8xf32>
  vector.print %p : vector<8xf32>
  %q = math.rsqrt %pos_in : vector<8xf32>
  vector.print %q : vector<8xf32>
  %l = math.log %pos_in : vector<8xf32>
  vector.print %l : vector<8xf32>
  %one = arith.constant 4.0 : f32
  %h = func.call @scalar(%one) : (f32) -> f32
  vector.print %h : f32
  return
}

