//===- PlanBuffers.cpp - a static memory plan for the entry points --------===//
//
// After bufferization every intermediate buffer is a memref.alloc. This pass
// gives each one a fixed offset in one arena (a 64-byte aligned global of
// the model, allocated once when the model is loaded), so that no call
// allocates memory:
//
//  * sizes: dynamic sizes are bounded from above by evaluating the index
//    computations that produce them, given bounds on the entry points'
//    dynamic argument dimensions (`max-views` for the image views, the
//    rank-4 pixels; `max-tokens` for every other dynamic dimension, i.e.
//    the tokens of one call, which the runtime keeps within prefill's
//    max_tokens) and index arguments (`max-position`, the positions, which
//    the runtime keeps within the KV-cache capacity). A slice of a static
//    buffer is bounded by the buffer;
//  * lifetimes: from the allocation to the last use of the buffer or of any
//    view of it, where a use inside a loop (or other region) keeps the
//    buffer alive until the end of that region op;
//  * offsets: first fit, in order of allocation, among the buffers live at
//    the same time.
// Entry points run one at a time (the runtime serialises calls on a model),
// so all functions share the arena. A buffer whose size cannot be bounded,
// or that escapes its scope (yielded, returned), stays a memref.alloc and is
// reported with a remark.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMPLANBUFFERS
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

constexpr int64_t kAlign = 64;
constexpr llvm::StringLiteral kArena = "__xgenmm_arena";

/// Upper bounds of non-negative index values.
class Bounds {
public:
  Bounds(int64_t maxTokens, int64_t maxPosition, int64_t maxViews)
      : maxTokens(maxTokens), maxPosition(maxPosition), maxViews(maxViews) {}

  std::optional<int64_t> of(Value v) {
    auto it = cache.find(v);
    if (it != cache.end())
      return it->second;
    cache[v] = std::nullopt; // breaks cycles
    std::optional<int64_t> r = compute(v);
    cache[v] = r;
    return r;
  }

