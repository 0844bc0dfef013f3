//===- LoweringUtils.cpp - helpers of the xgenmm -> linalg lowering -------===//
#include "passes/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
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

Value matmulInit(OpBuilder &b, Location loc, Value a, int64_t n, Value bias,
                 Value residual) {
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, a, 0),
                                     b.getIndexAttr(n)};
  // Start the accumulation from the bias and the residual: their epilogue
  // adds are free.
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
  if (addends.empty())
    return filledTensor(b, loc, sizes, 0.0);
  return elementwise(b, loc, addends, addendMaps,
                     emptyTensor(b, loc, sizes, b.getF32Type()),
                     [](OpBuilder &nb, Location nl, ValueRange args) {
                       Value sum = toF32(nb, nl, args[0]);
                       for (Value v : args.drop_front().drop_back())
                         sum = arith::AddFOp::create(nb, nl, sum, toF32(nb, nl, v));
                       return sum;
                     });
}

Value matmulTransposedB(OpBuilder &b, Location loc, Value a, Value w,
                        Value bias, Value residual) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  Value init = matmulInit(b, loc, a, tensorType(w).getDimSize(0), bias, residual);
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

/// One row (decode): the groups split into up to 8 parts of whole groups,
/// shared among threads (like xgenmm-split-matvec), each part summing its
/// groups into a [1, N] row (by column panels, whole rows at present); per
/// group the integer weights' product with the activations, then the scale
/// once per column:
///   t = a[k0:k0+g] * f32(values[k0:k0+g, n0:n0+P])   (xgenmm.matmul)
///   row[n0:n0+P] += scales[kg, n0:n0+P] * t
/// so that the streaming loop is the bf16-weight one with sitofp for extf.
static Value quantizedMatvec(OpBuilder &b, Location loc, Value a, Value values,
                             Value scales, int64_t group, Value init) {
  MLIRContext *ctx = b.getContext();
  int64_t k = tensorType(values).getDimSize(0), n = tensorType(values).getDimSize(1);
  int64_t groups = k / group, parts = 1;
  for (int64_t p = 8; p >= 2; --p)
    if (groups % p == 0) {
      parts = p;
      break;
    }
  int64_t perPart = groups / parts;
  // Column panel width: whole rows. Narrower panels keep the accumulator in
  // L1 but break each weight row into short runs; measured on the full-size
  // model, one thread: 1024 columns 326 ms, 4096 262 ms, whole rows 254 ms
  // per decode step.
  int64_t panel = n;
  Type f32 = b.getF32Type();
  auto rowType = RankedTensorType::get({1, n}, f32);
  auto panelType = RankedTensorType::get({1, panel}, f32);
  auto cst = [&](OpBuilder &nb, int64_t v) {
    return arith::ConstantIndexOp::create(nb, loc, v).getResult();
  };
  AffineExpr dm, dn, dk;
  bindDims(ctx, dm, dn, dk);
  auto mmMaps = mapsFromExprs(ctx, {{dm, dk}, {dk, dn}, {dm, dn}});
  Value zero = f32Const(b, loc, 0.0);
  OpFoldResult one = b.getIndexAttr(1), zeroIdx = b.getIndexAttr(0);
  SmallVector<OpFoldResult> unit2 = {one, one}, unit3 = {one, one, one};
  // Every buffer the parts write is a slice of a loop-carried tensor (the
  // partial rows, and each part's scratch row for the integer products):
  // nothing is allocated inside the parallel loop.
  Value partial = tensor::EmptyOp::create(b, loc, {parts, 1, n}, f32);
  Value scratch = tensor::EmptyOp::create(b, loc, {parts, 1, panel}, f32);
  auto partLoop = scf::ForOp::create(
      b, loc, cst(b, 0), cst(b, parts), cst(b, 1), ValueRange{partial, scratch},
      [&](OpBuilder &pb, Location pl, Value p, ValueRange pIter) {
        SmallVector<OpFoldResult> partOffsets = {p, zeroIdx, zeroIdx};
        Value row = tensor::ExtractSliceOp::create(
            pb, pl, rowType, pIter[0], partOffsets,
            SmallVector<OpFoldResult>{one, one, pb.getIndexAttr(n)}, unit3);
        Value row0 = linalg::FillOp::create(pb, pl, zero, row).getResult(0);
        Value tmp = tensor::ExtractSliceOp::create(
            pb, pl, panelType, pIter[1], partOffsets,
            SmallVector<OpFoldResult>{one, one, pb.getIndexAttr(panel)}, unit3);
        Value first = arith::MulIOp::create(pb, pl, p, cst(pb, perPart));
        Value last = arith::AddIOp::create(pb, pl, first, cst(pb, perPart));
        // Column panels outside the group loop: the panel's accumulator
        // stays in L1 over the part's groups.
        auto panelLoop = scf::ForOp::create(
            pb, pl, cst(pb, 0), cst(pb, n), cst(pb, panel), ValueRange{row0, tmp},
            [&](OpBuilder &qb, Location ql, Value n0, ValueRange rowIter) {
              SmallVector<OpFoldResult> rowOffsets = {zeroIdx, n0};
              SmallVector<OpFoldResult> rowSizes = {one, qb.getIndexAttr(panel)};
              Value acc0 = tensor::ExtractSliceOp::create(qb, ql, panelType, rowIter[0],
                                                          rowOffsets, rowSizes, unit2);
              auto groupLoop = scf::ForOp::create(
                  qb, ql, first, last, cst(qb, 1), ValueRange{acc0, rowIter[1]},
                  [&](OpBuilder &nb, Location nl, Value kg, ValueRange acc) {
                    Value k0 = arith::MulIOp::create(nb, nl, kg, cst(nb, group));
                    Value ag = tensor::ExtractSliceOp::create(
                        nb, nl, a, SmallVector<OpFoldResult>{zeroIdx, k0},
                        SmallVector<OpFoldResult>{one, nb.getIndexAttr(group)}, unit2);
                    Value qg = tensor::ExtractSliceOp::create(
                        nb, nl, values, SmallVector<OpFoldResult>{k0, n0},
                        SmallVector<OpFoldResult>{nb.getIndexAttr(group),
                                                  nb.getIndexAttr(panel)},
                        unit2);
                    Value sg = tensor::ExtractSliceOp::create(
                        nb, nl, RankedTensorType::get({panel}, f32), scales,
                        SmallVector<OpFoldResult>{kg, n0},
                        SmallVector<OpFoldResult>{one, nb.getIndexAttr(panel)}, unit2);
                    Value t0 = linalg::FillOp::create(nb, nl, zero, acc[1]).getResult(0);
                    auto product = linalg::GenericOp::create(
                        nb, nl, panelType, ValueRange{ag, qg}, ValueRange{t0}, mmMaps,
                        iterators(3, 1), [](OpBuilder &bb, Location bl, ValueRange args) {
                          Value w = arith::SIToFPOp::create(bb, bl, bb.getF32Type(), args[1]);
                          Value prod =
                              arith::MulFOp::create(bb, bl, toF32(bb, bl, args[0]), w);
                          linalg::YieldOp::create(
                              bb, bl,
                              ValueRange{arith::AddFOp::create(bb, bl, args[2], prod)});
                        });
                    product->setAttr("xgenmm.matmul", nb.getUnitAttr());
                    product->setAttr("xgenmm.quantized", nb.getUnitAttr());
                    Value next = elementwise(
                        nb, nl, ValueRange{product.getResult(0), sg},
                        {nb.getMultiDimIdentityMap(2), AffineMap::get(2, 0, {dn}, ctx)},
                        acc[0], [](OpBuilder &bb, Location bl, ValueRange args) {
                          return math::FmaOp::create(bb, bl, args[0], args[1], args[2])
                              .getResult();
                        });
                    scf::YieldOp::create(nb, nl, ValueRange{next, product.getResult(0)});
                  });
              Value back = tensor::InsertSliceOp::create(
                  qb, ql, groupLoop.getResult(0), rowIter[0], rowOffsets, rowSizes, unit2);
              scf::YieldOp::create(qb, ql, ValueRange{back, groupLoop.getResult(1)});
            });
        Value rows = tensor::InsertSliceOp::create(
            pb, pl, panelLoop.getResult(0), pIter[0], partOffsets,
            SmallVector<OpFoldResult>{one, one, pb.getIndexAttr(n)}, unit3);
        Value tmps = tensor::InsertSliceOp::create(
            pb, pl, panelLoop.getResult(1), pIter[1], partOffsets,
            SmallVector<OpFoldResult>{one, one, pb.getIndexAttr(panel)}, unit3);
        scf::YieldOp::create(pb, pl, ValueRange{rows, tmps});
      });
  if (parts > 1)
    partLoop->setAttr("xgenmm.parallel", b.getUnitAttr());
  // out[0, n] = init[0, n] + sum_p partial[p, 0, n]
  AffineExpr m, nn, pp;
  bindDims(ctx, m, nn, pp);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{partLoop.getResult(0)},
             ValueRange{init},
             ArrayRef<AffineMap>{AffineMap::get(3, 0, {pp, m, nn}, ctx),
                                 AffineMap::get(3, 0, {m, nn}, ctx)},
             iterators(3, 1),
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l,
                                       arith::AddFOp::create(nb, l, args[1], args[0]).getResult());
             })
      .getResult(0);
}

