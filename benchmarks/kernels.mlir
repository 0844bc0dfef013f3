// Dense-layer kernels at xGen-MM shapes for xgenmm-bench-matmul, written as
// xgenmm-transpose-dense-weights leaves a dense layer: a row-major matmul
// c[m, n] += a[m, k] * w[k, n] over [K, N] weights (f32, or bf16 extended
// in the body), marked `xgenmm.matmul`, in place in `c`; M dynamic (@mm_*,
// image encoding and prefill) or 1 (@mv_*, decode). The build compiles them
// with the compiler's own code generation (xgenmm-opt
// --xgenmm-cpu-codegen-pipeline), then mlir-translate and clang -O3.
// Shapes: SigLIP fc1 (1152 -> 4304) and fc2 (4304 -> 1152), Phi-3 qkv
// (3072 -> 9216).
#A = affine_map<(m, n, k) -> (m, k)>
#B = affine_map<(m, n, k) -> (k, n)>
#C = affine_map<(m, n, k) -> (m, n)>

func.func @mm_f32_1152x4304(%am: memref<?x1152xf32>, %wm: memref<1152x4304xf32>, %cm: memref<?x4304xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x4304xf32> to tensor<1152x4304xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x4304xf32> to tensor<?x4304xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x4304xf32>) outs(%c : tensor<?x4304xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4304xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x4304xf32>, memref<?x4304xf32>) -> ()
  return
}

func.func @mm_bf16_1152x4304(%am: memref<?x1152xf32>, %wm: memref<1152x4304xbf16>, %cm: memref<?x4304xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x4304xbf16> to tensor<1152x4304xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x4304xf32> to tensor<?x4304xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x4304xbf16>) outs(%c : tensor<?x4304xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4304xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x4304xf32>, memref<?x4304xf32>) -> ()
  return
}

func.func @mm_f32_4304x1152(%am: memref<?x4304xf32>, %wm: memref<4304x1152xf32>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x4304xf32> to tensor<?x4304xf32>
  %w = bufferization.to_tensor %wm restrict : memref<4304x1152xf32> to tensor<4304x1152xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x4304xf32>, tensor<4304x1152xf32>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mm_f32_3072x9216(%am: memref<?x3072xf32>, %wm: memref<3072x9216xf32>, %cm: memref<?x9216xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x9216xf32> to tensor<3072x9216xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x9216xf32> to tensor<?x9216xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3072xf32>, tensor<3072x9216xf32>) outs(%c : tensor<?x9216xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x9216xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x9216xf32>, memref<?x9216xf32>) -> ()
  return
}

func.func @mm_bf16_3072x9216(%am: memref<?x3072xf32>, %wm: memref<3072x9216xbf16>, %cm: memref<?x9216xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x9216xbf16> to tensor<3072x9216xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x9216xf32> to tensor<?x9216xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3072xf32>, tensor<3072x9216xbf16>) outs(%c : tensor<?x9216xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x9216xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x9216xf32>, memref<?x9216xf32>) -> ()
  return
}

func.func @mv_f32_3072x9216(%am: memref<1x3072xf32>, %wm: memref<3072x9216xf32>, %cm: memref<1x9216xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x9216xf32> to tensor<3072x9216xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<1x9216xf32> to tensor<1x9216xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x3072xf32>, tensor<3072x9216xf32>) outs(%c : tensor<1x9216xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x9216xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<1x9216xf32>, memref<1x9216xf32>) -> ()
  return
}

func.func @mv_bf16_3072x9216(%am: memref<1x3072xf32>, %wm: memref<3072x9216xbf16>, %cm: memref<1x9216xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x9216xbf16> to tensor<3072x9216xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<1x9216xf32> to tensor<1x9216xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x3072xf32>, tensor<3072x9216xbf16>) outs(%c : tensor<1x9216xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x9216xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<1x9216xf32>, memref<1x9216xf32>) -> ()
  return
}

