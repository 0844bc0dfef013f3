// Every committed fixture imports, and the IR verifies and carries what the
// checkpoint says. (This file holds only RUN and CHECK lines: the input is
// the checkpoint directory.)
//
// RUN: xgenmm-import %fixtures/tiny_fp32_single -q -o %t.fp32.mlir
// RUN: xgenmm-opt %t.fp32.mlir | FileCheck %s --check-prefix=COMMON
// RUN: FileCheck %s --check-prefix=FP32 < %t.fp32.mlir
// RUN: xgenmm-import %fixtures/tiny_bf16_2shards -q -o %t.bf16.mlir
// RUN: xgenmm-opt %t.bf16.mlir | FileCheck %s --check-prefix=COMMON
// RUN: FileCheck %s --check-prefix=BF16 < %t.bf16.mlir
// RUN: xgenmm-import %fixtures/tiny_gqa_fp32_4shards -q -o %t.gqa.mlir
// RUN: xgenmm-opt %t.gqa.mlir | FileCheck %s --check-prefix=COMMON
// RUN: FileCheck %s --check-prefix=GQA < %t.gqa.mlir
// RUN: xgenmm-import %fixtures/tiny_gqa_fp32_4shards -o /dev/null 2>&1 | FileCheck %s --check-prefix=SUMMARY
// RUN: xgenmm-import %fixtures/tiny_fp32_single -q --context 16 --kv-cache bf16 | FileCheck %s --check-prefix=KVBF16
// RUN: not xgenmm-import %fixtures/tiny_fp32_single -q --kv-cache i8 2>&1 | FileCheck %s --check-prefix=KVBAD
// int8: per kv head 22 values and 4 scale bytes, 2 x 26 = 52 per row.
// RUN: xgenmm-import %fixtures/tiny_fp32_single -q --context 16 --kv-cache int8 | FileCheck %s --check-prefix=KVI8
// KVI8-LABEL: func.func @prefill
// KVI8-SAME: %{{.*}}: tensor<1x16x52xi8>, %{{.*}}: tensor<1x16x52xi8>) -> (tensor<1x144xf32>, tensor<1x16x52xi8>, tensor<1x16x52xi8>)
// KVI8: xgenmm.attention {{.*}} cache(%{{.*}}, %{{.*}} : tensor<16x52xi8>, tensor<16x52xi8> at

// A bf16 KV cache: the caches' element type in both language entry points.
// KVBF16-LABEL: func.func @prefill
// KVBF16-SAME: %{{.*}}: tensor<1x16x44xbf16>, %{{.*}}: tensor<1x16x44xbf16>) -> (tensor<1x144xf32>, tensor<1x16x44xbf16>, tensor<1x16x44xbf16>)
// KVBF16-LABEL: func.func @decode
// KVBF16-SAME: %{{.*}}: tensor<1x16x44xbf16>, %{{.*}}: tensor<1x16x44xbf16>) -> (tensor<1x144xf32>, tensor<1x16x44xbf16>, tensor<1x16x44xbf16>)
// KVBAD: xgenmm-import: error: unknown KV-cache dtype 'i8' (f32, bf16 or int8)

// The MAP head is in every checkpoint but never in the graph.
// COMMON-NOT: vlm.vision_encoder.head.
// COMMON: module attributes {xgenmm.checkpoint = "{{/.*}}/test/fixtures/tiny_{{[a-z0-9_]+}}", xgenmm.config = {
// COMMON-LABEL: func.func @encode_image
// COMMON: xgenmm.patch_embed
// COMMON: xgenmm.layer_stack layers
// COMMON: xgenmm.anyres_regroup
// COMMON: xgenmm.broadcast
// COMMON-LABEL: func.func @prefill
// COMMON: xgenmm.embed
// COMMON: xgenmm.splice
// COMMON-LABEL: func.func @decode
// COMMON-NOT: vlm.vision_encoder.head.

