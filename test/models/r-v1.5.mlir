// xGen-MM phi3-mini r-v1.5 at its real shapes: SigLIP so400m 27x1152, resampler 6 layers x 128 latents, Phi-3-mini 32x3072, vocabulary 32064 (+3 added), bf16 weights.
// Parameters: 4,344,018,867 = the released 4,359,257,219 (model-spec 6.1)
// less SigLIP's unused MAP head (15,238,352), which the graph never reads.
// Weights are references by checkpoint name only (no sources): this file is
// written by hand to exercise the dialect, the verifier and the passes on the
// whole graph; the importer emits the same structure with sources filled in.
// Its xgenmm.config is the importer's for the released r-v1.5 instruct
// checkpoint (model-spec 3, 5, 6.3), so that xgenmm-compile
// --synthetic-weights makes a full-size artifact of it without weights.
//
// RUN: xgenmm-opt %s | xgenmm-opt | FileCheck %s
// RUN: xgenmm-opt %s --mlir-print-op-generic | xgenmm-opt | FileCheck %s
// RUN: xgenmm-opt %s --xgenmm-model-summary -o /dev/null | FileCheck %s --check-prefix=SUMMARY
// SUMMARY: vlm.lang_model 3821130051
// SUMMARY: vlm.vision_encoder 412987248
// SUMMARY: vlm.vision_tokenizer 109901568
// SUMMARY: total 4344018867
// SUMMARY-LABEL: == @encode_image
// SUMMARY: layer stacks: 2 (33 layers)
// SUMMARY: lm_head FLOPs (dynamic dims = 1): 659372092416 (
// SUMMARY-LABEL: == @prefill
// SUMMARY: layer stacks: 1 (32 layers)
// SUMMARY: lm_head FLOPs (dynamic dims = 1): 7444457472 (
// SUMMARY-LABEL: == @decode
// SUMMARY: layer stacks: 1 (32 layers)
// SUMMARY: lm_head FLOPs (dynamic dims = 1): 7444457472 (
// CHECK-LABEL: func.func @encode_image
// CHECK: xgenmm.patch_embed
// CHECK: xgenmm.layer_stack layers 27
// CHECK: xgenmm.anyres_regroup
// CHECK: xgenmm.layer_stack layers 6
// CHECK-LABEL: func.func @prefill
// CHECK: xgenmm.splice
// CHECK: xgenmm.layer_stack layers 32
// CHECK: xgenmm.lm_head
// CHECK-LABEL: func.func @decode
// CHECK: xgenmm.layer_stack layers 32
// CHECK: xgenmm.lm_head