// The other distinct dense shapes: SigLIP q/k/v/o (1152 -> 1152) and the
// decode products of Phi-3 gate_up (3072 -> 16384), down (8192 -> 3072)
// and the head (3072 -> 32064), bf16 weights.
func.func @mm_f32_1152x1152(%am: memref<?x1152xf32>, %wm: memref<1152x1152xf32>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x1152xf32> to tensor<1152x1152xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x1152xf32>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mm_bf16_4304x1152(%am: memref<?x4304xf32>, %wm: memref<4304x1152xbf16>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x4304xf32> to tensor<?x4304xf32>
  %w = bufferization.to_tensor %wm restrict : memref<4304x1152xbf16> to tensor<4304x1152xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x4304xf32>, tensor<4304x1152xbf16>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mm_bf16_1152x1152(%am: memref<?x1152xf32>, %wm: memref<1152x1152xbf16>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x1152xbf16> to tensor<1152x1152xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x1152xbf16>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mv_bf16_3072x16384(%am: memref<1x3072xf32>, %wm: memref<3072x16384xbf16>, %cm: memref<1x16384xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x16384xbf16> to tensor<3072x16384xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<1x16384xf32> to tensor<1x16384xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x3072xf32>, tensor<3072x16384xbf16>) outs(%c : tensor<1x16384xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x16384xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<1x16384xf32>, memref<1x16384xf32>) -> ()
  return
}

func.func @mv_bf16_8192x3072(%am: memref<1x8192xf32>, %wm: memref<8192x3072xbf16>, %cm: memref<1x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<1x8192xf32> to tensor<1x8192xf32>
  %w = bufferization.to_tensor %wm restrict : memref<8192x3072xbf16> to tensor<8192x3072xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<1x3072xf32> to tensor<1x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x8192xf32>, tensor<8192x3072xbf16>) outs(%c : tensor<1x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<1x3072xf32>, memref<1x3072xf32>) -> ()
  return
}

func.func @mv_bf16_3072x32064(%am: memref<1x3072xf32>, %wm: memref<3072x32064xbf16>, %cm: memref<1x32064xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x32064xbf16> to tensor<3072x32064xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<1x32064xf32> to tensor<1x32064xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<1x3072xf32>, tensor<3072x32064xbf16>) outs(%c : tensor<1x32064xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x32064xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<1x32064xf32>, memref<1x32064xf32>) -> ()
  return
}

// SigLIP attention of one 384x384 view (729 tokens, 16 heads of 72) as
// xgenmm-transpose-attention-keys leaves it: scores = q k^T over the
// transposed keys [b, h, d, t], and probs v.
#q = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d2, d5)>
#kt = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>
#s = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
#p = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d3, d1, d5)>
#v = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d5, d2, d4)>