  /// Upper bound of dimension `d` of a memref/tensor value.
  std::optional<int64_t> dim(Value shaped, int64_t d) {
    auto type = cast<ShapedType>(shaped.getType());
    if (!type.isDynamicDim(d))
      return type.getDimSize(d);
    if (auto arg = dyn_cast<BlockArgument>(shaped)) {
      if (isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
        return type.getRank() == 4 ? maxViews : maxTokens;
      return std::nullopt;
    }
    Operation *def = shaped.getDefiningOp();
    auto nthDynamic = [&](ValueRange operands) -> std::optional<int64_t> {
      int64_t index = 0;
      for (int64_t i = 0; i < d; ++i)
        index += type.isDynamicDim(i);
      return of(operands[index]);
    };
    if (auto a = dyn_cast<memref::AllocOp>(def))
      return nthDynamic(a.getDynamicSizes());
    if (auto v = dyn_cast<memref::ViewOp>(def))
      return nthDynamic(v.getSizes());
    if (auto s = dyn_cast<memref::SubViewOp>(def)) {
      // A slice never exceeds its source: take the smaller bound.
      llvm::SmallBitVector dropped = s.getDroppedDims();
      int64_t srcDim = -1, seen = -1;
      for (int64_t i = 0; i < (int64_t)dropped.size() && seen < d; ++i)
        if (!dropped.test(i) && ++seen == d)
          srcDim = i;
      std::optional<int64_t> size;
      OpFoldResult ofr = s.getMixedSizes()[srcDim];
      if (auto attr = dyn_cast<Attribute>(ofr))
        size = cast<IntegerAttr>(attr).getInt();
      else
        size = of(cast<Value>(ofr));
      std::optional<int64_t> src = dim(s.getSource(), srcDim);
      if (size && src)
        return std::min(*size, *src);
      return size ? size : src;
    }
    if (auto c = dyn_cast<memref::CollapseShapeOp>(def)) {
      int64_t product = 1;
      for (int64_t i : c.getReassociationIndices()[d]) {
        std::optional<int64_t> b = dim(c.getSrc(), i);
        if (!b)
          return std::nullopt;
        product *= *b;
      }
      return product;
    }
    if (auto e = dyn_cast<memref::ExpandShapeOp>(def)) {
      OpFoldResult ofr = e.getMixedOutputShape()[d];
      if (auto attr = dyn_cast<Attribute>(ofr))
        return cast<IntegerAttr>(attr).getInt();
      return of(cast<Value>(ofr));
    }
    if (auto c = dyn_cast<memref::CastOp>(def))
      return dim(c.getSource(), d);
    return std::nullopt;
  }

private:
  std::optional<int64_t> compute(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *parent = arg.getOwner()->getParentOp();
      if (isa<FunctionOpInterface>(parent))
        return arg.getType().isIndex() ? std::optional<int64_t>(maxPosition)
                                       : std::nullopt;
      if (auto loop = dyn_cast<scf::ForOp>(parent))
        if (arg == loop.getInductionVar())
          if (auto ub = of(loop.getUpperBound()))
            return *ub - 1;
      return std::nullopt;
    }
    Operation *def = v.getDefiningOp();
    APInt c;
    if (matchPattern(v, m_ConstantInt(&c)))
      return c.getSExtValue();
    auto both = [&](auto fn) -> std::optional<int64_t> {
      std::optional<int64_t> a = of(def->getOperand(0)), b = of(def->getOperand(1));
      if (!a || !b)
        return std::nullopt;
      return fn(*a, *b);
    };
    if (isa<arith::AddIOp>(def))
      return both([](int64_t a, int64_t b) { return a + b; });
    if (isa<arith::MulIOp>(def))
      return both([](int64_t a, int64_t b) { return a * b; });
    if (isa<arith::MaxUIOp, arith::MaxSIOp>(def))
      return both([](int64_t a, int64_t b) { return std::max(a, b); });
    if (isa<arith::MinUIOp, arith::MinSIOp>(def)) {
      std::optional<int64_t> a = of(def->getOperand(0)), b = of(def->getOperand(1));
      if (a && b)
        return std::min(*a, *b);
      return a ? a : b;
    }
    if (isa<arith::SubIOp>(def)) // operands are non-negative sizes
      return of(def->getOperand(0));
    if (isa<arith::DivUIOp, arith::DivSIOp, arith::CeilDivUIOp, arith::CeilDivSIOp>(def)) {
      APInt d;
      std::optional<int64_t> a = of(def->getOperand(0));
      if (a && matchPattern(def->getOperand(1), m_ConstantInt(&d)) && d.getSExtValue() > 0)
        return (*a + d.getSExtValue() - 1) / d.getSExtValue();
      return a;
    }
    if (auto s = dyn_cast<arith::SelectOp>(def)) {
      std::optional<int64_t> a = of(s.getTrueValue()), b = of(s.getFalseValue());
      if (!a || !b)
        return std::nullopt;
      return std::max(*a, *b);
    }
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp, arith::ExtUIOp>(def))
      return of(def->getOperand(0));
    if (auto d = dyn_cast<memref::DimOp>(def))
      if (auto index = d.getConstantIndex())
        return dim(d.getSource(), *index);
    if (auto apply = dyn_cast<affine::AffineApplyOp>(def))
      return affine(apply.getAffineMap().getResult(0), apply.getMapOperands(),
                    apply.getAffineMap().getNumDims());
    if (auto min = dyn_cast<affine::AffineMinOp>(def)) {
      std::optional<int64_t> best;
      for (AffineExpr e : min.getAffineMap().getResults())
        if (auto b = affine(e, min.getMapOperands(), min.getAffineMap().getNumDims()))
          best = best ? std::min(*best, *b) : *b;
      return best;
    }
    if (auto max = dyn_cast<affine::AffineMaxOp>(def)) {
      std::optional<int64_t> best = 0;
      for (AffineExpr e : max.getAffineMap().getResults()) {
        auto b = affine(e, max.getMapOperands(), max.getAffineMap().getNumDims());
        if (!b)
          return std::nullopt;
        best = std::max(*best, *b);
      }
      return best;
    }
    return std::nullopt;
  }

  /// Upper bound of an affine expression of non-negative operands.
  std::optional<int64_t> affine(AffineExpr e, ValueRange operands, unsigned numDims) {
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return c.getValue();
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return of(operands[d.getPosition()]);
    if (auto s = dyn_cast<AffineSymbolExpr>(e))
      return of(operands[numDims + s.getPosition()]);
    auto bin = cast<AffineBinaryOpExpr>(e);
    std::optional<int64_t> l = affine(bin.getLHS(), operands, numDims);
    auto rc = dyn_cast<AffineConstantExpr>(bin.getRHS());
    switch (e.getKind()) {
    case AffineExprKind::Add: {
      if (rc && rc.getValue() < 0)
        return l; // x - c <= x
      std::optional<int64_t> r = affine(bin.getRHS(), operands, numDims);
      return l && r ? std::optional<int64_t>(*l + *r) : std::nullopt;
    }
    case AffineExprKind::Mul: {
      if (rc && rc.getValue() < 0)
        return std::nullopt;
      std::optional<int64_t> r = affine(bin.getRHS(), operands, numDims);
      return l && r ? std::optional<int64_t>(*l * *r) : std::nullopt;
    }
    case AffineExprKind::FloorDiv:
    case AffineExprKind::CeilDiv:
      if (!l || !rc || rc.getValue() <= 0)
        return std::nullopt;
      return (*l + rc.getValue() - 1) / rc.getValue();
    case AffineExprKind::Mod:
      if (!rc || rc.getValue() <= 0)
        return std::nullopt;
      return rc.getValue() - 1;
    default:
      return std::nullopt;
    }
  }

  int64_t maxTokens, maxPosition, maxViews;
  DenseMap<Value, std::optional<int64_t>> cache;
};

