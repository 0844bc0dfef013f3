// Round trip of every xgenmm op, in the custom and the generic form.
// RUN: xgenmm-opt %s -split-input-file | xgenmm-opt -split-input-file | FileCheck %s
// RUN: xgenmm-opt %s -split-input-file -mlir-print-op-generic | xgenmm-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @weights
func.func @weights() -> (tensor<4x8xf32>, tensor<3x8x8xbf16>, tensor<8xf16>) {
  // CHECK: xgenmm.weight "a.b" : tensor<4x8xf32>
  %a = xgenmm.weight "a.b" : tensor<4x8xf32>
  // CHECK: xgenmm.weight "l.{}.w" layers 3 from [#xgenmm.source<"m-1.safetensors", 0, f32>, #xgenmm.source<"m-1.safetensors", 256, f32>, #xgenmm.source<"m-2.safetensors", 64, bf16>] : tensor<3x8x8xbf16>
  %b = xgenmm.weight "l.{}.w" layers 3 from [#xgenmm.source<"m-1.safetensors", 0, f32>,
        #xgenmm.source<"m-1.safetensors", 256, f32>, #xgenmm.source<"m-2.safetensors", 64, bf16>] : tensor<3x8x8xbf16>
  // CHECK: xgenmm.weight "c" from [#xgenmm.source<"x.safetensors", 8, f16>] : tensor<8xf16>
  %c = xgenmm.weight "c" from [#xgenmm.source<"x.safetensors", 8, f16>] : tensor<8xf16>
  return %a, %b, %c : tensor<4x8xf32>, tensor<3x8x8xbf16>, tensor<8xf16>
}

// -----

// CHECK-LABEL: func.func @quantized
func.func @quantized(%x: tensor<?x64xf32>, %b: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<8x64xf32>) {
  // CHECK: %[[Q:.*]] = xgenmm.weight "l.{}.w" layers 2 quant <"int8", 32, "values"> : tensor<2x64x8xi8>
  %q = xgenmm.weight "l.{}.w" layers 2 quant <"int8", 32, "values"> : tensor<2x64x8xi8>
  // CHECK: %[[S:.*]] = xgenmm.weight "w" quant <"int8", 32, "scales"> from [#xgenmm.source<"m.safetensors", 0, bf16>] : tensor<2x8xf32>
  %s = xgenmm.weight "w" quant <"int8", 32, "scales"> from [#xgenmm.source<"m.safetensors", 0, bf16>] : tensor<2x8xf32>
  // CHECK: xgenmm.weight "w" quant <"int8", 32, "dequantized"> : tensor<8x64xf32>
  %d = xgenmm.weight "w" quant <"int8", 32, "dequantized"> : tensor<8x64xf32>
  %q1 = xgenmm.weight "w" quant <"int8", 32, "values"> : tensor<64x8xi8>
  // CHECK: xgenmm.quantized_linear %{{.*}}, %{{.*}}, %[[S]], %{{.*}} group 32 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<2x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %y = xgenmm.quantized_linear %x, %q1, %s, %b group 32 : tensor<?x64xf32>, tensor<64x8xi8>, tensor<2x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  // CHECK: %[[P:.*]] = xgenmm.weight "w4" quant <"int4", 32, "values"> : tensor<32x8xi8>
  %p = xgenmm.weight "w4" quant <"int4", 32, "values"> : tensor<32x8xi8>
  // CHECK: xgenmm.quantized_linear %{{.*}}, %[[P]], %[[S]] group 32 bits 4 : tensor<?x64xf32>, tensor<32x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  %z = xgenmm.quantized_linear %x, %p, %s group 32 bits 4 : tensor<?x64xf32>, tensor<32x8xi8>, tensor<2x8xf32> -> tensor<?x8xf32>
  %sum = xgenmm.add %y, %z : tensor<?x8xf32>, tensor<?x8xf32>
  return %sum, %d : tensor<?x8xf32>, tensor<8x64xf32>
}

// -----

// CHECK-LABEL: func.func @quantized_vnni
func.func @quantized_vnni(%x: tensor<?x64xf32>, %acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>) -> tensor<?x32xf32> {
  // CHECK: %[[V:.*]] = xgenmm.weight "w4" quant <"int4", 32, "values", "vnni"> : tensor<1x8x128xi8>
  %v = xgenmm.weight "w4" quant <"int4", 32, "values", "vnni"> : tensor<1x8x128xi8>
  // CHECK: %[[S:.*]] = xgenmm.weight "w4" quant <"int4", 32, "scales", "vnni"> : tensor<1x2x32xf16>
  %s = xgenmm.weight "w4" quant <"int4", 32, "scales", "vnni"> : tensor<1x2x32xf16>
  // CHECK: xgenmm.quantized_linear %{{.*}}, %[[V]], %[[S]] group 32 bits 4 : tensor<?x64xf32>, tensor<1x8x128xi8>, tensor<1x2x32xf16> -> tensor<?x32xf32>
  %y = xgenmm.quantized_linear %x, %v, %s group 32 bits 4 : tensor<?x64xf32>, tensor<1x8x128xi8>, tensor<1x2x32xf16> -> tensor<?x32xf32>
  // CHECK: xgenmm.vnni_dot %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi32>, vector<64xi8>
  %d = xgenmm.vnni_dot %acc, %a, %b : vector<16xi32>, vector<64xi8>
  return %y : tensor<?x32xf32>
}

// -----

// int8 VNNI panels: 4 K per 32-bit lane, [N / P, K / 4, 4 P].
// CHECK-LABEL: func.func @quantized_vnni_int8
func.func @quantized_vnni_int8(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  // CHECK: %[[V:.*]] = xgenmm.weight "w8" quant <"int8", 32, "values", "vnni"> : tensor<1x16x128xi8>
  %v = xgenmm.weight "w8" quant <"int8", 32, "values", "vnni"> : tensor<1x16x128xi8>
  %s = xgenmm.weight "w8" quant <"int8", 32, "scales", "vnni"> : tensor<1x2x32xf16>
  // CHECK: xgenmm.quantized_linear %{{.*}}, %[[V]], %{{.*}} group 32 : tensor<?x64xf32>, tensor<1x16x128xi8>, tensor<1x2x32xf16> -> tensor<?x32xf32>
  %y = xgenmm.quantized_linear %x, %v, %s group 32 : tensor<?x64xf32>, tensor<1x16x128xi8>, tensor<1x2x32xf16> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @patch_embed
func.func @patch_embed(%px: tensor<?x3x30x30xf32>, %w: tensor<12x3x14x14xbf16>,
                       %b: tensor<12xf32>, %pos: tensor<4x12xf32>) -> tensor<?x4x12xf32> {
  // CHECK: xgenmm.patch_embed %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x3x30x30xf32>, tensor<12x3x14x14xbf16>, tensor<12xf32>, tensor<4x12xf32> -> tensor<?x4x12xf32>
  %e = xgenmm.patch_embed %px, %w, %b, %pos
      : tensor<?x3x30x30xf32>, tensor<12x3x14x14xbf16>, tensor<12xf32>, tensor<4x12xf32> -> tensor<?x4x12xf32>
  return %e : tensor<?x4x12xf32>
}

// -----

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<?x5x6xf32>, %w: tensor<7x6xbf16>, %b: tensor<7xf32>)
    -> (tensor<?x5x7xf32>, tensor<?x5x7xf32>) {
  // CHECK: xgenmm.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x5x6xf32>, tensor<7x6xbf16>, tensor<7xf32> -> tensor<?x5x7xf32>
  %y = xgenmm.linear %x, %w, %b : tensor<?x5x6xf32>, tensor<7x6xbf16>, tensor<7xf32> -> tensor<?x5x7xf32>
  // CHECK: xgenmm.linear %{{.*}}, %{{.*}} : tensor<?x5x6xf32>, tensor<7x6xbf16> -> tensor<?x5x7xf32>
  %z = xgenmm.linear %x, %w : tensor<?x5x6xf32>, tensor<7x6xbf16> -> tensor<?x5x7xf32>
  return %y, %z : tensor<?x5x7xf32>, tensor<?x5x7xf32>
}

// -----

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<?x6xf32>, %g: tensor<6xf32>, %b: tensor<6xbf16>)
    -> (tensor<?x6xf32>, tensor<?x6xf32>) {
  // CHECK: xgenmm.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps 9.99999997E-7 : tensor<?x6xf32>, tensor<6xf32>, tensor<6xbf16>
  %l = xgenmm.layer_norm %x, %g, %b eps 1.0e-6 : tensor<?x6xf32>, tensor<6xf32>, tensor<6xbf16>
  // CHECK: xgenmm.rms_norm %{{.*}}, %{{.*}} eps 9.99999974E-6 : tensor<?x6xf32>, tensor<6xf32>
  %r = xgenmm.rms_norm %x, %g eps 1.0e-5 : tensor<?x6xf32>, tensor<6xf32>
  return %l, %r : tensor<?x6xf32>, tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<2x?x6xf32>, %r: tensor<?x6xf32>, %gu: tensor<4x10xbf16>)
    -> (tensor<2x?x6xf32>, tensor<2x?x6xf32>, tensor<2x?x6xf32>, tensor<4x5xbf16>) {
  // CHECK: xgenmm.add %{{.*}}, %{{.*}} : tensor<2x?x6xf32>, tensor<?x6xf32>
  %a = xgenmm.add %x, %r : tensor<2x?x6xf32>, tensor<?x6xf32>
  // CHECK: xgenmm.gelu tanh %{{.*}} : tensor<2x?x6xf32>
  %g = xgenmm.gelu tanh %a : tensor<2x?x6xf32>
  // CHECK: xgenmm.gelu none %{{.*}} : tensor<2x?x6xf32>
  %e = xgenmm.gelu none %a : tensor<2x?x6xf32>
  // CHECK: xgenmm.swiglu %{{.*}} : tensor<4x10xbf16> -> tensor<4x5xbf16>
  %s = xgenmm.swiglu %gu : tensor<4x10xbf16> -> tensor<4x5xbf16>
  return %a, %g, %e, %s : tensor<2x?x6xf32>, tensor<2x?x6xf32>, tensor<2x?x6xf32>, tensor<4x5xbf16>
}

// -----

// CHECK-LABEL: func.func @split_broadcast
func.func @split_broadcast(%x: tensor<?x12xf32>, %l: tensor<4x6xf32>, %n: index)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<2x?x4x6xf32>) {
  // CHECK: %{{.*}}:3 = xgenmm.split %{{.*}} : tensor<?x12xf32> -> tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
  %q, %k, %v = xgenmm.split %x : tensor<?x12xf32> -> tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
  // CHECK: xgenmm.split %{{.*}} : tensor<?x12xf32> -> tensor<?x8xf32>, tensor<?x2xf32>, tensor<?x2xf32>
  %q2, %k2, %v2 = xgenmm.split %x : tensor<?x12xf32> -> tensor<?x8xf32>, tensor<?x2xf32>, tensor<?x2xf32>
  // CHECK: xgenmm.broadcast %{{.*}}[%{{.*}}] : tensor<4x6xf32> -> tensor<2x?x4x6xf32>
  %b = xgenmm.broadcast %l [%n] : tensor<4x6xf32> -> tensor<2x?x4x6xf32>
  return %q, %k, %v, %b : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<2x?x4x6xf32>
}

// -----

// CHECK-LABEL: func.func @rope
func.func @rope(%x: tensor<?x12xf32>, %p: index) -> tensor<?x12xf32> {
  // CHECK: xgenmm.rope %{{.*}} at %{{.*}} heads 2 head_dim 6 theta 1.000000e+04 : tensor<?x12xf32>
  %r = xgenmm.rope %x at %p heads 2 head_dim 6 theta 1.0e4 : tensor<?x12xf32>
  return %r : tensor<?x12xf32>
}

// -----

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x5x12xf32>, %k: tensor<?x9x6xf32>, %v: tensor<?x9x6xf32>,
                     %m: tensor<?x7xi1>) -> (tensor<?x5x12xf32>, tensor<?x5x12xf32>) {
  // GQA: 4 query heads share 2 key/value heads; the mask covers the first 7 keys.
  // CHECK: xgenmm.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<?x7xi1>) heads 4 kv_heads 2 head_dim 3 scale 5.773500e-01 : tensor<?x5x12xf32>, tensor<?x9x6xf32>, tensor<?x9x6xf32> -> tensor<?x5x12xf32>
  %o = xgenmm.attention %q, %k, %v mask(%m : tensor<?x7xi1>) heads 4 kv_heads 2 head_dim 3 scale 0.57735
      : tensor<?x5x12xf32>, tensor<?x9x6xf32>, tensor<?x9x6xf32> -> tensor<?x5x12xf32>
  // CHECK: xgenmm.attention {{.*}} heads 4 kv_heads 2 head_dim 3 scale 5.773500e-01 causal window 4 :
  %c = xgenmm.attention %q, %k, %v heads 4 kv_heads 2 head_dim 3 scale 0.57735 causal window 4
      : tensor<?x5x12xf32>, tensor<?x9x6xf32>, tensor<?x9x6xf32> -> tensor<?x5x12xf32>
  return %o, %c : tensor<?x5x12xf32>, tensor<?x5x12xf32>
}

