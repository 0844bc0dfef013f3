//===- QuantizeWeights.cpp - dense weights stored group-quantized ---------===//
//
// linear(x, W) with W a checkpoint tensor [N, K] of a selected model part
// becomes quantized_linear(x, values, scales) (int8, or int4 two values per
// byte with `bits 4`) over two references of the
// same tensor marked #xgenmm.quant: the compiler quantizes when it writes
// weights.bin (frontend/Quantize.h), so the IR never holds the numbers.
// Stacked weights stay stacked: the stack passes the two new per-layer
// operands instead of the old one.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/LoweringUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMQUANTIZEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// Checkpoint-name prefixes of the model parts.
std::optional<StringRef> partPrefix(StringRef part) {
  if (part == "vision")
    return StringRef("vlm.vision_encoder.");
  if (part == "resampler")
    return StringRef("vlm.vision_tokenizer.");
  if (part == "language")
    return StringRef("vlm.lang_model.model.");
  if (part == "head")
    return StringRef("vlm.lang_model.lm_head.weight");
  return std::nullopt;
}

/// lm_head(x, W, b, Wa, ba) -> concat(linear(x, W, b)[..., :base],
/// linear(x, Wa, ba)) where W is a weight of a selected part: W becomes a
/// linear's weight, which the pass quantizes like any other. All V rows are
/// multiplied (Phi-3: 52 unused of 32064, 0.2% more work, none more bytes
/// than the packed tensor holds anyway).
void decomposeLmHeads(ModuleOp module, ArrayRef<StringRef> prefixes) {
  SmallVector<LmHeadOp> heads;
  module.walk([&](LmHeadOp head) {
    auto w = head.getWeight().getDefiningOp<WeightOp>();
    if (w && !w.getQuant() &&
        llvm::any_of(prefixes, [&](StringRef p) { return w.getName().starts_with(p); }))
      heads.push_back(head);
  });
  for (LmHeadOp head : heads) {
    OpBuilder b(head);
    Location loc = head.getLoc();
    Value x = head.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    int64_t vocab = cast<RankedTensorType>(head.getWeight().getType()).getDimSize(0);
    SmallVector<int64_t> shape(xType.getShape());
    shape.back() = vocab;
    Value all = LinearOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), x,
                                 head.getWeight(), head.getBias());
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, all);
    sizes.back() = b.getIndexAttr(head.getBaseVocab());
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    shape.back() = head.getBaseVocab();
    Value base = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(shape, b.getF32Type()), all, offsets, sizes, strides);
    shape.back() = cast<RankedTensorType>(head.getExtraWeight().getType()).getDimSize(0);
    Value extra = LinearOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), x,
                                   head.getExtraWeight(), head.getExtraBias());
    Value logits = tensor::ConcatOp::create(b, loc, head.getType(), rank - 1,
                                            ValueRange{base, extra});
    head.getResult().replaceAllUsesWith(logits);
    head.erase();
  }
}

/// True if every use of `v` is the weight operand of an xgenmm.linear.
bool onlyLinearWeights(Value v) {
  return llvm::all_of(v.getUses(), [](OpOperand &use) {
    return isa<LinearOp>(use.getOwner()) && use.getOperandNumber() == 1;
  });
}

/// True if every use of the weight is a linear's weight, directly or as a
/// per-layer operand of a layer stack whose block argument is.
bool quantizable(WeightOp w) {
  for (OpOperand &use : w.getResult().getUses()) {
    Operation *user = use.getOwner();
    if (isa<LinearOp>(user) && use.getOperandNumber() == 1)
      continue;
    auto stack = dyn_cast<LayerStackOp>(user);
    if (!stack)
      return false;
    unsigned first = stack.getCarry().size();
    unsigned index = use.getOperandNumber() - first;
    if (use.getOperandNumber() < first || index >= stack.getPerLayer().size() ||
        !onlyLinearWeights(stack.getPerLayerArgs()[index]))
      return false;
  }
  return !w.getResult().use_empty();
}

/// The per-layer type of a (possibly stacked) tensor type.
RankedTensorType perLayer(RankedTensorType t) {
  return RankedTensorType::get(t.getShape().drop_front(), t.getElementType());
}

