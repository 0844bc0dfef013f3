//===- BindWeights.cpp - weights as views of one buffer -------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMBINDWEIGHTS
#define GEN_PASS_DEF_XGENMMEXPORTENTRYPOINTS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

constexpr int64_t kAlignment = 64; // runtime/ArtifactAbi.h kWeightAlignment
constexpr llvm::StringLiteral kEntryPoints[] = {"encode_image", "prefill", "decode"};
/// Arguments of each entry point in the artifact's C ABI
/// (runtime/ArtifactAbi.h), weights buffer and out-parameters included.
constexpr unsigned kEntryPointArity[] = {7, 7, 6};

/// The storage element type of `w` under the dtype policy. Quantized values
/// and scales keep theirs.
Type storageType(WeightOp w, StringRef dtype) {
  auto t = cast<RankedTensorType>(w.getType());
  Builder b(w.getContext());
  if (dtype == "stored" || (w.getQuant() && w.getQuant()->getPart() != "dequantized"))
    return t.getElementType();
  int64_t perLayerRank = t.getRank() - (w.getLayers() ? 1 : 0);
  bool matrix = perLayerRank >= 2 && !w.getName().ends_with(".latents");
  if (dtype == "bf16" && matrix)
    return b.getBF16Type();
  return b.getF32Type();
}

/// Weights are laid out once per name, and per part for quantized ones
/// (their values and scales come from the same checkpoint tensor).
std::string slotKey(WeightOp w) {
  std::string key = w.getName().str();
  if (auto quant = w.getQuant())
    key += "#" + quant->getPart().str();
  return key;
}

struct Slot {
  int64_t offset;
  RankedTensorType type;
};

struct XgenmmBindWeightsPass
    : xgenmm::impl::XgenmmBindWeightsBase<XgenmmBindWeightsPass> {
  using XgenmmBindWeightsBase::XgenmmBindWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (dtype != "f32" && dtype != "bf16" && dtype != "stored") {
      module.emitError("xgenmm-bind-weights: dtype must be f32, bf16 or stored, got '")
          << dtype << "'";
      return signalPassFailure();
    }
    OpBuilder b(module.getContext());

    // Layout: each distinct name once, in order of first appearance.
    llvm::StringMap<Slot> slots;
    SmallVector<Attribute> layout;
    int64_t size = 0;
    WalkResult conflict = module.walk([&](WeightOp w) {
      auto t = cast<RankedTensorType>(w.getType());
      auto stored = RankedTensorType::get(t.getShape(), storageType(w, dtype));
      auto [it, inserted] = slots.try_emplace(slotKey(w), Slot{size, stored});
      if (!inserted) {
        if (it->second.type != stored) {
          w.emitOpError("weight '") << w.getName() << "' is used with two shapes";
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      }
      int64_t bytes = t.getNumElements() *
                      (stored.getElementType().getIntOrFloatBitWidth() / 8);
      SmallVector<NamedAttribute> entry = {
          b.getNamedAttr("name", b.getStringAttr(w.getName())),
          b.getNamedAttr("offset", b.getI64IntegerAttr(size)),
          b.getNamedAttr("bytes", b.getI64IntegerAttr(bytes)),
          b.getNamedAttr("type", TypeAttr::get(stored))};
      if (w.getLayers())
        entry.push_back(b.getNamedAttr("layers", b.getI64IntegerAttr(*w.getLayers())));
      if (auto sources = w.getSources())
        entry.push_back(b.getNamedAttr("sources", *sources));
      // A quantized weight: the scheme, and for values and scales the
      // K-major layout (the writer quantizes [N, K], then transposes).
      if (auto quant = w.getQuant()) {
        entry.push_back(b.getNamedAttr("quant", *quant));
        if (quant->getPart() != "dequantized")
          entry.push_back(b.getNamedAttr("transposed", b.getBoolAttr(true)));
      }
      layout.push_back(b.getDictionaryAttr(entry));
      size = llvm::alignTo(size + bytes, kAlignment);
      return WalkResult::advance();
    });
    if (conflict.wasInterrupted())
      return signalPassFailure();
    module->setAttr("xgenmm.weight_layout", b.getArrayAttr(layout));
    module->setAttr("xgenmm.weight_bytes", b.getI64IntegerAttr(size));

    auto bufferType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    for (auto func : module.getOps<func::FuncOp>()) {
      if (llvm::is_contained(kEntryPoints, func.getSymName()))
        func.setPrivate();
      SmallVector<WeightOp> weights;
      func.walk([&](WeightOp w) { weights.push_back(w); });
      if (weights.empty())
        continue;
      if (failed(func.insertArgument(0, bufferType, {}, func.getLoc())))
        return signalPassFailure();
      Value buffer = func.getArgument(0);
      for (WeightOp w : weights) {
        const Slot &slot = slots.find(slotKey(w))->second;
        b.setInsertionPoint(w);
        Location loc = w.getLoc();
        Value offset = arith::ConstantIndexOp::create(b, loc, slot.offset);
        auto memrefType =
            MemRefType::get(slot.type.getShape(), slot.type.getElementType());
        Value view = memref::ViewOp::create(b, loc, memrefType, buffer, offset,
                                            ValueRange());
        Value tensor = bufferization::ToTensorOp::create(
            b, loc, slot.type, view, /*restrict=*/true, /*writable=*/false);
        retype(w, slot.type);
        w.getResult().replaceAllUsesWith(tensor);
        w.erase();
      }
    }
  }

  /// Stacked weights feed layer stacks: the per-layer block arguments take
  /// the new element type with them.
  static void retype(WeightOp w, RankedTensorType type) {
    for (OpOperand &use : w.getResult().getUses()) {
      auto stack = dyn_cast<LayerStackOp>(use.getOwner());
      if (!stack)
        continue;
      unsigned index = use.getOperandNumber() - stack.getCarry().size();
      if (index >= stack.getPerLayer().size())
        continue;
      BlockArgument arg = stack.getPerLayerArgs()[index];
      auto argType = cast<RankedTensorType>(arg.getType());
      arg.setType(RankedTensorType::get(argType.getShape(), type.getElementType()));
    }
  }
};

struct XgenmmExportEntryPointsPass
    : xgenmm::impl::XgenmmExportEntryPointsBase<XgenmmExportEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    for (auto [name, arity] : llvm::zip(kEntryPoints, kEntryPointArity)) {
      auto func = module.lookupSymbol<func::FuncOp>(name);
      if (!func)
        continue;
      if (func.getNumArguments() != arity) {
        func.emitOpError("entry point has ")
            << func.getNumArguments()
            << " arguments after bufferization; the artifact ABI "
               "(runtime/ArtifactAbi.h) expects "
            << arity;
        return signalPassFailure();
      }
      if (func.getNumResults() != 0) {
        func.emitOpError("entry point still returns ")
            << func.getNumResults()
            << " value(s) after bufferization; expected out-parameters only";
        return signalPassFailure();
      }
      std::string exported = ("xgenmm_" + name).str();
      if (failed(SymbolTable::replaceAllSymbolUses(
              func, b.getStringAttr(exported), module)))
        return signalPassFailure();
      func.setSymName(exported);
      func.setPublic();
      func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    }
  }
};

} // namespace
