//===- LoweringUtils.cpp - helpers of the xgenmm -> linalg lowering -------===//
#include "passes/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

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
  if (scalar.getType().isInteger())
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), scalar);
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

/// The activation columns a group's stored rows multiply: all g of them
/// from k0 (int8), or for int4 (`bits` 4, one stored row per pair) the even
/// and the odd ones, each [M, g / 2] with stride 2.
static SmallVector<Value> groupActivations(OpBuilder &b, Location loc, Value a, Value k0,
                                           OpFoldResult rows, int64_t group, int64_t bits) {
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  if (bits == 8)
    return {tensor::ExtractSliceOp::create(
        b, loc, a, SmallVector<OpFoldResult>{zero, k0},
        SmallVector<OpFoldResult>{rows, b.getIndexAttr(group)},
        SmallVector<OpFoldResult>{one, one})};
  SmallVector<Value> halves;
  for (int64_t odd : {0, 1}) {
    Value start = odd ? arith::AddIOp::create(
                            b, loc, k0, arith::ConstantIndexOp::create(b, loc, 1))
                            .getResult()
                      : k0;
    halves.push_back(tensor::ExtractSliceOp::create(
        b, loc, a, SmallVector<OpFoldResult>{zero, start},
        SmallVector<OpFoldResult>{rows, b.getIndexAttr(group / 2)},
        SmallVector<OpFoldResult>{one, b.getIndexAttr(2)}));
  }
  return halves;
}

/// In a product's body: sum over the weights one stored value holds of
/// activation * f32(weight) (* scale): int8 one, int4 two (the low nibble
/// pairs with the even activation, the high one with the odd), each nibble
/// sign-extended by shifts on i32. `acts` are the activations (1 or 2).
static Value dequantDot(OpBuilder &b, Location loc, ValueRange acts, Value stored,
                        Value scale, int64_t bits) {
  Type f32 = b.getF32Type();
  SmallVector<Value> weights;
  if (bits == 8) {
    weights.push_back(arith::SIToFPOp::create(b, loc, f32, stored));
  } else {
    Type i32 = b.getI32Type();
    auto c = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i32, v); };
    Value x = arith::ExtSIOp::create(b, loc, i32, stored);
    Value lo = arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, x, c(28)), c(28));
    Value hi = arith::ShRSIOp::create(b, loc, x, c(4));
    weights.push_back(arith::SIToFPOp::create(b, loc, f32, lo));
    weights.push_back(arith::SIToFPOp::create(b, loc, f32, hi));
  }
  Value sum;
  for (auto [act, w] : llvm::zip(acts, weights)) {
    if (scale)
      w = arith::MulFOp::create(b, loc, w, scale);
    Value prod = arith::MulFOp::create(b, loc, toF32(b, loc, act), w);
    sum = sum ? arith::AddFOp::create(b, loc, sum, prod).getResult() : prod;
  }
  return sum;
}

static Value sumParts(OpBuilder &b, Location loc, Value partial, Value init);

