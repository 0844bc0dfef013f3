//===- XgenmmOps.cpp - xgenmm op verifiers, folders, patterns -------------===//
#include "dialects/XgenmmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::xgenmm;

//===----------------------------------------------------------------------===//
// Shape helpers shared by the verifiers
//===----------------------------------------------------------------------===//

namespace {
/// Two sizes agree unless both are static and differ.
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Prints a shape as [2, ?, 3] for diagnostics.
std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return s + "]";
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}
int64_t lastDim(Value v) { return shapeOf(v).back(); }

/// Checks that the leading `n` dimensions of `a` and `b` agree.
bool leadingCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b, size_t n) {
  if (a.size() < n || b.size() < n)
    return false;
  for (size_t i = 0; i < n; ++i)
    if (!compatible(a[i], b[i]))
      return false;
  return true;
}

/// Checks that `actual` has exactly the shape `expected` (up to dynamic
/// sizes) and reports `what` otherwise.
LogicalResult expectShape(Operation *op, StringRef what, Value v,
                          ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> actual = shapeOf(v);
  bool ok = actual.size() == expected.size();
  for (size_t i = 0; ok && i < actual.size(); ++i)
    ok = compatible(actual[i], expected[i]);
  if (!ok)
    return op->emitOpError() << what << " has shape " << shapeStr(actual)
                             << ", expected " << shapeStr(expected);
  return success();
}

Type elementType(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

LogicalResult expectSameElementType(Operation *op, Value result, Value input) {
  if (elementType(result) != elementType(input))
    return op->emitOpError() << "result element type " << elementType(result)
                             << " differs from input element type "
                             << elementType(input);
  return success();
}

/// Checks a per-channel parameter vector `[C]` against the last dim of x.
LogicalResult expectChannelVector(Operation *op, StringRef what, Value param,
                                  Value x) {
  return expectShape(op, what, param, {lastDim(x)});
}
} // namespace

//===----------------------------------------------------------------------===//
// SourceAttr
//===----------------------------------------------------------------------===//

