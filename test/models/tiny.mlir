// A tiny model of exactly the r-v1.5 graph (every dimension small).
// Weights are references by checkpoint name only (no sources): this file is
// written by hand to exercise the dialect, the verifier and the passes on the
// whole graph; the importer emits the same structure with sources filled in.
//
// RUN: xgenmm-opt %s | xgenmm-opt | FileCheck %s
// RUN: xgenmm-opt %s --mlir-print-op-generic | xgenmm-opt | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-model-summary -o /dev/null | FileCheck %s --check-prefix=SUMMARY
// SUMMARY: vlm.lang_model 21923
// SUMMARY: vlm.vision_encoder 23240
// SUMMARY: vlm.vision_tokenizer 9776
// SUMMARY: total 54939
// SUMMARY-LABEL: == @encode_image
// SUMMARY: layer stacks: 2 (4 layers)
// SUMMARY: lm_head FLOPs (dynamic dims = 1): 343296 (
// SUMMARY-LABEL: == @prefill
// SUMMARY: layer stacks: 1 (2 layers)
// SUMMARY: lm_head FLOPs (dynamic dims = 1): 38848 (
// SUMMARY-LABEL: == @decode
// SUMMARY: layer stacks: 1 (2 layers)
// SUMMARY: lm_head FLOPs (dynamic dims = 1): 38848 (
// CHECK-LABEL: func.func @encode_image
// CHECK: xgenmm.patch_embed
// CHECK: xgenmm.layer_stack layers 2
// CHECK: xgenmm.anyres_regroup
// CHECK: xgenmm.layer_stack layers 2
// CHECK-LABEL: func.func @prefill
// CHECK: xgenmm.splice
// CHECK: xgenmm.layer_stack layers 2
// CHECK: xgenmm.lm_head
// CHECK-LABEL: func.func @decode
// CHECK: xgenmm.layer_stack layers 2
// CHECK: xgenmm.lm_head