func.func @attn_qk_729x16x72(%qm: memref<?x729x16x1x72xf32>, %ktm: memref<?x16x72x729xf32>, %sm: memref<?x16x1x729x729xf32>) attributes {llvm.emit_c_interface} {
  %q = bufferization.to_tensor %qm restrict : memref<?x729x16x1x72xf32> to tensor<?x729x16x1x72xf32>
  %kt = bufferization.to_tensor %ktm restrict : memref<?x16x72x729xf32> to tensor<?x16x72x729xf32>
  %s = bufferization.to_tensor %sm restrict writable : memref<?x16x1x729x729xf32> to tensor<?x16x1x729x729xf32>
  %r = linalg.generic {indexing_maps = [#q, #kt, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %kt : tensor<?x729x16x1x72xf32>, tensor<?x16x72x729xf32>) outs(%s : tensor<?x16x1x729x729xf32>) attrs = {xgenmm.attn_qk} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %x = arith.addf %c, %m : f32
    linalg.yield %x : f32
  } -> tensor<?x16x1x729x729xf32>
  bufferization.materialize_in_destination %r in restrict writable %sm : (tensor<?x16x1x729x729xf32>, memref<?x16x1x729x729xf32>) -> ()
  return
}

func.func @attn_pv_729x16x72(%pm: memref<?x16x1x729x729xf32>, %vm: memref<?x729x16x72xf32>, %om: memref<?x729x16x1x72xf32>) attributes {llvm.emit_c_interface} {
  %p = bufferization.to_tensor %pm restrict : memref<?x16x1x729x729xf32> to tensor<?x16x1x729x729xf32>
  %v = bufferization.to_tensor %vm restrict : memref<?x729x16x72xf32> to tensor<?x729x16x72xf32>
  %o = bufferization.to_tensor %om restrict writable : memref<?x729x16x1x72xf32> to tensor<?x729x16x1x72xf32>
  %r = linalg.generic {indexing_maps = [#p, #v, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<?x16x1x729x729xf32>, tensor<?x729x16x72xf32>) outs(%o : tensor<?x729x16x1x72xf32>) attrs = {xgenmm.attn_pv} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %x = arith.addf %c, %m : f32
    linalg.yield %x : f32
  } -> tensor<?x729x16x1x72xf32>
  bufferization.materialize_in_destination %r in restrict writable %om : (tensor<?x729x16x1x72xf32>, memref<?x729x16x1x72xf32>) -> ()
  return
}

// Phi-3 decode attention (issue 6): one query row, 32 heads of 96 over a KV
// cache of 4096 rows, bf16 or int8 (rows of 32 x (96 + 4) bytes); the new
// key and value written at row %p, attention over rows [0, p + 1). The
// caches are updated in place.
func.func @attn_decode_bf16(%qm: memref<1x3072xf32>, %km: memref<1x3072xf32>, %vm: memref<1x3072xf32>,
                            %kcm: memref<4096x3072xbf16>, %vcm: memref<4096x3072xbf16>, %p: index,
                            %om: memref<1x3072xf32>) attributes {llvm.emit_c_interface} {
  %q = bufferization.to_tensor %qm restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %k = bufferization.to_tensor %km restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %v = bufferization.to_tensor %vm restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %kc = bufferization.to_tensor %kcm restrict writable : memref<4096x3072xbf16> to tensor<4096x3072xbf16>
  %vc = bufferization.to_tensor %vcm restrict writable : memref<4096x3072xbf16> to tensor<4096x3072xbf16>
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<4096x3072xbf16>, tensor<4096x3072xbf16> at %p)
      heads 32 kv_heads 32 head_dim 96 scale 0.102062 causal
      : tensor<1x3072xf32>, tensor<1x3072xf32>, tensor<1x3072xf32> -> tensor<1x3072xf32>, tensor<4096x3072xbf16>, tensor<4096x3072xbf16>
  bufferization.materialize_in_destination %o in restrict writable %om : (tensor<1x3072xf32>, memref<1x3072xf32>) -> ()
  bufferization.materialize_in_destination %kc2 in restrict writable %kcm : (tensor<4096x3072xbf16>, memref<4096x3072xbf16>) -> ()
  bufferization.materialize_in_destination %vc2 in restrict writable %vcm : (tensor<4096x3072xbf16>, memref<4096x3072xbf16>) -> ()
  return
}

func.func @attn_decode_int8(%qm: memref<1x3072xf32>, %km: memref<1x3072xf32>, %vm: memref<1x3072xf32>,
                            %kcm: memref<4096x3200xi8>, %vcm: memref<4096x3200xi8>, %p: index,
                            %om: memref<1x3072xf32>) attributes {llvm.emit_c_interface} {
  %q = bufferization.to_tensor %qm restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %k = bufferization.to_tensor %km restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %v = bufferization.to_tensor %vm restrict : memref<1x3072xf32> to tensor<1x3072xf32>
  %kc = bufferization.to_tensor %kcm restrict writable : memref<4096x3200xi8> to tensor<4096x3200xi8>
  %vc = bufferization.to_tensor %vcm restrict writable : memref<4096x3200xi8> to tensor<4096x3200xi8>
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<4096x3200xi8>, tensor<4096x3200xi8> at %p)
      heads 32 kv_heads 32 head_dim 96 scale 0.102062 causal
      : tensor<1x3072xf32>, tensor<1x3072xf32>, tensor<1x3072xf32> -> tensor<1x3072xf32>, tensor<4096x3200xi8>, tensor<4096x3200xi8>
  bufferization.materialize_in_destination %o in restrict writable %om : (tensor<1x3072xf32>, memref<1x3072xf32>) -> ()
  bufferization.materialize_in_destination %kc2 in restrict writable %kcm : (tensor<4096x3200xi8>, memref<4096x3200xi8>) -> ()
  bufferization.materialize_in_destination %vc2 in restrict writable %vcm : (tensor<4096x3200xi8>, memref<4096x3200xi8>) -> ()
  return
}

