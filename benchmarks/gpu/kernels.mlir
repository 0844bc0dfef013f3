// Kernels of the GPU benchmark (benchmarks/gpu/GpuBench.cpp), compiled by
// the same GPU code generation as the model (xgenmm-gpu-codegen-pipeline):
//   @dense: out[m, n] += a[m, k] * w[k, n] (a f32, w bf16, out f32), the
//           model's dense layers: 64 x 64 block tiles on bf16 tensor cores;
//   @matvec_<layer>: the same with one row of activations at Phi-3's decode
//           shapes (static, as in the model): the matrix-vector kernel;
//   @copy:  out[i] = in[i], one element per thread: the HBM bandwidth the
//           generated elementwise kernels can reach.
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
