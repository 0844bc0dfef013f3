//===- XgenmmOps.td - xgenmm operations --------------------*- tablegen -*-===//

#ifndef XGENMM_OPS_TD
#define XGENMM_OPS_TD

include "dialects/XgenmmBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Xgenmm_WeightOp : Xgenmm_Op<"weight", [Pure]> {
  let summary = "a reference to a checkpoint tensor";
  let description = [{
    Produces the value of the checkpoint tensor `name`. The bytes are not in
    the IR: the compiler reads them from the checkpoint (or the importer's
    `sources`) when it writes the weight pack.

    A *stacked* weight gathers the same tensor of every layer of a layer
    stack. Its name contains the placeholder `{}` where the layer index goes,
    `layers` gives their count, and the result has a leading dimension of
    that size.

    `sources`, when present, records one `#xgenmm.source` per layer (one for
    an unstacked weight): file, byte offset and stored element type. The
    result element type is the type the graph computes with; it may differ
    from the stored one (a bf16 checkpoint compiled for f32, say).

    ```mlir
    %pos = xgenmm.weight "vlm.vision_encoder.embeddings.position_embedding.weight"
             : tensor<729x1152xf32>
    %wq = xgenmm.weight "vlm.vision_encoder.encoder.layers.{}.self_attn.q_proj.weight"
             layers 27 : tensor<27x1152x1152xbf16>
    %b = xgenmm.weight "vlm.lang_model.lm_head.bias"
             from [#xgenmm.source<"model.safetensors", 4096, f32>] : tensor<32064xf32>
    ```

    `quant`, when present, makes the result one part of the group-quantized
    form of the checkpoint tensor (`#xgenmm.quant`): its i8 values or f32
    scales, K-major, which `xgenmm.quantized_linear` consumes, or its
    dequantized float values in the checkpoint's layout.

    ```mlir
    %q = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight"
           layers 32 quant <"int8", 32, "values"> : tensor<32x8192x3072xi8>
    %s = xgenmm.weight "vlm.lang_model.model.layers.{}.mlp.down_proj.weight"
           layers 32 quant <"int8", 32, "scales"> : tensor<32x256x3072xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$layers,
                       OptionalAttr<Xgenmm_QuantAttr>:$quant,
                       OptionalAttr<Xgenmm_SourceArrayAttr>:$sources);
  let results = (outs Xgenmm_StaticStoredTensor:$result);
  let assemblyFormat = [{
    $name (`layers` $layers^)? (`quant` $quant^)? (`from` $sources^)? attr-dict
    `:` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The checkpoint name of layer `layer` ("{}" replaced by the index).
    std::string getLayerName(int64_t layer);
    /// Number of elements of one layer's tensor.
    int64_t getElementsPerLayer();
  }];
}

//===----------------------------------------------------------------------===//
// Vision encoder
//===----------------------------------------------------------------------===//

def Xgenmm_PatchEmbedOp : Xgenmm_Op<"patch_embed", [Pure]> {
  let summary = "non-overlapping patch embedding plus position embedding";
  let description = [{
    SigLIP's embedding: a `Conv2d(C_in, C, kernel=p, stride=p,
    padding="valid", bias=True)` over `pixels [N, C_in, H, W]` with
    `weight [C, C_in, p, p]` and `bias [C]`, flattened row-major over the
    (H/p) x (W/p) patch grid, plus `position [T, C]`, T = (H/p)(W/p).
    Pixels beyond the last whole patch are ignored (384 px with p = 14 uses
    pixels 0..377).

    ```mlir
    %e = xgenmm.patch_embed %px, %w, %b, %pos
         : tensor<?x3x384x384xf32>, tensor<1152x3x14x14xf32>, tensor<1152xf32>,
           tensor<729x1152xf32> -> tensor<?x729x1152xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$pixels, Xgenmm_WeightTensor:$weight,
                       Xgenmm_WeightTensor:$bias, Xgenmm_WeightTensor:$position);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $pixels `,` $weight `,` $bias `,` $position attr-dict `:` type($pixels) `,`
    type($weight) `,` type($bias) `,` type($position) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Dense layers and elementwise ops
//===----------------------------------------------------------------------===//

def Xgenmm_LinearOp : Xgenmm_Op<"linear", [Pure]> {
  let summary = "y = x W^T (+ b) over the last dimension";
  let description = [{
    A PyTorch `nn.Linear`: `input [..., K]`, `weight [N, K]` (PyTorch's
    `[out, in]` layout), optional `bias [N]`, result `[..., N]`. The weight may
    be stored in a narrower type than the input (bf16 weights, f32
    activations); accumulation is in f32.

    ```mlir
    %y = xgenmm.linear %x, %w, %b
         : tensor<?x729x1152xf32>, tensor<4304x1152xbf16>, tensor<4304xf32>
           -> tensor<?x729x4304xf32>
    %z = xgenmm.linear %x, %wq : tensor<?x3072xf32>, tensor<9216x3072xf32>
           -> tensor<?x9216xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Xgenmm_WeightTensor:$weight,
                       Optional<Xgenmm_WeightTensor>:$bias);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Xgenmm_QuantizedLinearOp : Xgenmm_Op<"quantized_linear", [Pure]> {
  let summary = "y = x W^T (+ b) over a group-quantized weight";
  let description = [{
    `xgenmm.linear` whose weight is stored quantized (`#xgenmm.quant`):
    `values [K, N]` (i8, K-major: the layout the kernels stream), `scales
    [K / group_size, N]` (f32), `W[n, k] = values[k, n] * scales[k /
    group_size, n]`; `input [..., K]`, optional `bias [N]`, result `[..., N]`.
    With `bits 4` the values are int4 two per byte, `[K / 2, N]` (byte
    `[k2, n]`: `k = 2 k2` in the low nibble, `2 k2 + 1` in the high one) and
    the group size is even. The scales are applied inside the accumulation:
    the weight is never materialised in float.

    ```mlir
    %y = xgenmm.quantized_linear %x, %q, %s group 32
         : tensor<?x3072xf32>, tensor<3072x9216xi8>, tensor<96x9216xf32>
           -> tensor<?x9216xf32>
    %z = xgenmm.quantized_linear %x, %p, %s group 32 bits 4
         : tensor<?x3072xf32>, tensor<1536x9216xi8>, tensor<96x9216xf32>
           -> tensor<?x9216xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Xgenmm_QuantValues:$values,
                       Xgenmm_QuantScales:$scales,
                       Optional<Xgenmm_WeightTensor>:$bias,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                       DefaultValuedAttr<I64Attr, "8">:$bits);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $values `,` $scales (`,` $bias^)? `group` $group_size
    (`bits` $bits^)? attr-dict
    `:` type($input) `,` type($values) `,` type($scales) (`,` type($bias)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Xgenmm_LayerNormOp : Xgenmm_Op<"layer_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gamma + beta` over the last dimension,
    computed in f32; `gamma` and `beta` are `[C]`. Biased variance, as
    `nn.LayerNorm`.

    ```mlir
    %y = xgenmm.layer_norm %x, %g, %b eps 1.0e-06
         : tensor<?x729x1152xf32>, tensor<1152xf32>, tensor<1152xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Xgenmm_WeightTensor:$gamma,
                       Xgenmm_WeightTensor:$beta, F32Attr:$epsilon);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `eps` $epsilon attr-dict `:` type($input) `,`
    type($gamma) `,` type($beta)
  }];
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "Value":$input, "Value":$gamma,
                                 "Value":$beta, "float":$epsilon), [{
    build($_builder, $_state, input.getType(), input, gamma, beta,
          $_builder.getF32FloatAttr(epsilon));
  }]>];
}

def Xgenmm_RmsNormOp : Xgenmm_Op<"rms_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization over the last dimension";
  let description = [{
    `gamma * x / sqrt(mean(x^2) + epsilon)` over the last dimension, computed
    in f32 (Phi-3's `Phi3RMSNorm`); `gamma` is `[C]`.

    ```mlir
    %y = xgenmm.rms_norm %x, %g eps 1.0e-05 : tensor<?x3072xf32>, tensor<3072xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Xgenmm_WeightTensor:$gamma,
                       F32Attr:$epsilon);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $gamma `eps` $epsilon attr-dict `:` type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "Value":$input, "Value":$gamma,
                                 "float":$epsilon), [{
    build($_builder, $_state, input.getType(), input, gamma,
          $_builder.getF32FloatAttr(epsilon));
  }]>];
}