Value quantizedMatmul(OpBuilder &b, Location loc, Value a, Value values,
                      Value scales, int64_t group, Value bias, Value residual) {
  MLIRContext *ctx = b.getContext();
  int64_t k = tensorType(values).getDimSize(0), n = tensorType(values).getDimSize(1);
  Value init = matmulInit(b, loc, a, n, bias, residual);
  if (tensorType(a).getDimSize(0) == 1)
    return quantizedMatvec(b, loc, a, values, scales, group, init);
  auto cst = [&](OpBuilder &nb, int64_t v) {
    return arith::ConstantIndexOp::create(nb, loc, v).getResult();
  };
  AffineExpr dm, dn, dk;
  bindDims(ctx, dm, dn, dk);
  auto maps = mapsFromExprs(ctx, {{dm, dk}, {dk, dn}, {dn}, {dm, dn}});
  OpFoldResult rows = tensor::getMixedSize(b, loc, a, 0);
  auto loop = scf::ForOp::create(
      b, loc, cst(b, 0), cst(b, k / group), cst(b, 1), ValueRange{init},
      [&](OpBuilder &nb, Location nl, Value kg, ValueRange acc) {
        Value k0 = arith::MulIOp::create(nb, nl, kg, cst(nb, group));
        OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
        Value ag = tensor::ExtractSliceOp::create(
            nb, nl, a, SmallVector<OpFoldResult>{zero, k0},
            SmallVector<OpFoldResult>{rows, nb.getIndexAttr(group)},
            SmallVector<OpFoldResult>{one, one});
        Value qg = tensor::ExtractSliceOp::create(
            nb, nl, values, SmallVector<OpFoldResult>{k0, zero},
            SmallVector<OpFoldResult>{nb.getIndexAttr(group), nb.getIndexAttr(n)},
            SmallVector<OpFoldResult>{one, one});
        Value sg = tensor::ExtractSliceOp::create(
            nb, nl, RankedTensorType::get({n}, nb.getF32Type()), scales,
            SmallVector<OpFoldResult>{kg, zero},
            SmallVector<OpFoldResult>{one, nb.getIndexAttr(n)},
            SmallVector<OpFoldResult>{one, one});
        auto g = linalg::GenericOp::create(
            nb, nl, acc[0].getType(), ValueRange{ag, qg, sg}, ValueRange{acc[0]}, maps,
            iterators(3, 1), [](OpBuilder &bb, Location bl, ValueRange args) {
              Value w = arith::SIToFPOp::create(bb, bl, bb.getF32Type(), args[1]);
              w = arith::MulFOp::create(bb, bl, w, args[2]);
              Value prod = arith::MulFOp::create(bb, bl, toF32(bb, bl, args[0]), w);
              linalg::YieldOp::create(
                  bb, bl, ValueRange{arith::AddFOp::create(bb, bl, args[3], prod)});
            });
        g->setAttr("xgenmm.matmul", nb.getUnitAttr());
        g->setAttr("xgenmm.quantized", nb.getUnitAttr());
        scf::YieldOp::create(nb, nl, g.getResult(0));
      });
  return loop.getResult(0);
}

