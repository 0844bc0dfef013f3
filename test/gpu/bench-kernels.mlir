// The GPU benchmark's kernels (benchmarks/gpu/kernels.mlir) compile as
// benchmarks/gpu/prepare-device-bundle.sh compiles them for the device
// check: the dense tile and decode's matrix-vector kernels, the fused
// attention at SigLIP's and Phi-3's shapes, the copy kernel.
// RUN: xgenmm-opt %xgenmm_src_root/benchmarks/gpu/kernels.mlir --xgenmm-lower-to-linalg \
// RUN:   --xgenmm-gpu-codegen-pipeline="chip=sm_90" -o %t.mlir
// RUN: FileCheck %s --input-file=%t.mlir
// RUN: not grep -l "extern .func" %t.mlir

// CHECK-DAG: llvm.func @_mlir_ciface_dense(
// CHECK-DAG: llvm.func @_mlir_ciface_matvec_head(
// CHECK-DAG: llvm.func @_mlir_ciface_attention_siglip(
// CHECK-DAG: llvm.func @_mlir_ciface_attention_prefill(
// CHECK-DAG: llvm.func @_mlir_ciface_copy(
// CHECK-DAG: gpu.binary @dense_kernel {{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-DAG: gpu.binary @attention_siglip_kernel {{.*}}mma.sync.aligned.m16n8k16{{.*}}shfl.sync.bfly.b32
// CHECK-DAG: gpu.binary @attention_prefill_kernel {{.*}}mma.sync.aligned.m16n8k16{{.*}}shfl.sync.bfly.b32
