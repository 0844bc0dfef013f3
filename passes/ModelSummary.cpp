//===- ModelSummary.cpp - print parameters, layers and FLOPs --------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMMODELSUMMARY
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

/// Product of the static sizes of `shape`, dynamic sizes counted as 1.
int64_t staticProduct(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= ShapedType::isDynamic(d) ? 1 : d;
  return n;
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// "vlm.vision_encoder.encoder.layers.{}.x" -> "vlm.vision_encoder".
StringRef componentOf(StringRef name) {
  size_t first = name.find('.');
  if (first == StringRef::npos)
    return name;
  size_t second = name.find('.', first + 1);
  return second == StringRef::npos ? name : name.take_front(second);
}

std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

struct FunctionStats {
  llvm::MapVector<StringRef, int64_t> opCounts; // op name -> executions
  double linearFlops = 0;    // linear + patch_embed, dynamic dims = 1
  double attentionFlopsPerPair = 0;
  int64_t stacks = 0;
  int64_t stackedLayers = 0;
};

void collect(Operation *op, int64_t multiplier, FunctionStats &stats) {
  for (Region &region : op->getRegions())
    for (Block &block : region)
      for (Operation &inner : block) {
        if (inner.hasTrait<OpTrait::IsTerminator>())
          continue;
        stats.opCounts[inner.getName().getStringRef()] += multiplier;
        if (auto linear = dyn_cast<LinearOp>(inner)) {
          ArrayRef<int64_t> w = shapeOf(linear.getWeight());
          stats.linearFlops += 2.0 * multiplier *
                               staticProduct(shapeOf(linear.getInput()).drop_back()) *
                               w[0] * w[1];
        } else if (auto patch = dyn_cast<PatchEmbedOp>(inner)) {
          ArrayRef<int64_t> w = shapeOf(patch.getWeight());
          stats.linearFlops += 2.0 * multiplier *
                               staticProduct(shapeOf(patch.getResult()).drop_back()) *
                               staticProduct(w);
        } else if (auto head = dyn_cast<LmHeadOp>(inner)) {
          ArrayRef<int64_t> out = shapeOf(head.getResult());
          stats.linearFlops += 2.0 * multiplier * staticProduct(out) *
                               shapeOf(head.getWeight())[1];
        } else if (auto attn = dyn_cast<AttentionOp>(inner)) {
          // q.k and p.v: 2 multiply-adds per head dimension per head.
          stats.attentionFlopsPerPair +=
              4.0 * multiplier * attn.getHeads() * attn.getHeadDim() *
              staticProduct(shapeOf(attn.getQuery()).drop_back(2));
        } else if (auto stack = dyn_cast<LayerStackOp>(inner)) {
          ++stats.stacks;
          stats.stackedLayers += stack.getLayers();
          collect(&inner, multiplier * stack.getLayers(), stats);
          continue;
        }
        collect(&inner, multiplier, stats);
      }
}

struct XgenmmModelSummaryPass
    : xgenmm::impl::XgenmmModelSummaryBase<XgenmmModelSummaryPass> {
  using XgenmmModelSummaryBase::XgenmmModelSummaryBase;

  void runOnOperation() override {
    std::string error;
    auto file = openOutputFile(outputFile, &error);
    if (!file) {
      getOperation().emitError("cannot open summary output '")
          << outputFile << "': " << error;
      return signalPassFailure();
    }
    print(file->os());
    file->keep();
    markAllAnalysesPreserved();
  }

  void print(raw_ostream &os) {
    ModuleOp module = getOperation();

    // Parameters: each checkpoint tensor once, even if several functions
    // reference it (prefill and decode share the language model).
    struct Component {
      int64_t params = 0, bytes = 0, tensors = 0;
      std::map<std::string, int64_t> bytesByDtype;
    };
    llvm::StringMap<bool> seen;
    std::map<std::string, Component> components;
    module.walk([&](WeightOp w) {
      if (!seen.try_emplace(w.getName(), true).second)
        return;
      auto type = cast<RankedTensorType>(w.getType());
      Type stored = type.getElementType();
      if (auto sources = w.getSources(); sources && !sources->empty())
        stored = cast<SourceAttr>((*sources)[0]).getDtype();
      int64_t bytes = type.getNumElements() * stored.getIntOrFloatBitWidth() / 8;
      Component &c = components[componentOf(w.getName()).str()];
      c.params += type.getNumElements();
      c.bytes += bytes;
      c.tensors += w.getLayers() ? *w.getLayers() : 1;
      c.bytesByDtype[typeName(stored)] += bytes;
    });

    Component total;
    os << "== xgenmm model summary ==\n";
    os << llvm::formatv("{0,-28} {1,16} {2,10} {3,14}\n", "component",
                        "parameters", "tensors", "MiB");
    for (auto &[name, c] : components) {
      os << llvm::formatv("{0,-28} {1,16} {2,10} {3,14:F1}\n", name, c.params,
                          c.tensors, c.bytes / 1048576.0);
      total.params += c.params;
      total.bytes += c.bytes;
      total.tensors += c.tensors;
      for (auto &[dtype, b] : c.bytesByDtype)
        total.bytesByDtype[dtype] += b;
    }
    os << llvm::formatv("{0,-28} {1,16} {2,10} {3,14:F1}\n", "total",
                        total.params, total.tensors, total.bytes / 1048576.0);
    os << "stored dtypes:";
    for (auto &[dtype, b] : total.bytesByDtype)
      os << llvm::formatv(" {0} {1:F1} MiB", dtype, b / 1048576.0);
    os << "\n";

    for (auto func : module.getOps<func::FuncOp>()) {
      FunctionStats stats;
      collect(func, 1, stats);
      os << "\n== @" << func.getSymName() << " " << func.getFunctionType()
         << "\n";
      os << llvm::formatv("layer stacks: {0} ({1} layers)\n", stats.stacks,
                          stats.stackedLayers);
      os << llvm::formatv(
          "linear, patch-embed and lm_head FLOPs (dynamic dims = 1): {0} ({1:F3} GFLOP)\n",
          (int64_t)stats.linearFlops, stats.linearFlops / 1e9);
      os << llvm::formatv("attention FLOPs per query-key pair: {0}\n",
                          (int64_t)stats.attentionFlopsPerPair);
      os << "ops executed (layer stacks multiplied out):\n";
      SmallVector<std::pair<StringRef, int64_t>> counts(stats.opCounts.begin(),
                                                        stats.opCounts.end());
      llvm::sort(counts, [](auto &a, auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      for (auto &[name, n] : counts)
        os << llvm::formatv("  {0,-28} {1,8}\n", name, n);
    }
  }
};

} // namespace
