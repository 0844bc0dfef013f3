// RUN: xgenmm-opt %s --pass-pipeline="builtin.module(gpu.module(xgenmm-gpu-align-shared))" | FileCheck %s

// Shared (addrspace 3) globals get at least 16-byte alignment; larger
// alignments and other address spaces are left as they are.
// CHECK-LABEL: gpu.module @kernels
// CHECK: llvm.mlir.global internal @bf16_tile() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<2560 x bf16>
// CHECK: llvm.mlir.global internal @unaligned() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x f32>
// CHECK: llvm.mlir.global internal @wide() {addr_space = 3 : i32, alignment = 128 : i64} : !llvm.array<64 x f32>
// CHECK: llvm.mlir.global internal @global_mem() {addr_space = 1 : i32, alignment = 2 : i64} : !llvm.array<8 x bf16>
gpu.module @kernels {
  llvm.mlir.global internal @bf16_tile() {addr_space = 3 : i32, alignment = 2 : i64} : !llvm.array<2560 x bf16>
  llvm.mlir.global internal @unaligned() {addr_space = 3 : i32} : !llvm.array<64 x f32>
  llvm.mlir.global internal @wide() {addr_space = 3 : i32, alignment = 128 : i64} : !llvm.array<64 x f32>
  llvm.mlir.global internal @global_mem() {addr_space = 1 : i32, alignment = 2 : i64} : !llvm.array<8 x bf16>
}