LogicalResult SourceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef file, int64_t offset, Type dtype) {
  if (file.empty())
    return emitError() << "weight source needs a file name";
  if (offset < 0)
    return emitError() << "weight source offset must be non-negative, got "
                       << offset;
  if (!dtype.isF32() && !dtype.isBF16() && !dtype.isF16())
    return emitError() << "weight source dtype must be f32, bf16 or f16, got "
                       << dtype;
  return success();
}

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                StringRef scheme, int64_t groupSize, StringRef part,
                                StringRef layout) {
  if (scheme != "int8" && scheme != "int4")
    return emitError() << "quantization scheme must be int8 or int4, got '" << scheme << "'";
  if (groupSize <= 0)
    return emitError() << "quantization group size must be positive, got " << groupSize;
  if (scheme == "int4" && groupSize % 2 != 0)
    return emitError() << "int4 quantization groups hold pairs: the group size must be "
                          "even, got "
                       << groupSize;
  if (part != "values" && part != "scales" && part != "dequantized")
    return emitError() << "quantized weight part must be values, scales or "
                          "dequantized, got '"
                       << part << "'";
  if (layout != "kmajor" && layout != "vnni")
    return emitError() << "quantized values layout must be kmajor or vnni, got '" << layout
                       << "'";
  if (layout == "vnni" && groupSize % 8 != 0)
    return emitError() << "the vnni layout holds values in groups that are a multiple "
                          "of 8, got "
                       << scheme << " in groups of " << groupSize;
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

static constexpr StringLiteral kLayerPlaceholder = "{}";

std::string WeightOp::getLayerName(int64_t layer) {
  std::string name = getName().str();
  size_t at = name.find(kLayerPlaceholder.str());
  if (at != std::string::npos)
    name.replace(at, kLayerPlaceholder.size(), std::to_string(layer));
  return name;
}

int64_t WeightOp::getElementsPerLayer() {
  auto type = cast<RankedTensorType>(getType());
  return getLayers() ? type.getNumElements() / *getLayers()
                     : type.getNumElements();
}

LogicalResult WeightOp::verify() {
  StringRef name = getName();
  if (name.empty())
    return emitOpError("needs a non-empty tensor name");
  bool hasPlaceholder = name.contains(kLayerPlaceholder);
  auto type = cast<RankedTensorType>(getType());
  int64_t perTensor = 1;
  if (auto layers = getLayers()) {
    if (!hasPlaceholder)
      return emitOpError("stacked weight name '")
             << name << "' must contain '{}' where the layer index goes";
    if (name.find(kLayerPlaceholder) != name.rfind(kLayerPlaceholder))
      return emitOpError("weight name '")
             << name << "' must contain '{}' only once";
    if (type.getRank() < 1 || type.getDimSize(0) != (int64_t)*layers)
      return emitOpError("stacked weight type ")
             << type << " must have a leading dimension equal to the layer count "
             << *layers;
    perTensor = *layers;
  } else if (hasPlaceholder) {
    return emitOpError("weight name '")
           << name << "' contains '{}' but the weight has no layer count";
  }
  if (auto sources = getSources()) {
    if ((int64_t)sources->size() != perTensor)
      return emitOpError("expects ")
             << perTensor << " source(s), one per layer, got "
             << sources->size();
  }
  Type elt = type.getElementType();
  QuantAttr quant = getQuantAttr();
  if (!quant) {
    if (!isa<FloatType>(elt))
      return emitOpError("an integer weight type needs a #xgenmm.quant part, got ")
             << type;
    return success();
  }
  // Per layer: [K, N] values ([K / 2, N] for int4, two per byte) or
  // [K / group, N] scales (K-major), or the checkpoint's [N, K] dequantized.
  // VNNI: values [N / P, K / 8, 4 P] (int4; int8: [N / P, K / 4, 4 P]),
  // scales [N / P, K / group, P] per layer.
  int64_t rank = type.getRank() - (getLayers() ? 1 : 0);
  bool vnni = quant.getLayout() == "vnni" && quant.getPart() != "dequantized";
  if (vnni ? rank != 3 : rank != 2)
    return emitOpError(vnni ? "VNNI values and scales are panels, [out / P, in / 8, 4 P] and "
                              "[out / P, in / group, P] per layer, got "
                            : "a quantized weight must be a matrix per layer, got ")
           << type;
  int64_t g = quant.getGroupSize();
  int64_t k = quant.getPart() == "dequantized" ? type.getShape().back()
              : vnni ? type.getShape()[type.getRank() - 2] * (quant.getScheme() == "int4" ? 8 : 4)
                                               : type.getShape()[type.getRank() - 2];
  if (quant.getPart() == "values" && quant.getScheme() == "int4" && !vnni)
    k *= 2;
  if (quant.getPart() == "values") {
    if (!elt.isInteger(8))
      return emitOpError("quantized values must be i8, got ") << type;
  } else if (quant.getPart() == "scales") {
    if (vnni ? !elt.isF16() : !elt.isF32())
      return emitOpError("quantization scales must be f32 (f16 in the vnni layout), got ")
             << type;
    return success(); // K / group rows: nothing to check against.
  } else if (!isa<FloatType>(elt)) {
    return emitOpError("a dequantized weight must be a float tensor, got ") << type;
  }
  if (k % g != 0)
    return emitOpError("in-features ")
           << k << " of weight '" << name << "' are not a multiple of the group size "
           << g;
  return success();
}

//===----------------------------------------------------------------------===//
// PatchEmbedOp
//===----------------------------------------------------------------------===//

LogicalResult PatchEmbedOp::verify() {
  ArrayRef<int64_t> px = shapeOf(getPixels()), w = shapeOf(getWeight());
  if (px.size() != 4)
    return emitOpError("pixels must be [N, channels, height, width], got ")
           << shapeStr(px);
  if (w.size() != 4 || w[2] != w[3])
    return emitOpError("weight must be [C, channels, p, p], got ") << shapeStr(w);
  if (!compatible(px[1], w[1]))
    return emitOpError("pixels have ")
           << px[1] << " channels but the weight expects " << w[1];
  int64_t c = w[0], p = w[2];
  if (failed(expectShape(*this, "bias", getBias(), {c})))
    return failure();
  int64_t tokens = ShapedType::kDynamic;
  if (!ShapedType::isDynamic(px[2]) && !ShapedType::isDynamic(px[3])) {
    tokens = (px[2] / p) * (px[3] / p);
    if (tokens == 0)
      return emitOpError("image ")
             << px[3] << "x" << px[2] << " is smaller than one " << p << "x"
             << p << " patch";
  }
  if (failed(expectShape(*this, "position embedding", getPosition(),
                         {tokens, c})))
    return failure();
  if (failed(expectShape(*this, "result", getResult(), {px[0], tokens, c})))
    return failure();
  return expectSameElementType(*this, getResult(), getPixels());
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight());
  if (in.empty())
    return emitOpError("input must have rank >= 1");
  if (w.size() != 2)
    return emitOpError("weight must be [out, in], got ") << shapeStr(w);
  if (!compatible(in.back(), w[1]))
    return emitOpError("input has ")
           << in.back() << " features but the weight " << shapeStr(w)
           << " expects " << w[1];
  if (getBias() && failed(expectShape(*this, "bias", getBias(), {w[0]})))
    return failure();
  SmallVector<int64_t> expected(in.begin(), in.end());
  expected.back() = w[0];
  if (failed(expectShape(*this, "result", getResult(), expected)))
    return failure();
  return expectSameElementType(*this, getResult(), getInput());
}