struct XgenmmQuantizeWeightsPass
    : xgenmm::impl::XgenmmQuantizeWeightsBase<XgenmmQuantizeWeightsPass> {
  using XgenmmQuantizeWeightsBase::XgenmmQuantizeWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (scheme != "int8" && scheme != "int4") {
      module.emitError("xgenmm-quantize-weights: scheme must be int8 or int4, got '")
          << scheme << "'";
      return signalPassFailure();
    }
    if (scheme == "int4" && groupSize % 2 != 0) {
      module.emitError("xgenmm-quantize-weights: int4 groups hold pairs: group-size must "
                       "be even, got ")
          << (int64_t)groupSize;
      return signalPassFailure();
    }
    if (groupSize <= 0) {
      module.emitError("xgenmm-quantize-weights: group-size must be positive, got ")
          << (int64_t)groupSize;
      return signalPassFailure();
    }
    SmallVector<StringRef> prefixes;
    for (const std::string &part : parts) {
      std::optional<StringRef> prefix = partPrefix(part);
      if (!prefix) {
        module.emitError("xgenmm-quantize-weights: unknown part '")
            << part << "' (known: vision, resampler, language, head)";
        return signalPassFailure();
      }
      prefixes.push_back(*prefix);
    }
    if (prefixes.empty())
      prefixes.push_back(*partPrefix("language"));
    decomposeLmHeads(module, prefixes);

    SmallVector<WeightOp> selected;
    WalkResult result = module.walk([&](WeightOp w) {
      if (w.getQuant() ||
          !llvm::any_of(prefixes, [&](StringRef p) { return w.getName().starts_with(p); }))
        return WalkResult::advance();
      if (!quantizable(w))
        return WalkResult::advance(); // Not (only) a dense layer's weight.
      auto type = cast<RankedTensorType>(w.getType());
      int64_t k = type.getShape().back();
      if (k % groupSize != 0) {
        w.emitError("cannot quantize weight '")
            << w.getName() << "' in groups of " << (int64_t)groupSize << ": its in-features ("
            << k << ") are not a multiple of the group size";
        return WalkResult::interrupt();
      }
      selected.push_back(w);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    for (WeightOp w : selected) {
      if (simulate) {
        int64_t panel = panelFor(w);
        w.setQuantAttr(QuantAttr::get(w.getContext(), scheme, groupSize, "dequantized",
                                      panel ? "vnni" : "kmajor"));
        if (panel) {
          auto group = IntegerAttr::get(IntegerType::get(w.getContext(), 64), groupSize);
          forEachLinear(w.getResult(),
                        [&](LinearOp l) { l->setAttr(lowering::kActivationGroupAttr, group); });
        }
      } else {
        quantize(w);
      }
    }
  }

  /// The VNNI panel width of `w`'s values, or 0 for the K-major layout.
  int64_t panelFor(WeightOp w) {
    if (!vnni)
      return 0;
    auto type = cast<RankedTensorType>(w.getType());
    return lowering::vnniPanel(type.getShape()[type.getRank() - 2], groupSize);
  }

  /// Calls `f` on every linear whose weight is `weight` (directly or as a
  /// layer stack's per-layer operand).
  static void forEachLinear(Value weight, function_ref<void(LinearOp)> f) {
    for (OpOperand &use : weight.getUses()) {
      if (auto linear = dyn_cast<LinearOp>(use.getOwner())) {
        if (use.getOperandNumber() == 1)
          f(linear);
      } else if (auto stack = dyn_cast<LayerStackOp>(use.getOwner())) {
        unsigned nc = stack.getCarry().size();
        if (use.getOperandNumber() >= nc)
          forEachLinear(stack.getBodyBlock().getArgument(use.getOperandNumber()), f);
      }
    }
  }

  void quantize(WeightOp w) {
    MLIRContext *ctx = w.getContext();
    OpBuilder b(w);
    Location loc = w.getLoc();
    auto type = cast<RankedTensorType>(w.getType());
    bool stacked = w.getLayers().has_value();
    int64_t n = type.getShape()[type.getRank() - 2], k = type.getShape().back();
    SmallVector<int64_t> valuesShape, scalesShape;
    if (stacked) {
      valuesShape.push_back(type.getDimSize(0));
      scalesShape.push_back(type.getDimSize(0));
    }
    // int4: two values per byte, pairs along K; or VNNI panels (int4: 8 K
    // per 4-byte lane, int8: 4 K).
    int64_t panel = panelFor(w);
    if (panel) {
      valuesShape.append({n / panel, k / (scheme == "int4" ? 8 : 4), 4 * panel});
      scalesShape.append({n / panel, k / groupSize, panel});
    } else {
      valuesShape.append({scheme == "int4" ? k / 2 : k, n});
      scalesShape.append({k / groupSize, n});
    }
    auto valuesType = RankedTensorType::get(valuesShape, b.getI8Type());
    auto scalesType =
        RankedTensorType::get(scalesShape, panel ? Type(b.getF16Type()) : b.getF32Type());
    auto make = [&](RankedTensorType t, StringRef part) {
      return WeightOp::create(b, loc, t, w.getNameAttr(), w.getLayersAttr(),
                              QuantAttr::get(ctx, scheme, groupSize, part,
                                             panel ? "vnni" : "kmajor"),
                              w.getSourcesAttr())
          .getResult();
    };
    Value values = make(valuesType, "values"), scales = make(scalesType, "scales");

    auto rewriteLinears = [&](Value weight, Value q, Value s) {
      for (OpOperand &use : llvm::make_early_inc_range(weight.getUses())) {
        auto linear = cast<LinearOp>(use.getOwner());
        OpBuilder lb(linear);
        Value y = QuantizedLinearOp::create(lb, linear.getLoc(), linear.getType(),
                                            linear.getInput(), q, s, linear.getBias(),
                                            lb.getI64IntegerAttr(groupSize),
                                            lb.getI64IntegerAttr(scheme == "int4" ? 4 : 8));
        linear.getResult().replaceAllUsesWith(y);
        linear.erase();
      }
    };
    for (OpOperand &use : llvm::make_early_inc_range(w.getResult().getUses())) {
      auto stack = dyn_cast<LayerStackOp>(use.getOwner());
      if (!stack)
        continue;
      Block &body = stack.getBodyBlock();
      unsigned nc = stack.getCarry().size();
      unsigned index = use.getOperandNumber() - nc;
      unsigned end = nc + stack.getPerLayer().size();
      BlockArgument q = body.insertArgument(end, perLayer(valuesType), loc);
      BlockArgument s = body.insertArgument(end + 1, perLayer(scalesType), loc);
      stack.getPerLayerMutable().append(ValueRange{values, scales});
      rewriteLinears(body.getArgument(nc + index), q, s);
      stack.getPerLayerMutable().erase(index);
      body.eraseArgument(nc + index);
    }
    rewriteLinears(w.getResult(), values, scales);
    w.erase();
  }
};

} // namespace
