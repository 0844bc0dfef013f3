// The full-size r-v1.5 graph to cubins (format=bin: ptxas of the CUDA
// toolkit assembles every kernel; a kernel ptxas rejects fails the pass).
// REQUIRES: ptxas
// RUN: xgenmm-opt %xgenmm_src_root/test/models/r-v1.5.mlir --xgenmm-gpu-pipeline="chip=sm_90 format=bin" \
// RUN:   | FileCheck %s
// CHECK: gpu.binary @xgenmm_encode_image_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx78">, properties = {ISAToBinaryTimeInMs = {{[0-9]+}} : i64, {{.*}}}, bin = "
// CHECK-NOT: assembly = "
// CHECK: gpu.binary @xgenmm_decode_kernel
