// RUN: xgenmm-opt %s -xgenmm-quantize-weights=parts=language | FileCheck %s
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language simulate=true" | FileCheck %s --check-prefix=SIM
// RUN: xgenmm-opt %s -xgenmm-quantize-weights=parts=language -xgenmm-bind-weights=dtype=bf16 | FileCheck %s --check-prefix=BIND
// RUN: xgenmm-opt %s -xgenmm-quantize-weights=parts=language -xgenmm-bind-weights -xgenmm-lower-to-linalg | FileCheck %s --check-prefix=LOWER
// RUN: not xgenmm-opt %s -xgenmm-quantize-weights=parts=language,vision 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not xgenmm-opt %s -xgenmm-quantize-weights=parts=embed 2>&1 | FileCheck %s --check-prefix=PART
// RUN: not xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int2" 2>&1 | FileCheck %s --check-prefix=SCHEME
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int4" | FileCheck %s --check-prefix=INT4
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int4" -xgenmm-bind-weights -xgenmm-lower-to-linalg | FileCheck %s --check-prefix=INT4LOW
// RUN: not xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int4 group-size=3" 2>&1 | FileCheck %s --check-prefix=ODD
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int4 vnni=true" | FileCheck %s --check-prefix=VNNI
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int4 vnni=true simulate=true" | FileCheck %s --check-prefix=VNNISIM
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int8 vnni=true" | FileCheck %s --check-prefix=VNNI8

// The stacked language-model weights: the stack passes their values
// [K, N] and scales [K/32, N] instead of each float [N, K] weight, and the
// linears become quantized_linears (the residual add stays: it is fused
// when lowered). The vision weight (another part) is left alone.
// CHECK-LABEL: func.func @prefill
// CHECK: %[[N:.*]] = xgenmm.weight "vlm.lang_model.model.layers.{}.norm.weight" layers 2 : tensor<2x64xf32>
// CHECK: %[[Q1:.*]] = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int8", 32, "values"> : tensor<2x64x32xi8>
// CHECK: %[[S1:.*]] = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int8", 32, "scales"> : tensor<2x2x32xf32>
// CHECK: %[[Q2:.*]] = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 quant <"int8", 32, "values"> : tensor<2x32x64xi8>
// CHECK: %[[S2:.*]] = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 quant <"int8", 32, "scales"> : tensor<2x1x64xf32>
// CHECK: xgenmm.layer_stack layers 2 carry(%{{.*}} : tensor<?x64xf32>) per_layer(%[[N]], %[[Q1]], %[[S1]], %[[Q2]], %[[S2]] : tensor<2x64xf32>, tensor<2x64x32xi8>, tensor<2x2x32xf32>, tensor<2x32x64xi8>, tensor<2x1x64xf32>)
// CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x64xf32>, %{{.*}}: tensor<64xf32>, %[[QL1:.*]]: tensor<64x32xi8>, %[[SL1:.*]]: tensor<2x32xf32>, %[[QL2:.*]]: tensor<32x64xi8>, %[[SL2:.*]]: tensor<1x64xf32>):
// CHECK: %[[Y:.*]] = xgenmm.quantized_linear %{{.*}}, %[[QL1]], %[[SL1]] group 32 : tensor<?x64xf32>, tensor<64x32xi8>, tensor<2x32xf32> -> tensor<?x32xf32>
// CHECK: %[[Z:.*]] = xgenmm.quantized_linear %[[Y]], %[[QL2]], %[[SL2]] group 32 : tensor<?x32xf32>, tensor<32x64xi8>, tensor<1x64xf32> -> tensor<?x64xf32>
// CHECK: xgenmm.add %[[H]], %[[Z]]
// CHECK: %[[V:.*]] = xgenmm.weight "vlm.vision_encoder.w" : tensor<8x48xf32>
// CHECK: xgenmm.linear %{{.*}}, %[[V]] : tensor<?x48xf32>, tensor<8x48xf32> -> tensor<?x8xf32>

// simulate=true: the same weights marked dequantized, the linears kept.
// SIM: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int8", 32, "dequantized"> : tensor<2x32x64xf32>
// SIM: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 quant <"int8", 32, "dequantized"> : tensor<2x64x32xf32>
// SIM: xgenmm.linear %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
// SIM-NOT: quantized_linear

