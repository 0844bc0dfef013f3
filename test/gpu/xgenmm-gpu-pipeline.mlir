// The whole model (test/models/tiny.mlir, the r-v1.5 graph with small
// dimensions) through the GPU pipeline: every kernel in PTX for sm_80, the
// dense layers on tensor cores, the host code left with launches and the
// runtime's allocator only.
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir --xgenmm-gpu-pipeline="chip=sm_80" -o %t.mlir
// RUN: FileCheck %s --input-file=%t.mlir
// RUN: FileCheck %s --input-file=%t.mlir --check-prefix=HOST
// RUN: mlir-translate --mlir-to-llvmir %t.mlir | FileCheck %s --check-prefix=LLVM
// No libdevice call is left in the PTX (the math functions are arithmetic,
// xgenmm-gpu-expand-math): it needs no CUDA toolkit to compile or load.
// RUN: not grep -l "extern .func" %t.mlir

// CHECK: llvm.func @_mlir_ciface_xgenmm_encode_image(
// CHECK: gpu.binary @xgenmm_encode_image_kernel{{.*}}.target sm_80{{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK: llvm.func @_mlir_ciface_xgenmm_prefill(
// CHECK: gpu.binary @xgenmm_prefill_kernel{{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK: llvm.func @_mlir_ciface_xgenmm_decode(
// Decode's dense layers (one row) are matrix-vector kernels, not tensor cores.
// CHECK: gpu.binary @xgenmm_decode_kernel{{.*}}ld.global.v4.b32{{.*}}bar.sync

// No memory access is left on the host: no loads, stores or copies outside
// the kernels, nothing from libc.
// HOST-NOT: memref.
// HOST-NOT: llvm.call @malloc
// HOST-NOT: llvm.call @memrefCopy

// The host side's external functions: the runtime's (runtime/cuda).
// LLVM-DAG: declare ptr @_mlir_memref_to_llvm_alloc(i64)
// LLVM-DAG: declare void @_mlir_memref_to_llvm_free(ptr)
// LLVM-DAG: declare ptr @mgpuModuleLoadJIT(ptr, i32)
// LLVM-DAG: declare ptr @mgpuModuleGetFunction(ptr, ptr)
// LLVM-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)