/// The epilogue (if any) on the [M, N] product `m`, then `m` reshaped like
/// the input `x`'s leading dimensions.
static Value finishDense(OpBuilder &b, Location loc, Value m, Value x,
                         Epilogue epilogue) {
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

Value denseAnyRank(OpBuilder &b, Location loc, Operation *dense, Value residual,
                   Epilogue epilogue) {
  if (auto linear = dyn_cast<LinearOp>(dense))
    return linearAnyRank(b, loc, linear.getInput(), linear.getWeight(),
                         linear.getBias(), residual, epilogue);
  auto q = cast<QuantizedLinearOp>(dense);
  Value x = q.getInput();
  Value m = quantizedMatmul(b, loc, collapseToMatrix(b, loc, x), q.getValues(),
                            q.getScales(), q.getGroupSize(), q.getBias(),
                            residual ? collapseToMatrix(b, loc, residual) : Value());
  return finishDense(b, loc, m, x, epilogue);
}

Value linearAnyRank(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                    Value residual, Epilogue epilogue) {
  Value m = matmulTransposedB(b, loc, collapseToMatrix(b, loc, x), w, bias,
                              residual ? collapseToMatrix(b, loc, residual) : Value());
  return finishDense(b, loc, m, x, epilogue);
}

bool hasMatmulShape(linalg::GenericOp g, bool weightKMajor) {
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 || g.getNumLoops() != 3 ||
      g.getNumReductionLoops() != 1 ||
      g.getIteratorTypesArray()[2] != utils::IteratorType::reduction)
    return false;
  MLIRContext *ctx = g.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  return maps[0] == AffineMap::get(3, 0, {m, k}, ctx) &&
         maps[1] == (weightKMajor ? AffineMap::get(3, 0, {k, n}, ctx)
                                  : AffineMap::get(3, 0, {n, k}, ctx)) &&
         maps[2] == AffineMap::get(3, 0, {m, n}, ctx);
}

bool isRowMajorMatmul(linalg::GenericOp g) {
  return g.hasPureTensorSemantics() && hasMatmulShape(g, /*weightKMajor=*/true);
}

} // namespace mlir::xgenmm::lowering