def Xgenmm_AddOp : Xgenmm_Op<"add", [Pure, AllTypesMatch<["lhs", "result"]>]> {
  let summary = "elementwise addition, the right operand broadcast over leading dims";
  let description = [{
    `lhs + rhs` where `rhs` has the trailing dimensions of `lhs` (the same
    shape, or fewer leading dimensions, broadcast). The result has the type
    of `lhs`. Used for residual connections.

    ```mlir
    %h = xgenmm.add %x, %attn : tensor<?x3072xf32>, tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$lhs, Xgenmm_Activation:$rhs);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Xgenmm_GeluOp : Xgenmm_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "GELU activation, exact (erf) or tanh-approximated";
  let description = [{
    `none`: `0.5 x (1 + erf(x / sqrt 2))` (the resampler's `nn.GELU()`);
    `tanh`: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (SigLIP's
    `gelu_pytorch_tanh`).

    ```mlir
    %y = xgenmm.gelu tanh %x : tensor<?x729x4304xf32>
    ```
  }];
  let arguments = (ins Xgenmm_GeluApproximation:$approximation,
                       Xgenmm_Activation:$input);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = "$approximation $input attr-dict `:` type($input)";
}

def Xgenmm_SwiGluOp : Xgenmm_Op<"swiglu", [Pure]> {
  let summary = "silu(gate) * up over the two halves of the last dimension";
  let description = [{
    `input [..., 2F]` holds the gate in columns `[0, F)` and the up projection
    in `[F, 2F)` (Phi-3's fused `gate_up_proj`); the result `[..., F]` is
    `silu(gate) * up`.

    ```mlir
    %y = xgenmm.swiglu %gu : tensor<?x16384xf32> -> tensor<?x8192xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Xgenmm_SplitOp : Xgenmm_Op<"split", [Pure]> {
  let summary = "split the last dimension into consecutive parts";
  let description = [{
    Splits `input [..., W]` into results `[..., W_i]` holding consecutive
    column ranges, in order, with `sum W_i = W` (the fused QKV projection,
    whose key and value parts are narrower than the query part under
    grouped-query attention, and the resampler's key/value projection).

    ```mlir
    %q, %k, %v = xgenmm.split %qkv : tensor<?x9216xf32>
                 -> tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>
    %q2, %k2, %v2 = xgenmm.split %qkv2 : tensor<?x160xf32>
                 -> tensor<?x96xf32>, tensor<?x32xf32>, tensor<?x32xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input);
  let results = (outs Variadic<Xgenmm_Activation>:$results);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Column offset of result `index` in the input.
    int64_t getOffset(unsigned index);
  }];
}

def Xgenmm_BroadcastOp : Xgenmm_Op<"broadcast", [Pure]> {
  let summary = "repeat a tensor along new leading dimensions";
  let description = [{
    The result is `input` repeated along leading dimensions prepended to its
    shape; each dynamic new dimension takes its size from one index operand,
    in order. Used to give the resampler's latents one copy per image group.

    ```mlir
    %l = xgenmm.broadcast %latents [%groups]
         : tensor<128x1152xf32> -> tensor<?x128x1152xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Variadic<Index>:$dynamic_sizes);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input (`[` $dynamic_sizes^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Attention and positions
//===----------------------------------------------------------------------===//

def Xgenmm_RopeOp : Xgenmm_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding (rotate-half form) per head";
  let description = [{
    `input [..., S, heads*head_dim]`; row `i` is at position `position + i`.
    Within each head, with `d = head_dim / 2`, `inv_freq[j] = theta^(-2j/head_dim)`
    and angle `a = pos * inv_freq[j]`:
    `out[j] = x[j] cos a - x[j+d] sin a`, `out[j+d] = x[j+d] cos a + x[j] sin a`
    (Hugging Face's non-interleaved `rotate_half` convention).

    ```mlir
    %q2 = xgenmm.rope %q at %pos heads 32 head_dim 96 theta 1.0e+04
          : tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Index:$position,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F32Attr:$theta);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input `at` $position `heads` $heads `head_dim` $head_dim `theta` $theta
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Xgenmm_AttentionOp : Xgenmm_Op<"attention",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "multi-head scaled dot-product attention, optionally over a KV cache";
  let description = [{
    `query [B..., S, heads*head_dim]`, `key`/`value [B..., Sk, kv_heads*head_dim]`
    (head `h` = columns `[h*head_dim, (h+1)*head_dim)`; query head `h` uses key
    head `h / (heads / kv_heads)`). Per head:
    `softmax(scale * q k^T + bias) v`, softmax in f32, result
    `[B..., S, heads*head_dim]` with heads merged.

    * `mask(%m)`: `[B..., M]` of i1 with `M <= number of keys`; key `j < M`
      is attended only where `m[j]` is true; keys `j >= M` always are (the
      resampler masks padded media keys and always attends to its latents).
    * `causal`: query `i` (at absolute position `p + i`, `p` the cache
      position or 0) attends key `j` only if `j <= p + i`.
    * `window W`: additionally only keys with `p + i - j < W` (sliding window).
    * `cache(%kc, %vc at %p)`: `kc`/`vc [B..., C, kv_heads*head_dim]`. The new
      `key`/`value` rows are written at rows `[p, p + Sk)` of the caches, the
      attention runs over cache rows `[0, p + Sk)`, and the op returns the
      updated caches after the output (`Sk == S`). The caches may be
      narrower than the rows (a bf16 KV cache): the new rows are rounded to
      the caches' element type (nearest even) as they are written, and every
      cached row is widened back to f32 where it is read. An `i8` cache
      (int8 KV cache) has rows `[kv_heads, head_dim + 4]`: per kv head the
      `head_dim` values `round(x / s)` in [-127, 127] with
      `s = max |x| / 127` over that head's values of that row, then the 4
      bytes of `s` (f32, little-endian); a row is read as `value * s`.

    ```mlir
    // SigLIP self-attention.
    %o = xgenmm.attention %q, %k, %v heads 16 kv_heads 16 head_dim 72
         scale 0.117851 : tensor<?x729x1152xf32>, tensor<?x729x1152xf32>,
         tensor<?x729x1152xf32> -> tensor<?x729x1152xf32>
    // Phi-3 with its KV cache.
    %o2, %kc2, %vc2 = xgenmm.attention %q2, %k2, %v2
         cache(%kc, %vc : tensor<4096x3072xf32>, tensor<4096x3072xf32> at %p)
         heads 32 kv_heads 32 head_dim 96 scale 0.102062 causal
         : tensor<?x3072xf32>, tensor<?x3072xf32>, tensor<?x3072xf32>
           -> tensor<?x3072xf32>, tensor<4096x3072xf32>, tensor<4096x3072xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$query, Xgenmm_Activation:$key,
                       Xgenmm_Activation:$value,
                       Optional<Xgenmm_Mask>:$key_mask,
                       Variadic<Xgenmm_KvCache>:$caches,
                       Optional<Index>:$position,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F32Attr:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window);
  let results = (outs Xgenmm_Activation:$output,
                      Variadic<Xgenmm_KvCache>:$updated_caches);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`mask` `(` $key_mask^ `:` type($key_mask) `)`)?
    (`cache` `(` $caches^ `:` type($caches) `at` $position `)`)?
    `heads` $heads `kv_heads` $kv_heads `head_dim` $head_dim `scale` $scale
    (`causal` $causal^)? (`window` $window^)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type(results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Language-model ends: decoupled embedding and head, splicing
//===----------------------------------------------------------------------===//

def Xgenmm_EmbedOp : Xgenmm_Op<"embed", [Pure]> {
  let summary = "decoupled token embedding (base table + added-token table)";
  let description = [{
    `ids [...]` of token ids; id `< base_vocab` reads `table[id]`, id
    `>= base_vocab` reads `extra[id - base_vocab]` (xGen-MM's
    `DecoupledEmbedding`: Phi-3's table plus rows for `<image>`,
    `<image placeholder>` and `<|endofchunk|>`). Result `[..., D]`.

    ```mlir
    %e = xgenmm.embed %ids, %table, %extra base_vocab 32012
         : tensor<?xi32>, tensor<32064x3072xf32>, tensor<3x3072xf32>
           -> tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Xgenmm_TokenIds:$ids, Xgenmm_WeightTensor:$table,
                       Xgenmm_WeightTensor:$extra,
                       ConfinedAttr<I64Attr, [IntPositive]>:$base_vocab);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $ids `,` $table `,` $extra `base_vocab` $base_vocab attr-dict `:`
    type($ids) `,` type($table) `,` type($extra) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of valid token ids: base_vocab + rows of the extra table.
    int64_t getVocabSize();
  }];
}

def Xgenmm_LmHeadOp : Xgenmm_Op<"lm_head", [Pure]> {
  let summary = "decoupled LM head: base logits (with bias) then added-token logits";
  let description = [{
    `concat((x W^T + b)[..., :base_vocab], x Wa^T + ba)` with `weight [V, D]`,
    `bias [V]`, `extra_weight [E, D]`, `extra_bias [E]`: logits over
    `base_vocab + E` ids (xGen-MM's `DecoupledLinear`; rows
    `base_vocab..V-1` of `weight` are never used).

    ```mlir
    %l = xgenmm.lm_head %h, %w, %b, %wa, %ba base_vocab 32012
         : tensor<1x3072xf32>, tensor<32064x3072xf32>, tensor<32064xf32>,
           tensor<3x3072xf32>, tensor<3xf32> -> tensor<1x32015xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$input, Xgenmm_WeightTensor:$weight,
                       Xgenmm_WeightTensor:$bias,
                       Xgenmm_WeightTensor:$extra_weight,
                       Xgenmm_WeightTensor:$extra_bias,
                       ConfinedAttr<I64Attr, [IntPositive]>:$base_vocab);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $extra_weight `,` $extra_bias
    `base_vocab` $base_vocab attr-dict `:` type($input) `,` type($weight) `,`
    type($bias) `,` type($extra_weight) `,` type($extra_bias) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Xgenmm_SpliceOp : Xgenmm_Op<"splice", [Pure, AllTypesMatch<["embeds", "result"]>]> {
  let summary = "put vision tokens in the rows of image-token ids";
  let description = [{
    `embeds [S, D]` are the embedded `ids [S]`; `vision [V, D]` the vision
    tokens of all images, in order. The k-th row whose id equals
    `image_token` is replaced by `vision[k]`; other rows pass through. The
    host expands each `<image>` of the prompt into as many image-token ids as
    that image has vision tokens, so shapes stay static; exactly `V` rows
    must carry `image_token` (the runtime checks this before the call).

    ```mlir
    %x = xgenmm.splice %e, %ids, %vis image_token 32012
         : tensor<?x3072xf32>, tensor<?xi32>, tensor<?x3072xf32>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$embeds, Xgenmm_TokenIds:$ids,
                       Xgenmm_Activation:$vision,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$image_token);
  let results = (outs Xgenmm_Activation:$result);
  let assemblyFormat = [{
    $embeds `,` $ids `,` $vision `image_token` $image_token attr-dict `:`
    type($embeds) `,` type($ids) `,` type($vision)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Xgenmm_AnyresRegroupOp : Xgenmm_Op<"anyres_regroup", [Pure]> {
  let summary = "regroup anyres crop features into token groups with padding masks";
  let description = [{
    `features [1+P, T, C]` are the vision features of one image's views
    (global view first, then the `rows x cols = P` crops row-major), with
    `T = side^2` tokens per view. View 0 passes through with an all-true
    mask. The crop features are stitched into one `(rows*side) x
    (cols*side)` map, which is then cut into consecutive `T`-token chunks in
    raster order (for `cols > 1` a chunk is a horizontal band across all
    crops, not a crop: the released model's quirk, model-spec 4.5). The mask
    is false on the rows (or columns) of the stitched map that cover the
    black padding of the `width x height` original image.

    ```mlir
    %g, %m = xgenmm.anyres_regroup %f grid(%rows, %cols) size(%w, %h)
             : tensor<?x729x1152xf32> -> tensor<?x729x1152xf32>, tensor<?x729xi1>
    ```
  }];
  let arguments = (ins Xgenmm_Activation:$features, Index:$rows, Index:$cols,
                       Index:$width, Index:$height);
  let results = (outs Xgenmm_Activation:$groups, Xgenmm_Mask:$mask);
  let assemblyFormat = [{
    $features `grid` `(` $rows `,` $cols `)` `size` `(` $width `,` $height `)`
    attr-dict `:` type($features) `->` type($groups) `,` type($mask)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Repeated layers
//===----------------------------------------------------------------------===//

def Xgenmm_LayerStackOp : Xgenmm_Op<"layer_stack", [
    IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects,
    AttrSizedOperandSegments]> {
  let summary = "a stack of identical layers written once";
  let description = [{
    Runs its body `layers` times, like a scan:

    * `carry` operands are threaded through the layers: the body receives the
      current values and yields the next ones; the first results are the
      values after the last layer.
    * `per_layer` operands have a leading dimension of size `layers`; layer
      `l` receives slice `l` (stacked weights, a stacked KV cache).
    * `shared` operands are passed unchanged to every layer (a mask, a
      position).

    The body's block arguments are the carry values, then the per-layer
    slices, then the shared values. `xgenmm.yield` returns the next carry
    values, then zero or more per-layer outputs, which are stacked into the
    remaining results (leading dimension `layers`).

    ```mlir
    %h, %kc, %vc = xgenmm.layer_stack layers 32
        carry(%x : tensor<?x3072xf32>)
        per_layer(%wqkv, %kc0, %vc0 : tensor<32x9216x3072xf32>,
                  tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32>)
        shared(%pos : index)
        -> tensor<?x3072xf32>, tensor<32x4096x3072xf32>, tensor<32x4096x3072xf32> {
    ^bb0(%hl: tensor<?x3072xf32>, %w: tensor<9216x3072xf32>,
         %kcl: tensor<4096x3072xf32>, %vcl: tensor<4096x3072xf32>, %p: index):
      ...
      xgenmm.yield %hn, %kcn, %vcn : tensor<?x3072xf32>, tensor<4096x3072xf32>,
                                     tensor<4096x3072xf32>
    }
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntPositive]>:$layers,
                       Variadic<AnyType>:$carry,
                       Variadic<AnyRankedTensor>:$per_layer,
                       Variadic<AnyType>:$shared);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `layers` $layers
    (`carry` `(` $carry^ `:` type($carry) `)`)?
    (`per_layer` `(` $per_layer^ `:` type($per_layer) `)`)?
    (`shared` `(` $shared^ `:` type($shared) `)`)?
    (`->` type($results)^)? $body attr-dict
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    Block &getBodyBlock() { return getBody().front(); }
    /// Results that are the final carry values.
    ResultRange getCarryResults() {
      return getResults().take_front(getCarry().size());
    }
    /// Results that stack one per-layer output of every layer.
    ResultRange getStackedResults() {
      return getResults().drop_front(getCarry().size());
    }
    Block::BlockArgListType getCarryArgs() {
      return getBodyBlock().getArguments().take_front(getCarry().size());
    }
    Block::BlockArgListType getPerLayerArgs() {
      return getBodyBlock().getArguments().slice(getCarry().size(),
                                                 getPerLayer().size());
    }
    Block::BlockArgListType getSharedArgs() {
      return getBodyBlock().getArguments().take_back(getShared().size());
    }
  }];
}

def Xgenmm_YieldOp : Xgenmm_Op<"yield", [Pure, Terminator,
    HasParent<"LayerStackOp">, ReturnLike]> {
  let summary = "ends a layer of a layer stack";
  let description = [{
    Returns the next carry values, then the per-layer outputs, of one layer
    of the enclosing `xgenmm.layer_stack`.

    ```mlir
    xgenmm.yield %h : tensor<?x1152xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Target-level ops (generated by the CPU lowering, below linalg)
//===----------------------------------------------------------------------===//

def Xgenmm_VnniDotOp : Xgenmm_Op<"vnni_dot",
    [Pure, AllTypesMatch<["acc", "result"]>, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "int8 dot products into 32-bit lanes (AVX512-VNNI vpdpbusd)";
  let description = [{
    `result[i] = acc[i] + sum_{t < 4} zext(lhs[4 i + t]) * sext(rhs[4 i + t])`
    over 16 lanes: `lhs` unsigned bytes, `rhs` signed bytes, no saturation.
    The int4 VNNI kernels of `xgenmm.quantized_linear` produce it;
    `xgenmm-lower-vnni-dot` makes it the `llvm.x86.avx512.vpdpbusd.512`
    intrinsic after bufferization (the intrinsic call itself has unknown
    memory effects, which bufferization refuses).

    ```mlir
    %r = xgenmm.vnni_dot %acc, %w, %x : vector<16xi32>, vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[16], [I32]>:$acc,
                       VectorOfLengthAndType<[64], [I8]>:$lhs,
                       VectorOfLengthAndType<[64], [I8]>:$rhs);
  let results = (outs VectorOfLengthAndType<[16], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $lhs `,` $rhs attr-dict `:` type($acc) `,` type($lhs)
  }];
}

#endif // XGENMM_OPS_TD