/// One row (decode): the groups split into up to 8 parts of whole groups,
/// shared among threads (like xgenmm-split-matvec), each part summing its
/// groups into a [1, N] row (by column panels, whole rows at present); per
/// group the integer weights' product with the activations, then the scale
/// once per column:
///   t = a[k0:k0+g] * f32(values[k0:k0+g, n0:n0+P])   (xgenmm.matmul)
///   row[n0:n0+P] += scales[kg, n0:n0+P] * t
/// so that the streaming loop is the bf16-weight one with sitofp for extf.
static Value quantizedMatvec(OpBuilder &b, Location loc, Value a, Value values,
                             Value scales, int64_t group, int64_t bits, Value init) {
  MLIRContext *ctx = b.getContext();
  // Stored rows per group: int4 holds two rows per stored one.
  int64_t perStored = bits == 4 ? 2 : 1, storedGroup = group / perStored;
  int64_t k = tensorType(values).getDimSize(0) * perStored,
          n = tensorType(values).getDimSize(1);
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
                    SmallVector<Value> ag =
                        groupActivations(nb, nl, a, k0, one, group, bits);
                    Value s0 = bits == 8 ? k0 : arith::MulIOp::create(nb, nl, kg, cst(nb, storedGroup)).getResult();
                    Value qg = tensor::ExtractSliceOp::create(
                        nb, nl, values, SmallVector<OpFoldResult>{s0, n0},
                        SmallVector<OpFoldResult>{nb.getIndexAttr(storedGroup),
                                                  nb.getIndexAttr(panel)},
                        unit2);
                    Value sg = tensor::ExtractSliceOp::create(
                        nb, nl, RankedTensorType::get({panel}, f32), scales,
                        SmallVector<OpFoldResult>{kg, n0},
                        SmallVector<OpFoldResult>{one, nb.getIndexAttr(panel)}, unit2);
                    Value t0 = linalg::FillOp::create(nb, nl, zero, acc[1]).getResult(0);
                    SmallVector<Value> ins(ag);
                    ins.push_back(qg);
                    SmallVector<AffineMap> maps(ag.size(), mmMaps[0]);
                    maps.append({mmMaps[1], mmMaps[2]});
                    size_t nActs = ag.size();
                    auto product = linalg::GenericOp::create(
                        nb, nl, panelType, ins, ValueRange{t0}, maps, iterators(3, 1),
                        [&](OpBuilder &bb, Location bl, ValueRange args) {
                          Value dot = dequantDot(bb, bl, args.take_front(nActs),
                                                 args[nActs], Value(), bits);
                          linalg::YieldOp::create(
                              bb, bl,
                              ValueRange{arith::AddFOp::create(bb, bl, args.back(), dot)});
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
  return sumParts(b, loc, partLoop.getResult(0), init);
}

/// out[0, n] = init[0, n] + sum_p partial[p, 0, n]
static Value sumParts(OpBuilder &b, Location loc, Value partial, Value init) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, nn, pp;
  bindDims(ctx, m, nn, pp);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{partial},
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

/// Decode over int4 weights: like quantizedMatvec, the groups split into up
/// to 8 parts shared among threads, each summing into its partial row; but
/// each part is one contraction over (n, group, pair)
///   row[n] += scales[kg, n] * (a[2 k2] * lo(v[kg, k2, n]) + a[2 k2 + 1] * hi(...))
/// marked `xgenmm.matvec_int4`: the schedule keeps a 1x64 slice of the row in
/// registers over all the part's groups (no per-group pass over the row in
/// memory, which for int4 would move as many bytes as the weights), with
/// the scale applied per weight pair.
static Value quantizedMatvecInt4(OpBuilder &b, Location loc, Value a, Value values,
                                 Value scales, int64_t group, Value init) {
  MLIRContext *ctx = b.getContext();
  int64_t half = group / 2;
  int64_t n = tensorType(values).getDimSize(1), groups = tensorType(values).getDimSize(0) / half;
  int64_t parts = 1;
  for (int64_t p = 8; p >= 2; --p)
    if (groups % p == 0) {
      parts = p;
      break;
    }
  int64_t perPart = groups / parts;
  Type f32 = b.getF32Type();
  auto cst = [&](OpBuilder &nb, int64_t v) {
    return arith::ConstantIndexOp::create(nb, loc, v).getResult();
  };
  OpFoldResult one = b.getIndexAttr(1), zeroIdx = b.getIndexAttr(0);
  SmallVector<OpFoldResult> unit3 = {one, one, one};
  Value partial = tensor::EmptyOp::create(b, loc, {parts, 1, n}, f32);
  // Loops (m, group, pair, n): n innermost, so that the vectorized tile's
  // shape is the weight rows' own (no transposition of unit dimensions).
  AffineExpr dm, dg, dk, dn;
  bindDims(ctx, dm, dg, dk, dn);
  auto maps = mapsFromExprs(
      ctx, {{dm, dg, dk}, {dm, dg, dk}, {dg, dk, dn}, {dg, dn}, {dm, dn}});
  SmallVector<utils::IteratorType> loops = {
      utils::IteratorType::parallel, utils::IteratorType::reduction,
      utils::IteratorType::reduction, utils::IteratorType::parallel};
  // Products and sums may fuse into FMAs (LLVM's contract).
  auto contract = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
  auto partLoop = scf::ForOp::create(
      b, loc, cst(b, 0), cst(b, parts), cst(b, 1), ValueRange{partial},
      [&](OpBuilder &pb, Location pl, Value p, ValueRange pIter) {
        SmallVector<OpFoldResult> partOffsets = {p, zeroIdx, zeroIdx};
        SmallVector<OpFoldResult> rowSizes = {one, one, pb.getIndexAttr(n)};
        Value row = tensor::ExtractSliceOp::create(
            pb, pl, RankedTensorType::get({1, n}, f32), pIter[0], partOffsets, rowSizes,
            unit3);
        Value row0 = linalg::FillOp::create(pb, pl, f32Const(pb, pl, 0.0), row).getResult(0);
        Value g0 = arith::MulIOp::create(pb, pl, p, cst(pb, perPart));
        Value k0 = arith::MulIOp::create(pb, pl, g0, cst(pb, group));
        Value s0 = arith::MulIOp::create(pb, pl, g0, cst(pb, half));
        // The part's activations, even and odd, [1, perPart, g / 2].
        SmallVector<Value> acts = groupActivations(pb, pl, a, k0, one, perPart * group, 4);
        for (Value &act : acts)
          act = tensor::ExpandShapeOp::create(
              pb, pl, RankedTensorType::get({1, perPart, half}, tensorType(a).getElementType()),
              act, SmallVector<ReassociationIndices>{{0}, {1, 2}});
        Value v = tensor::ExtractSliceOp::create(
            pb, pl, values, SmallVector<OpFoldResult>{s0, zeroIdx},
            SmallVector<OpFoldResult>{pb.getIndexAttr(perPart * half), pb.getIndexAttr(n)},
            SmallVector<OpFoldResult>{one, one});
        v = tensor::ExpandShapeOp::create(
            pb, pl, RankedTensorType::get({perPart, half, n}, pb.getI8Type()), v,
            SmallVector<ReassociationIndices>{{0, 1}, {2}});
        Value sc = tensor::ExtractSliceOp::create(
            pb, pl, scales, SmallVector<OpFoldResult>{g0, zeroIdx},
            SmallVector<OpFoldResult>{pb.getIndexAttr(perPart), pb.getIndexAttr(n)},
            SmallVector<OpFoldResult>{one, one});
        auto product = linalg::GenericOp::create(
            pb, pl, row0.getType(), ValueRange{acts[0], acts[1], v, sc}, ValueRange{row0},
            maps, loops, [&](OpBuilder &bb, Location bl, ValueRange args) {
              Type i32 = bb.getI32Type(), f32t = bb.getF32Type();
              auto c = [&](int64_t x) { return arith::ConstantIntOp::create(bb, bl, i32, x); };
              Value x = arith::ExtSIOp::create(bb, bl, i32, args[2]);
              Value lo = arith::SIToFPOp::create(
                  bb, bl, f32t,
                  arith::ShRSIOp::create(bb, bl, arith::ShLIOp::create(bb, bl, x, c(28)),
                                         c(28)));
              Value hi = arith::SIToFPOp::create(
                  bb, bl, f32t, arith::ShRSIOp::create(bb, bl, x, c(4)));
              // out + (a_even lo + a_odd hi) * scale: an addf onto the
              // accumulator (the form the vectorizer reduces).
              Value pe = arith::MulFOp::create(bb, bl, toF32(bb, bl, args[0]), lo, contract);
              Value po = arith::MulFOp::create(bb, bl, toF32(bb, bl, args[1]), hi, contract);
              Value dot = arith::AddFOp::create(bb, bl, pe, po, contract);
              Value scaled = arith::MulFOp::create(bb, bl, dot, args[3], contract);
              linalg::YieldOp::create(
                  bb, bl, ValueRange{arith::AddFOp::create(bb, bl, args[4], scaled, contract)});
            });
        product->setAttr("xgenmm.matvec_int4", pb.getUnitAttr());
        product->setAttr("xgenmm.quantized", pb.getUnitAttr());
        Value rows = tensor::InsertSliceOp::create(pb, pl, product.getResult(0), pIter[0],
                                                   partOffsets, rowSizes, unit3);
        scf::YieldOp::create(pb, pl, ValueRange{rows});
      });
  if (parts > 1)
    partLoop->setAttr("xgenmm.parallel", b.getUnitAttr());
  return sumParts(b, loc, partLoop.getResult(0), init);
}

int64_t vnniPanel(int64_t n, int64_t group) {
  if (group % 8 != 0)
    return 0;
  for (int64_t p : {64, 32, 16})
    if (n % p == 0)
      return p;
  return 0;
}

QuantizedActivations quantizeActivations(OpBuilder &b, Location loc, Value a,
                                         int64_t group) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType at = tensorType(a);
  int64_t k = at.getDimSize(1), groups = k / group;
  Type f32 = b.getF32Type(), i8 = b.getI8Type(), i32 = b.getI32Type();
  OpFoldResult rows = tensor::getMixedSize(b, loc, a, 0);
  SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
  Value a3 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({at.getDimSize(0), groups, group}, at.getElementType()),
      a, split, SmallVector<OpFoldResult>{rows, b.getIndexAttr(groups), b.getIndexAttr(group)});
  AffineExpr dm, dj, di;
  bindDims(ctx, dm, dj, di);
  auto full = AffineMap::get(3, 0, {dm, dj, di}, ctx);
  auto perGroup = AffineMap::get(3, 0, {dm, dj}, ctx);
  SmallVector<OpFoldResult> groupSizes = {rows, b.getIndexAttr(groups)};
  // max |x| per group.
  Value amax =
      linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get({at.getDimSize(0), groups}, f32)},
          ValueRange{a3}, ValueRange{filledTensor(b, loc, groupSizes, 0.0)},
          ArrayRef<AffineMap>{full, perGroup}, iterators(3, 1),
          [](OpBuilder &nb, Location nl, ValueRange args) {
            Value x = math::AbsFOp::create(nb, nl, toF32(nb, nl, args[0]));
            linalg::YieldOp::create(nb, nl,
                                    arith::MaximumFOp::create(nb, nl, args[1], x).getResult());
          })
          .getResult(0);
  // scale = max / 127 and its inverse (0 for a group of zeros).
  auto id2 = b.getMultiDimIdentityMap(2);
  auto scaleOp = linalg::GenericOp::create(
      b, loc, TypeRange{amax.getType(), amax.getType()}, ValueRange{amax},
      ValueRange{emptyTensor(b, loc, groupSizes, f32), emptyTensor(b, loc, groupSizes, f32)},
      ArrayRef<AffineMap>{id2, id2, id2}, iterators(2),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        Value m = args[0];
        Value scale = arith::MulFOp::create(nb, nl, m, f32Const(nb, nl, 1.0 / 127.0));
        Value inv = arith::DivFOp::create(nb, nl, f32Const(nb, nl, 127.0), m);
        Value positive = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, m,
                                               f32Const(nb, nl, 0.0));
        inv = arith::SelectOp::create(nb, nl, positive, inv, f32Const(nb, nl, 0.0));
        linalg::YieldOp::create(nb, nl, ValueRange{scale, inv});
      });
  // q = round-to-nearest-even(x / scale), in [-127, 127].
  Value q3 =
      linalg::GenericOp::create(
          b, loc,
          TypeRange{RankedTensorType::get({at.getDimSize(0), groups, group}, i8)},
          ValueRange{a3, scaleOp.getResult(1)},
          ValueRange{emptyTensor(b, loc, {rows, b.getIndexAttr(groups), b.getIndexAttr(group)},
                                 i8)},
          ArrayRef<AffineMap>{full, perGroup, full}, iterators(3),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value x = arith::MulFOp::create(nb, nl, toF32(nb, nl, args[0]), args[1]);
            x = math::RoundEvenOp::create(nb, nl, x);
            linalg::YieldOp::create(nb, nl,
                                    arith::FPToSIOp::create(nb, nl, i8, x).getResult());
          })
          .getResult(0);
  // Each group's sum of values (the offset-binary weights' correction).
  Value zeroI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  Value sums =
      linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get({at.getDimSize(0), groups}, i32)},
          ValueRange{q3},
          ValueRange{linalg::FillOp::create(b, loc, zeroI32,
                                            emptyTensor(b, loc, groupSizes, i32))
                         .getResult(0)},
          ArrayRef<AffineMap>{full, perGroup}, iterators(3, 1),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value x = arith::ExtSIOp::create(nb, nl, i32, args[0]);
            linalg::YieldOp::create(nb, nl, arith::AddIOp::create(nb, nl, args[1], x).getResult());
          })
          .getResult(0);
  Value q = tensor::CollapseShapeOp::create(b, loc, q3, split);
  return {q, scaleOp.getResult(0), sums};
}