module attributes {xgenmm.model = "tiny-r-v1.5"} {

// One image's views (global view first, then the crops of a rows x cols
// grid) -> its vision tokens, 8 per view.
func.func @encode_image(%pixels: tensor<?x3x28x28xf32>, %rows: index, %cols: index,
                        %width: index, %height: index) -> tensor<?x8x32xf32> {
  %c0 = arith.constant 0 : index
  %views = tensor.dim %pixels, %c0 : tensor<?x3x28x28xf32>

  // SigLIP vision encoder.
  %patch_w = xgenmm.weight "vlm.vision_encoder.embeddings.patch_embedding.weight" : tensor<24x3x14x14xf32>
  %patch_b = xgenmm.weight "vlm.vision_encoder.embeddings.patch_embedding.bias" : tensor<24xf32>
  %pos = xgenmm.weight "vlm.vision_encoder.embeddings.position_embedding.weight" : tensor<4x24xf32>
  %x0 = xgenmm.patch_embed %pixels, %patch_w, %patch_b, %pos
      : tensor<?x3x28x28xf32>, tensor<24x3x14x14xf32>, tensor<24xf32>, tensor<4x24xf32> -> tensor<?x4x24xf32>

  %ln1_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm1.weight" layers 2 : tensor<2x24xf32>
  %ln1_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm1.bias" layers 2 : tensor<2x24xf32>
  %q_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.q_proj.weight" layers 2 : tensor<2x24x24xf32>
  %q_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.q_proj.bias" layers 2 : tensor<2x24xf32>
  %k_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.k_proj.weight" layers 2 : tensor<2x24x24xf32>
  %k_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.k_proj.bias" layers 2 : tensor<2x24xf32>
  %v_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.v_proj.weight" layers 2 : tensor<2x24x24xf32>
  %v_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.v_proj.bias" layers 2 : tensor<2x24xf32>
  %o_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.out_proj.weight" layers 2 : tensor<2x24x24xf32>
  %o_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.out_proj.bias" layers 2 : tensor<2x24xf32>
  %ln2_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm2.weight" layers 2 : tensor<2x24xf32>
  %ln2_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm2.bias" layers 2 : tensor<2x24xf32>
  %fc1_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc1.weight" layers 2 : tensor<2x40x24xf32>
  %fc1_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc1.bias" layers 2 : tensor<2x40xf32>
  %fc2_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc2.weight" layers 2 : tensor<2x24x40xf32>
  %fc2_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc2.bias" layers 2 : tensor<2x24xf32>
  %enc = xgenmm.layer_stack layers 2
      carry(%x0 : tensor<?x4x24xf32>)
      per_layer(%ln1_w, %ln1_b, %q_w, %q_b, %k_w, %k_b, %v_w, %v_b, %o_w, %o_b, %ln2_w, %ln2_b, %fc1_w, %fc1_b, %fc2_w, %fc2_b
        : tensor<2x24xf32>, tensor<2x24xf32>, tensor<2x24x24xf32>, tensor<2x24xf32>,
          tensor<2x24x24xf32>, tensor<2x24xf32>, tensor<2x24x24xf32>, tensor<2x24xf32>,
          tensor<2x24x24xf32>, tensor<2x24xf32>, tensor<2x24xf32>, tensor<2x24xf32>,
          tensor<2x40x24xf32>, tensor<2x40xf32>, tensor<2x24x40xf32>, tensor<2x24xf32>)
      -> tensor<?x4x24xf32> {
  ^bb0(%h: tensor<?x4x24xf32>, %l1w: tensor<24xf32>, %l1b: tensor<24xf32>,
       %qw: tensor<24x24xf32>, %qb: tensor<24xf32>, %kw: tensor<24x24xf32>, %kb: tensor<24xf32>,
       %vw: tensor<24x24xf32>, %vb: tensor<24xf32>, %ow: tensor<24x24xf32>, %ob: tensor<24xf32>,
       %l2w: tensor<24xf32>, %l2b: tensor<24xf32>, %f1w: tensor<40x24xf32>, %f1b: tensor<40xf32>,
       %f2w: tensor<24x40xf32>, %f2b: tensor<24xf32>):
    %n1 = xgenmm.layer_norm %h, %l1w, %l1b eps 1.000000e-06 : tensor<?x4x24xf32>, tensor<24xf32>, tensor<24xf32>
    %q = xgenmm.linear %n1, %qw, %qb : tensor<?x4x24xf32>, tensor<24x24xf32>, tensor<24xf32> -> tensor<?x4x24xf32>
    %k = xgenmm.linear %n1, %kw, %kb : tensor<?x4x24xf32>, tensor<24x24xf32>, tensor<24xf32> -> tensor<?x4x24xf32>
    %v = xgenmm.linear %n1, %vw, %vb : tensor<?x4x24xf32>, tensor<24x24xf32>, tensor<24xf32> -> tensor<?x4x24xf32>
    %a = xgenmm.attention %q, %k, %v heads 2 kv_heads 2 head_dim 12 scale 0.288675135
        : tensor<?x4x24xf32>, tensor<?x4x24xf32>, tensor<?x4x24xf32> -> tensor<?x4x24xf32>
    %o = xgenmm.linear %a, %ow, %ob : tensor<?x4x24xf32>, tensor<24x24xf32>, tensor<24xf32> -> tensor<?x4x24xf32>
    %h1 = xgenmm.add %h, %o : tensor<?x4x24xf32>, tensor<?x4x24xf32>
    %n2 = xgenmm.layer_norm %h1, %l2w, %l2b eps 1.000000e-06 : tensor<?x4x24xf32>, tensor<24xf32>, tensor<24xf32>
    %f1 = xgenmm.linear %n2, %f1w, %f1b : tensor<?x4x24xf32>, tensor<40x24xf32>, tensor<40xf32> -> tensor<?x4x40xf32>
    %g = xgenmm.gelu tanh %f1 : tensor<?x4x40xf32>
    %f2 = xgenmm.linear %g, %f2w, %f2b : tensor<?x4x40xf32>, tensor<24x40xf32>, tensor<24xf32> -> tensor<?x4x24xf32>
    %h2 = xgenmm.add %h1, %f2 : tensor<?x4x24xf32>, tensor<?x4x24xf32>
    xgenmm.yield %h2 : tensor<?x4x24xf32>
  }
  %post_w = xgenmm.weight "vlm.vision_encoder.post_layernorm.weight" : tensor<24xf32>
  %post_b = xgenmm.weight "vlm.vision_encoder.post_layernorm.bias" : tensor<24xf32>
  %feats = xgenmm.layer_norm %enc, %post_w, %post_b eps 1.000000e-06 : tensor<?x4x24xf32>, tensor<24xf32>, tensor<24xf32>

  // Any-resolution regrouping of the crops and their padding masks.
  %groups, %mask = xgenmm.anyres_regroup %feats grid(%rows, %cols) size(%width, %height)
      : tensor<?x4x24xf32> -> tensor<?x4x24xf32>, tensor<?x4xi1>

  // Perceiver resampler: 8 latents attend to [media; latents].
  %latents = xgenmm.weight "vlm.vision_tokenizer.latents" : tensor<8x24xf32>
  %lat0 = xgenmm.broadcast %latents [%views] : tensor<8x24xf32> -> tensor<?x8x24xf32>
  %nm_w = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_media.weight" layers 2 : tensor<2x24xf32>
  %nm_b = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_media.bias" layers 2 : tensor<2x24xf32>
  %nl_w = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_latents.weight" layers 2 : tensor<2x24xf32>
  %nl_b = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_latents.bias" layers 2 : tensor<2x24xf32>
  %toq = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.to_q.weight" layers 2 : tensor<2x20x24xf32>
  %tokv = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.to_kv.weight" layers 2 : tensor<2x40x24xf32>
  %toout = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.to_out.weight" layers 2 : tensor<2x24x20xf32>
  %ffn_w = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.0.weight" layers 2 : tensor<2x24xf32>
  %ffn_b = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.0.bias" layers 2 : tensor<2x24xf32>
  %ff1 = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.1.weight" layers 2 : tensor<2x48x24xf32>
  %ff2 = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.3.weight" layers 2 : tensor<2x24x48xf32>
  %res = xgenmm.layer_stack layers 2
      carry(%lat0 : tensor<?x8x24xf32>)
      per_layer(%nm_w, %nm_b, %nl_w, %nl_b, %toq, %tokv, %toout, %ffn_w, %ffn_b, %ff1, %ff2
        : tensor<2x24xf32>, tensor<2x24xf32>, tensor<2x24xf32>, tensor<2x24xf32>,
          tensor<2x20x24xf32>, tensor<2x40x24xf32>, tensor<2x24x20xf32>,
          tensor<2x24xf32>, tensor<2x24xf32>, tensor<2x48x24xf32>, tensor<2x24x48xf32>)
      shared(%groups, %mask : tensor<?x4x24xf32>, tensor<?x4xi1>)
      -> tensor<?x8x24xf32> {
  ^bb0(%l: tensor<?x8x24xf32>, %nmw: tensor<24xf32>, %nmb: tensor<24xf32>, %nlw: tensor<24xf32>,
       %nlb: tensor<24xf32>, %wq: tensor<20x24xf32>, %wkv: tensor<40x24xf32>, %wo: tensor<24x20xf32>,
       %fnw: tensor<24xf32>, %fnb: tensor<24xf32>, %w1: tensor<48x24xf32>, %w2: tensor<24x48xf32>,
       %media: tensor<?x4x24xf32>, %m: tensor<?x4xi1>):
    %xn = xgenmm.layer_norm %media, %nmw, %nmb eps 9.99999974E-6 : tensor<?x4x24xf32>, tensor<24xf32>, tensor<24xf32>
    %ln = xgenmm.layer_norm %l, %nlw, %nlb eps 9.99999974E-6 : tensor<?x8x24xf32>, tensor<24xf32>, tensor<24xf32>
    %q = xgenmm.linear %ln, %wq : tensor<?x8x24xf32>, tensor<20x24xf32> -> tensor<?x8x20xf32>
    %kv_in = tensor.concat dim(1) %xn, %ln : (tensor<?x4x24xf32>, tensor<?x8x24xf32>) -> tensor<?x12x24xf32>
    %kv = xgenmm.linear %kv_in, %wkv : tensor<?x12x24xf32>, tensor<40x24xf32> -> tensor<?x12x40xf32>
    %k, %v = xgenmm.split %kv : tensor<?x12x40xf32> -> tensor<?x12x20xf32>, tensor<?x12x20xf32>
    %a = xgenmm.attention %q, %k, %v mask(%m : tensor<?x4xi1>) heads 2 kv_heads 2 head_dim 10 scale 0.316227766
        : tensor<?x8x20xf32>, tensor<?x12x20xf32>, tensor<?x12x20xf32> -> tensor<?x8x20xf32>
    %o = xgenmm.linear %a, %wo : tensor<?x8x20xf32>, tensor<24x20xf32> -> tensor<?x8x24xf32>
    %l1 = xgenmm.add %l, %o : tensor<?x8x24xf32>, tensor<?x8x24xf32>
    %fn = xgenmm.layer_norm %l1, %fnw, %fnb eps 9.99999974E-6 : tensor<?x8x24xf32>, tensor<24xf32>, tensor<24xf32>
    %f1 = xgenmm.linear %fn, %w1 : tensor<?x8x24xf32>, tensor<48x24xf32> -> tensor<?x8x48xf32>
    %g = xgenmm.gelu none %f1 : tensor<?x8x48xf32>
    %f2 = xgenmm.linear %g, %w2 : tensor<?x8x48xf32>, tensor<24x48xf32> -> tensor<?x8x24xf32>
    %l2 = xgenmm.add %l1, %f2 : tensor<?x8x24xf32>, tensor<?x8x24xf32>
    xgenmm.yield %l2 : tensor<?x8x24xf32>
  }
  %norm_w = xgenmm.weight "vlm.vision_tokenizer.norm.weight" : tensor<24xf32>
  %norm_b = xgenmm.weight "vlm.vision_tokenizer.norm.bias" : tensor<24xf32>
  %proj_w = xgenmm.weight "vlm.vision_tokenizer.projection.weight" : tensor<32x24xf32>
  %proj_b = xgenmm.weight "vlm.vision_tokenizer.projection.bias" : tensor<32xf32>
  %resn = xgenmm.layer_norm %res, %norm_w, %norm_b eps 9.99999974E-6 : tensor<?x8x24xf32>, tensor<24xf32>, tensor<24xf32>
  %tokens = xgenmm.linear %resn, %proj_w, %proj_b : tensor<?x8x24xf32>, tensor<32x24xf32>, tensor<32xf32> -> tensor<?x8x32xf32>
  return %tokens : tensor<?x8x32xf32>
}

// prefill: the spliced prompt (each image token id stands for one vision token) -> logits of the last position; fills the KV cache from row %pos.
func.func @prefill(%ids: tensor<?xi32>, %vision: tensor<?x32xf32>, %pos: index,
    %k_cache: tensor<2x64x32xf32>, %v_cache: tensor<2x64x32xf32>)
    -> (tensor<1x63xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>) {
  %table = xgenmm.weight "vlm.lang_model.model.embed_tokens.weight" : tensor<64x32xf32>
  %extra = xgenmm.weight "vlm.lang_model.model.embed_tokens.additional_embedding.weight" : tensor<3x32xf32>
  %e = xgenmm.embed %ids, %table, %extra base_vocab 60 : tensor<?xi32>, tensor<64x32xf32>, tensor<3x32xf32> -> tensor<?x32xf32>
  %x = xgenmm.splice %e, %ids, %vision image_token 60 : tensor<?x32xf32>, tensor<?xi32>, tensor<?x32xf32>
  %in_w = xgenmm.weight "vlm.lang_model.model.layers.{}.input_layernorm.weight" layers 2 : tensor<2x32xf32>
  %qkv_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight" layers 2 : tensor<2x96x32xf32>
  %o_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.o_proj.weight" layers 2 : tensor<2x32x32xf32>
  %post_w = xgenmm.weight "vlm.lang_model.model.layers.{}.post_attention_layernorm.weight" layers 2 : tensor<2x32xf32>
  %gu_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.gate_up_proj.weight" layers 2 : tensor<2x96x32xf32>
  %down_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 : tensor<2x32x48xf32>
  %h, %kc, %vc = xgenmm.layer_stack layers 2
      carry(%x : tensor<?x32xf32>)
      per_layer(%in_w, %qkv_w, %o_w, %post_w, %gu_w, %down_w, %k_cache, %v_cache
        : tensor<2x32xf32>, tensor<2x96x32xf32>, tensor<2x32x32xf32>, tensor<2x32xf32>,
          tensor<2x96x32xf32>, tensor<2x32x48xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>)
      shared(%pos : index)
      -> tensor<?x32xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32> {
  ^bb0(%hl: tensor<?x32xf32>, %inw: tensor<32xf32>, %wqkv: tensor<96x32xf32>, %wo: tensor<32x32xf32>,
       %postw: tensor<32xf32>, %wgu: tensor<96x32xf32>, %wd: tensor<32x48xf32>,
       %kcl: tensor<64x32xf32>, %vcl: tensor<64x32xf32>, %p: index):
    %n1 = xgenmm.rms_norm %hl, %inw eps 9.99999974E-6 : tensor<?x32xf32>, tensor<32xf32>
    %qkv = xgenmm.linear %n1, %wqkv : tensor<?x32xf32>, tensor<96x32xf32> -> tensor<?x96xf32>
    %q, %k, %v = xgenmm.split %qkv : tensor<?x96xf32> -> tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
    %qr = xgenmm.rope %q at %p heads 4 head_dim 8 theta 1.000000e+04 : tensor<?x32xf32>
    %kr = xgenmm.rope %k at %p heads 4 head_dim 8 theta 1.000000e+04 : tensor<?x32xf32>
    %a, %kcn, %vcn = xgenmm.attention %qr, %kr, %v
        cache(%kcl, %vcl : tensor<64x32xf32>, tensor<64x32xf32> at %p)
        heads 4 kv_heads 4 head_dim 8 scale 0.353553391 causal window 63
        : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
          -> tensor<?x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>
    %o = xgenmm.linear %a, %wo : tensor<?x32xf32>, tensor<32x32xf32> -> tensor<?x32xf32>
    %h1 = xgenmm.add %hl, %o : tensor<?x32xf32>, tensor<?x32xf32>
    %n2 = xgenmm.rms_norm %h1, %postw eps 9.99999974E-6 : tensor<?x32xf32>, tensor<32xf32>
    %gu = xgenmm.linear %n2, %wgu : tensor<?x32xf32>, tensor<96x32xf32> -> tensor<?x96xf32>
    %s = xgenmm.swiglu %gu : tensor<?x96xf32> -> tensor<?x48xf32>
    %d = xgenmm.linear %s, %wd : tensor<?x48xf32>, tensor<32x48xf32> -> tensor<?x32xf32>
    %h2 = xgenmm.add %h1, %d : tensor<?x32xf32>, tensor<?x32xf32>
    xgenmm.yield %h2, %kcn, %vcn : tensor<?x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>
  }
  %norm_w = xgenmm.weight "vlm.lang_model.model.norm.weight" : tensor<32xf32>
  %hn = xgenmm.rms_norm %h, %norm_w eps 9.99999974E-6 : tensor<?x32xf32>, tensor<32xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %hn, %c0 : tensor<?x32xf32>
  %last_row = arith.subi %rows, %c1 : index
  %last = tensor.extract_slice %hn[%last_row, 0] [1, 32] [1, 1] : tensor<?x32xf32> to tensor<1x32xf32>
  %head_w = xgenmm.weight "vlm.lang_model.lm_head.weight" : tensor<64x32xf32>
  %head_b = xgenmm.weight "vlm.lang_model.lm_head.bias" : tensor<64xf32>
  %add_w = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.weight" : tensor<3x32xf32>
  %add_b = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.bias" : tensor<3xf32>
  %logits = xgenmm.lm_head %last, %head_w, %head_b, %add_w, %add_b base_vocab 60
      : tensor<1x32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<3x32xf32>, tensor<3xf32> -> tensor<1x63xf32>
  return %logits, %kc, %vc : tensor<1x63xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
}

// decode: one token at position %pos -> its logits; appends to the KV cache.
func.func @decode(%ids: tensor<1xi32>, %pos: index,
    %k_cache: tensor<2x64x32xf32>, %v_cache: tensor<2x64x32xf32>)
    -> (tensor<1x63xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>) {
  %table = xgenmm.weight "vlm.lang_model.model.embed_tokens.weight" : tensor<64x32xf32>
  %extra = xgenmm.weight "vlm.lang_model.model.embed_tokens.additional_embedding.weight" : tensor<3x32xf32>
  %e = xgenmm.embed %ids, %table, %extra base_vocab 60 : tensor<1xi32>, tensor<64x32xf32>, tensor<3x32xf32> -> tensor<1x32xf32>

  %in_w = xgenmm.weight "vlm.lang_model.model.layers.{}.input_layernorm.weight" layers 2 : tensor<2x32xf32>
  %qkv_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight" layers 2 : tensor<2x96x32xf32>
  %o_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.o_proj.weight" layers 2 : tensor<2x32x32xf32>
  %post_w = xgenmm.weight "vlm.lang_model.model.layers.{}.post_attention_layernorm.weight" layers 2 : tensor<2x32xf32>
  %gu_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.gate_up_proj.weight" layers 2 : tensor<2x96x32xf32>
  %down_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 2 : tensor<2x32x48xf32>
  %h, %kc, %vc = xgenmm.layer_stack layers 2
      carry(%e : tensor<1x32xf32>)
      per_layer(%in_w, %qkv_w, %o_w, %post_w, %gu_w, %down_w, %k_cache, %v_cache
        : tensor<2x32xf32>, tensor<2x96x32xf32>, tensor<2x32x32xf32>, tensor<2x32xf32>,
          tensor<2x96x32xf32>, tensor<2x32x48xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>)
      shared(%pos : index)
      -> tensor<1x32xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32> {
  ^bb0(%hl: tensor<1x32xf32>, %inw: tensor<32xf32>, %wqkv: tensor<96x32xf32>, %wo: tensor<32x32xf32>,
       %postw: tensor<32xf32>, %wgu: tensor<96x32xf32>, %wd: tensor<32x48xf32>,
       %kcl: tensor<64x32xf32>, %vcl: tensor<64x32xf32>, %p: index):
    %n1 = xgenmm.rms_norm %hl, %inw eps 9.99999974E-6 : tensor<1x32xf32>, tensor<32xf32>
    %qkv = xgenmm.linear %n1, %wqkv : tensor<1x32xf32>, tensor<96x32xf32> -> tensor<1x96xf32>
    %q, %k, %v = xgenmm.split %qkv : tensor<1x96xf32> -> tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>
    %qr = xgenmm.rope %q at %p heads 4 head_dim 8 theta 1.000000e+04 : tensor<1x32xf32>
    %kr = xgenmm.rope %k at %p heads 4 head_dim 8 theta 1.000000e+04 : tensor<1x32xf32>
    %a, %kcn, %vcn = xgenmm.attention %qr, %kr, %v
        cache(%kcl, %vcl : tensor<64x32xf32>, tensor<64x32xf32> at %p)
        heads 4 kv_heads 4 head_dim 8 scale 0.353553391 causal window 63
        : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x32xf32>
          -> tensor<1x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>
    %o = xgenmm.linear %a, %wo : tensor<1x32xf32>, tensor<32x32xf32> -> tensor<1x32xf32>
    %h1 = xgenmm.add %hl, %o : tensor<1x32xf32>, tensor<1x32xf32>
    %n2 = xgenmm.rms_norm %h1, %postw eps 9.99999974E-6 : tensor<1x32xf32>, tensor<32xf32>
    %gu = xgenmm.linear %n2, %wgu : tensor<1x32xf32>, tensor<96x32xf32> -> tensor<1x96xf32>
    %s = xgenmm.swiglu %gu : tensor<1x96xf32> -> tensor<1x48xf32>
    %d = xgenmm.linear %s, %wd : tensor<1x48xf32>, tensor<32x48xf32> -> tensor<1x32xf32>
    %h2 = xgenmm.add %h1, %d : tensor<1x32xf32>, tensor<1x32xf32>
    xgenmm.yield %h2, %kcn, %vcn : tensor<1x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>
  }
  %norm_w = xgenmm.weight "vlm.lang_model.model.norm.weight" : tensor<32xf32>
  %hn = xgenmm.rms_norm %h, %norm_w eps 9.99999974E-6 : tensor<1x32xf32>, tensor<32xf32>

  %head_w = xgenmm.weight "vlm.lang_model.lm_head.weight" : tensor<64x32xf32>
  %head_b = xgenmm.weight "vlm.lang_model.lm_head.bias" : tensor<64xf32>
  %add_w = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.weight" : tensor<3x32xf32>
  %add_b = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.bias" : tensor<3xf32>
  %logits = xgenmm.lm_head %hn, %head_w, %head_b, %add_w, %add_b base_vocab 60
      : tensor<1x32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<3x32xf32>, tensor<3xf32> -> tensor<1x63xf32>
  return %logits, %kc, %vc : tensor<1x63xf32>, tensor<2x64x32xf32>, tensor<2x64x32xf32>
}

}