// -----

// CHECK-LABEL: func.func @attention_cache
func.func @attention_cache(%q: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                           %kc: tensor<32x8xf32>, %vc: tensor<32x8xf32>, %p: index)
    -> (tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  // CHECK: %{{.*}}, %{{.*}}:2 = xgenmm.attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}} : tensor<32x8xf32>, tensor<32x8xf32> at %{{.*}}) heads 2 kv_heads 2 head_dim 4 scale 5.000000e-01 causal : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<32x8xf32>, tensor<32x8xf32> at %p)
      heads 2 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>
  return %o, %kc2, %vc2 : tensor<?x8xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

// An int8 KV cache: rows of kv_heads x (head_dim + 4 scale bytes).
// CHECK-LABEL: func.func @attention_cache_int8
func.func @attention_cache_int8(%q: tensor<?x8xf32>, %k: tensor<?x8xf32>, %v: tensor<?x8xf32>,
                                %kc: tensor<32x16xi8>, %vc: tensor<32x16xi8>, %p: index)
    -> (tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>) {
  // CHECK: xgenmm.attention %{{.*}}, %{{.*}}, %{{.*}} cache(%{{.*}}, %{{.*}} : tensor<32x16xi8>, tensor<32x16xi8> at %{{.*}}) heads 2 kv_heads 2 head_dim 4 scale 5.000000e-01 causal : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>
  %o, %kc2, %vc2 = xgenmm.attention %q, %k, %v cache(%kc, %vc : tensor<32x16xi8>, tensor<32x16xi8> at %p)
      heads 2 kv_heads 2 head_dim 4 scale 0.5 causal
      : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>
  return %o, %kc2, %vc2 : tensor<?x8xf32>, tensor<32x16xi8>, tensor<32x16xi8>
}

// -----

// CHECK-LABEL: func.func @lm_ends
func.func @lm_ends(%ids: tensor<?xi32>, %vis: tensor<?x8xf32>, %t: tensor<20x8xbf16>,
                   %x: tensor<20x8xbf16>, %w: tensor<20x8xf32>, %b: tensor<20xf32>,
                   %wa: tensor<3x8xf32>, %ba: tensor<3xf32>)
    -> (tensor<?x8xf32>, tensor<?x21xf32>) {
  // CHECK: xgenmm.embed %{{.*}}, %{{.*}}, %{{.*}} base_vocab 18 : tensor<?xi32>, tensor<20x8xbf16>, tensor<20x8xbf16> -> tensor<?x8xf32>
  %e = xgenmm.embed %ids, %t, %x base_vocab 18 : tensor<?xi32>, tensor<20x8xbf16>, tensor<20x8xbf16> -> tensor<?x8xf32>
  // CHECK: xgenmm.splice %{{.*}}, %{{.*}}, %{{.*}} image_token 18 : tensor<?x8xf32>, tensor<?xi32>, tensor<?x8xf32>
  %s = xgenmm.splice %e, %ids, %vis image_token 18 : tensor<?x8xf32>, tensor<?xi32>, tensor<?x8xf32>
  // CHECK: xgenmm.lm_head %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} base_vocab 18 : tensor<?x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<?x21xf32>
  %l = xgenmm.lm_head %s, %w, %b, %wa, %ba base_vocab 18
      : tensor<?x8xf32>, tensor<20x8xf32>, tensor<20xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<?x21xf32>
  return %s, %l : tensor<?x8xf32>, tensor<?x21xf32>
}

// -----

// CHECK-LABEL: func.func @regroup
func.func @regroup(%f: tensor<?x9x4xf32>, %r: index, %c: index, %w: index, %h: index)
    -> (tensor<?x9x4xf32>, tensor<?x9xi1>) {
  // CHECK: xgenmm.anyres_regroup %{{.*}} grid(%{{.*}}, %{{.*}}) size(%{{.*}}, %{{.*}}) : tensor<?x9x4xf32> -> tensor<?x9x4xf32>, tensor<?x9xi1>
  %g, %m = xgenmm.anyres_regroup %f grid(%r, %c) size(%w, %h)
      : tensor<?x9x4xf32> -> tensor<?x9x4xf32>, tensor<?x9xi1>
  return %g, %m : tensor<?x9x4xf32>, tensor<?x9xi1>
}

// -----

// CHECK-LABEL: func.func @layer_stack
func.func @layer_stack(%x: tensor<?x4xf32>, %w: tensor<3x4x4xf32>, %c: tensor<3x8x4xf32>,
                       %p: index) -> (tensor<?x4xf32>, tensor<3x8x4xf32>, tensor<3x4xf32>) {
  // CHECK: %{{.*}}:3 = xgenmm.layer_stack layers 3 carry(%{{.*}} : tensor<?x4xf32>) per_layer(%{{.*}}, %{{.*}} : tensor<3x4x4xf32>, tensor<3x8x4xf32>) shared(%{{.*}} : index) -> tensor<?x4xf32>, tensor<3x8x4xf32>, tensor<3x4xf32> {
  // CHECK-NEXT: ^bb0(%{{.*}}: tensor<?x4xf32>, %{{.*}}: tensor<4x4xf32>, %{{.*}}: tensor<8x4xf32>, %{{.*}}: index):
  // CHECK: xgenmm.yield %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<8x4xf32>, tensor<4xf32>
  %h, %cs, %ws = xgenmm.layer_stack layers 3 carry(%x : tensor<?x4xf32>)
      per_layer(%w, %c : tensor<3x4x4xf32>, tensor<3x8x4xf32>) shared(%p : index)
      -> tensor<?x4xf32>, tensor<3x8x4xf32>, tensor<3x4xf32> {
  ^bb0(%hl: tensor<?x4xf32>, %wl: tensor<4x4xf32>, %cl: tensor<8x4xf32>, %pl: index):
    %y = xgenmm.linear %hl, %wl : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %r = tensor.extract_slice %wl[0, 0] [1, 4] [1, 1] : tensor<4x4xf32> to tensor<4xf32>
    xgenmm.yield %y, %cl, %r : tensor<?x4xf32>, tensor<8x4xf32>, tensor<4xf32>
  }
  return %h, %cs, %ws : tensor<?x4xf32>, tensor<3x8x4xf32>, tensor<3x4xf32>
}