LogicalResult QuantizedLinearOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), stored = shapeOf(getValues());
  int64_t g = getGroupSize(), bits = getBits();
  if (in.empty())
    return emitOpError("input must have rank >= 1");
  if (bits != 8 && bits != 4)
    return emitOpError("bits must be 8 or 4, got ") << bits;
  if (stored.size() != 2 && stored.size() != 3)
    return emitOpError("values must be [in, out] (K-major) or VNNI panels "
                       "[out / P, in / 8 (int8: in / 4), 4 P], got ")
           << shapeStr(stored);
  if (bits == 4 && g % 2 != 0)
    return emitOpError("int4 groups hold pairs: the group size must be even, got ") << g;
  // The [in, out] features the values stand for (int4: two per stored row).
  SmallVector<int64_t> q(stored.begin(), stored.end());
  if (stored.size() == 3) {
    int64_t panel = stored[2] / 4;
    if (g % 8 != 0)
      return emitOpError("VNNI panels hold values in groups that are a multiple of 8, "
                         "got bits ")
             << bits << " and group size " << g;
    if (stored[2] % 4 != 0 || (panel != 16 && panel != 32 && panel != 64))
      return emitOpError("VNNI panels are 16, 32 or 64 columns (4 P bytes per block), got ")
             << shapeStr(stored);
    // Each block of 4 P bytes: 8 K of int4 (two nibbles a byte), 4 K of int8.
    q = {ShapedType::isDynamic(stored[1]) ? ShapedType::kDynamic
                                          : stored[1] * (bits == 4 ? 8 : 4),
         ShapedType::isDynamic(stored[0]) ? ShapedType::kDynamic : stored[0] * panel};
  } else if (bits == 4 && !ShapedType::isDynamic(q[0])) {
    q[0] *= 2;
  }
  if (!ShapedType::isDynamic(q[0]) && q[0] % g != 0)
    return emitOpError("in-features ") << q[0] << " are not a multiple of the group size "
                                       << g;
  if (!compatible(in.back(), q[0]))
    return emitOpError("input has ")
           << in.back() << " features but the values " << shapeStr(stored) << " expect "
           << q[0] << (bits == 4 ? " (int4: two per byte)" : "");
  int64_t groups = ShapedType::isDynamic(q[0]) ? ShapedType::kDynamic : q[0] / g;
  Type scaleType = cast<ShapedType>(getScales().getType()).getElementType();
  if (stored.size() == 3) {
    int64_t panel = stored[2] / 4;
    if (!scaleType.isF16())
      return emitOpError("the scales of VNNI panels must be f16, got ") << scaleType;
    if (failed(expectShape(*this, "scales", getScales(), {stored[0], groups, panel})))
      return failure();
  } else {
    if (!scaleType.isF32())
      return emitOpError("scales must be f32, got ") << scaleType;
    if (failed(expectShape(*this, "scales", getScales(), {groups, q[1]})))
      return failure();
  }
  if (getBias() && failed(expectShape(*this, "bias", getBias(), {q[1]})))
    return failure();
  SmallVector<int64_t> expected(in.begin(), in.end());
  expected.back() = q[1];
  if (failed(expectShape(*this, "result", getResult(), expected)))
    return failure();
  return expectSameElementType(*this, getResult(), getInput());
}

