// The NVIDIA GPU code generation schedule of xgenmm, a transform-dialect
// library that xgenmm-apply-schedule (schedule=gpu) runs from the GPU
// pipeline (passes/GpuPipeline.cpp), embedded in the binaries at build
// time. Tests run it with
//   xgenmm-opt --transform-preload-library=transform-library-paths=<this file>
//              --transform-interpreter=entry-point=xgenmm_gpu_tile_blocks
//
// @xgenmm_gpu_tile_blocks, on tensors, before bufferization: every dense
// contraction marked `xgenmm.matmul` by xgenmm-transpose-dense-weights,
//   out[m, n] += a[m, k] * w[k, n]      (w bf16 or f32; out starts from the
//                                        bias or the residual: the epilogue)
// is tiled into 64 x 128 output tiles (M x N), one per thread block (an
// scf.forall mapped to #gpu.block<y> over M, #gpu.block<x> over N). The tile
// keeps the whole K range and is marked `xgenmm.mma_tile`: after
// bufferization, xgenmm-gpu-mma-matmul turns each such forall into a
// gpu.launch of 4 warps, each computing a 32 x 64 quarter of the tile with
// bf16 tensor-core mma.sync m16n8k16 (f32 accumulators), K staged through
// shared memory 32 at a time; or, with one row of activations, into a
// matrix-vector kernel over 128 columns. The 64 x 128 tile is the block tile
// those kernels are written for.
module attributes {transform.with_named_sequence} {
  transform.named_sequence @xgenmm_gpu_tile_blocks(%root: !transform.any_op {transform.readonly}) {
    %marked = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul} in %root
        : (!transform.any_op) -> !transform.any_op
    transform.foreach %marked : !transform.any_op {
    ^bb0(%mm: !transform.any_op):
      %tile, %forall = transform.structured.tile_using_forall %mm tile_sizes [64, 128]
          (mapping = [#gpu.block<y>, #gpu.block<x>])
          : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
      transform.annotate %tile "xgenmm.mma_tile" : !transform.any_op
    }
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