// Values and scales get slots of their own (one checkpoint name, two
// parts), marked transposed (K-major) with their scheme; they keep i8 and
// f32 under dtype=bf16, while the other matrices become bf16.
// BIND: xgenmm.weight_layout = [
// BIND-SAME: {bytes = 512 : i64, layers = 2 : i64, name = "vlm.lang_model.model.layers.{}.norm.weight", offset = 0 : i64, type = tensor<2x64xf32>}
// BIND-SAME: {bytes = 4096 : i64, layers = 2 : i64, name = "vlm.lang_model.model.layers.{}.mlp.up.weight", offset = 512 : i64, quant = #xgenmm.quant<"int8", 32, "values">, transposed = true, type = tensor<2x64x32xi8>}
// BIND-SAME: {bytes = 512 : i64, layers = 2 : i64, name = "vlm.lang_model.model.layers.{}.mlp.up.weight", offset = 4608 : i64, quant = #xgenmm.quant<"int8", 32, "scales">, transposed = true, type = tensor<2x2x32xf32>}
// BIND-SAME: {bytes = 4096 : i64, layers = 2 : i64, name = "vlm.lang_model.model.layers.{}.mlp.down_proj.weight", offset = 5120 : i64, quant = #xgenmm.quant<"int8", 32, "values">, transposed = true, type = tensor<2x32x64xi8>}
// BIND-SAME: {bytes = 512 : i64, layers = 2 : i64, name = "vlm.lang_model.model.layers.{}.mlp.down_proj.weight", offset = 9216 : i64, quant = #xgenmm.quant<"int8", 32, "scales">, transposed = true, type = tensor<2x1x64xf32>}
// BIND-SAME: {bytes = 768 : i64, name = "vlm.vision_encoder.w", offset = 9728 : i64, type = tensor<8x48xbf16>}

// Lowered: per layer, a loop over the groups of 32 rows of K, each a
// contraction whose body dequantizes the weight (sitofp, times the scale
// of the group and column); the second product starts from the residual.
// LOWER: %[[V1:.*]] = memref.view %arg0[%{{.*}}][] : memref<?xi8> to memref<2x64x32xi8>
// LOWER: %[[SV1:.*]] = memref.view %arg0[%{{.*}}][] : memref<?xi8> to memref<2x2x32xf32>
// LOWER: scf.for %[[L:.*]] = %c0 to %c2 step %c1 iter_args(%[[HL:.*]] = %arg1) -> (tensor<?x64xf32>)
// LOWER: %[[QL:.*]] = tensor.extract_slice %{{.*}}[%[[L]], 0, 0] [1, 64, 32] [1, 1, 1] : tensor<2x64x32xi8> to tensor<64x32xi8>
// LOWER: %[[SL:.*]] = tensor.extract_slice %{{.*}}[%[[L]], 0, 0] [1, 2, 32] [1, 1, 1] : tensor<2x2x32xf32> to tensor<2x32xf32>
// LOWER: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x32xf32>) -> tensor<?x32xf32>
// LOWER: scf.for %[[G:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (tensor<?x32xf32>)
// LOWER-NEXT: %[[K0:.*]] = arith.muli %[[G]], %c32 : index
// LOWER-NEXT: %[[A:.*]] = tensor.extract_slice %{{.*}}[0, %[[K0]]] [%{{.*}}, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
// LOWER-NEXT: %[[QG:.*]] = tensor.extract_slice %[[QL]][%[[K0]], 0] [32, 32] [1, 1] : tensor<64x32xi8> to tensor<32x32xi8>
// LOWER-NEXT: %[[SG:.*]] = tensor.extract_slice %[[SL]][%[[G]], 0] [1, 32] [1, 1] : tensor<2x32xf32> to tensor<32xf32>
// LOWER-NEXT: %[[P:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[QG]], %[[SG]] : tensor<?x32xf32>, tensor<32x32xi8>, tensor<32xf32>) outs(%[[ACC]] : tensor<?x32xf32>) attrs =  {xgenmm.matmul, xgenmm.quantized}
// LOWER-NEXT: ^bb0(%[[X:.*]]: f32, %[[W:.*]]: i8, %[[SC:.*]]: f32, %[[O:.*]]: f32):
// LOWER-NEXT: %[[WF:.*]] = arith.sitofp %[[W]] : i8 to f32
// LOWER-NEXT: %[[D:.*]] = arith.mulf %[[WF]], %[[SC]] : f32
// LOWER-NEXT: %[[PR:.*]] = arith.mulf %[[X]], %[[D]] : f32
// LOWER-NEXT: %[[R:.*]] = arith.addf %[[O]], %[[PR]] : f32
// LOWER-NEXT: linalg.yield %[[R]] : f32
// LOWER: scf.yield %[[P]] : tensor<?x32xf32>
// The down projection: one group, the accumulation starts from the layer's input.
// LOWER: %[[RES:.*]] = linalg.generic {{.*}} ins(%[[HL]] : tensor<?x64xf32>)
// LOWER: scf.for %{{.*}} = %c0 to %c1 step %c1 iter_args(%{{.*}} = %[[RES]]) -> (tensor<?x64xf32>)
// LOWER: attrs =  {xgenmm.matmul, xgenmm.quantized}

