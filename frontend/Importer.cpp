//===- Importer.cpp - Hugging Face checkpoint -> xgenmm IR ----------------===//
//
// The graph built here is the one written by hand in test/models/*.mlir
// (model-spec.md sections 1-5): SigLIP -> anyres regroup -> perceiver
// resampler -> projection for @encode_image; decoupled embedding -> splice
// -> Phi-3 decoder -> decoupled head for @prefill and @decode.
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"

#include "dialects/XgenmmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <set>

using namespace mlir;
/// The dialect's namespace (the frontend's own is ::xgenmm).
namespace xd = mlir::xgenmm;

namespace xgenmm {
namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;
constexpr const char *kLayer = "{}";

/// One tensor the graph reads: `name` contains "{}" for a stacked weight of
/// `layers` layers; `shape` is the shape of one layer's tensor.
struct Expected {
  std::string name;
  int64_t layers = 0;
  std::vector<int64_t> shape;
};

std::string layerName(const std::string &pattern, int64_t layer) {
  std::string n = pattern;
  size_t at = n.find(kLayer);
  if (at != std::string::npos)
    n.replace(at, 2, std::to_string(layer));
  return n;
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Prefix of the SigLIP attention-pooling (MAP) head: present in every
/// checkpoint, never used by xGen-MM (model-spec 2).
constexpr const char *kUnusedMapHead = "vlm.vision_encoder.head.";

/// Every tensor the r-v1.5 graph reads, with its shape, from the config.
std::vector<Expected> expectedTensors(const ModelConfig &c) {
  const VisionConfig &v = c.vision;
  const ResamplerConfig &r = c.resampler;
  const TextConfig &t = c.text;
  int64_t vc = v.hiddenSize, vi = v.intermediateSize, p = v.patchSize;
  int64_t ri = r.innerDim(), rf = vc * r.ffMult, d = t.hiddenSize;
  int64_t qkv = (t.numHeads + 2 * t.numKvHeads) * t.headDim;
  std::vector<Expected> e;
  auto add = [&](std::string name, std::vector<int64_t> shape, int64_t layers = 0) {
    e.push_back({std::move(name), layers, std::move(shape)});
  };
  const std::string ve = "vlm.vision_encoder.", vl = ve + "encoder.layers.{}.";
  add(ve + "embeddings.patch_embedding.weight", {vc, v.numChannels, p, p});
  add(ve + "embeddings.patch_embedding.bias", {vc});
  add(ve + "embeddings.position_embedding.weight", {v.tokens(), vc});
  for (const char *ln : {"layer_norm1", "layer_norm2"}) {
    add(vl + ln + ".weight", {vc}, v.numLayers);
    add(vl + ln + ".bias", {vc}, v.numLayers);
  }
  for (const char *proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
    add(vl + "self_attn." + proj + ".weight", {vc, vc}, v.numLayers);
    add(vl + "self_attn." + proj + ".bias", {vc}, v.numLayers);
  }
  add(vl + "mlp.fc1.weight", {vi, vc}, v.numLayers);
  add(vl + "mlp.fc1.bias", {vi}, v.numLayers);
  add(vl + "mlp.fc2.weight", {vc, vi}, v.numLayers);
  add(vl + "mlp.fc2.bias", {vc}, v.numLayers);
  add(ve + "post_layernorm.weight", {vc});
  add(ve + "post_layernorm.bias", {vc});

  const std::string vt = "vlm.vision_tokenizer.", rl = vt + "layers.{}.";
  add(vt + "latents", {r.numLatents, vc});
  for (const char *ln : {"0.norm_media", "0.norm_latents", "1.0"}) {
    add(rl + ln + ".weight", {vc}, r.depth);
    add(rl + ln + ".bias", {vc}, r.depth);
  }
  add(rl + "0.to_q.weight", {ri, vc}, r.depth);
  add(rl + "0.to_kv.weight", {2 * ri, vc}, r.depth);
  add(rl + "0.to_out.weight", {vc, ri}, r.depth);
  add(rl + "1.1.weight", {rf, vc}, r.depth);
  add(rl + "1.3.weight", {vc, rf}, r.depth);
  add(vt + "norm.weight", {vc});
  add(vt + "norm.bias", {vc});
  add(vt + "projection.weight", {d, vc});
  add(vt + "projection.bias", {d});

  const std::string lm = "vlm.lang_model.", ll = lm + "model.layers.{}.";
  int64_t extra = ModelConfig::kAddedTokens;
  add(lm + "model.embed_tokens.weight", {t.vocabSize, d});
  add(lm + "model.embed_tokens.additional_embedding.weight", {extra, d});
  add(ll + "input_layernorm.weight", {d}, t.numLayers);
  add(ll + "self_attn.qkv_proj.weight", {qkv, d}, t.numLayers);
  add(ll + "self_attn.o_proj.weight", {d, t.numHeads * t.headDim}, t.numLayers);
  add(ll + "post_attention_layernorm.weight", {d}, t.numLayers);
  add(ll + "mlp.gate_up_proj.weight", {2 * t.intermediateSize, d}, t.numLayers);
  add(ll + "mlp.down_proj.weight", {d, t.intermediateSize}, t.numLayers);
  add(lm + "model.norm.weight", {d});
  add(lm + "lm_head.weight", {t.vocabSize, d});
  add(lm + "lm_head.bias", {t.vocabSize});
  add(lm + "lm_head.additional_fc.weight", {extra, d});
  add(lm + "lm_head.additional_fc.bias", {extra});
  return e;
}

bool supportedDType(DType d) {
  return d == DType::F32 || d == DType::BF16 || d == DType::F16;
}

/// Checks the checkpoint against the expected tensors; every problem goes
/// into one message.
bool checkTensors(const std::vector<Expected> &expected, const WeightSet &w,
                  const std::string &dir, size_t &used, size_t &skipped,
                  std::string &error) {
  std::vector<std::string> missing, mismatched, unexpected;
  std::set<std::string> wanted;
  for (const Expected &e : expected) {
    int64_t n = e.layers ? e.layers : 1;
    for (int64_t l = 0; l < n; ++l) {
      std::string name = layerName(e.name, l);
      wanted.insert(name);
      const TensorInfo *t = w.find(name);
      if (!t) {
        missing.push_back(name + " " + shapeStr(e.shape));
        continue;
      }
      if (t->shape != e.shape)
        mismatched.push_back(name + ": shape " + shapeStr(t->shape) +
                             " in " + w.fileOf(t) + ", expected " +
                             shapeStr(e.shape));
      else if (!supportedDType(t->dtype))
        mismatched.push_back(name + ": dtype " + dtypeName(t->dtype) + " in " +
                             w.fileOf(t) + ", expected F32, BF16 or F16");
    }
  }
  used = skipped = 0;
  for (const TensorInfo *t : w.tensors()) {
    if (wanted.count(t->name))
      ++used;
    else if (t->name.rfind(kUnusedMapHead, 0) == 0)
      ++skipped;
    else
      unexpected.push_back(t->name + " " + shapeStr(t->shape) + " in " +
                           w.fileOf(t));
  }
  if (missing.empty() && mismatched.empty() && unexpected.empty())
    return true;
  error = dir + ": the checkpoint does not match its config.json (" +
          std::to_string(missing.size()) + " missing, " +
          std::to_string(mismatched.size()) + " mismatched, " +
          std::to_string(unexpected.size()) + " unexpected):";
  for (auto &[what, list] : {std::pair{"missing", &missing},
                             std::pair{"mismatched", &mismatched},
                             std::pair{"unexpected", &unexpected}})
    for (const std::string &item : *list)
      error += std::string("\n  ") + what + ": " + item;
  return false;
}

/// Emits the xgenmm graph of one model.
class GraphBuilder {
public:
  GraphBuilder(MLIRContext &ctx, const ModelConfig &c, const WeightSet &w,
               int64_t context, Type cacheElement)
      : b(&ctx), loc(b.getUnknownLoc()), c(c), w(w), context(context),
        cacheElement(cacheElement) {
    for (const Expected &e : expectedTensors(c))
      shapes[e.name] = e;
  }

  OwningOpRef<ModuleOp> build(const std::string &name) {
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    module->getOperation()->setAttr("xgenmm.model", b.getStringAttr(name));
    module->getOperation()->setAttr("xgenmm.config", toAttribute(c.toJson()));
    b.setInsertionPointToEnd(module->getBody());
    buildEncodeImage();
    buildLanguageModel(/*prefill=*/true);
    buildLanguageModel(/*prefill=*/false);
    return module;
  }

private:
  /// The resolved configuration as a dictionary attribute, so that it is
  /// readable in the IR and travels with the model to the compiler.
  Attribute toAttribute(const JsonValue &v) {
    switch (v.kind()) {
    case JsonValue::Kind::Null:
      return b.getUnitAttr();
    case JsonValue::Kind::Bool:
      return b.getBoolAttr(v.asBool());
    case JsonValue::Kind::Number:
      return v.isInteger() ? Attribute(b.getI64IntegerAttr(v.asInteger()))
                           : Attribute(b.getF64FloatAttr(v.asNumber()));
    case JsonValue::Kind::String:
      return b.getStringAttr(v.asString());
    case JsonValue::Kind::Array: {
      SmallVector<Attribute> items;
      for (const JsonValue &item : v.asArray())
        items.push_back(toAttribute(item));
      return b.getArrayAttr(items);
    }
    case JsonValue::Kind::Object: {
      SmallVector<NamedAttribute> members;
      for (const auto &[key, value] : v.asObject())
        members.push_back(b.getNamedAttr(key, toAttribute(value)));
      return b.getDictionaryAttr(members);
    }
    }
    return {};
  }

  // --- types and weights --------------------------------------------------

  Type f32() { return b.getF32Type(); }
  RankedTensorType act(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32());
  }
  static Type mlirType(Builder &b, DType d) {
    switch (d) {
    case DType::BF16:
      return b.getBF16Type();
    case DType::F16:
      return b.getF16Type();
    default:
      return b.getF32Type();
    }
  }

  /// The weight `name` (a stacked one if it contains "{}"), its element
  /// type the stored one (f32 if layers differ), or f32 if `asActivation`.
  Value weight(const std::string &name, bool asActivation = false) {
    const Expected &e = shapes.at(name);
    int64_t n = e.layers ? e.layers : 1;
    SmallVector<Attribute> sources;
    std::optional<DType> common;
    for (int64_t l = 0; l < n; ++l) {
      const TensorInfo *t = w.find(layerName(name, l));
      sources.push_back(xd::SourceAttr::get(
          b.getContext(), w.fileOf(t), t->fileBegin, mlirType(b, t->dtype)));
      if (l == 0)
        common = t->dtype;
      else if (common != t->dtype)
        common = DType::F32;
    }
    SmallVector<int64_t> shape;
    if (e.layers)
      shape.push_back(e.layers);
    shape.append(e.shape.begin(), e.shape.end());
    Type elt = asActivation ? f32() : mlirType(b, *common);
    return xd::WeightOp::create(
        b, loc, RankedTensorType::get(shape, elt), name,
        e.layers ? b.getI64IntegerAttr(e.layers) : IntegerAttr(),
        /*quant=*/xd::QuantAttr(), b.getArrayAttr(sources));
  }

  // --- ops ------------------------------------------------------------------

  RankedTensorType withLast(Value x, int64_t last) {
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape.back() = last;
    return act(shape);
  }
  Value linear(Value x, Value wt, Value bias = {}) {
    int64_t out = cast<RankedTensorType>(wt.getType()).getShape()[0];
    return xd::LinearOp::create(b, loc, withLast(x, out), x, wt, bias);
  }
  Value layerNorm(Value x, Value g, Value beta, double eps) {
    return xd::LayerNormOp::create(b, loc, x, g, beta, (float)eps);
  }
  Value add(Value x, Value y) { return xd::AddOp::create(b, loc, x, y); }
  Value gelu(Value x, xd::GeluApproximation a) {
    return xd::GeluOp::create(b, loc, x.getType(), a, x);
  }
  Value attention(Value q, Value k, Value v, int64_t heads, int64_t kvHeads,
                  int64_t headDim, Value mask = {}) {
    return xd::AttentionOp::create(
               b, loc, q.getType(), TypeRange(), q, k, v, mask, ValueRange(),
               Value(), heads, kvHeads, headDim,
               llvm::APFloat((float)(1.0 / std::sqrt((double)headDim))),
               /*causal=*/false, IntegerAttr())
        .getOutput();
  }

  /// Makes the body block of `stack` with the arguments its verifier wants
  /// and leaves the builder at its start.
  Block *stackBody(xd::LayerStackOp stack) {
    Block *body = b.createBlock(&stack.getBody());
    for (Value v : stack.getCarry())
      body->addArgument(v.getType(), loc);
    for (Value v : stack.getPerLayer()) {
      auto t = cast<RankedTensorType>(v.getType());
      body->addArgument(RankedTensorType::get(t.getShape().drop_front(),
                                              t.getElementType()),
                        loc);
    }
    for (Value v : stack.getShared())
      body->addArgument(v.getType(), loc);
    return body;
  }

  // --- @encode_image --------------------------------------------------------

  void buildEncodeImage() {
    const VisionConfig &v = c.vision;
    const ResamplerConfig &r = c.resampler;
    int64_t img = v.imageSize, vc = v.hiddenSize, tokens = v.tokens();
    int64_t latents = r.numLatents, d = c.text.hiddenSize;
    auto pixelsType = act({kDyn, v.numChannels, img, img});
    SmallVector<Type> inputs = {pixelsType};
    if (c.anyres())
      inputs.append(4, b.getIndexType()); // grid rows, cols; width, height
    auto fn = func::FuncOp::create(
        b, loc, "encode_image",
        b.getFunctionType(inputs, {act({kDyn, latents, d})}));
    OpBuilder::InsertionGuard guard(b);
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    Value pixels = entry->getArgument(0);
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value views = tensor::DimOp::create(b, loc, pixels, c0);

    // SigLIP.
    const std::string ve = "vlm.vision_encoder.", vl = ve + "encoder.layers.{}.";
    Value x = xd::PatchEmbedOp::create(
        b, loc, act({kDyn, tokens, vc}), pixels,
        weight(ve + "embeddings.patch_embedding.weight"),
        weight(ve + "embeddings.patch_embedding.bias"),
        weight(ve + "embeddings.position_embedding.weight"));
    std::vector<std::string> names = {
        "layer_norm1.weight", "layer_norm1.bias", "self_attn.q_proj.weight",
        "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias",
        "self_attn.v_proj.weight", "self_attn.v_proj.bias",
        "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "layer_norm2.weight", "layer_norm2.bias", "mlp.fc1.weight",
        "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"};
    SmallVector<Value> perLayer;
    for (const std::string &n : names)
      perLayer.push_back(weight(vl + n));
    auto gelu = v.hiddenAct == "gelu" ? xd::GeluApproximation::none
                                      : xd::GeluApproximation::tanh;
    auto enc = xd::LayerStackOp::create(
        b, loc, TypeRange{x.getType()}, b.getI64IntegerAttr(v.numLayers),
        ValueRange{x}, perLayer, ValueRange());
    {
      OpBuilder::InsertionGuard g(b);
      Block *body = stackBody(enc);
      auto a = body->getArguments();
      Value h = a[0];
      Value n1 = layerNorm(h, a[1], a[2], v.layerNormEps);
      Value q = linear(n1, a[3], a[4]), k = linear(n1, a[5], a[6]),
            vv = linear(n1, a[7], a[8]);
      Value o = linear(attention(q, k, vv, v.numHeads, v.numHeads, v.headDim()),
                       a[9], a[10]);
      Value h1 = add(h, o);
      Value n2 = layerNorm(h1, a[11], a[12], v.layerNormEps);
      Value f = linear(this->gelu(linear(n2, a[13], a[14]), gelu), a[15], a[16]);
      xd::YieldOp::create(b, loc, ValueRange{add(h1, f)});
    }
    Value feats = layerNorm(enc.getResult(0), weight(ve + "post_layernorm.weight"),
                            weight(ve + "post_layernorm.bias"), v.layerNormEps);

    // Any-resolution regrouping and padding masks (model-spec 4.5).
    Value mask;
    if (c.anyres()) {
      auto regroup = xd::AnyresRegroupOp::create(
          b, loc, feats.getType(),
          RankedTensorType::get({kDyn, tokens}, b.getI1Type()), feats,
          entry->getArgument(1), entry->getArgument(2), entry->getArgument(3),
          entry->getArgument(4));
      feats = regroup.getGroups();
      mask = regroup.getMask();
    }

    // Perceiver resampler (model-spec 3).
    const std::string vt = "vlm.vision_tokenizer.", rl = vt + "layers.{}.";
    Value lat0 = xd::BroadcastOp::create(
        b, loc, act({kDyn, latents, vc}), weight(vt + "latents", true),
        ValueRange{views});
    SmallVector<Value> rw;
    for (const char *n : {"0.norm_media.weight", "0.norm_media.bias",
                          "0.norm_latents.weight", "0.norm_latents.bias",
                          "0.to_q.weight", "0.to_kv.weight", "0.to_out.weight",
                          "1.0.weight", "1.0.bias", "1.1.weight", "1.3.weight"})
      rw.push_back(weight(rl + n));
    SmallVector<Value> shared = {feats};
    if (mask)
      shared.push_back(mask);
    auto res = xd::LayerStackOp::create(
        b, loc, TypeRange{lat0.getType()}, b.getI64IntegerAttr(r.depth),
        ValueRange{lat0}, rw, shared);
    {
      OpBuilder::InsertionGuard g(b);
      Block *body = stackBody(res);
      auto a = body->getArguments();
      Value l = a[0], media = a[12], m = mask ? a[13] : Value();
      double eps = r.layerNormEps;
      Value xn = layerNorm(media, a[1], a[2], eps);
      Value ln = layerNorm(l, a[3], a[4], eps);
      Value q = linear(ln, a[5]);
      Value kvIn = tensor::ConcatOp::create(
          b, loc, act({kDyn, tokens + latents, vc}), 1, ValueRange{xn, ln});
      Value kv = linear(kvIn, a[6]);
      auto split = xd::SplitOp::create(
          b, loc, TypeRange{withLast(kv, r.innerDim()), withLast(kv, r.innerDim())},
          kv);
      Value o = attention(q, split.getResult(0), split.getResult(1), r.heads,
                          r.heads, r.dimHead, m);
      Value l1 = add(l, linear(o, a[7]));
      Value fn = layerNorm(l1, a[8], a[9], eps);
      Value f = linear(this->gelu(linear(fn, a[10]), xd::GeluApproximation::none),
                       a[11]);
      xd::YieldOp::create(b, loc, ValueRange{add(l1, f)});
    }
    Value out = layerNorm(res.getResult(0), weight(vt + "norm.weight"),
                          weight(vt + "norm.bias"), r.layerNormEps);
    Value tokensOut = linear(out, weight(vt + "projection.weight"),
                             weight(vt + "projection.bias"));
    func::ReturnOp::create(b, loc, tokensOut);
  }

  // --- @prefill / @decode -----------------------------------------------------

  void buildLanguageModel(bool prefill) {
    const TextConfig &t = c.text;
    int64_t d = t.hiddenSize, layers = t.numLayers;
    int64_t seq = prefill ? kDyn : 1;
    auto idsType = RankedTensorType::get({seq}, b.getI32Type());
    // An int8 cache row: per kv head the values and the 4 bytes of their
    // f32 scale (xgenmm.attention).
    int64_t cacheWidth = t.numKvHeads * (t.headDim + (cacheElement.isInteger(8) ? 4 : 0));
    auto cacheType = RankedTensorType::get({layers, context, cacheWidth}, cacheElement);
    auto logitsType = act({1, c.outputVocab()});
    SmallVector<Type> inputs = {idsType};
    if (prefill)
      inputs.push_back(act({kDyn, d}));
    inputs.append({b.getIndexType(), cacheType, cacheType});
    auto fn = func::FuncOp::create(
        b, loc, prefill ? "prefill" : "decode",
        b.getFunctionType(inputs, {logitsType, cacheType, cacheType}));
    OpBuilder::InsertionGuard guard(b);
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    unsigned argi = 0;
    Value ids = entry->getArgument(argi++);
    Value vision = prefill ? entry->getArgument(argi++) : Value();
    Value pos = entry->getArgument(argi++);
    Value kCache = entry->getArgument(argi++), vCache = entry->getArgument(argi++);

    const std::string lm = "vlm.lang_model.", ll = lm + "model.layers.{}.";
    Value x = xd::EmbedOp::create(
        b, loc, act({seq, d}), ids, weight(lm + "model.embed_tokens.weight"),
        weight(lm + "model.embed_tokens.additional_embedding.weight"),
        t.initialTokenizerLen);
    if (prefill)
      x = xd::SpliceOp::create(b, loc, x, ids, vision, c.imageTokenId());

    SmallVector<Value> perLayer;
    for (const char *n : {"input_layernorm.weight", "self_attn.qkv_proj.weight",
                          "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                          "mlp.gate_up_proj.weight", "mlp.down_proj.weight"})
      perLayer.push_back(weight(ll + n));
    perLayer.append({kCache, vCache});
    auto stack = xd::LayerStackOp::create(
        b, loc, TypeRange{x.getType(), cacheType, cacheType},
        b.getI64IntegerAttr(layers), ValueRange{x}, perLayer, ValueRange{pos});
    {
      OpBuilder::InsertionGuard g(b);
      Block *body = stackBody(stack);
      auto a = body->getArguments();
      Value h = a[0], p = a[9];
      auto rms = [&](Value v, Value g) {
        return xd::RmsNormOp::create(b, loc, v, g, (float)t.rmsNormEps);
      };
      int64_t qw = t.numHeads * t.headDim, kvw = t.numKvHeads * t.headDim;
      Value qkv = linear(rms(h, a[1]), a[2]);
      auto split = xd::SplitOp::create(
          b, loc,
          TypeRange{withLast(qkv, qw), withLast(qkv, kvw), withLast(qkv, kvw)}, qkv);
      auto rope = [&](Value v, int64_t heads) {
        return xd::RopeOp::create(b, loc, v.getType(), v, p, heads, t.headDim,
                                      llvm::APFloat((float)t.ropeTheta));
      };
      Value q = rope(split.getResult(0), t.numHeads);
      Value k = rope(split.getResult(1), t.numKvHeads);
      auto attn = xd::AttentionOp::create(
          b, loc, q.getType(), TypeRange{a[7].getType(), a[8].getType()}, q, k,
          split.getResult(2), Value(), ValueRange{a[7], a[8]}, p, t.numHeads,
          t.numKvHeads, t.headDim,
          llvm::APFloat((float)(1.0 / std::sqrt((double)t.headDim))),
          /*causal=*/true,
          t.slidingWindow ? b.getI64IntegerAttr(*t.slidingWindow) : IntegerAttr());
      Value h1 = add(h, linear(attn.getOutput(), a[3]));
      Value gu = linear(rms(h1, a[4]), a[5]);
      Value sw = xd::SwiGluOp::create(b, loc, withLast(gu, t.intermediateSize), gu);
      Value h2 = add(h1, linear(sw, a[6]));
      xd::YieldOp::create(
          b, loc, ValueRange{h2, attn.getUpdatedCaches()[0], attn.getUpdatedCaches()[1]});
    }
    Value hn = xd::RmsNormOp::create(b, loc, stack.getResult(0),
                                         weight(lm + "model.norm.weight"),
                                         (float)t.rmsNormEps);
    Value last = hn;
    if (prefill) {
      // Only the last position's logits are needed to continue generating.
      Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
      Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
      Value rows = tensor::DimOp::create(b, loc, hn, c0);
      Value lastRow = arith::SubIOp::create(b, loc, rows, c1);
      SmallVector<OpFoldResult> offsets = {lastRow, b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(d)};
      SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
      last = tensor::ExtractSliceOp::create(b, loc, act({1, d}), hn, offsets, sizes,
                                            strides);
    }
    Value logits = xd::LmHeadOp::create(
        b, loc, logitsType, last, weight(lm + "lm_head.weight"),
        weight(lm + "lm_head.bias"), weight(lm + "lm_head.additional_fc.weight"),
        weight(lm + "lm_head.additional_fc.bias"), t.initialTokenizerLen);
    func::ReturnOp::create(b, loc,
                           ValueRange{logits, stack.getResult(1), stack.getResult(2)});
  }

  OpBuilder b;
  Location loc;
  const ModelConfig &c;
  const WeightSet &w;
  int64_t context;
  Type cacheElement;
  std::map<std::string, Expected> shapes;
};

std::string baseName(const std::string &dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/')
    d.pop_back();
  size_t slash = d.rfind('/');
  return slash == std::string::npos ? d : d.substr(slash + 1);
}

} // namespace

std::unique_ptr<ImportedModel> importCheckpoint(MLIRContext &context,
                                                const std::string &directory,
                                                const ImportOptions &options,
                                                std::string &error) {
  context.loadDialect<xd::XgenmmDialect, func::FuncDialect,
                      arith::ArithDialect, tensor::TensorDialect>();
  auto model = std::make_unique<ImportedModel>();
  std::optional<ModelConfig> config =
      readModelConfig(directory, options.overrides, error);
  if (!config)
    return nullptr;
  model->config = *config;
  model->weights = WeightSet::open(directory, error);
  if (!model->weights)
    return nullptr;
  if (!checkTensors(expectedTensors(*config), *model->weights, directory,
                    model->tensorsUsed, model->tensorsSkipped, error))
    return nullptr;
  Type cacheElement;
  if (options.kvCacheDtype == "f32")
    cacheElement = Float32Type::get(&context);
  else if (options.kvCacheDtype == "bf16")
    cacheElement = BFloat16Type::get(&context);
  else if (options.kvCacheDtype == "int8")
    cacheElement = IntegerType::get(&context, 8);
  else {
    error = "unknown KV-cache dtype '" + options.kvCacheDtype + "' (f32, bf16 or int8)";
    return nullptr;
  }
  int64_t ctx = options.contextLength ? options.contextLength
                                      : config->text.maxPositionEmbeddings;
  model->module =
      GraphBuilder(context, *config, *model->weights, ctx, cacheElement)
          .build(baseName(directory));
  // Where the weights are, so that the IR alone compiles (xgenmm-compile
  // model.mlir) without repeating the checkpoint directory.
  llvm::SmallString<256> absolute(directory);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  (*model->module)
      ->setAttr("xgenmm.checkpoint", StringAttr::get(&context, absolute.str()));
  // The builder must produce valid IR for every accepted config; a failure
  // here is a bug in the importer, reported as such.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      diagnostics += "\n  " + d.str();
      return success();
    });
    if (failed(verify(*model->module))) {
      error = directory + ": internal error: the imported IR does not verify:" +
              diagnostics;
      return nullptr;
    }
  }
  return model;
}

} // namespace xgenmm
