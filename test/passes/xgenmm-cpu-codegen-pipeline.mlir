// The code generation half of the CPU pipeline on kernels written at the
// linalg level: the marked contractions become vector FMAs (16 lanes and
// more; LLVM splits them into zmm registers), with no scalar multiply-add
// loop left; an unmarked contraction keeps the scalar path.
// RUN: xgenmm-opt %s --xgenmm-cpu-codegen-pipeline | FileCheck %s

// CHECK-LABEL: llvm.func @matmul
// CHECK-NOT: llvm.fmul
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// CHECK-NOT: llvm.fmul
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK-NOT: llvm.fmul
// CHECK-LABEL: llvm.func @matvec_bf16
// CHECK-NOT: llvm.fmul
// CHECK: llvm.fpext %{{.*}} : vector<64xbf16> to vector<64xf32>
// CHECK-NOT: llvm.fmul
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<64xf32>, vector<64xf32>, vector<64xf32>) -> vector<64xf32>
// CHECK-NOT: llvm.fmul
// CHECK-LABEL: llvm.func @unmarked
// CHECK-NOT: llvm.intr.fmuladd
// CHECK: llvm.fmul %{{.*}} : f32
// CHECK: llvm.fadd %{{.*}} : f32

#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>
#BT = affine_map<(m, n, k) -> (n, k)>

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
