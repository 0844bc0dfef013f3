// Kernels of the GPU benchmark (benchmarks/gpu/GpuBench.cpp), compiled by
// the same GPU code generation as the model (xgenmm-gpu-codegen-pipeline):
//   @dense: out[m, n] += a[m, k] * w[k, n] (a f32, w bf16, out f32), the
//           model's dense layers: 64 x 64 block tiles on bf16 tensor cores;
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
