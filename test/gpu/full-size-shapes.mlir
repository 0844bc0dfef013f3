// The full-size r-v1.5 graph (test/models/r-v1.5.mlir: SigLIP 27 x 1152,
// resampler 6 x 128 latents, Phi-3-mini 32 x 3072, bf16 weights) through the
// GPU pipeline for both chips: each entry point's device code holds the
// tensor-core dense kernels, as PTX for sm_80 and sm_90, and as cubins from
// ptxas where the CUDA toolkit is installed.
// RUN: xgenmm-opt %xgenmm_src_root/test/models/r-v1.5.mlir --xgenmm-gpu-pipeline="chip=sm_80" -o %t.sm80.mlir
// RUN: FileCheck %s --check-prefixes=CHECK,SM80 --input-file=%t.sm80.mlir
// RUN: xgenmm-opt %xgenmm_src_root/test/models/r-v1.5.mlir --xgenmm-gpu-pipeline="chip=sm_90" -o %t.sm90.mlir
// RUN: FileCheck %s --check-prefixes=CHECK,SM90 --input-file=%t.sm90.mlir
// The PTX is self-contained (lit's environment names no CUDA toolkit, so
// libdevice could not have been linked): no unresolved function.
// RUN: not grep -l "extern .func" %t.sm80.mlir %t.sm90.mlir

// Every kernel of an entry point is its own gpu.binary; the first of each
// entry point is followed, somewhere, by a dense layer's kernel.
// CHECK: llvm.func @_mlir_ciface_xgenmm_encode_image(
// SM80: gpu.binary @xgenmm_encode_image_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx78">
// SM90: gpu.binary @xgenmm_encode_image_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx78">
// CHECK-SAME: assembly = "
// CHECK-SAME: .target sm_{{80|90}}
// CHECK: gpu.binary @xgenmm_encode_image_kernel{{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK: llvm.func @_mlir_ciface_xgenmm_prefill(
// CHECK: gpu.binary @xgenmm_prefill_kernel{{.*}}mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK: llvm.func @_mlir_ciface_xgenmm_decode(
// Decode's dense layers: matrix-vector kernels (16-byte weight loads, K
// split over blocks that add to out atomically).
// CHECK: gpu.binary @xgenmm_decode_kernel{{.*}}ld.global.v4.b32{{.*}}bar.sync{{.*}}atom.global.add.f32
