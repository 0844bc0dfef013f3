//===- LoweringUtils.cpp - helpers of the xgenmm -> linalg lowering -------===//
#include "passes/LoweringUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

namespace mlir::xgenmm::lowering {

SmallVector<AffineMap>
mapsFromExprs(MLIRContext *ctx,
              std::initializer_list<std::initializer_list<AffineExpr>> lists) {
  SmallVector<SmallVector<AffineExpr, 4>> exprs;
  for (auto &list : lists)
    exprs.emplace_back(list);
  return SmallVector<AffineMap>(AffineMap::inferFromExprList(exprs, ctx));
}

SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value f32Const(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)value));
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   double value) {
  Value empty = emptyTensor(b, loc, sizes, b.getF32Type());
  return linalg::FillOp::create(b, loc, f32Const(b, loc, value), empty)
      .getResult(0);
}

Value toF32(OpBuilder &b, Location loc, Value scalar) {
  if (scalar.getType().isF32())
    return scalar;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), scalar);
}

SmallVector<utils::IteratorType> iterators(unsigned rank, unsigned reductions) {
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  for (unsigned i = rank - reductions; i < rank; ++i)
    it[i] = utils::IteratorType::reduction;
  return it;
}

Value collapseToMatrix(OpBuilder &b, Location loc, Value v) {
  RankedTensorType t = tensorType(v);
  if (t.getRank() == 2)
    return v;
  if (t.getRank() == 1)
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1, t.getDimSize(0)}, t.getElementType()),
        v, SmallVector<ReassociationIndices>{{0, 1}});
  ReassociationIndices lead;
  for (int64_t i = 0; i + 1 < t.getRank(); ++i)
    lead.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, loc, v, SmallVector<ReassociationIndices>{lead, {t.getRank() - 1}});
}

Value expandLikeLeading(OpBuilder &b, Location loc, Value m, Value like) {
  RankedTensorType lt = tensorType(like), mt = tensorType(m);
  if (lt.getRank() == 2)
    return m;
  SmallVector<int64_t> shape(lt.getShape().drop_back());
  shape.push_back(mt.getDimSize(1));
  auto type = RankedTensorType::get(shape, mt.getElementType());
  if (lt.getRank() == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, type, m, SmallVector<ReassociationIndices>{{0, 1}});
  ReassociationIndices lead;
  for (int64_t i = 0; i + 1 < lt.getRank(); ++i)
    lead.push_back(i);
  SmallVector<OpFoldResult> outShape = sizesOf(b, loc, like);
  outShape.back() = b.getIndexAttr(mt.getDimSize(1));
  return tensor::ExpandShapeOp::create(
      b, loc, type, m,
      SmallVector<ReassociationIndices>{lead, {lt.getRank() - 1}}, outShape);
}

Value elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                  ArrayRef<AffineMap> inputMaps, Value init,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  unsigned rank = tensorType(init).getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             iterators(rank),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, fn(nb, nl, args));
             })
      .getResult(0);
}

Value matmulTransposedB(OpBuilder &b, Location loc, Value a, Value w,
                        Value bias, Value residual) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  int64_t rows = tensorType(w).getDimSize(0);
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, a, 0),
                                     b.getIndexAttr(rows)};
  // Start the accumulation from the bias and the residual: their epilogue
  // adds are free.
  Value init;
  SmallVector<Value> addends;
  SmallVector<AffineMap> addendMaps;
  if (residual) {
    addends.push_back(residual);
    addendMaps.push_back(b.getMultiDimIdentityMap(2));
  }
  if (bias) {
    addends.push_back(bias);
    addendMaps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  if (!addends.empty()) {
    init = elementwise(b, loc, addends, addendMaps,
                       emptyTensor(b, loc, sizes, b.getF32Type()),
                       [](OpBuilder &nb, Location nl, ValueRange args) {
                         Value sum = toF32(nb, nl, args[0]);
                         for (Value v : args.drop_front().drop_back())
                           sum = arith::AddFOp::create(nb, nl, sum, toF32(nb, nl, v));
                         return sum;
                       });
  } else {
    init = filledTensor(b, loc, sizes, 0.0);
  }
  auto maps = mapsFromExprs(ctx, {{m, k}, {n, k}, {m, n}});
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{a, w}, ValueRange{init}, maps,
             iterators(3, 1),
             [](OpBuilder &nb, Location nl, ValueRange args) {
               Value prod = arith::MulFOp::create(nb, nl, toF32(nb, nl, args[0]),
                                                  toF32(nb, nl, args[1]));
               linalg::YieldOp::create(
                   nb, nl, ValueRange{arith::AddFOp::create(nb, nl, args[2], prod)});
             })
      .getResult(0);
}

Value linearAnyRank(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                    Value residual, Epilogue epilogue) {
  Value m = matmulTransposedB(b, loc, collapseToMatrix(b, loc, x), w, bias,
                              residual ? collapseToMatrix(b, loc, residual) : Value());
  if (epilogue) {
    auto op = linalg::GenericOp::create(
        b, loc, m.getType(), ValueRange{}, ValueRange{m},
        SmallVector<AffineMap>{b.getMultiDimIdentityMap(2)}, iterators(2),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl, epilogue(nb, nl, args[0]));
        });
    op->setAttr("xgenmm.epilogue", b.getUnitAttr());
    m = op.getResult(0);
  }
  return expandLikeLeading(b, loc, m, x);
}

bool isRowMajorMatmul(linalg::GenericOp g) {
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 || g.getNumLoops() != 3 ||
      !g.hasPureTensorSemantics() ||
      g.getIteratorTypesArray()[2] != utils::IteratorType::reduction)
    return false;
  MLIRContext *ctx = g.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  return maps[0] == AffineMap::get(3, 0, {m, k}, ctx) &&
         maps[1] == AffineMap::get(3, 0, {k, n}, ctx) &&
         maps[2] == AffineMap::get(3, 0, {m, n}, ctx);
}

} // namespace mlir::xgenmm::lowering
