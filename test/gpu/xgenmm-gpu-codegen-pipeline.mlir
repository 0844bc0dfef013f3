// The whole GPU code generation on a dense layer with a GELU-like epilogue:
// NVVM, then PTX from LLVM's NVPTX backend (format=isa, no CUDA needed).
// RUN: xgenmm-opt %s --xgenmm-gpu-codegen-pipeline="chip=sm_80" | FileCheck %s --check-prefixes=PTX,SM80
// RUN: xgenmm-opt %s --xgenmm-gpu-codegen-pipeline="chip=sm_90" | FileCheck %s --check-prefixes=PTX,SM90
// Stop before the binary: the NVVM of the kernels.
// RUN: xgenmm-opt %s --xgenmm-apply-schedule="schedule=gpu entry-point=xgenmm_gpu_tile_blocks" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -cse -canonicalize --xgenmm-gpu-mma-matmul --convert-linalg-to-parallel-loops --xgenmm-gpu-map-loops \
// RUN:   --gpu-launch-sink-index-computations --gpu-kernel-outlining --convert-scf-to-cf \
// RUN: | xgenmm-opt --pass-pipeline="builtin.module(gpu.module(convert-nvgpu-to-nvvm,convert-gpu-to-nvvm,xgenmm-gpu-align-shared))" | FileCheck %s --check-prefix=NVVM

// NVVM: gpu.module @dense_gelu_kernel {
// NVVM: llvm.mlir.global internal @__wg_dense_gelu_kernel_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<5120 x bf16>
// NVVM: llvm.mlir.global internal @__wg_dense_gelu_kernel_1() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<8704 x bf16>
// NVVM: llvm.func @dense_gelu_kernel({{.*}} attributes {gpu.kernel, gpu.known_block_size = array<i32: 128, 1, 1>
// NVVM: nvvm.read.ptx.sreg.ctaid.y
// NVVM: nvvm.barrier
// NVVM-COUNT-2: nvvm.ldmatrix {{.*}} layout = #nvvm.mma_layout<row>, num = 4
// NVVM-COUNT-4: nvvm.ldmatrix {{.*}} layout = #nvvm.mma_layout<col>, num = 4
// NVVM-COUNT-16: nvvm.mma.sync {{.*}} shape = #nvvm.shape<m = 16, n = 8, k = 16>
// The epilogue (tanh) applied by the dense kernel before its stores.
// NVVM: llvm.call @__nv_tanhf
// NVVM-NOT: gpu.module

// One kernel, embedded as PTX for the chip: the dense layer on bf16 tensor
// cores with its epilogue (no second kernel over the output).
// PTX-LABEL: llvm.func @dense_gelu(
// PTX: gpu.launch_func @dense_gelu_kernel::@dense_gelu_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) : i64
// PTX-NOT: gpu.launch_func
// PTX: gpu.binary @dense_gelu_kernel [
// SM80-SAME: .target sm_80
// SM90-SAME: .target sm_90
// PTX-SAME: .entry dense_gelu_kernel(
// PTX-SAME: .shared .align 16 .b8 __wg_dense_gelu_kernel_0[10240]
// PTX-SAME: .shared .align 16 .b8 __wg_dense_gelu_kernel_1[17408]
// PTX-SAME: ld.global.v4.b32
// PTX-SAME: st.shared.v4.b32
// PTX-SAME: bar.sync
// PTX-SAME: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-SAME: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-SAME: ret;{{.*}}">]
// PTX-NOT: gpu.binary

#A = affine_map<(d0, d1, d2) -> (d0, d2)>
#W = affine_map<(d0, d1, d2) -> (d2, d1)>
#C = affine_map<(d0, d1, d2) -> (d0, d1)>
#E = affine_map<(d0, d1) -> (d0, d1)>
func.func @dense_gelu(%a: tensor<?x96xf32>, %w: tensor<96x80xbf16>, %c: tensor<?x80xf32>) -> tensor<?x80xf32> {
  %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x96xf32>, tensor<96x80xbf16>) outs(%c : tensor<?x80xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %e = arith.extf %y : bf16 to f32
    %m = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x80xf32>
  %g = linalg.generic {indexing_maps = [#E], iterator_types = ["parallel", "parallel"]} outs(%r : tensor<?x80xf32>) {
  ^bb0(%x: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<?x80xf32>
  return %g : tensor<?x80xf32>
}