namespace {
/// linear(x, W, 0) -> linear(x, W): a zero bias costs a pass over the output.
struct DropZeroBias : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getBias() || !matchPattern(op.getBias(), m_AnyZeroFloat()))
      return failure();
    auto replacement = rewriter.replaceOpWithNewOp<LinearOp>(
        op, op.getType(), op.getInput(), op.getWeight(), Value());
    replacement->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    return success();
  }
};
} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<DropZeroBias>(context);
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

static LogicalResult verifyNorm(Operation *op, Value input, Value result,
                                Value gamma, Value beta, FloatAttr epsilon) {
  if (shapeOf(input).empty())
    return op->emitOpError("input must have rank >= 1");
  if (failed(expectChannelVector(op, "gamma", gamma, input)))
    return failure();
  if (beta && failed(expectChannelVector(op, "beta", beta, input)))
    return failure();
  if (!(epsilon.getValueAsDouble() > 0.0))
    return op->emitOpError("epsilon must be positive, got ")
           << epsilon.getValueAsDouble();
  if (failed(expectShape(op, "result", result, shapeOf(input))))
    return failure();
  return expectSameElementType(op, result, input);
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getInput(), getResult(), getGamma(), getBeta(),
                    getEpsilonAttr());
}

LogicalResult RmsNormOp::verify() {
  return verifyNorm(*this, getInput(), getResult(), getGamma(), Value(),
                    getEpsilonAttr());
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::verify() {
  ArrayRef<int64_t> l = shapeOf(getLhs()), r = shapeOf(getRhs());
  if (r.size() > l.size())
    return emitOpError("right operand ")
           << shapeStr(r) << " has more dimensions than the left " << shapeStr(l);
  for (size_t i = 0; i < r.size(); ++i)
    if (!compatible(r[r.size() - 1 - i], l[l.size() - 1 - i]))
      return emitOpError("right operand ")
             << shapeStr(r) << " does not broadcast to " << shapeStr(l);
  if (elementType(getLhs()) != elementType(getRhs()))
    return emitOpError("operand element types differ: ")
           << elementType(getLhs()) << " and " << elementType(getRhs());
  return success();
}

OpFoldResult AddOp::fold(FoldAdaptor) {
  // x + 0 -> x (the result type is the type of x).
  if (matchPattern(getRhs(), m_AnyZeroFloat()))
    return getLhs();
  return {};
}

LogicalResult SwiGluOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.empty())
    return emitOpError("input must have rank >= 1");
  if (!ShapedType::isDynamic(in.back()) && in.back() % 2 != 0)
    return emitOpError("last dimension ")
           << in.back() << " must be even (gate and up halves)";
  SmallVector<int64_t> expected(in.begin(), in.end());
  if (!ShapedType::isDynamic(in.back()))
    expected.back() = in.back() / 2;
  if (failed(expectShape(*this, "result", getResult(), expected)))
    return failure();
  return expectSameElementType(*this, getResult(), getInput());
}

