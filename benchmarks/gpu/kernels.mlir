// Kernels of the GPU benchmark (benchmarks/gpu/GpuBench.cpp), compiled by
// the same GPU code generation as the model (xgenmm-gpu-codegen-pipeline):
//   @dense: out[m, n] += a[m, k] * w[k, n] (a f32, w bf16, out f32), the
//           model's dense layers: 64 x 128 block tiles on bf16 tensor cores;
//   @matvec_<layer>: the same with one row of activations at Phi-3's decode
//           shapes (static, as in the model): the matrix-vector kernel;
//   @attention_<stage>: xgenmm.attention at the model's shapes (SigLIP per
//           crop; Phi-3 prefill of 1k tokens, causal): the fused
//           tensor-core attention kernel (xgenmm-gpu-flash-attention);
//   @copy:  out[i] = in[i], one element per thread: the HBM bandwidth the
//           generated elementwise kernels can reach.
// Compiled with --xgenmm-lower-to-linalg first (the attention op), as
// test/gpu/bench-kernels.mlir does in CI.
// benchmarks/gpu/device-check.sh builds it into bench-kernels-<chip>.so.
#A = affine_map<(d0, d1, d2) -> (d0, d2)>
#W = affine_map<(d0, d1, d2) -> (d2, d1)>
#C = affine_map<(d0, d1, d2) -> (d0, d1)>
#E = affine_map<(d0) -> (d0)>
module {
  func.func @dense(%a: memref<?x?xf32>, %w: memref<?x?xbf16>, %c: memref<?x?xf32>) attributes {llvm.emit_c_interface} {
    %ta = bufferization.to_tensor %a restrict : memref<?x?xf32> to tensor<?x?xf32>
    %tw = bufferization.to_tensor %w restrict : memref<?x?xbf16> to tensor<?x?xbf16>
    %tc = bufferization.to_tensor %c restrict writable : memref<?x?xf32> to tensor<?x?xf32>
    %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%ta, %tw : tensor<?x?xf32>, tensor<?x?xbf16>) outs(%tc : tensor<?x?xf32>) attrs = {xgenmm.matmul} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %e = arith.extf %y : bf16 to f32
      %m = arith.mulf %x, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<?x?xf32>
    bufferization.materialize_in_destination %r in restrict writable %c : (tensor<?x?xf32>, memref<?x?xf32>) -> ()
    return
  }
  func.func @matvec_qkv(%a: memref<1x3072xf32>, %w: memref<3072x9216xbf16>, %c: memref<1x9216xf32>) attributes {llvm.emit_c_interface} {
    %ta = bufferization.to_tensor %a restrict : memref<1x3072xf32> to tensor<1x3072xf32>
    %tw = bufferization.to_tensor %w restrict : memref<3072x9216xbf16> to tensor<3072x9216xbf16>
    %tc = bufferization.to_tensor %c restrict writable : memref<1x9216xf32> to tensor<1x9216xf32>
    %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%ta, %tw : tensor<1x3072xf32>, tensor<3072x9216xbf16>) outs(%tc : tensor<1x9216xf32>) attrs = {xgenmm.matmul} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %e = arith.extf %y : bf16 to f32
      %m = arith.mulf %x, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x9216xf32>
    bufferization.materialize_in_destination %r in restrict writable %c : (tensor<1x9216xf32>, memref<1x9216xf32>) -> ()
    return
  }
  func.func @matvec_o(%a: memref<1x3072xf32>, %w: memref<3072x3072xbf16>, %c: memref<1x3072xf32>) attributes {llvm.emit_c_interface} {
    %ta = bufferization.to_tensor %a restrict : memref<1x3072xf32> to tensor<1x3072xf32>
    %tw = bufferization.to_tensor %w restrict : memref<3072x3072xbf16> to tensor<3072x3072xbf16>
    %tc = bufferization.to_tensor %c restrict writable : memref<1x3072xf32> to tensor<1x3072xf32>
    %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%ta, %tw : tensor<1x3072xf32>, tensor<3072x3072xbf16>) outs(%tc : tensor<1x3072xf32>) attrs = {xgenmm.matmul} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %e = arith.extf %y : bf16 to f32
      %m = arith.mulf %x, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x3072xf32>
    bufferization.materialize_in_destination %r in restrict writable %c : (tensor<1x3072xf32>, memref<1x3072xf32>) -> ()
    return
  }
  func.func @matvec_gate_up(%a: memref<1x3072xf32>, %w: memref<3072x16384xbf16>, %c: memref<1x16384xf32>) attributes {llvm.emit_c_interface} {
    %ta = bufferization.to_tensor %a restrict : memref<1x3072xf32> to tensor<1x3072xf32>
    %tw = bufferization.to_tensor %w restrict : memref<3072x16384xbf16> to tensor<3072x16384xbf16>
    %tc = bufferization.to_tensor %c restrict writable : memref<1x16384xf32> to tensor<1x16384xf32>
    %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%ta, %tw : tensor<1x3072xf32>, tensor<3072x16384xbf16>) outs(%tc : tensor<1x16384xf32>) attrs = {xgenmm.matmul} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %e = arith.extf %y : bf16 to f32
      %m = arith.mulf %x, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x16384xf32>
    bufferization.materialize_in_destination %r in restrict writable %c : (tensor<1x16384xf32>, memref<1x16384xf32>) -> ()
    return
  }
  func.func @matvec_down(%a: memref<1x8192xf32>, %w: memref<8192x3072xbf16>, %c: memref<1x3072xf32>) attributes {llvm.emit_c_interface} {
    %ta = bufferization.to_tensor %a restrict : memref<1x8192xf32> to tensor<1x8192xf32>
    %tw = bufferization.to_tensor %w restrict : memref<8192x3072xbf16> to tensor<8192x3072xbf16>
    %tc = bufferization.to_tensor %c restrict writable : memref<1x3072xf32> to tensor<1x3072xf32>
    %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%ta, %tw : tensor<1x8192xf32>, tensor<8192x3072xbf16>) outs(%tc : tensor<1x3072xf32>) attrs = {xgenmm.matmul} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %e = arith.extf %y : bf16 to f32
      %m = arith.mulf %x, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x3072xf32>
    bufferization.materialize_in_destination %r in restrict writable %c : (tensor<1x3072xf32>, memref<1x3072xf32>) -> ()
    return
  }
  func.func @matvec_head(%a: memref<1x3072xf32>, %w: memref<3072x32012xbf16>, %c: memref<1x32012xf32>) attributes {llvm.emit_c_interface} {
    %ta = bufferization.to_tensor %a restrict : memref<1x3072xf32> to tensor<1x3072xf32>
    %tw = bufferization.to_tensor %w restrict : memref<3072x32012xbf16> to tensor<3072x32012xbf16>
    %tc = bufferization.to_tensor %c restrict writable : memref<1x32012xf32> to tensor<1x32012xf32>
    %r = linalg.generic {indexing_maps = [#A, #W, #C], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%ta, %tw : tensor<1x3072xf32>, tensor<3072x32012xbf16>) outs(%tc : tensor<1x32012xf32>) attrs = {xgenmm.matmul} {
    ^bb0(%x: f32, %y: bf16, %acc: f32):
      %e = arith.extf %y : bf16 to f32
      %m = arith.mulf %x, %e : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x32012xf32>
    bufferization.materialize_in_destination %r in restrict writable %c : (tensor<1x32012xf32>, memref<1x32012xf32>) -> ()
    return
  }
  func.func @attention_siglip(%q: memref<?x729x1152xf32>, %k: memref<?x729x1152xf32>, %v: memref<?x729x1152xf32>, %o: memref<?x729x1152xf32>) attributes {llvm.emit_c_interface} {
    %tq = bufferization.to_tensor %q restrict : memref<?x729x1152xf32> to tensor<?x729x1152xf32>
    %tk = bufferization.to_tensor %k restrict : memref<?x729x1152xf32> to tensor<?x729x1152xf32>
    %tv = bufferization.to_tensor %v restrict : memref<?x729x1152xf32> to tensor<?x729x1152xf32>
    %a = xgenmm.attention %tq, %tk, %tv heads 16 kv_heads 16 head_dim 72 scale 0.11785113
        : tensor<?x729x1152xf32>, tensor<?x729x1152xf32>, tensor<?x729x1152xf32> -> tensor<?x729x1152xf32>
    bufferization.materialize_in_destination %a in restrict writable %o : (tensor<?x729x1152xf32>, memref<?x729x1152xf32>) -> ()
    return
  }
  func.func @attention_prefill(%q: memref<?x3072xf32>, %k: memref<?x3072xf32>, %v: memref<?x3072xf32>, %o: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
    %tq = bufferization.to_tensor %q restrict : memref<?x3072xf32> to tensor<?x3072xf32>
    %tk = bufferization.to_tensor %k restrict : memref<?x3072xf32> to tensor<?x3072xf32>
    %tv = bufferization.to_tensor %v restrict : memref<?x3072xf32> to tensor<?x3072xf32>
    %a = xgenmm.attention %tq, %tk, %tv heads 32 kv_heads 32 head_dim 96 scale 0.102062073 causal
        : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32> -> tensor<?x3072xf32>
    bufferization.materialize_in_destination %a in restrict writable %o : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
    return
  }
  func.func @copy(%in: memref<?xf32>, %out: memref<?xf32>) attributes {llvm.emit_c_interface} {
    %ti = bufferization.to_tensor %in restrict : memref<?xf32> to tensor<?xf32>
    %to = bufferization.to_tensor %out restrict writable : memref<?xf32> to tensor<?xf32>
    %r = linalg.generic {indexing_maps = [#E, #E], iterator_types = ["parallel"]}
        ins(%ti : tensor<?xf32>) outs(%to : tensor<?xf32>) {
    ^bb0(%x: f32, %y: f32):
      linalg.yield %x : f32
    } -> tensor<?xf32>
    bufferization.materialize_in_destination %r in restrict writable %out : (tensor<?xf32>, memref<?xf32>) -> ()
    return
  }
}