module attributes {xgenmm.config = {preprocessor = {grids = [[384, 768], [768, 384], [768, 768], [1152, 384], [384, 1152]], image_mean = [5.000000e-01, 5.000000e-01, 5.000000e-01], image_std = [5.000000e-01, 5.000000e-01, 5.000000e-01], size = [384, 384]}, resampler = {depth = 6 : i64, dim_head = 96 : i64, ff_mult = 4 : i64, heads = 16 : i64, num_latents = 128 : i64}, special_tokens = {endofchunk = 32014 : i64, image = 32012 : i64, image_placeholder = 32013 : i64}, text = {bos_token_id = 1 : i64, eos_token_id = 32000 : i64, head_dim = 96 : i64, hidden_size = 3072 : i64, initial_tokenizer_len = 32012 : i64, intermediate_size = 8192 : i64, max_position_embeddings = 4096 : i64, num_attention_heads = 32 : i64, num_hidden_layers = 32 : i64, num_key_value_heads = 32 : i64, pad_token_id = 32000 : i64, rms_norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, sliding_window = 2047 : i64, vocab_size = 32064 : i64}, torch_dtype = "bfloat16", vision = {hidden_act = "gelu_pytorch_tanh", hidden_size = 1152 : i64, image_size = 384 : i64, intermediate_size = 4304 : i64, layer_norm_eps = 9.9999999999999995E-7 : f64, num_attention_heads = 16 : i64, num_hidden_layers = 27 : i64, patch_size = 14 : i64}}, xgenmm.model = "xgen-mm-phi3-mini-r-v1.5"} {

// One image's views (global view first, then the crops of a rows x cols
// grid) -> its vision tokens, 128 per view.
func.func @encode_image(%pixels: tensor<?x3x384x384xf32>, %rows: index, %cols: index,
                        %width: index, %height: index) -> tensor<?x128x3072xf32> {
  %c0 = arith.constant 0 : index
  %views = tensor.dim %pixels, %c0 : tensor<?x3x384x384xf32>

  // SigLIP vision encoder.
  %patch_w = xgenmm.weight "vlm.vision_encoder.embeddings.patch_embedding.weight" : tensor<1152x3x14x14xbf16>
  %patch_b = xgenmm.weight "vlm.vision_encoder.embeddings.patch_embedding.bias" : tensor<1152xbf16>
  %pos = xgenmm.weight "vlm.vision_encoder.embeddings.position_embedding.weight" : tensor<729x1152xbf16>
  %x0 = xgenmm.patch_embed %pixels, %patch_w, %patch_b, %pos
      : tensor<?x3x384x384xf32>, tensor<1152x3x14x14xbf16>, tensor<1152xbf16>, tensor<729x1152xbf16> -> tensor<?x729x1152xf32>

  %ln1_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm1.weight" layers 27 : tensor<27x1152xbf16>
  %ln1_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm1.bias" layers 27 : tensor<27x1152xbf16>
  %q_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.q_proj.weight" layers 27 : tensor<27x1152x1152xbf16>
  %q_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.q_proj.bias" layers 27 : tensor<27x1152xbf16>
  %k_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.k_proj.weight" layers 27 : tensor<27x1152x1152xbf16>
  %k_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.k_proj.bias" layers 27 : tensor<27x1152xbf16>
  %v_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.v_proj.weight" layers 27 : tensor<27x1152x1152xbf16>
  %v_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.v_proj.bias" layers 27 : tensor<27x1152xbf16>
  %o_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.out_proj.weight" layers 27 : tensor<27x1152x1152xbf16>
  %o_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.out_proj.bias" layers 27 : tensor<27x1152xbf16>
  %ln2_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm2.weight" layers 27 : tensor<27x1152xbf16>
  %ln2_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.layer_norm2.bias" layers 27 : tensor<27x1152xbf16>
  %fc1_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc1.weight" layers 27 : tensor<27x4304x1152xbf16>
  %fc1_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc1.bias" layers 27 : tensor<27x4304xbf16>
  %fc2_w = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc2.weight" layers 27 : tensor<27x1152x4304xbf16>
  %fc2_b = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.mlp.fc2.bias" layers 27 : tensor<27x1152xbf16>
  %enc = xgenmm.layer_stack layers 27
      carry(%x0 : tensor<?x729x1152xf32>)
      per_layer(%ln1_w, %ln1_b, %q_w, %q_b, %k_w, %k_b, %v_w, %v_b, %o_w, %o_b, %ln2_w, %ln2_b, %fc1_w, %fc1_b, %fc2_w, %fc2_b
        : tensor<27x1152xbf16>, tensor<27x1152xbf16>, tensor<27x1152x1152xbf16>, tensor<27x1152xbf16>,
          tensor<27x1152x1152xbf16>, tensor<27x1152xbf16>, tensor<27x1152x1152xbf16>, tensor<27x1152xbf16>,
          tensor<27x1152x1152xbf16>, tensor<27x1152xbf16>, tensor<27x1152xbf16>, tensor<27x1152xbf16>,
          tensor<27x4304x1152xbf16>, tensor<27x4304xbf16>, tensor<27x1152x4304xbf16>, tensor<27x1152xbf16>)
      -> tensor<?x729x1152xf32> {
  ^bb0(%h: tensor<?x729x1152xf32>, %l1w: tensor<1152xbf16>, %l1b: tensor<1152xbf16>,
       %qw: tensor<1152x1152xbf16>, %qb: tensor<1152xbf16>, %kw: tensor<1152x1152xbf16>, %kb: tensor<1152xbf16>,
       %vw: tensor<1152x1152xbf16>, %vb: tensor<1152xbf16>, %ow: tensor<1152x1152xbf16>, %ob: tensor<1152xbf16>,
       %l2w: tensor<1152xbf16>, %l2b: tensor<1152xbf16>, %f1w: tensor<4304x1152xbf16>, %f1b: tensor<4304xbf16>,
       %f2w: tensor<1152x4304xbf16>, %f2b: tensor<1152xbf16>):
    %n1 = xgenmm.layer_norm %h, %l1w, %l1b eps 1.000000e-06 : tensor<?x729x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>
    %q = xgenmm.linear %n1, %qw, %qb : tensor<?x729x1152xf32>, tensor<1152x1152xbf16>, tensor<1152xbf16> -> tensor<?x729x1152xf32>
    %k = xgenmm.linear %n1, %kw, %kb : tensor<?x729x1152xf32>, tensor<1152x1152xbf16>, tensor<1152xbf16> -> tensor<?x729x1152xf32>
    %v = xgenmm.linear %n1, %vw, %vb : tensor<?x729x1152xf32>, tensor<1152x1152xbf16>, tensor<1152xbf16> -> tensor<?x729x1152xf32>
    %a = xgenmm.attention %q, %k, %v heads 16 kv_heads 16 head_dim 72 scale 0.11785113
        : tensor<?x729x1152xf32>, tensor<?x729x1152xf32>, tensor<?x729x1152xf32> -> tensor<?x729x1152xf32>
    %o = xgenmm.linear %a, %ow, %ob : tensor<?x729x1152xf32>, tensor<1152x1152xbf16>, tensor<1152xbf16> -> tensor<?x729x1152xf32>
    %h1 = xgenmm.add %h, %o : tensor<?x729x1152xf32>, tensor<?x729x1152xf32>
    %n2 = xgenmm.layer_norm %h1, %l2w, %l2b eps 1.000000e-06 : tensor<?x729x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>
    %f1 = xgenmm.linear %n2, %f1w, %f1b : tensor<?x729x1152xf32>, tensor<4304x1152xbf16>, tensor<4304xbf16> -> tensor<?x729x4304xf32>
    %g = xgenmm.gelu tanh %f1 : tensor<?x729x4304xf32>
    %f2 = xgenmm.linear %g, %f2w, %f2b : tensor<?x729x4304xf32>, tensor<1152x4304xbf16>, tensor<1152xbf16> -> tensor<?x729x1152xf32>
    %h2 = xgenmm.add %h1, %f2 : tensor<?x729x1152xf32>, tensor<?x729x1152xf32>
    xgenmm.yield %h2 : tensor<?x729x1152xf32>
  }
  %post_w = xgenmm.weight "vlm.vision_encoder.post_layernorm.weight" : tensor<1152xbf16>
  %post_b = xgenmm.weight "vlm.vision_encoder.post_layernorm.bias" : tensor<1152xbf16>
  %feats = xgenmm.layer_norm %enc, %post_w, %post_b eps 1.000000e-06 : tensor<?x729x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>

  // Any-resolution regrouping of the crops and their padding masks.
  %groups, %mask = xgenmm.anyres_regroup %feats grid(%rows, %cols) size(%width, %height)
      : tensor<?x729x1152xf32> -> tensor<?x729x1152xf32>, tensor<?x729xi1>

  // Perceiver resampler: 128 latents attend to [media; latents].
  %latents = xgenmm.weight "vlm.vision_tokenizer.latents" : tensor<128x1152xf32>
  %lat0 = xgenmm.broadcast %latents [%views] : tensor<128x1152xf32> -> tensor<?x128x1152xf32>
  %nm_w = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_media.weight" layers 6 : tensor<6x1152xbf16>
  %nm_b = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_media.bias" layers 6 : tensor<6x1152xbf16>
  %nl_w = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_latents.weight" layers 6 : tensor<6x1152xbf16>
  %nl_b = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.norm_latents.bias" layers 6 : tensor<6x1152xbf16>
  %toq = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.to_q.weight" layers 6 : tensor<6x1536x1152xbf16>
  %tokv = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.to_kv.weight" layers 6 : tensor<6x3072x1152xbf16>
  %toout = xgenmm.weight "vlm.vision_tokenizer.layers.{}.0.to_out.weight" layers 6 : tensor<6x1152x1536xbf16>
  %ffn_w = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.0.weight" layers 6 : tensor<6x1152xbf16>
  %ffn_b = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.0.bias" layers 6 : tensor<6x1152xbf16>
  %ff1 = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.1.weight" layers 6 : tensor<6x4608x1152xbf16>
  %ff2 = xgenmm.weight "vlm.vision_tokenizer.layers.{}.1.3.weight" layers 6 : tensor<6x1152x4608xbf16>
  %res = xgenmm.layer_stack layers 6
      carry(%lat0 : tensor<?x128x1152xf32>)
      per_layer(%nm_w, %nm_b, %nl_w, %nl_b, %toq, %tokv, %toout, %ffn_w, %ffn_b, %ff1, %ff2
        : tensor<6x1152xbf16>, tensor<6x1152xbf16>, tensor<6x1152xbf16>, tensor<6x1152xbf16>,
          tensor<6x1536x1152xbf16>, tensor<6x3072x1152xbf16>, tensor<6x1152x1536xbf16>,
          tensor<6x1152xbf16>, tensor<6x1152xbf16>, tensor<6x4608x1152xbf16>, tensor<6x1152x4608xbf16>)
      shared(%groups, %mask : tensor<?x729x1152xf32>, tensor<?x729xi1>)
      -> tensor<?x128x1152xf32> {
  ^bb0(%l: tensor<?x128x1152xf32>, %nmw: tensor<1152xbf16>, %nmb: tensor<1152xbf16>, %nlw: tensor<1152xbf16>,
       %nlb: tensor<1152xbf16>, %wq: tensor<1536x1152xbf16>, %wkv: tensor<3072x1152xbf16>, %wo: tensor<1152x1536xbf16>,
       %fnw: tensor<1152xbf16>, %fnb: tensor<1152xbf16>, %w1: tensor<4608x1152xbf16>, %w2: tensor<1152x4608xbf16>,
       %media: tensor<?x729x1152xf32>, %m: tensor<?x729xi1>):
    %xn = xgenmm.layer_norm %media, %nmw, %nmb eps 9.99999974E-6 : tensor<?x729x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>
    %ln = xgenmm.layer_norm %l, %nlw, %nlb eps 9.99999974E-6 : tensor<?x128x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>
    %q = xgenmm.linear %ln, %wq : tensor<?x128x1152xf32>, tensor<1536x1152xbf16> -> tensor<?x128x1536xf32>
    %kv_in = tensor.concat dim(1) %xn, %ln : (tensor<?x729x1152xf32>, tensor<?x128x1152xf32>) -> tensor<?x857x1152xf32>
    %kv = xgenmm.linear %kv_in, %wkv : tensor<?x857x1152xf32>, tensor<3072x1152xbf16> -> tensor<?x857x3072xf32>
    %k, %v = xgenmm.split %kv : tensor<?x857x3072xf32> -> tensor<?x857x1536xf32>, tensor<?x857x1536xf32>
    %a = xgenmm.attention %q, %k, %v mask(%m : tensor<?x729xi1>) heads 16 kv_heads 16 head_dim 96 scale 0.102062073
        : tensor<?x128x1536xf32>, tensor<?x857x1536xf32>, tensor<?x857x1536xf32> -> tensor<?x128x1536xf32>
    %o = xgenmm.linear %a, %wo : tensor<?x128x1536xf32>, tensor<1152x1536xbf16> -> tensor<?x128x1152xf32>
    %l1 = xgenmm.add %l, %o : tensor<?x128x1152xf32>, tensor<?x128x1152xf32>
    %fn = xgenmm.layer_norm %l1, %fnw, %fnb eps 9.99999974E-6 : tensor<?x128x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>
    %f1 = xgenmm.linear %fn, %w1 : tensor<?x128x1152xf32>, tensor<4608x1152xbf16> -> tensor<?x128x4608xf32>
    %g = xgenmm.gelu none %f1 : tensor<?x128x4608xf32>
    %f2 = xgenmm.linear %g, %w2 : tensor<?x128x4608xf32>, tensor<1152x4608xbf16> -> tensor<?x128x1152xf32>
    %l2 = xgenmm.add %l1, %f2 : tensor<?x128x1152xf32>, tensor<?x128x1152xf32>
    xgenmm.yield %l2 : tensor<?x128x1152xf32>
  }
  %norm_w = xgenmm.weight "vlm.vision_tokenizer.norm.weight" : tensor<1152xbf16>
  %norm_b = xgenmm.weight "vlm.vision_tokenizer.norm.bias" : tensor<1152xbf16>
  %proj_w = xgenmm.weight "vlm.vision_tokenizer.projection.weight" : tensor<3072x1152xbf16>
  %proj_b = xgenmm.weight "vlm.vision_tokenizer.projection.bias" : tensor<3072xbf16>
  %resn = xgenmm.layer_norm %res, %norm_w, %norm_b eps 9.99999974E-6 : tensor<?x128x1152xf32>, tensor<1152xbf16>, tensor<1152xbf16>
  %tokens = xgenmm.linear %resn, %proj_w, %proj_b : tensor<?x128x1152xf32>, tensor<3072x1152xbf16>, tensor<3072xbf16> -> tensor<?x128x3072xf32>
  return %tokens : tensor<?x128x3072xf32>
}

// prefill: the spliced prompt (each image token id stands for one vision token) -> logits of the last position; fills the KV cache from row %pos.
func.func @prefill(%ids: tensor<?xi32>, %vision: tensor<?x3072xf32>, %pos: index,
    %k_cache: tensor<32x4096x3072xf32>, %v_cache: tensor<32x4096x3072xf32>)
    -> (tensor<1x32015xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>) {
  %table = xgenmm.weight "vlm.lang_model.model.embed_tokens.weight" : tensor<32064x3072xbf16>
  %extra = xgenmm.weight "vlm.lang_model.model.embed_tokens.additional_embedding.weight" : tensor<3x3072xbf16>
  %e = xgenmm.embed %ids, %table, %extra base_vocab 32012 : tensor<?xi32>, tensor<32064x3072xbf16>, tensor<3x3072xbf16> -> tensor<?x3072xf32>
  %x = xgenmm.splice %e, %ids, %vision image_token 32012 : tensor<?x3072xf32>, tensor<?xi32>, tensor<?x3072xf32>
  %in_w = xgenmm.weight "vlm.lang_model.model.layers.{}.input_layernorm.weight" layers 32 : tensor<32x3072xbf16>
  %qkv_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight" layers 32 : tensor<32x9216x3072xbf16>
  %o_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.o_proj.weight" layers 32 : tensor<32x3072x3072xbf16>
  %post_w = xgenmm.weight "vlm.lang_model.model.layers.{}.post_attention_layernorm.weight" layers 32 : tensor<32x3072xbf16>
  %gu_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.gate_up_proj.weight" layers 32 : tensor<32x16384x3072xbf16>
  %down_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 32 : tensor<32x3072x8192xbf16>
  %h, %kc, %vc = xgenmm.layer_stack layers 32
      carry(%x : tensor<?x3072xf32>)
      per_layer(%in_w, %qkv_w, %o_w, %post_w, %gu_w, %down_w, %k_cache, %v_cache
        : tensor<32x3072xbf16>, tensor<32x9216x3072xbf16>, tensor<32x3072x3072xbf16>, tensor<32x3072xbf16>,
          tensor<32x16384x3072xbf16>, tensor<32x3072x8192xbf16>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>)
      shared(%pos : index)
      -> tensor<?x3072xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32> {
  ^bb0(%hl: tensor<?x3072xf32>, %inw: tensor<3072xbf16>, %wqkv: tensor<9216x3072xbf16>, %wo: tensor<3072x3072xbf16>,
       %postw: tensor<3072xbf16>, %wgu: tensor<16384x3072xbf16>, %wd: tensor<3072x8192xbf16>,
       %kcl: tensor<4096x3072xf32>, %vcl: tensor<4096x3072xf32>, %p: index):
    %n1 = xgenmm.rms_norm %hl, %inw eps 9.99999974E-6 : tensor<?x3072xf32>, tensor<3072xbf16>
    %qkv = xgenmm.linear %n1, %wqkv : tensor<?x3072xf32>, tensor<9216x3072xbf16> -> tensor<?x9216xf32>
    %q, %k, %v = xgenmm.split %qkv : tensor<?x9216xf32> -> tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>
    %qr = xgenmm.rope %q at %p heads 32 head_dim 96 theta 1.000000e+04 : tensor<?x3072xf32>
    %kr = xgenmm.rope %k at %p heads 32 head_dim 96 theta 1.000000e+04 : tensor<?x3072xf32>
    %a, %kcn, %vcn = xgenmm.attention %qr, %kr, %v
        cache(%kcl, %vcl : tensor<4096x3072xf32>, tensor<4096x3072xf32> at %p)
        heads 32 kv_heads 32 head_dim 96 scale 0.102062073 causal window 2047
        : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>
          -> tensor<?x3072xf32>, tensor<4096x3072xf32>, tensor<4096x3072xf32>
    %o = xgenmm.linear %a, %wo : tensor<?x3072xf32>, tensor<3072x3072xbf16> -> tensor<?x3072xf32>
    %h1 = xgenmm.add %hl, %o : tensor<?x3072xf32>, tensor<?x3072xf32>
    %n2 = xgenmm.rms_norm %h1, %postw eps 9.99999974E-6 : tensor<?x3072xf32>, tensor<3072xbf16>
    %gu = xgenmm.linear %n2, %wgu : tensor<?x3072xf32>, tensor<16384x3072xbf16> -> tensor<?x16384xf32>
    %s = xgenmm.swiglu %gu : tensor<?x16384xf32> -> tensor<?x8192xf32>
    %d = xgenmm.linear %s, %wd : tensor<?x8192xf32>, tensor<3072x8192xbf16> -> tensor<?x3072xf32>
    %h2 = xgenmm.add %h1, %d : tensor<?x3072xf32>, tensor<?x3072xf32>
    xgenmm.yield %h2, %kcn, %vcn : tensor<?x3072xf32>, tensor<4096x3072xf32>, tensor<4096x3072xf32>
  }
  %norm_w = xgenmm.weight "vlm.lang_model.model.norm.weight" : tensor<3072xbf16>
  %hn = xgenmm.rms_norm %h, %norm_w eps 9.99999974E-6 : tensor<?x3072xf32>, tensor<3072xbf16>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %hn, %c0 : tensor<?x3072xf32>
  %last_row = arith.subi %rows, %c1 : index
  %last = tensor.extract_slice %hn[%last_row, 0] [1, 3072] [1, 1] : tensor<?x3072xf32> to tensor<1x3072xf32>
  %head_w = xgenmm.weight "vlm.lang_model.lm_head.weight" : tensor<32064x3072xbf16>
  %head_b = xgenmm.weight "vlm.lang_model.lm_head.bias" : tensor<32064xbf16>
  %add_w = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.weight" : tensor<3x3072xbf16>
  %add_b = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.bias" : tensor<3xbf16>
  %logits = xgenmm.lm_head %last, %head_w, %head_b, %add_w, %add_b base_vocab 32012
      : tensor<1x3072xf32>, tensor<32064x3072xbf16>, tensor<32064xbf16>, tensor<3x3072xbf16>, tensor<3xbf16> -> tensor<1x32015xf32>
  return %logits, %kc, %vc : tensor<1x32015xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>
}

// decode: one token at position %pos -> its logits; appends to the KV cache.
func.func @decode(%ids: tensor<1xi32>, %pos: index,
    %k_cache: tensor<32x4096x3072xf32>, %v_cache: tensor<32x4096x3072xf32>)
    -> (tensor<1x32015xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>) {
  %table = xgenmm.weight "vlm.lang_model.model.embed_tokens.weight" : tensor<32064x3072xbf16>
  %extra = xgenmm.weight "vlm.lang_model.model.embed_tokens.additional_embedding.weight" : tensor<3x3072xbf16>
  %e = xgenmm.embed %ids, %table, %extra base_vocab 32012 : tensor<1xi32>, tensor<32064x3072xbf16>, tensor<3x3072xbf16> -> tensor<1x3072xf32>

  %in_w = xgenmm.weight "vlm.lang_model.model.layers.{}.input_layernorm.weight" layers 32 : tensor<32x3072xbf16>
  %qkv_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight" layers 32 : tensor<32x9216x3072xbf16>
  %o_w = xgenmm.weight "vlm.lang_model.model.layers.{}.self_attn.o_proj.weight" layers 32 : tensor<32x3072x3072xbf16>
  %post_w = xgenmm.weight "vlm.lang_model.model.layers.{}.post_attention_layernorm.weight" layers 32 : tensor<32x3072xbf16>
  %gu_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.gate_up_proj.weight" layers 32 : tensor<32x16384x3072xbf16>
  %down_w = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight" layers 32 : tensor<32x3072x8192xbf16>
  %h, %kc, %vc = xgenmm.layer_stack layers 32
      carry(%e : tensor<1x3072xf32>)
      per_layer(%in_w, %qkv_w, %o_w, %post_w, %gu_w, %down_w, %k_cache, %v_cache
        : tensor<32x3072xbf16>, tensor<32x9216x3072xbf16>, tensor<32x3072x3072xbf16>, tensor<32x3072xbf16>,
          tensor<32x16384x3072xbf16>, tensor<32x3072x8192xbf16>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>)
      shared(%pos : index)
      -> tensor<1x3072xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32> {
  ^bb0(%hl: tensor<1x3072xf32>, %inw: tensor<3072xbf16>, %wqkv: tensor<9216x3072xbf16>, %wo: tensor<3072x3072xbf16>,
       %postw: tensor<3072xbf16>, %wgu: tensor<16384x3072xbf16>, %wd: tensor<3072x8192xbf16>,
       %kcl: tensor<4096x3072xf32>, %vcl: tensor<4096x3072xf32>, %p: index):
    %n1 = xgenmm.rms_norm %hl, %inw eps 9.99999974E-6 : tensor<1x3072xf32>, tensor<3072xbf16>
    %qkv = xgenmm.linear %n1, %wqkv : tensor<1x3072xf32>, tensor<9216x3072xbf16> -> tensor<1x9216xf32>
    %q, %k, %v = xgenmm.split %qkv : tensor<1x9216xf32> -> tensor<1x3072xf32>, tensor<1x3072xf32>, tensor<1x3072xf32>
    %qr = xgenmm.rope %q at %p heads 32 head_dim 96 theta 1.000000e+04 : tensor<1x3072xf32>
    %kr = xgenmm.rope %k at %p heads 32 head_dim 96 theta 1.000000e+04 : tensor<1x3072xf32>
    %a, %kcn, %vcn = xgenmm.attention %qr, %kr, %v
        cache(%kcl, %vcl : tensor<4096x3072xf32>, tensor<4096x3072xf32> at %p)
        heads 32 kv_heads 32 head_dim 96 scale 0.102062073 causal window 2047
        : tensor<1x3072xf32>, tensor<1x3072xf32>, tensor<1x3072xf32>
          -> tensor<1x3072xf32>, tensor<4096x3072xf32>, tensor<4096x3072xf32>
    %o = xgenmm.linear %a, %wo : tensor<1x3072xf32>, tensor<3072x3072xbf16> -> tensor<1x3072xf32>
    %h1 = xgenmm.add %hl, %o : tensor<1x3072xf32>, tensor<1x3072xf32>
    %n2 = xgenmm.rms_norm %h1, %postw eps 9.99999974E-6 : tensor<1x3072xf32>, tensor<3072xbf16>
    %gu = xgenmm.linear %n2, %wgu : tensor<1x3072xf32>, tensor<16384x3072xbf16> -> tensor<1x16384xf32>
    %s = xgenmm.swiglu %gu : tensor<1x16384xf32> -> tensor<1x8192xf32>
    %d = xgenmm.linear %s, %wd : tensor<1x8192xf32>, tensor<3072x8192xbf16> -> tensor<1x3072xf32>
    %h2 = xgenmm.add %h1, %d : tensor<1x3072xf32>, tensor<1x3072xf32>
    xgenmm.yield %h2, %kcn, %vcn : tensor<1x3072xf32>, tensor<4096x3072xf32>, tensor<4096x3072xf32>
  }
  %norm_w = xgenmm.weight "vlm.lang_model.model.norm.weight" : tensor<3072xbf16>
  %hn = xgenmm.rms_norm %h, %norm_w eps 9.99999974E-6 : tensor<1x3072xf32>, tensor<3072xbf16>

  %head_w = xgenmm.weight "vlm.lang_model.lm_head.weight" : tensor<32064x3072xbf16>
  %head_b = xgenmm.weight "vlm.lang_model.lm_head.bias" : tensor<32064xbf16>
  %add_w = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.weight" : tensor<3x3072xbf16>
  %add_b = xgenmm.weight "vlm.lang_model.lm_head.additional_fc.bias" : tensor<3xbf16>
  %logits = xgenmm.lm_head %hn, %head_w, %head_b, %add_w, %add_b base_vocab 32012
      : tensor<1x3072xf32>, tensor<32064x3072xbf16>, tensor<32064xbf16>, tensor<3x3072xbf16>, tensor<3xbf16> -> tensor<1x32015xf32>
  return %logits, %kc, %vc : tensor<1x32015xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>
}

}