// The remaining distinct products at more than one row (issue 6): Phi-3's
// prefill o (3072 -> 3072), gate_up (3072 -> 16384) and down (8192 ->
// 3072), and the resampler's q (1152 -> 1536), kv and the projection
// (1152 -> 3072), out (1536 -> 1152), W1 (1152 -> 4608) and W2 (4608 ->
// 1152); f32 and bf16 weights.

func.func @mm_f32_3072x3072(%am: memref<?x3072xf32>, %wm: memref<3072x3072xf32>, %cm: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x3072xf32> to tensor<3072x3072xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x3072xf32> to tensor<?x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3072xf32>, tensor<3072x3072xf32>) outs(%c : tensor<?x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @mm_bf16_3072x3072(%am: memref<?x3072xf32>, %wm: memref<3072x3072xbf16>, %cm: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x3072xbf16> to tensor<3072x3072xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x3072xf32> to tensor<?x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3072xf32>, tensor<3072x3072xbf16>) outs(%c : tensor<?x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @mm_f32_3072x16384(%am: memref<?x3072xf32>, %wm: memref<3072x16384xf32>, %cm: memref<?x16384xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x16384xf32> to tensor<3072x16384xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x16384xf32> to tensor<?x16384xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3072xf32>, tensor<3072x16384xf32>) outs(%c : tensor<?x16384xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x16384xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x16384xf32>, memref<?x16384xf32>) -> ()
  return
}

func.func @mm_bf16_3072x16384(%am: memref<?x3072xf32>, %wm: memref<3072x16384xbf16>, %cm: memref<?x16384xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %w = bufferization.to_tensor %wm restrict : memref<3072x16384xbf16> to tensor<3072x16384xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x16384xf32> to tensor<?x16384xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x3072xf32>, tensor<3072x16384xbf16>) outs(%c : tensor<?x16384xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x16384xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x16384xf32>, memref<?x16384xf32>) -> ()
  return
}

func.func @mm_f32_8192x3072(%am: memref<?x8192xf32>, %wm: memref<8192x3072xf32>, %cm: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x8192xf32> to tensor<?x8192xf32>
  %w = bufferization.to_tensor %wm restrict : memref<8192x3072xf32> to tensor<8192x3072xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x3072xf32> to tensor<?x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x8192xf32>, tensor<8192x3072xf32>) outs(%c : tensor<?x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @mm_bf16_8192x3072(%am: memref<?x8192xf32>, %wm: memref<8192x3072xbf16>, %cm: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x8192xf32> to tensor<?x8192xf32>
  %w = bufferization.to_tensor %wm restrict : memref<8192x3072xbf16> to tensor<8192x3072xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x3072xf32> to tensor<?x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x8192xf32>, tensor<8192x3072xbf16>) outs(%c : tensor<?x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @mm_f32_1152x1536(%am: memref<?x1152xf32>, %wm: memref<1152x1536xf32>, %cm: memref<?x1536xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x1536xf32> to tensor<1152x1536xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1536xf32> to tensor<?x1536xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x1536xf32>) outs(%c : tensor<?x1536xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1536xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1536xf32>, memref<?x1536xf32>) -> ()
  return
}

func.func @mm_bf16_1152x1536(%am: memref<?x1152xf32>, %wm: memref<1152x1536xbf16>, %cm: memref<?x1536xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x1536xbf16> to tensor<1152x1536xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1536xf32> to tensor<?x1536xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x1536xbf16>) outs(%c : tensor<?x1536xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1536xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1536xf32>, memref<?x1536xf32>) -> ()
  return
}