LogicalResult SplitOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.empty())
    return emitOpError("input must have rank >= 1");
  if (getResults().empty())
    return emitOpError("needs at least one result");
  int64_t total = 0;
  for (auto [i, r] : llvm::enumerate(getResults())) {
    ArrayRef<int64_t> rs = shapeOf(r);
    if (rs.size() != in.size() || !leadingCompatible(rs, in, in.size() - 1))
      return emitOpError("result #")
             << i << " " << shapeStr(rs)
             << " must match the input " << shapeStr(in)
             << " in all but the last dimension";
    if (ShapedType::isDynamic(rs.back()))
      return emitOpError("result #") << i << " needs a static last dimension";
    total += rs.back();
    if (failed(expectSameElementType(*this, r, getInput())))
      return failure();
  }
  if (!ShapedType::isDynamic(in.back()) && total != in.back())
    return emitOpError("result widths add up to ")
           << total << " but the input is " << in.back() << " wide";
  return success();
}

/// Column offset of result `index` in the input.
int64_t SplitOp::getOffset(unsigned index) {
  int64_t offset = 0;
  for (unsigned i = 0; i < index; ++i)
    offset += shapeOf(getResult(i)).back();
  return offset;
}

LogicalResult SplitOp::fold(FoldAdaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() != 1 || getResult(0).getType() != getInput().getType())
    return failure();
  results.push_back(getInput());
  return success();
}

LogicalResult BroadcastOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  if (out.size() < in.size())
    return emitOpError("result ")
           << shapeStr(out) << " has fewer dimensions than the input "
           << shapeStr(in);
  size_t added = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (out[added + i] != in[i])
      return emitOpError("result ")
             << shapeStr(out) << " must end with the input shape "
             << shapeStr(in);
  size_t dynamic = llvm::count_if(out.take_front(added), ShapedType::isDynamic);
  if (dynamic != getDynamicSizes().size())
    return emitOpError("expects ")
           << dynamic << " size operand(s), one per dynamic new dimension, got "
           << getDynamicSizes().size();
  return expectSameElementType(*this, getResult(), getInput());
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  if (getType() == getInput().getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// RopeOp and AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() < 2)
    return emitOpError("input must be [..., sequence, heads * head_dim]");
  if (getHeadDim() % 2 != 0)
    return emitOpError("head_dim ") << getHeadDim() << " must be even";
  int64_t width = getHeads() * getHeadDim();
  if (in.back() != width)
    return emitOpError("input width ")
           << in.back() << " is not heads x head_dim = " << getHeads() << " x "
           << getHeadDim() << " = " << width;
  if (!(getThetaAttr().getValueAsDouble() > 0.0))
    return emitOpError("theta must be positive");
  return success();
}

