// xgenmm-gpu-flash-attention: each attention chain of the lowering (q k^T,
// mask, softmax in place, p v) becomes one kernel of bf16 tensor-core
// mma.sync with an online softmax; no score matrix is left in memory.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --canonicalize --cse \
// RUN:   --xgenmm-gpu-codegen-pipeline="chip=sm_80" \
// RUN:   --mlir-print-ir-after=xgenmm-gpu-flash-attention -o %t.ptx.mlir 2> %t.after.mlir
// RUN: FileCheck %s --input-file=%t.after.mlir
// Every kernel becomes PTX, with scores and p v on tensor cores and quad shuffles.
// RUN: FileCheck %s --input-file=%t.ptx.mlir --check-prefix=PTX
// Without the pass (fused-attention=false) the chain stays unfused.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --canonicalize --cse \
// RUN:   --xgenmm-gpu-codegen-pipeline="chip=sm_80 fused-attention=false" \
// RUN:   --mlir-print-ir-after=xgenmm-gpu-mma-matmul -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=UNFUSED
// The kernels executed: the same IR in generic form, run by a SIMT emulator
// (threads of a block in lockstep, mma.sync with the PTX ISA's fragment
// layouts) against attention in float64 on the same bf16-rounded inputs.
// RUN: xgenmm-opt %s --xgenmm-lower-to-linalg --canonicalize --cse \
// RUN:   --xgenmm-gpu-codegen-pipeline="chip=sm_80" --mlir-print-op-generic \
// RUN:   --mlir-print-ir-after=xgenmm-gpu-flash-attention -o /dev/null 2> %t.generic.mlir
// RUN: %if numpy %{ %numpy_python %S/Inputs/check_flash_attention.py %t.generic.mlir %}

// CHECK-LABEL: func.func @plain
// CHECK-NOT: linalg.generic
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}}) threads({{.*}}) in (%{{.*}} = %c128{{.*}}) workgroup(%[[K:.*]] : memref<64x24xbf16, #gpu.address_space<workgroup>>, %[[V:.*]] : memref<64x24xbf16, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: vector.store %{{.*}}, %[[K]][%{{.*}}] {alignment = 16 : i64} : memref<64x24xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK: vector.store %{{.*}}, %[[V]][%{{.*}}] {alignment = 16 : i64} : memref<64x24xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix %[[K]][%{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK-COUNT-2: nvvm.mma.sync
// CHECK: gpu.shuffle xor
// CHECK: math.exp
// CHECK: nvgpu.ldmatrix %[[V]][%{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK: nvvm.mma.sync
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: gpu.shuffle xor
// CHECK: arith.divf
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @plain(%q: tensor<?x70x48xf32>, %k: tensor<?x100x24xf32>, %v: tensor<?x100x24xf32>) -> tensor<?x70x48xf32> {
  %a = xgenmm.attention %q, %k, %v heads 4 kv_heads 2 head_dim 12 scale 0.3
      : tensor<?x70x48xf32>, tensor<?x100x24xf32>, tensor<?x100x24xf32> -> tensor<?x70x48xf32>
  return %a : tensor<?x70x48xf32>
}

// A key mask (over the first 50 keys): computed outside, read per score.
// Head dimension 72, padded to 80.
// CHECK-LABEL: func.func @masked
// CHECK: linalg.generic
// CHECK: gpu.launch {{.*}} workgroup(%{{.*}} : memref<64x88xbf16, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x88xbf16, #gpu.address_space<workgroup>>)
// CHECK: memref.load %{{.*}} : memref<?x90xi1>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @masked(%q: tensor<?x65x144xf32>, %k: tensor<?x90x144xf32>, %v: tensor<?x90x144xf32>, %m: tensor<?x50xi1>) -> tensor<?x65x144xf32> {
  %a = xgenmm.attention %q, %k, %v mask(%m : tensor<?x50xi1>) heads 2 kv_heads 2 head_dim 72 scale 0.12
      : tensor<?x65x144xf32>, tensor<?x90x144xf32>, tensor<?x90x144xf32> -> tensor<?x65x144xf32>
  return %a : tensor<?x65x144xf32>
}