func.func @mm_f32_1152x3072(%am: memref<?x1152xf32>, %wm: memref<1152x3072xf32>, %cm: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x3072xf32> to tensor<1152x3072xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x3072xf32> to tensor<?x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x3072xf32>) outs(%c : tensor<?x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @mm_bf16_1152x3072(%am: memref<?x1152xf32>, %wm: memref<1152x3072xbf16>, %cm: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x3072xbf16> to tensor<1152x3072xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x3072xf32> to tensor<?x3072xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x3072xbf16>) outs(%c : tensor<?x3072xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @mm_f32_1536x1152(%am: memref<?x1536xf32>, %wm: memref<1536x1152xf32>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1536xf32> to tensor<?x1536xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1536x1152xf32> to tensor<1536x1152xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1536xf32>, tensor<1536x1152xf32>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mm_bf16_1536x1152(%am: memref<?x1536xf32>, %wm: memref<1536x1152xbf16>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1536xf32> to tensor<?x1536xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1536x1152xbf16> to tensor<1536x1152xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1536xf32>, tensor<1536x1152xbf16>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mm_f32_1152x4608(%am: memref<?x1152xf32>, %wm: memref<1152x4608xf32>, %cm: memref<?x4608xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x4608xf32> to tensor<1152x4608xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x4608xf32> to tensor<?x4608xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x4608xf32>) outs(%c : tensor<?x4608xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4608xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x4608xf32>, memref<?x4608xf32>) -> ()
  return
}

func.func @mm_bf16_1152x4608(%am: memref<?x1152xf32>, %wm: memref<1152x4608xbf16>, %cm: memref<?x4608xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x1152xf32> to tensor<?x1152xf32>
  %w = bufferization.to_tensor %wm restrict : memref<1152x4608xbf16> to tensor<1152x4608xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x4608xf32> to tensor<?x4608xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x1152xf32>, tensor<1152x4608xbf16>) outs(%c : tensor<?x4608xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4608xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x4608xf32>, memref<?x4608xf32>) -> ()
  return
}

func.func @mm_f32_4608x1152(%am: memref<?x4608xf32>, %wm: memref<4608x1152xf32>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x4608xf32> to tensor<?x4608xf32>
  %w = bufferization.to_tensor %wm restrict : memref<4608x1152xf32> to tensor<4608x1152xf32>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x4608xf32>, tensor<4608x1152xf32>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

func.func @mm_bf16_4608x1152(%am: memref<?x4608xf32>, %wm: memref<4608x1152xbf16>, %cm: memref<?x1152xf32>) attributes {llvm.emit_c_interface} {
  %a = bufferization.to_tensor %am restrict : memref<?x4608xf32> to tensor<?x4608xf32>
  %w = bufferization.to_tensor %wm restrict : memref<4608x1152xbf16> to tensor<4608x1152xbf16>
  %c = bufferization.to_tensor %cm restrict writable : memref<?x1152xf32> to tensor<?x1152xf32>
  %r = linalg.generic {indexing_maps = [#A, #B, #C], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x4608xf32>, tensor<4608x1152xbf16>) outs(%c : tensor<?x1152xf32>) attrs = {xgenmm.matmul} {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %wf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %wf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1152xf32>
  bufferization.materialize_in_destination %r in restrict writable %cm : (tensor<?x1152xf32>, memref<?x1152xf32>) -> ()
  return
}

// The resampler's attention (issue 6): 128 latent queries over 857 keys
// (729 media + 128 latents), 16 heads of 96, the media keys masked per
// group (the mask passed as bytes, 0 = padding); as the importer writes it,
// for the 3 groups of an image on a 1x2 grid (static: the memory plan
// bounds a dynamic group count by max-tokens).
func.func @attn_resampler(%qm: memref<3x128x1536xf32>, %km: memref<3x857x1536xf32>, %vm: memref<3x857x1536xf32>,
                          %mm: memref<3x729xi8>, %om: memref<3x128x1536xf32>) attributes {llvm.emit_c_interface} {
  %q = bufferization.to_tensor %qm restrict : memref<3x128x1536xf32> to tensor<3x128x1536xf32>
  %k = bufferization.to_tensor %km restrict : memref<3x857x1536xf32> to tensor<3x857x1536xf32>
  %v = bufferization.to_tensor %vm restrict : memref<3x857x1536xf32> to tensor<3x857x1536xf32>
  %mb = bufferization.to_tensor %mm restrict : memref<3x729xi8> to tensor<3x729xi8>
  %me = tensor.empty() : tensor<3x729xi1>
  %m = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%mb : tensor<3x729xi8>) outs(%me : tensor<3x729xi1>) {
  ^bb0(%x: i8, %o: i1):
    %z = arith.constant 0 : i8
    %t = arith.cmpi ne, %x, %z : i8
    linalg.yield %t : i1
  } -> tensor<3x729xi1>
  %a = xgenmm.attention %q, %k, %v mask(%m : tensor<3x729xi1>) heads 16 kv_heads 16 head_dim 96 scale 0.102062073
      : tensor<3x128x1536xf32>, tensor<3x857x1536xf32>, tensor<3x857x1536xf32> -> tensor<3x128x1536xf32>
  bufferization.materialize_in_destination %a in restrict writable %om : (tensor<3x128x1536xf32>, memref<3x128x1536xf32>) -> ()
  return
}

// Phi-3 prefill attention (issue 6): a chunk of query rows at positions
// [p, p + rows), 32 heads of 96, their keys and values written into a bf16
// cache of 4096 rows at row p, causal attention over rows [0, p + i] for
// row i (the prefill of an artifact compiled with --dtype bf16).
func.func @attn_prefill_bf16(%qm: memref<?x3072xf32>, %km: memref<?x3072xf32>, %vm: memref<?x3072xf32>,
                             %kcm: memref<4096x3072xbf16>, %vcm: memref<4096x3072xbf16>, %p: index,
                             %om: memref<?x3072xf32>) attributes {llvm.emit_c_interface} {
  %q = bufferization.to_tensor %qm restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %k = bufferization.to_tensor %km restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %v = bufferization.to_tensor %vm restrict : memref<?x3072xf32> to tensor<?x3072xf32>
  %kc = bufferization.to_tensor %kcm restrict writable : memref<4096x3072xbf16> to tensor<4096x3072xbf16>
  %vc = bufferization.to_tensor %vcm restrict writable : memref<4096x3072xbf16> to tensor<4096x3072xbf16>
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<4096x3072xbf16>, tensor<4096x3072xbf16> at %p)
      heads 32 kv_heads 32 head_dim 96 scale 0.102062 causal
      : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32> -> tensor<?x3072xf32>, tensor<4096x3072xbf16>, tensor<4096x3072xbf16>
  bufferization.materialize_in_destination %o in restrict writable %om : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  bufferization.materialize_in_destination %kc2 in restrict writable %kcm : (tensor<4096x3072xbf16>, memref<4096x3072xbf16>) -> ()
  bufferization.materialize_in_destination %vc2 in restrict writable %vcm : (tensor<4096x3072xbf16>, memref<4096x3072xbf16>) -> ()
  return
}