LogicalResult AttentionOp::verify() {
  Value q = getQuery(), k = getKey(), v = getValue();
  ArrayRef<int64_t> qs = shapeOf(q), ks = shapeOf(k), vs = shapeOf(v);
  if (qs.size() < 2)
    return emitOpError("query must be [..., sequence, heads * head_dim]");
  if (ks.size() != qs.size() || vs.size() != qs.size())
    return emitOpError("query, key and value must have the same rank");
  int64_t heads = getHeads(), kvHeads = getKvHeads(), headDim = getHeadDim();
  if (qs.back() != heads * headDim)
    return emitOpError("query width ")
           << qs.back() << " is not heads x head_dim = " << heads << " x "
           << headDim << " = " << heads * headDim;
  if (heads % kvHeads != 0)
    return emitOpError("heads ")
           << heads << " is not a multiple of kv_heads " << kvHeads;
  int64_t kvWidth = kvHeads * headDim;
  if (ks.back() != kvWidth || vs.back() != kvWidth)
    return emitOpError("key/value width must be kv_heads x head_dim = ")
           << kvHeads << " x " << headDim << " = " << kvWidth << ", got "
           << ks.back() << " and " << vs.back();
  size_t batch = qs.size() - 2;
  if (!leadingCompatible(qs, ks, batch) || !leadingCompatible(qs, vs, batch))
    return emitOpError("query, key and value batch dimensions differ: ")
           << shapeStr(qs) << ", " << shapeStr(ks) << ", " << shapeStr(vs);
  if (!compatible(ks[batch], vs[batch]))
    return emitOpError("key and value have different numbers of rows: ")
           << ks[batch] << " and " << vs[batch];
  if (!(getScaleAttr().getValueAsDouble() > 0.0))
    return emitOpError("scale must be positive");
  if (getWindow() && !getCausal())
    return emitOpError("a sliding window needs causal attention");

  int64_t keys = ks[batch];
  auto caches = getCaches();
  if (!caches.empty() || getPosition()) {
    if (caches.size() != 2 || !getPosition())
      return emitOpError("a KV cache needs a key cache, a value cache and a "
                         "position");
    if (caches[0].getType() != caches[1].getType())
      return emitOpError("key and value caches must have the same type");
    ArrayRef<int64_t> cs = shapeOf(caches[0]);
    // An int8 cache row holds each kv head's values and its f32 scale.
    int64_t rowWidth = kvWidth;
    if (cast<ShapedType>(caches[0].getType()).getElementType().isInteger(8))
      rowWidth = getKvHeads() * (getHeadDim() + 4);
    if (cs.size() != qs.size() || cs.back() != rowWidth ||
        !leadingCompatible(cs, qs, batch))
      return emitOpError("cache type ")
             << caches[0].getType() << " must be [batch..., capacity, "
             << rowWidth << "] matching the query batch dimensions"
             << (rowWidth != kvWidth ? " (int8: kv_heads x (head_dim + 4 scale bytes))"
                                     : "");
    if (!compatible(ks[batch], qs[batch]))
      return emitOpError("with a KV cache, key rows (")
             << ks[batch] << ") must equal query rows (" << qs[batch] << ")";
    keys = cs[batch];
  }
  if (getNumResults() != 1 + caches.size())
    return emitOpError("expects ")
           << 1 + caches.size() << " result(s): the output"
           << (caches.empty() ? "" : " and the two updated caches") << ", got "
           << getNumResults();
  for (auto [cache, updated] : llvm::zip(caches, getUpdatedCaches()))
    if (cache.getType() != updated.getType())
      return emitOpError("updated cache type ")
             << updated.getType() << " differs from the cache type "
             << cache.getType();

  if (Value mask = getKeyMask()) {
    ArrayRef<int64_t> ms = shapeOf(mask);
    if (ms.size() != batch + 1 || !leadingCompatible(ms, qs, batch))
      return emitOpError("key mask ")
             << shapeStr(ms) << " must be [batch..., keys] matching the query "
             << shapeStr(qs);
    if (!ShapedType::isDynamic(ms.back()) && !ShapedType::isDynamic(keys) &&
        ms.back() > keys)
      return emitOpError("key mask covers ")
             << ms.back() << " keys but there are only " << keys;
  }
  if (failed(expectShape(*this, "output", getOutput(), qs)))
    return failure();
  return expectSameElementType(*this, getOutput(), q);
}

//===----------------------------------------------------------------------===//
// Embedding, head, splice, regroup
//===----------------------------------------------------------------------===//

int64_t EmbedOp::getVocabSize() {
  return getBaseVocab() + shapeOf(getExtra())[0];
}

LogicalResult EmbedOp::verify() {
  ArrayRef<int64_t> t = shapeOf(getTable()), e = shapeOf(getExtra());
  if (t.size() != 2 || e.size() != 2)
    return emitOpError("tables must be [rows, width], got ")
           << shapeStr(t) << " and " << shapeStr(e);
  if (t[1] != e[1])
    return emitOpError("table width ")
           << t[1] << " differs from the extra table width " << e[1];
  if ((int64_t)getBaseVocab() > t[0])
    return emitOpError("base_vocab ")
           << getBaseVocab() << " exceeds the table's " << t[0] << " rows";
  SmallVector<int64_t> expected(shapeOf(getIds()));
  expected.push_back(t[1]);
  return expectShape(*this, "result", getResult(), expected);
}