// One row (decode): the groups split into parts shared among threads, each
// part summing its groups into its slice of the partial rows (the scratch
// row of the integer products is a carried slice too: nothing is allocated
// in the parallel loop); per group the integer product, then the column
// scales once (math.fma); the parts' rows summed at the end.
// LOWER-LABEL: func.func private @decode
// LOWER: %[[PARTS:.*]]:2 = scf.for %[[P:.*]] = %c0 to %c2 step %c1 iter_args(%[[PI:.*]] = %{{.*}}, %[[TI:.*]] = %{{.*}}) -> (tensor<2x1x32xf32>, tensor<2x1x32xf32>)
// LOWER: %[[ROW:.*]] = tensor.extract_slice %[[PI]][%[[P]], 0, 0] [1, 1, 32] [1, 1, 1]
// LOWER: %[[ROW0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[ROW]] : tensor<1x32xf32>)
// LOWER: %[[TMP:.*]] = tensor.extract_slice %[[TI]][%[[P]], 0, 0] [1, 1, 32] [1, 1, 1]
// LOWER: scf.for %[[G:.*]] = %[[P]] to %{{.*}} step %c1 iter_args(%[[ACC:.*]] = %{{.*}}, %[[T:.*]] = %{{.*}}) -> (tensor<1x32xf32>, tensor<1x32xf32>)
// LOWER: %[[T0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[T]] : tensor<1x32xf32>)
// LOWER: %[[PROD:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x32xf32>, tensor<32x32xi8>) outs(%[[T0]] : tensor<1x32xf32>) attrs =  {xgenmm.matmul, xgenmm.quantized}
// LOWER: arith.sitofp %{{.*}} : i8 to f32
// LOWER: %[[NEXT:.*]] = linalg.generic {{.*}} ins(%[[PROD]], %{{.*}} : tensor<1x32xf32>, tensor<32xf32>) outs(%[[ACC]] : tensor<1x32xf32>)
// LOWER-NEXT: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %[[O:.*]]: f32):
// LOWER-NEXT: math.fma %[[X]], %[[S]], %[[O]] : f32
// LOWER: scf.yield %[[NEXT]], %[[PROD]]
// LOWER: } {xgenmm.parallel}
// LOWER: linalg.generic {{.*}} ins(%[[PARTS]]#0 : tensor<2x1x32xf32>)

// GROUP: error: cannot quantize weight 'vlm.vision_encoder.w' in groups of 32: its in-features (48) are not a multiple of the group size
// PART: xgenmm-quantize-weights: unknown part 'embed' (known: vision, resampler, language, head)
// SCHEME: xgenmm-quantize-weights: scheme must be int8 or int4, got 'int2'
// ODD: xgenmm-quantize-weights: int4 groups hold pairs: group-size must be even, got 3

// int4: the values two per byte along K ([K / 2, N] i8), the same scales,
// `bits 4` on the quantized linears.
// INT4-LABEL: func.func @prefill
// INT4: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int4", 32, "values"> : tensor<2x32x32xi8>
// INT4: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int4", 32, "scales"> : tensor<2x2x32xf32>
// INT4: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} group 32 bits 4 : tensor<?x64xf32>, tensor<32x32xi8>, tensor<2x32xf32> -> tensor<?x32xf32>
// INT4-LABEL: func.func @decode
// INT4: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} group 32 bits 4 : tensor<1x64xf32>, tensor<32x32xi8>, tensor<2x32xf32> -> tensor<1x32xf32>

