// The importer refuses checkpoints that do not match their config, or are
// not xGen-MM r-v1.5, naming everything that is wrong in one message.
// Corrupted copies of a fixture are made at test time.
//
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.arch json config.json model_type '"blip_3"'
// RUN: %python %S/Inputs/corrupt.py %t.arch %t.arch json config.json architectures '["Blip3ModelForConditionalGeneration"]'
// RUN: not xgenmm-import %t.arch -o %t.out 2>&1 | FileCheck %s --check-prefix=ARCH
// ARCH: xgenmm-import: error: {{.*}}config.json: unsupported model: model_type "blip_3", architectures [Blip3ModelForConditionalGeneration]; xgenmm compiles xGen-MM r-v1.5 checkpoints (model_type "xgenmm", architectures [XGenMMModelForConditionalGeneration])
//
// Nothing is written on failure.
// RUN: not test -e %t.out
//
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.video json config.json architectures '["XGenMMVideoModel"]'
// RUN: not xgenmm-import %t.video 2>&1 | FileCheck %s --check-prefix=VIDEO
// VIDEO: unsupported model: model_type "xgenmm", architectures [XGenMMVideoModel]
//
// Missing, mismatched and unexpected tensors, all in one message.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_gqa_fp32_4shards %t.tensors drop-tensor model-00001-of-00004.safetensors vlm.vision_encoder.post_layernorm.bias
// RUN: %python %S/Inputs/corrupt.py %t.tensors %t.tensors rename-tensor model-00004-of-00004.safetensors vlm.lang_model.lm_head.bias vlm.lang_model.lm_head.biass
// RUN: %python %S/Inputs/corrupt.py %t.tensors %t.tensors set-field model-00002-of-00004.safetensors vlm.vision_tokenizer.layers.1.0.to_q.weight shape '[48, 32]'
// RUN: not xgenmm-import %t.tensors 2>&1 | FileCheck %s --check-prefix=TENSORS
// TENSORS: xgenmm-import: error: {{.*}}tensors: the checkpoint does not match its config.json (2 missing, 1 mismatched, 1 unexpected):
// TENSORS-NEXT:   missing: vlm.vision_encoder.post_layernorm.bias [48]
// TENSORS-NEXT:   missing: vlm.lang_model.lm_head.bias [257]
// TENSORS-NEXT:   mismatched: vlm.vision_tokenizer.layers.1.0.to_q.weight: shape [48, 32] in model-00002-of-00004.safetensors, expected [32, 48]
// TENSORS-NEXT:   unexpected: vlm.lang_model.lm_head.biass [257] in model-00004-of-00004.safetensors
//
// A config that contradicts the weights: every tensor that changes is named.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.layers json config.json text_config.num_hidden_layers 2
// RUN: not xgenmm-import %t.layers 2>&1 | FileCheck %s --check-prefix=LAYERS
// LAYERS: (6 missing, 0 mismatched, 0 unexpected):
// LAYERS: missing: vlm.lang_model.model.layers.1.input_layernorm.weight [44]
//
// Bad configuration fields are all reported, with the file and the field.
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.fields json config.json text_config.hidden_size '"wide"'
// RUN: %python %S/Inputs/corrupt.py %t.fields %t.fields json config.json vision_encoder_config.vision_config.hidden_act '"relu"'
// RUN: %python %S/Inputs/corrupt.py %t.fields %t.fields json preprocessor_config.json grids '[[30, 45]]'
// RUN: not xgenmm-import %t.fields 2>&1 | FileCheck %s --check-prefix=FIELDS
// FIELDS: config.json: text_config.hidden_size must be a positive integer, got "wide"
// FIELDS: config.json: vision_encoder_config.vision_config.hidden_act must be "gelu_pytorch_tanh" or "gelu", got "relu"
// FIELDS: preprocessor_config.json: preprocessor_config.grids entry [30, 45] is not a multiple of the image size 30
//
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.noconfig delete config.json
// RUN: not xgenmm-import %t.noconfig 2>&1 | FileCheck %s --check-prefix=NOCONFIG
// NOCONFIG: xgenmm-import: error: {{.*}}noconfig/config.json: cannot read the file
//
// RUN: %python %S/Inputs/corrupt.py %fixtures/tiny_fp32_single %t.rope json config.json text_config.rope_scaling '{"type": "su"}'
// RUN: not xgenmm-import %t.rope 2>&1 | FileCheck %s --check-prefix=ROPE
// ROPE: config.json: text_config.rope_scaling is not supported (got {"type":"su"}); xgenmm implements plain RoPE
//
// Overrides: a field is replaced by its dotted path, an unknown path is refused.
// RUN: xgenmm-import %fixtures/tiny_fp32_single -q --set text_config.rope_theta=500 --set text_config.sliding_window=null | FileCheck %s --check-prefix=OVERRIDE
// OVERRIDE-LABEL: func.func @prefill
// OVERRIDE: xgenmm.rope {{.*}} theta 5.000000e+02
// OVERRIDE-NOT: window
// OVERRIDE: xgenmm.lm_head
// RUN: not xgenmm-import %fixtures/tiny_fp32_single --set text_config.rope_thetta=5 2>&1 | FileCheck %s --check-prefix=BADOVERRIDE
// BADOVERRIDE: override 'text_config.rope_thetta': no such configuration field
// RUN: xgenmm-import %fixtures/tiny_fp32_single -q --context 128 | FileCheck %s --check-prefix=CONTEXT
// CONTEXT: cache({{.*}} : tensor<128x44xf32>, tensor<128x44xf32>
