// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=head scheme=int8 group-size=8" | FileCheck %s
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=language scheme=int8 group-size=8" | FileCheck %s --check-prefix=LANG
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=head scheme=int8 group-size=8 simulate=true" | FileCheck %s --check-prefix=SIM
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=head scheme=int4 group-size=8 vnni=true" | FileCheck %s --check-prefix=VNNI
// RUN: xgenmm-opt %s -xgenmm-quantize-weights="parts=head scheme=int8 group-size=8" -xgenmm-bind-weights -xgenmm-lower-to-linalg | FileCheck %s --check-prefix=LOWER

// parts=head: the LM head's weight [V, D] quantized. Its xgenmm.lm_head is
// decomposed first: a linear over all V = 80 rows (quantized: values
// [D, V] i8, scales [D / 8, V]), the slice of the base vocabulary (75), the
// added tokens' linear (3 rows, not the head weight: kept float), and the
// concatenation.
// CHECK-LABEL: func.func @decode
// CHECK-NOT: xgenmm.lm_head
// CHECK-DAG: %[[V:.*]] = xgenmm.weight "vlm.lang_model.lm_head.weight" quant <"int8", 8, "values"> : tensor<32x80xi8>
// CHECK-DAG: %[[S:.*]] = xgenmm.weight "vlm.lang_model.lm_head.weight" quant <"int8", 8, "scales"> : tensor<4x80xf32>
// CHECK-DAG: %[[WA:.*]] = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.weight" : tensor<3x32xf32>
// CHECK: %[[ALL:.*]] = xgenmm.quantized_linear %arg0, %[[V]], %[[S]], %{{.*}} group 8 : tensor<1x32xf32>, tensor<32x80xi8>, tensor<4x80xf32>, tensor<80xf32> -> tensor<1x80xf32>
// CHECK: %[[BASE:.*]] = tensor.extract_slice %[[ALL]][0, 0] [1, 75] [1, 1] : tensor<1x80xf32> to tensor<1x75xf32>
// CHECK: %[[EXTRA:.*]] = xgenmm.linear %arg0, %[[WA]], %{{.*}} : tensor<1x32xf32>, tensor<3x32xf32>, tensor<3xf32> -> tensor<1x3xf32>
// CHECK: %[[L:.*]] = tensor.concat dim(1) %[[BASE]], %[[EXTRA]] : (tensor<1x75xf32>, tensor<1x3xf32>) -> tensor<1x78xf32>
// CHECK: return %[[L]]

// Other parts leave the head alone.
// LANG-LABEL: func.func @decode
// LANG: xgenmm.lm_head
// LANG-NOT: quant

// simulate: the decomposed head's weight dequantized, a float linear.
// SIM: %[[W:.*]] = xgenmm.weight "vlm.lang_model.lm_head.weight" quant <"int8", 8, "dequantized"> : tensor<80x32xf32>
// SIM: xgenmm.linear %arg0, %[[W]]

// int4 with vnni=true: V = 80 columns are five panels of 16.
// VNNI: xgenmm.weight "vlm.lang_model.lm_head.weight" quant <"int4", 8, "values", "vnni"> : tensor<5x4x64xi8>
// VNNI: xgenmm.weight "vlm.lang_model.lm_head.weight" quant <"int4", 8, "scales", "vnni"> : tensor<5x4x16xf16>
// VNNI: xgenmm.quantized_linear {{.*}} group 8 bits 4

// Lowered: the quantized product, then the slice and the concatenation.
// LOWER-LABEL: func.func private @decode
// LOWER: tensor.extract_slice %{{.*}}[0, 0] [1, 75] [1, 1] : tensor<1x80xf32> to tensor<1x75xf32>
// LOWER: tensor.concat dim(1)
func.func @decode(%x: tensor<1x32xf32>) -> tensor<1x78xf32> {
  %w = xgenmm.weight "vlm.lang_model.lm_head.weight" : tensor<80x32xf32>
  %b = xgenmm.weight "vlm.lang_model.lm_head.bias" : tensor<80xf32>
  %wa = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.weight" : tensor<3x32xf32>
  %ba = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.bias" : tensor<3xf32>
  %l = xgenmm.lm_head %x, %w, %b, %wa, %ba base_vocab 75
       : tensor<1x32xf32>, tensor<80x32xf32>, tensor<80xf32>, tensor<3x32xf32>, tensor<3xf32> -> tensor<1x78xf32>
  return %l : tensor<1x78xf32>
}