LogicalResult LmHeadOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight()),
                    ew = shapeOf(getExtraWeight());
  if (in.empty())
    return emitOpError("input must have rank >= 1");
  if (w.size() != 2 || ew.size() != 2)
    return emitOpError("weights must be [rows, width], got ")
           << shapeStr(w) << " and " << shapeStr(ew);
  if (!compatible(in.back(), w[1]) || w[1] != ew[1])
    return emitOpError("input width ")
           << in.back() << " does not match the weights " << shapeStr(w)
           << " and " << shapeStr(ew);
  if (failed(expectShape(*this, "bias", getBias(), {w[0]})) ||
      failed(expectShape(*this, "extra bias", getExtraBias(), {ew[0]})))
    return failure();
  if ((int64_t)getBaseVocab() > w[0])
    return emitOpError("base_vocab ")
           << getBaseVocab() << " exceeds the weight's " << w[0] << " rows";
  SmallVector<int64_t> expected(in.begin(), in.end());
  expected.back() = getBaseVocab() + ew[0];
  if (failed(expectShape(*this, "result", getResult(), expected)))
    return failure();
  return expectSameElementType(*this, getResult(), getInput());
}

LogicalResult SpliceOp::verify() {
  ArrayRef<int64_t> e = shapeOf(getEmbeds()), ids = shapeOf(getIds()),
                    vis = shapeOf(getVision());
  if (e.size() != 2 || vis.size() != 2 || ids.size() != 1)
    return emitOpError("expects embeds [S, D], ids [S] and vision [V, D]");
  if (!compatible(e[0], ids[0]))
    return emitOpError("embeds have ")
           << e[0] << " rows but there are " << ids[0] << " ids";
  if (!compatible(e[1], vis[1]))
    return emitOpError("vision width ")
           << vis[1] << " differs from the embedding width " << e[1];
  if (!ShapedType::isDynamic(e[0]) && !ShapedType::isDynamic(vis[0]) &&
      vis[0] > e[0])
    return emitOpError("more vision tokens (")
           << vis[0] << ") than sequence rows (" << e[0] << ")";
  if (elementType(getVision()) != elementType(getEmbeds()))
    return emitOpError("vision and embedding element types differ");
  return success();
}

OpFoldResult SpliceOp::fold(FoldAdaptor) {
  // No vision tokens: nothing to replace.
  if (shapeOf(getVision())[0] == 0)
    return getEmbeds();
  return {};
}

LogicalResult AnyresRegroupOp::verify() {
  ArrayRef<int64_t> f = shapeOf(getFeatures());
  if (f.size() != 3)
    return emitOpError("features must be [views, tokens, channels], got ")
           << shapeStr(f);
  int64_t tokens = f[1];
  int64_t side = std::llround(std::sqrt((double)tokens));
  if (ShapedType::isDynamic(tokens) || side * side != tokens)
    return emitOpError("tokens per view (")
           << (ShapedType::isDynamic(tokens) ? "?" : std::to_string(tokens))
           << ") must be a static square number";
  if (failed(expectShape(*this, "groups", getGroups(), f)) ||
      failed(expectShape(*this, "mask", getMask(), {f[0], f[1]})) ||
      failed(expectSameElementType(*this, getGroups(), getFeatures())))
    return failure();
  APInt rows, cols;
  if (!ShapedType::isDynamic(f[0]) && matchPattern(getRows(), m_ConstantInt(&rows)) &&
      matchPattern(getCols(), m_ConstantInt(&cols))) {
    int64_t expected = 1 + rows.getSExtValue() * cols.getSExtValue();
    if (f[0] != expected)
      return emitOpError("a ")
             << rows.getSExtValue() << "x" << cols.getSExtValue()
             << " grid needs " << expected << " views (global + crops), got "
             << f[0];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LayerStackOp
//===----------------------------------------------------------------------===//

/// The type of one layer's slice of a stacked value.
static RankedTensorType dropLeadingDim(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return RankedTensorType::get(rt.getShape().drop_front(), rt.getElementType(),
                               rt.getEncoding());
}

LogicalResult LayerStackOp::verify() {
  int64_t layers = getLayers();
  for (auto [i, v] : llvm::enumerate(getPerLayer())) {
    ArrayRef<int64_t> s = shapeOf(v);
    if (s.empty() || s[0] != layers)
      return emitOpError("per_layer operand #")
             << i << " of type " << v.getType()
             << " must have a leading dimension equal to the layer count "
             << layers;
  }
  if (getNumResults() < getCarry().size())
    return emitOpError("expects at least ")
           << getCarry().size() << " result(s), one per carried value";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getCarry(), getCarryResults())))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return emitOpError("carry result #")
             << i << " has type " << std::get<1>(pair).getType()
             << " but the carried value has type " << std::get<0>(pair).getType();
  for (auto [i, r] : llvm::enumerate(getStackedResults())) {
    auto rt = dyn_cast<RankedTensorType>(r.getType());
    if (!rt || rt.getRank() < 1 || rt.getDimSize(0) != layers)
      return emitOpError("stacked result #")
             << i << " of type " << r.getType()
             << " must be a tensor with leading dimension " << layers;
  }
  return success();
}