// int4 lowered: per group of 32 in-features, its 16 stored rows against the
// even and the odd activation columns (stride-2 slices); the body
// sign-extends both nibbles (shifts on i32) and sums both products.
// INT4LOW-LABEL: func.func private @prefill
// INT4LOW: scf.for %[[G:[^ ]*]] = %c0 to %c2 step %c1 iter_args(%{{.*}}) -> (tensor<?x32xf32>)
// INT4LOW: %[[K0:.*]] = arith.muli %[[G]], %c32 : index
// INT4LOW: %[[AE:.*]] = tensor.extract_slice %{{.*}}[0, %[[K0]]] [%{{.*}}, 16] [1, 2] : tensor<?x64xf32> to tensor<?x16xf32>
// INT4LOW: %[[K1:.*]] = arith.addi %[[K0]], %c1 : index
// INT4LOW: %[[AO:.*]] = tensor.extract_slice %{{.*}}[0, %[[K1]]] [%{{.*}}, 16] [1, 2] : tensor<?x64xf32> to tensor<?x16xf32>
// INT4LOW: %[[S0:.*]] = arith.muli %[[G]], %c16 : index
// INT4LOW: %[[QG:.*]] = tensor.extract_slice %{{.*}}[%[[S0]], 0] [16, 32] [1, 1] : tensor<32x32xi8> to tensor<16x32xi8>
// INT4LOW: linalg.generic {{.*}} ins(%[[AE]], %[[AO]], %[[QG]], %{{.*}} : tensor<?x16xf32>, tensor<?x16xf32>, tensor<16x32xi8>, tensor<32xf32>) {{.*}} attrs =  {xgenmm.matmul, xgenmm.quantized}
// INT4LOW: ^bb0(%[[E:.*]]: f32, %[[O:.*]]: f32, %[[W:.*]]: i8, %[[SC:.*]]: f32, %[[ACC:.*]]: f32):
// INT4LOW: %[[X:.*]] = arith.extsi %[[W]] : i8 to i32
// INT4LOW: %[[SH:.*]] = arith.shli %[[X]], %{{.*}} : i32
// INT4LOW: %[[LO:.*]] = arith.shrsi %[[SH]], %{{.*}} : i32
// INT4LOW: %[[HI:.*]] = arith.shrsi %[[X]], %{{.*}} : i32
// INT4LOW: arith.sitofp %[[LO]] : i32 to f32
// INT4LOW: arith.sitofp %[[HI]] : i32 to f32
// INT4LOW: arith.mulf %[[E]],
// INT4LOW: arith.mulf %[[O]],
// INT4LOW: arith.addf
// INT4LOW: linalg.yield
// INT4LOW-LABEL: func.func private @decode
// Decode: per part of the groups (shared among threads) one contraction
// over (group, pair, n), the scale applied per pair, into the part's row.
// INT4LOW: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}}) -> (tensor<2x1x32xf32>)
// INT4LOW: tensor.extract_slice %{{.*}} [1, 16] [1, 2] : tensor<1x64xf32> to tensor<1x16xf32>
// INT4LOW: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [1, 1, 16] : tensor<1x16xf32> into tensor<1x1x16xf32>
// INT4LOW: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x1x16xf32>, tensor<1x1x16xf32>, tensor<1x16x32xi8>, tensor<1x32xf32>) outs(%{{.*}} : tensor<1x32xf32>) attrs =  {xgenmm.matvec_int4, xgenmm.quantized}
// INT4LOW: arith.shrsi
// INT4LOW: } {xgenmm.parallel}