Value fakeQuantizeActivations(OpBuilder &b, Location loc, Value a, int64_t group) {
  MLIRContext *ctx = b.getContext();
  QuantizedActivations q = quantizeActivations(b, loc, a, group);
  AffineExpr dm, dk;
  bindDims(ctx, dm, dk);
  auto id = AffineMap::get(2, 0, {dm, dk}, ctx);
  auto perGroup = AffineMap::get(2, 0, {dm, dk.floorDiv(group)}, ctx);
  return elementwise(b, loc, ValueRange{q.values, q.scales}, {id, perGroup},
                     emptyTensor(b, loc, sizesOf(b, loc, a), b.getF32Type()),
                     [](OpBuilder &nb, Location nl, ValueRange args) {
                       Value x = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), args[0]);
                       return arith::MulFOp::create(nb, nl, x, args[1]).getResult();
                     });
}

/// out = init + a W over VNNI panels (int4 `values` [N / P, K / 8, 4 P],
/// int8 [N / P, K / 4, 4 P]; see #xgenmm.quant): the activations quantized
/// to int8 per row and group,
/// then per panel of P columns (panels shared among threads) and block of
/// rows (4, then 1 for the rest; decode's single row keeps separate low and
/// high accumulators for more independent chains), per group of K: 64-byte
/// loads of the panel (int4: nibbles split by a mask and a shift), and
/// `vpdpbusd` (unsigned weights, offset binary, times signed activations,
/// four K per 32-bit lane) into i32 accumulators; at the end of the group
/// the accumulators, less the offset (8, int8: 128) times the group's
/// activation sum, are converted and scaled (activation scale x weight
/// scale) into the f32 output.
static Value vnniMatmul(OpBuilder &b, Location loc, Value a, Value values, Value scales,
                        int64_t group, int64_t bits, Value init) {
  RankedTensorType vt = tensorType(values);
  int64_t panels = vt.getDimSize(0), blocks = vt.getDimSize(1), panel = vt.getDimSize(2) / 4;
  int64_t kPerBlock = bits == 4 ? 8 : 4, offset = bits == 4 ? 8 : 128;
  int64_t groups = blocks * kPerBlock / group, blocksPerGroup = group / kPerBlock,
          colBlocks = panel / 16;
  QuantizedActivations q = quantizeActivations(b, loc, a, group);
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  auto bytes = VectorType::get({64}, i8);
  auto lanes = VectorType::get({16}, i32);
  auto floats = VectorType::get({16}, f32);
  auto halves = VectorType::get({16}, b.getF16Type());
  auto cst = [&](OpBuilder &nb, Location nl, int64_t v) {
    return arith::ConstantIndexOp::create(nb, nl, v).getResult();
  };
  auto read = [&](OpBuilder &nb, Location nl, VectorType t, Value src, ValueRange idx) {
    Type e = t.getElementType();
    Value pad = arith::ConstantOp::create(nb, nl, nb.getZeroAttr(e));
    return vector::TransferReadOp::create(nb, nl, t, src, idx, pad,
                                          SmallVector<bool>(t.getRank(), true))
        .getResult();
  };
  // Four activation bytes of row m from column k, in every lane.
  auto broadcastActs = [&](OpBuilder &nb, Location nl, Value m, Value k) {
    Value four = read(nb, nl, VectorType::get({4}, i8), q.values, ValueRange{m, k});
    Value word = vector::BitCastOp::create(nb, nl, VectorType::get({1}, i32), four);
    Value scalar = vector::ExtractOp::create(nb, nl, word, ArrayRef<int64_t>{0});
    return vector::BitCastOp::create(nb, nl, bytes,
                                     vector::BroadcastOp::create(nb, nl, lanes, scalar))
        .getResult();
  };
  Value rows = tensor::DimOp::create(b, loc, a, 0);
  // Rows [m0, m0 + r) of panel p over all groups, onto `out`: the f32
  // sums are loop-carried vectors (read once, written once), the i32 dot
  // products per group.
  auto rowBlock = [&](OpBuilder &rb, Location rl, Value p, Value m0, int64_t r,
                      Value out) -> Value {
    Value n0 = arith::MulIOp::create(rb, rl, p, cst(rb, rl, panel));
    SmallVector<Value> rowsAt, colsAt;
    for (int64_t i = 0; i < r; ++i)
      rowsAt.push_back(arith::AddIOp::create(rb, rl, m0, cst(rb, rl, i)));
    for (int64_t c = 0; c < colBlocks; ++c)
      colsAt.push_back(arith::AddIOp::create(rb, rl, n0, cst(rb, rl, 16 * c)));
    SmallVector<Value> sums0;
    for (int64_t i = 0; i < r; ++i)
      for (int64_t c = 0; c < colBlocks; ++c)
        sums0.push_back(read(rb, rl, floats, out, ValueRange{rowsAt[i], colsAt[c]}));
    int64_t split = r == 1 && bits == 4 ? 2 : 1; // low/high accumulators apart
    int64_t nAcc = r * colBlocks * split;
    auto groupLoop = scf::ForOp::create(
        rb, rl, cst(rb, rl, 0), cst(rb, rl, groups), cst(rb, rl, 1), sums0,
        [&](OpBuilder &gb, Location gl, Value j, ValueRange sums) {
          Value zero = arith::ConstantOp::create(gb, gl, DenseElementsAttr::get(lanes, 0));
          SmallVector<Value> accInit(nAcc, zero);
          Value kb0 = arith::MulIOp::create(gb, gl, j, cst(gb, gl, blocksPerGroup));
          Value kb1 = arith::AddIOp::create(gb, gl, kb0, cst(gb, gl, blocksPerGroup));
          auto blockLoop = scf::ForOp::create(
              gb, gl, kb0, kb1, cst(gb, gl, 1), accInit,
              [&](OpBuilder &kb, Location kl, Value blk, ValueRange acc) {
                Value mask = arith::ConstantOp::create(
                    kb, kl, DenseElementsAttr::get(bytes, kb.getI8IntegerAttr(0x0F).getValue()));
                Value four = arith::ConstantOp::create(
                    kb, kl, DenseElementsAttr::get(bytes, kb.getI8IntegerAttr(4).getValue()));
                SmallVector<Value> lo, hi;
                for (int64_t c = 0; c < colBlocks; ++c) {
                  Value w = read(kb, kl, bytes, values,
                                 ValueRange{p, blk, cst(kb, kl, 64 * c)});
                  if (bits == 8) {
                    lo.push_back(w);
                    continue;
                  }
                  lo.push_back(arith::AndIOp::create(kb, kl, w, mask));
                  hi.push_back(arith::ShRUIOp::create(kb, kl, w, four));
                }
                Value k0 = arith::MulIOp::create(kb, kl, blk, cst(kb, kl, kPerBlock));
                Value k4 = arith::AddIOp::create(kb, kl, k0, cst(kb, kl, 4));
                SmallVector<Value> next(acc.begin(), acc.end());
                for (int64_t i = 0; i < r; ++i) {
                  Value xl = broadcastActs(kb, kl, rowsAt[i], k0);
                  Value xh = bits == 4 ? broadcastActs(kb, kl, rowsAt[i], k4) : Value();
                  for (int64_t c = 0; c < colBlocks; ++c) {
                    int64_t at = (i * colBlocks + c) * split;
                    next[at] = VnniDotOp::create(kb, kl, next[at], lo[c], xl);
                    if (bits == 8)
                      continue;
                    int64_t at2 = at + split - 1;
                    next[at2] = VnniDotOp::create(kb, kl, next[at2], hi[c], xh);
                  }
                }
                scf::YieldOp::create(kb, kl, next);
              });
          SmallVector<Value> nextSums(sums.begin(), sums.end());
          Value eight = arith::ConstantOp::create(gb, gl, gb.getI32IntegerAttr(offset));
          SmallVector<Value> sw;
          for (int64_t c = 0; c < colBlocks; ++c)
            sw.push_back(arith::ExtFOp::create(
                gb, gl, floats,
                read(gb, gl, halves, scales, ValueRange{p, j, cst(gb, gl, 16 * c)})));
          for (int64_t i = 0; i < r; ++i) {
            Value sx = tensor::ExtractOp::create(gb, gl, q.scales, ValueRange{rowsAt[i], j});
            Value sum = tensor::ExtractOp::create(gb, gl, q.sums, ValueRange{rowsAt[i], j});
            Value corr = vector::BroadcastOp::create(
                gb, gl, lanes, arith::MulIOp::create(gb, gl, sum, eight));
            Value sxv = vector::BroadcastOp::create(gb, gl, floats, sx);
            for (int64_t c = 0; c < colBlocks; ++c) {
              int64_t at = (i * colBlocks + c) * split;
              Value d = blockLoop.getResult(at);
              if (split == 2)
                d = arith::AddIOp::create(gb, gl, d, blockLoop.getResult(at + 1));
              d = arith::SubIOp::create(gb, gl, d, corr);
              Value df = arith::SIToFPOp::create(gb, gl, floats, d);
              Value scale = arith::MulFOp::create(gb, gl, sw[c], sxv);
              nextSums[i * colBlocks + c] =
                  math::FmaOp::create(gb, gl, df, scale, sums[i * colBlocks + c]);
            }
          }
          scf::YieldOp::create(gb, gl, nextSums);
        });
    Value o = out;
    for (int64_t i = 0; i < r; ++i)
      for (int64_t c = 0; c < colBlocks; ++c)
        o = vector::TransferWriteOp::create(rb, rl, groupLoop.getResult(i * colBlocks + c), o,
                                            ValueRange{rowsAt[i], colsAt[c]},
                                            ArrayRef<bool>{true})
                .getResult();
    return o;
  };
  auto panelLoop = scf::ForOp::create(
      b, loc, cst(b, loc, 0), cst(b, loc, panels), cst(b, loc, 1), ValueRange{init},
      [&](OpBuilder &pb, Location pl, Value p, ValueRange pIter) {
        constexpr int64_t kRows = 4;
        Value rest = arith::RemUIOp::create(pb, pl, rows, cst(pb, pl, kRows));
        Value mainEnd = arith::SubIOp::create(pb, pl, rows, rest);
        auto main = scf::ForOp::create(
            pb, pl, cst(pb, pl, 0), mainEnd, cst(pb, pl, kRows), pIter,
            [&](OpBuilder &mb, Location ml, Value m0, ValueRange mIter) {
              scf::YieldOp::create(mb, ml, rowBlock(mb, ml, p, m0, kRows, mIter[0]));
            });
        auto tail = scf::ForOp::create(
            pb, pl, mainEnd, rows, cst(pb, pl, 1), main.getResults(),
            [&](OpBuilder &mb, Location ml, Value m0, ValueRange mIter) {
              scf::YieldOp::create(mb, ml, rowBlock(mb, ml, p, m0, 1, mIter[0]));
            });
        scf::YieldOp::create(pb, pl, tail.getResults());
      });
  if (panels > 1)
    panelLoop->setAttr("xgenmm.parallel", b.getUnitAttr());
  return panelLoop.getResult(0);
}