// tiny_fp32_single: one file, 30 px images in 4 px patches (7x7 tokens, the
// last 2 pixels unused), 1 SigLIP layer of width 40 (4 heads x 10), 1 resampler
// layer of 5 latents (2 heads x 12), Phi-3 of width 44 (2 heads x 22), 1 layer,
// 150 rows of which 141 base tokens.
// FP32-LABEL: func.func @encode_image(%{{.*}}: tensor<?x3x30x30xf32>, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index) -> tensor<?x5x44xf32>
// FP32: xgenmm.weight "vlm.vision_encoder.embeddings.patch_embedding.weight" from [#xgenmm.source<"model.safetensors", {{[0-9]+}}, f32>] : tensor<40x3x4x4xf32>
// FP32: xgenmm.patch_embed {{.*}} -> tensor<?x49x40xf32>
// FP32: xgenmm.layer_stack layers 1
// FP32: xgenmm.attention {{.*}} heads 4 kv_heads 4 head_dim 10
// FP32: xgenmm.gelu tanh
// FP32: xgenmm.layer_stack layers 1
// FP32: xgenmm.attention {{.*}} mask({{.*}} : tensor<?x49xi1>) heads 2 kv_heads 2 head_dim 12
// FP32: xgenmm.gelu none
// FP32-LABEL: func.func @prefill
// FP32: xgenmm.embed {{.*}} base_vocab 141 : tensor<?xi32>, tensor<150x44xf32>, tensor<3x44xf32> -> tensor<?x44xf32>
// FP32: xgenmm.splice {{.*}} image_token 141
// FP32: xgenmm.rope {{.*}} heads 2 head_dim 22 theta 1.000000e+04
// FP32: xgenmm.attention {{.*}} cache({{.*}} : tensor<4096x44xf32>, tensor<4096x44xf32> at {{.*}}) heads 2 kv_heads 2 head_dim 22 scale 0.213200718 causal window 2047
// FP32: xgenmm.lm_head {{.*}} base_vocab 141 {{.*}} -> tensor<1x144xf32>

// tiny_bf16_2shards: weights stay bf16 (the latents become activations, f32);
// stacked layers come from two shards.
// BF16: xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.q_proj.weight" layers 3 from [#xgenmm.source<"model-0000{{[12]}}-of-00002.safetensors", {{[0-9]+}}, bf16>, {{.*}}] : tensor<3x54x54xbf16>
// BF16: xgenmm.weight "vlm.vision_tokenizer.latents" from [#xgenmm.source<{{.*}}, bf16>] : tensor<7x54xf32>
// BF16: xgenmm.layer_stack layers 3
// BF16-LABEL: func.func @prefill
// BF16: xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight" layers 3 {{.*}} : tensor<3x360x120xbf16>

// tiny_gqa_fp32_4shards: 12 query heads share 4 key/value heads of dim 8, so
// the fused QKV projection splits unevenly; rope_theta 500, rms_norm_eps 1e-6.
// GQA-LABEL: func.func @prefill
// GQA: xgenmm.rms_norm {{.*}} eps 9.99999997E-7
// GQA: xgenmm.split {{.*}} : tensor<?x160xf32> -> tensor<?x96xf32>, tensor<?x32xf32>, tensor<?x32xf32>
// GQA: xgenmm.rope {{.*}} heads 12 head_dim 8 theta 5.000000e+02 : tensor<?x96xf32>
// GQA: xgenmm.rope {{.*}} heads 4 head_dim 8 theta 5.000000e+02 : tensor<?x32xf32>
// GQA: xgenmm.attention {{.*}} cache({{.*}} : tensor<4096x32xf32>, tensor<4096x32xf32> at {{.*}}) heads 12 kv_heads 4 head_dim 8

// SUMMARY: xgenmm-import: {{.*}}tiny_gqa_fp32_4shards: 83 tensors used, 11 skipped (SigLIP's unused MAP head), from 4 file(s), anyres mode