module {
  func.func @prefill(%x: tensor<?x64xf32>, %v: tensor<?x48xf32>) -> (tensor<?x64xf32>, tensor<?x8xf32>) {
    %n = xgenmm.weight "vlm.lang_model.model.layers.{}.norm.weight" layers 2 : tensor<2x64xf32>
    %w1 = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 : tensor<2x32x64xf32>
    %w2 = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 : tensor<2x64x32xf32>
    %h = xgenmm.layer_stack layers 2 carry(%x : tensor<?x64xf32>) per_layer(%n, %w1, %w2 : tensor<2x64xf32>, tensor<2x32x64xf32>, tensor<2x64x32xf32>) -> tensor<?x64xf32> {
    ^bb0(%hl: tensor<?x64xf32>, %nl: tensor<64xf32>, %w1l: tensor<32x64xf32>, %w2l: tensor<64x32xf32>):
      %r = xgenmm.rms_norm %hl, %nl eps 1.0e-05 : tensor<?x64xf32>, tensor<64xf32>
      %y = xgenmm.linear %r, %w1l : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
      %z = xgenmm.linear %y, %w2l : tensor<?x32xf32>, tensor<64x32xf32> -> tensor<?x64xf32>
      %s = xgenmm.add %hl, %z : tensor<?x64xf32>, tensor<?x64xf32>
      xgenmm.yield %s : tensor<?x64xf32>
    }
    %vw = xgenmm.weight "vlm.vision_encoder.w" : tensor<8x48xf32>
    %vy = xgenmm.linear %v, %vw : tensor<?x48xf32>, tensor<8x48xf32> -> tensor<?x8xf32>
    return %h, %vy : tensor<?x64xf32>, tensor<?x8xf32>
  }
  func.func @decode(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
    %w = xgenmm.weight "vlm.lang_model.model.proj.weight" : tensor<32x64xf32>
    %y = xgenmm.linear %x, %w : tensor<1x64xf32>, tensor<32x64xf32> -> tensor<1x32xf32>
    return %y : tensor<1x32xf32>
  }
}

// vnni=true: int4 values in VNNI panels [N / P, K / 8, 4 P] (up: N = 32, one
// panel of 32; down: N = 64, one of 64) and f16 scales [N / P, K / g, P].
// VNNI-LABEL: func.func @prefill
// VNNI: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int4", 32, "values", "vnni"> : tensor<2x1x8x128xi8>
// VNNI: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int4", 32, "scales", "vnni"> : tensor<2x1x2x32xf16>
// VNNI: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 quant <"int4", 32, "values", "vnni"> : tensor<2x1x4x256xi8>
// VNNI: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} group 32 bits 4 : tensor<?x64xf32>, tensor<1x8x128xi8>, tensor<1x2x32xf16> -> tensor<?x32xf32>
// VNNI: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} group 32 bits 4 : tensor<?x32xf32>, tensor<1x4x256xi8>, tensor<1x1x64xf16> -> tensor<?x64xf32>
// VNNI-LABEL: func.func @decode
// VNNI: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} group 32 bits 4 : tensor<1x64xf32>, tensor<1x8x128xi8>, tensor<1x2x32xf16> -> tensor<1x32xf32>

// The float twin: dequantized weights with f16 scales (layout vnni), the
// linears' inputs rounded through int8 per group (xgenmm.activation_group);
// the linear that is not quantized (vision) has neither.
// VNNISIM-LABEL: func.func @prefill
// VNNISIM: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int4", 32, "dequantized", "vnni"> : tensor<2x32x64xf32>
// VNNISIM: xgenmm.linear %{{.*}}, %{{.*}} {xgenmm.activation_group = 32 : i64} : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
// VNNISIM: xgenmm.linear %{{.*}}, %{{.*}} {xgenmm.activation_group = 32 : i64} : tensor<?x32xf32>, tensor<64x32xf32> -> tensor<?x64xf32>
// VNNISIM: xgenmm.linear %{{.*}}, %{{.*}} : tensor<?x48xf32>, tensor<8x48xf32> -> tensor<?x8xf32>
// VNNISIM-LABEL: func.func @decode
// VNNISIM: xgenmm.linear %{{.*}}, %{{.*}} {xgenmm.activation_group = 32 : i64} : tensor<1x64xf32>

// int8 with vnni=true: panels of 4 K per 32-bit lane, [N / P, K / 4, 4 P]
// (up: K = 64, 16 blocks of one 32-column panel; down: K = 32, 8 blocks of
// a 64-column one), the same f16 scales.
// VNNI8-LABEL: func.func @prefill
// VNNI8: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int8", 32, "values", "vnni"> : tensor<2x1x16x128xi8>
// VNNI8: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.up.weight" layers 2 quant <"int8", 32, "scales", "vnni"> : tensor<2x1x2x32xf16>
// VNNI8: xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 quant <"int8", 32, "values", "vnni"> : tensor<2x1x8x256xi8>
// VNNI8: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} group 32 : tensor<?x64xf32>, tensor<1x16x128xi8>, tensor<1x2x32xf16> -> tensor<?x32xf32>