Value quantizedMatmul(OpBuilder &b, Location loc, Value a, Value values,
                      Value scales, int64_t group, int64_t bits, Value bias,
                      Value residual) {
  MLIRContext *ctx = b.getContext();
  if (tensorType(values).getRank() == 3)
    return vnniMatmul(b, loc, a, values, scales, group, bits,
                      matmulInit(b, loc, a, tensorType(values).getDimSize(0) *
                                                tensorType(values).getDimSize(2) / 4,
                                 bias, residual));
  int64_t perStored = bits == 4 ? 2 : 1, storedGroup = group / perStored;
  int64_t k = tensorType(values).getDimSize(0) * perStored,
          n = tensorType(values).getDimSize(1);
  Value init = matmulInit(b, loc, a, n, bias, residual);
  if (tensorType(a).getDimSize(0) == 1)
    return bits == 4 ? quantizedMatvecInt4(b, loc, a, values, scales, group, init)
                     : quantizedMatvec(b, loc, a, values, scales, group, bits, init);
  auto cst = [&](OpBuilder &nb, int64_t v) {
    return arith::ConstantIndexOp::create(nb, loc, v).getResult();
  };
  AffineExpr dm, dn, dk;
  bindDims(ctx, dm, dn, dk);
  auto mapA = AffineMap::get(3, 0, {dm, dk}, ctx);
  auto rest = mapsFromExprs(ctx, {{dk, dn}, {dn}, {dm, dn}});
  OpFoldResult rows = tensor::getMixedSize(b, loc, a, 0);
  auto loop = scf::ForOp::create(
      b, loc, cst(b, 0), cst(b, k / group), cst(b, 1), ValueRange{init},
      [&](OpBuilder &nb, Location nl, Value kg, ValueRange acc) {
        Value k0 = arith::MulIOp::create(nb, nl, kg, cst(nb, group));
        OpFoldResult one = nb.getIndexAttr(1), zero = nb.getIndexAttr(0);
        SmallVector<Value> ag = groupActivations(nb, nl, a, k0, rows, group, bits);
        Value s0 = bits == 8 ? k0 : arith::MulIOp::create(nb, nl, kg, cst(nb, storedGroup)).getResult();
        Value qg = tensor::ExtractSliceOp::create(
            nb, nl, values, SmallVector<OpFoldResult>{s0, zero},
            SmallVector<OpFoldResult>{nb.getIndexAttr(storedGroup), nb.getIndexAttr(n)},
            SmallVector<OpFoldResult>{one, one});
        Value sg = tensor::ExtractSliceOp::create(
            nb, nl, RankedTensorType::get({n}, nb.getF32Type()), scales,
            SmallVector<OpFoldResult>{kg, zero},
            SmallVector<OpFoldResult>{one, nb.getIndexAttr(n)},
            SmallVector<OpFoldResult>{one, one});
        SmallVector<Value> ins(ag);
        ins.append({qg, sg});
        SmallVector<AffineMap> maps(ag.size(), mapA);
        maps.append(rest);
        size_t nActs = ag.size();
        auto g = linalg::GenericOp::create(
            nb, nl, acc[0].getType(), ins, ValueRange{acc[0]}, maps, iterators(3, 1),
            [&](OpBuilder &bb, Location bl, ValueRange args) {
              Value dot = dequantDot(bb, bl, args.take_front(nActs), args[nActs],
                                     args[nActs + 1], bits);
              linalg::YieldOp::create(
                  bb, bl, ValueRange{arith::AddFOp::create(bb, bl, args.back(), dot)});
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
  if (auto linear = dyn_cast<LinearOp>(dense)) {
    // The float twin of a kernel that quantizes its activations
    // (--simulate-quantization of int4 VNNI): the same rounding first.
    if (auto g = linear->getAttrOfType<IntegerAttr>(kActivationGroupAttr)) {
      Value x = linear.getInput();
      Value m = matmulTransposedB(
          b, loc, fakeQuantizeActivations(b, loc, collapseToMatrix(b, loc, x), g.getInt()),
          linear.getWeight(), linear.getBias(),
          residual ? collapseToMatrix(b, loc, residual) : Value());
      return finishDense(b, loc, m, x, epilogue);
    }
    return linearAnyRank(b, loc, linear.getInput(), linear.getWeight(),
                         linear.getBias(), residual, epilogue);
  }
  auto q = cast<QuantizedLinearOp>(dense);
  Value x = q.getInput();
  Value m = quantizedMatmul(b, loc, collapseToMatrix(b, loc, x), q.getValues(),
                            q.getScales(), q.getGroupSize(), q.getBits(), q.getBias(),
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