LogicalResult LayerStackOp::verifyRegions() {
  Block &body = getBodyBlock();
  size_t nc = getCarry().size(), np = getPerLayer().size(),
         ns = getShared().size();
  if (body.getNumArguments() != nc + np + ns)
    return emitOpError("body expects ")
           << nc + np + ns << " arguments (" << nc << " carry, " << np
           << " per_layer, " << ns << " shared), got " << body.getNumArguments();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getCarry(), getCarryArgs())))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return emitOpError("carry argument #") << i << " has the wrong type";
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(getPerLayer(), getPerLayerArgs())))
    if (dropLeadingDim(std::get<0>(pair).getType()) !=
        std::get<1>(pair).getType())
      return emitOpError("per_layer argument #")
             << i << " must have type "
             << dropLeadingDim(std::get<0>(pair).getType()) << ", got "
             << std::get<1>(pair).getType();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getShared(), getSharedArgs())))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return emitOpError("shared argument #") << i << " has the wrong type";

  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end with xgenmm.yield");
  if (yield.getValues().size() != getNumResults())
    return emitOpError("body yields ")
           << yield.getValues().size() << " value(s) but the stack has "
           << getNumResults() << " result(s)";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(yield.getValues(), getResults()))) {
    Type yielded = std::get<0>(pair).getType(), result = std::get<1>(pair).getType();
    Type expected = i < nc ? result : Type(dropLeadingDim(result));
    if (yielded != expected)
      return emitOpError("yielded value #")
             << i << " has type " << yielded << ", expected " << expected;
  }
  return success();
}

namespace {
/// Drops per_layer and shared operands whose block argument is unused: a
/// weight nobody reads should not be loaded, packed or sliced per layer.
struct DropUnusedStackInputs : OpRewritePattern<LayerStackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerStackOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBodyBlock();
    llvm::BitVector dead(body.getNumArguments());
    SmallVector<Value> perLayer, shared;
    for (auto [arg, v] : llvm::zip(op.getPerLayerArgs(), op.getPerLayer())) {
      if (arg.use_empty())
        dead.set(arg.getArgNumber());
      else
        perLayer.push_back(v);
    }
    for (auto [arg, v] : llvm::zip(op.getSharedArgs(), op.getShared())) {
      if (arg.use_empty())
        dead.set(arg.getArgNumber());
      else
        shared.push_back(v);
    }
    if (dead.none())
      return failure();
    auto newOp = LayerStackOp::create(
        rewriter, op.getLoc(), op.getResultTypes(), op.getLayersAttr(),
        op.getCarry(), perLayer, shared);
    rewriter.inlineRegionBefore(op.getBody(), newOp.getBody(),
                                newOp.getBody().end());
    newOp.getBodyBlock().eraseArguments(dead);
    rewriter.replaceOp(op, newOp.getResults());
    return success();
  }
};
} // namespace

void LayerStackOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<DropUnusedStackInputs>(context);
}

#define GET_OP_CLASSES
#include "dialects/XgenmmOps.cpp.inc"