// Causal with a KV cache and a window (prefill and decode): the keys stop
// at each block's last row, min(keys, position + 64 bx + 64).
// CHECK-LABEL: func.func @causal
// CHECK: linalg.copy
// CHECK: linalg.copy
// CHECK: gpu.launch
// CHECK: arith.minui %{{.*}}, %{{.*}} : index
// CHECK: scf.for
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @causal(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>,
                  %kc: tensor<160x16xf32>, %vc: tensor<160x16xf32>, %p: index)
    -> (tensor<?x32xf32>, tensor<160x16xf32>, tensor<160x16xf32>) {
  %a, %kn, %vn = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<160x16xf32>, tensor<160x16xf32> at %p)
      heads 2 kv_heads 1 head_dim 16 scale 0.25 causal window 50
      : tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x16xf32>
        -> tensor<?x32xf32>, tensor<160x16xf32>, tensor<160x16xf32>
  return %a, %kn, %vn : tensor<?x32xf32>, tensor<160x16xf32>, tensor<160x16xf32>
}

// Decode as the model has it: one static row, whose index canonicalization
// folds out of the mask (t <= position): the keys stop at position + 1.
// One row cannot fill the GPU with one block per head: the keys are split
// over 16 blocks (grid z), each writing its partial o, m and l, and a second
// kernel combines them.
// CHECK-LABEL: func.func @decode_static(
// CHECK-SAME: %[[POS:[a-z0-9]+]]: index)
// CHECK: %[[O:.*]] = memref.alloc(%{{.*}}) : memref<16x?x1x32xf32>
// CHECK: %[[M:.*]] = memref.alloc(%{{.*}}) : memref<16x?x1xf32>
// CHECK: %[[L:.*]] = memref.alloc(%{{.*}}) : memref<16x?x1xf32>
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[Z:.*]]) in ({{.*}}, %{{.*}} = %c16{{.*}})
// CHECK: %[[END:.*]] = arith.addi %[[POS]], %c1{{.*}} : index
// CHECK-NEXT: %[[KEYS:.*]] = arith.minui %{{.*}}, %[[END]] : index
// CHECK: arith.ceildivui %[[KEYS]], %c64
// CHECK: %[[BEGIN:.*]] = arith.muli %[[Z]], %{{.*}} : index
// CHECK: %[[STOP:.*]] = arith.minui %[[KEYS]], %{{.*}} : index
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[STOP]] step %c64
// CHECK: memref.store %{{.*}}, %[[M]]
// CHECK: memref.store %{{.*}}, %[[L]]
// CHECK: memref.store %{{.*}}, %[[O]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.load %[[M]]
// CHECK: math.exp
// CHECK: memref.load %[[O]]
// CHECK: arith.divf
// CHECK: gpu.terminator
// CHECK: memref.dealloc %[[O]]
func.func @decode_static(%q: tensor<1x44xf32>, %k: tensor<1x44xf32>, %v: tensor<1x44xf32>,
                         %kc: tensor<1200x44xf32>, %vc: tensor<1200x44xf32>, %p: index)
    -> (tensor<1x44xf32>, tensor<1200x44xf32>, tensor<1200x44xf32>) {
  %a, %kn, %vn = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<1200x44xf32>, tensor<1200x44xf32> at %p)
      heads 2 kv_heads 2 head_dim 22 scale 0.213200718 causal window 100
      : tensor<1x44xf32>, tensor<1x44xf32>, tensor<1x44xf32>
        -> tensor<1x44xf32>, tensor<1200x44xf32>, tensor<1200x44xf32>
  return %a, %kn, %vn : tensor<1x44xf32>, tensor<1200x44xf32>, tensor<1200x44xf32>
}

// Causal without a cache: the rows' offset is 0 (folded out of the mask).
// CHECK-LABEL: func.func @causal_no_cache
// CHECK: gpu.launch
// CHECK: arith.minui %{{.*}}, %{{.*}} : index
// CHECK: scf.for
func.func @causal_no_cache(%q: tensor<?x32xf32>, %k: tensor<?x32xf32>, %v: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %a = xgenmm.attention %q, %k, %v heads 2 kv_heads 2 head_dim 16 scale 0.25 causal
      : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
  return %a : tensor<?x32xf32>
}

// PTX-COUNT-5: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32{{.*}}shfl.sync.bfly.b32
// PTX-NOT: extern .func

// UNFUSED-LABEL: func.func @plain
// UNFUSED-NOT: flash_attention
// UNFUSED: linalg.generic
// UNFUSED-NOT: flash_attention