struct Buffer {
  memref::AllocOp alloc;
  int64_t start, end, bytes, offset = 0;
};

struct XgenmmPlanBuffersPass
    : xgenmm::impl::XgenmmPlanBuffersBase<XgenmmPlanBuffersPass> {
  using XgenmmPlanBuffersBase::XgenmmPlanBuffersBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t arenaBytes = 0;
    SmallVector<std::pair<func::FuncOp, SmallVector<Buffer>>> plans;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Buffer> buffers = plan(func);
      for (const Buffer &b : buffers)
        arenaBytes = std::max(arenaBytes, b.offset + b.bytes);
      plans.emplace_back(func, std::move(buffers));
    }
    OpBuilder b(module.getContext());
    Location loc = module.getLoc();
    module->setAttr("xgenmm.arena_bytes", b.getI64IntegerAttr(arenaBytes));
    if (arenaBytes == 0)
      return;
    auto arenaType = MemRefType::get({arenaBytes}, b.getI8Type());
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(b, loc, kArena, b.getStringAttr("private"), arenaType,
                             b.getUnitAttr(), /*constant=*/false,
                             b.getI64IntegerAttr(kAlign));
    for (auto &[func, buffers] : plans)
      for (Buffer &buf : buffers) {
        b.setInsertionPoint(buf.alloc);
        Location l = buf.alloc.getLoc();
        Value arena = memref::GetGlobalOp::create(b, l, arenaType, kArena);
        Value offset = arith::ConstantIndexOp::create(b, l, buf.offset);
        Value view = memref::ViewOp::create(b, l, buf.alloc.getType(), arena, offset,
                                            buf.alloc.getDynamicSizes());
        buf.alloc.replaceAllUsesWith(view);
        buf.alloc.erase();
      }
  }

  /// Lifetimes, sizes and first-fit offsets of the buffers of one function.
  SmallVector<Buffer> plan(func::FuncOp func) {
    // Program order; an op with regions ends after everything inside it.
    DenseMap<Operation *, int64_t> start, end;
    int64_t counter = 0;
    std::function<void(Operation *)> number = [&](Operation *op) {
      start[op] = counter++;
      for (Region &r : op->getRegions())
        for (Block &block : r)
          for (Operation &inner : block)
            number(&inner);
      end[op] = counter++;
    };
    for (Operation &op : func.getBody().front())
      number(&op);

    Bounds bounds(maxTokens, maxPosition > 0 ? maxPosition : maxTokens, maxViews);
    SmallVector<Buffer> buffers;
    func.walk([&](memref::AllocOp alloc) {
      auto type = alloc.getType();
      if (!type.getLayout().isIdentity() || type.getMemorySpace())
        return;
      int64_t elements = 1;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        std::optional<int64_t> b = bounds.dim(alloc.getResult(), d);
        if (!b) {
          alloc.emitRemark("xgenmm-plan-buffers: no upper bound for dimension ")
              << d << "; this buffer stays a heap allocation";
          return;
        }
        elements *= std::max<int64_t>(*b, 0);
      }
      int64_t bytes = llvm::alignTo(
          elements * llvm::divideCeil(type.getElementTypeBitWidth(), 8), kAlign);
      // Lifetime: the last use of the buffer or of a view of it, at the
      // level of the block that allocates it.
      // A loop-carried buffer (scf.for init, the same buffer yielded back)
      // aliases the loop's iteration argument and result.
      Block *block = alloc->getBlock();
      int64_t last = start[alloc];
      DenseSet<Value> aliases = {alloc.getResult()};
      SmallVector<Value> worklist = {alloc.getResult()};
      auto alias = [&](Value v) {
        if (aliases.insert(v).second)
          worklist.push_back(v);
      };
      while (!worklist.empty()) {
        Value v = worklist.pop_back_val();
        for (OpOperand &use : v.getUses()) {
          Operation *user = use.getOwner();
          if (auto loop = dyn_cast<scf::ForOp>(user))
            if (use.getOperandNumber() >= loop.getNumControlOperands()) {
              alias(loop.getTiedLoopResult(&use));
              alias(loop.getTiedLoopRegionIterArg(&use));
            }
          bool carriedBack = false;
          if (auto yield = dyn_cast<scf::YieldOp>(user))
            if (auto loop = dyn_cast<scf::ForOp>(yield->getParentOp()))
              carriedBack = aliases.contains(
                  loop.getInitArgs()[use.getOperandNumber()]);
          if ((isa<scf::YieldOp>(user) && !carriedBack) || isa<func::ReturnOp>(user)) {
            alloc.emitRemark("xgenmm-plan-buffers: the buffer escapes its "
                             "scope; it stays a heap allocation");
            return;
          }
          if (auto view = dyn_cast<ViewLikeOpInterface>(user))
            if (view.getViewSource() == v)
              for (Value r : user->getResults())
                alias(r);
          Operation *anchor = block->findAncestorOpInBlock(*user);
          if (!anchor)
            return;
          last = std::max(last, end[anchor]);
        }
      }
      buffers.push_back({alloc, start[alloc], last, bytes});
    });

    // First fit in order of allocation among the buffers live meanwhile.
    llvm::sort(buffers, [](const Buffer &a, const Buffer &b) { return a.start < b.start; });
    for (size_t i = 0; i < buffers.size(); ++i) {
      SmallVector<std::pair<int64_t, int64_t>> taken;
      for (size_t j = 0; j < i; ++j)
        if (buffers[j].end > buffers[i].start && buffers[j].start < buffers[i].end)
          taken.emplace_back(buffers[j].offset, buffers[j].offset + buffers[j].bytes);
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [lo, hi] : taken) {
        if (offset + buffers[i].bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      buffers[i].offset = offset;
    }
    return buffers;
  }
};

} // namespace
