//===- GpuKernelUtils.h - building blocks of the hand-built GPU kernels ---===//
//
// Shared by the tensor-core kernels (xgenmm-gpu-mma-matmul,
// xgenmm-gpu-flash-attention): index arithmetic, guarded loads, 16-byte
// staging chunks with their alignment checks, ldmatrix, and the bf16
// mma.sync m16n8k16 with its register packing.
//
// PTX's m16n8k16 fragment layouts (lane = 4 * group + t):
//   A regs {(group, 2t..2t+1), (group+8, 2t..), (group, 2t+8..), (group+8, 2t+8..)}
//   B regs {(k = 2t..2t+1, n = group), (k = 2t+8.., n = group)}
//   C      {(group, 2t), (group, 2t+1), (group+8, 2t), (group+8, 2t+1)}
// Each register holds two consecutive bf16 of a row of A or a column of B.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_PASSES_GPUKERNELUTILS_H
#define XGENMM_PASSES_GPUKERNELUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::xgenmm::gpu_kernels {

/// Elements per staging chunk: 16 bytes of bf16 in shared memory.
constexpr int64_t kChunk = 8;

struct Emitter {
  OpBuilder &b;
  Location loc;
  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return y ? add(x, cst(y)) : x; }
  Value mul(Value x, int64_t y) { return arith::MulIOp::create(b, loc, x, cst(y)); }
  Value div(Value x, int64_t y) { return arith::DivUIOp::create(b, loc, x, cst(y)); }
  Value rem(Value x, int64_t y) { return arith::RemUIOp::create(b, loc, x, cst(y)); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  /// `memref[indices]` if `inBounds`, else 0 (as `type`, converted).
  Value guardedLoad(Value memref, ValueRange indices, Value inBounds, Type type) {
    Type elt = cast<MemRefType>(memref.getType()).getElementType();
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{elt}, inBounds, true, true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      Value v = memref::LoadOp::create(b, loc, memref, indices);
      scf::YieldOp::create(b, loc, v);
      b.setInsertionPointToStart(ifOp.elseBlock());
      Value z = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
      scf::YieldOp::create(b, loc, z);
    }
    return convert(ifOp.getResult(0), type);
  }
  Value guardedLoad(Value memref, Value i, Value j, Value inBounds, Type type) {
    return guardedLoad(memref, ValueRange{i, j}, inBounds, type);
  }
  /// Float conversion (extf or truncf) to `type`.
  Value convert(Value v, Type type) {
    if (v.getType() == type)
      return v;
    if (type.getIntOrFloatBitWidth() < v.getType().getIntOrFloatBitWidth())
      return arith::TruncFOp::create(b, loc, type, v);
    return arith::ExtFOp::create(b, loc, type, v);
  }
  /// An mma register from two consecutive bf16 of a 2-d shared buffer.
  Value sharedPair(Value shared, Value row, Value col) {
    VectorType pairType = VectorType::get({2}, b.getBF16Type());
    Value v = vector::LoadOp::create(b, loc, pairType, shared, ValueRange{row, col});
    return LLVM::BitcastOp::create(b, loc, b.getI32Type(), v);
  }
  /// An mma register from two floats, rounded to bf16 (`lo` first).
  Value packPair(Value lo, Value hi) {
    Type bf16 = b.getBF16Type();
    Value v = vector::FromElementsOp::create(b, loc, VectorType::get({2}, bf16),
                                             ValueRange{convert(lo, bf16), convert(hi, bf16)});
    return LLVM::BitcastOp::create(b, loc, b.getI32Type(), v);
  }
  /// Whether 16-byte vector loads of chunks of `view`'s innermost dimension
  /// (at indices that are multiples of kChunk) are aligned: an i1 value, or
  /// null where they never are (innermost stride not 1, or a static stride
  /// not a multiple of 16 bytes). Dynamic strides and the offset are checked
  /// at run time; the buffer itself is taken to be at least 16-byte aligned
  /// (the runtime's allocations, the weights' offsets in the artifact).
  Value chunksAligned(Value view) {
    auto type = cast<MemRefType>(view.getType());
    int64_t lanes = 16 / (type.getElementTypeBitWidth() / 8);
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) || strides.back() != 1)
      return nullptr;
    bool dynamic = ShapedType::isDynamic(offset);
    if (!dynamic && offset % lanes != 0)
      return nullptr;
    for (int64_t s : strides) {
      if (!ShapedType::isDynamic(s) && s % lanes != 0 && s != 1)
        return nullptr;
      dynamic |= ShapedType::isDynamic(s);
    }
    Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
    if (!dynamic)
      return ok;
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, view);
    auto divisible = [&](Value v) {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rem(v, lanes), cst(0));
    };
    if (ShapedType::isDynamic(offset))
      ok = both(ok, divisible(meta.getOffset()));
    for (auto [i, s] : llvm::enumerate(strides))
      if (ShapedType::isDynamic(s))
        ok = both(ok, divisible(meta.getStrides()[i]));
    return ok;
  }

  /// view[indices .. + (0, .., 0, kChunk - 1)] as vector<kChunk x bf16>:
  /// where `inBounds` (the other indices) holds, the last index + kChunk - 1
  /// is below `extent` and `aligned` (may be null: never) holds, 16-byte
  /// vector loads; else element by element, zero past `extent` or where
  /// `inBounds` fails.
  Value loadChunk(Value view, ValueRange indices, Value inBounds, Value extent, Value aligned) {
    Type bf16 = b.getBF16Type();
    Type elt = cast<MemRefType>(view.getType()).getElementType();
    auto chunkType = VectorType::get({kChunk}, bf16);
    SmallVector<Value> idx(indices.begin(), indices.end());
    Value col = idx.back();
    auto slow = [&]() {
      SmallVector<Value> elements;
      for (int64_t j = 0; j < kChunk; ++j) {
        idx.back() = add(col, j);
        elements.push_back(guardedLoad(view, idx, both(inBounds, lt(idx.back(), extent)), bf16));
      }
      return vector::FromElementsOp::create(b, loc, chunkType, elements).getResult();
    };
    if (!aligned)
      return slow();
    Value inside = both(both(inBounds, lt(add(col, kChunk - 1), extent)), aligned);
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{chunkType}, inside, true, true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    int64_t lanes = 16 / (elt.getIntOrFloatBitWidth() / 8);
    SmallVector<Value> parts;
    for (int64_t p = 0; p < kChunk; p += lanes) {
      idx.back() = add(col, p);
      auto load = vector::LoadOp::create(b, loc, VectorType::get({lanes}, elt), view, idx);
      load.setAlignment(16);
      parts.push_back(load);
    }
    Value v = parts.size() == 1
                  ? parts[0]
                  : vector::ShuffleOp::create(b, loc, parts[0], parts[1],
                                              llvm::to_vector(llvm::seq<int64_t>(0, kChunk)))
                        .getResult();
    if (elt != bf16)
      v = arith::TruncFOp::create(b, loc, chunkType, v);
    scf::YieldOp::create(b, loc, v);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, slow());
    return ifOp.getResult(0);
  }

  /// The 4 mma registers of an ldmatrix.x4 (`transpose`: .trans) whose 32
  /// lanes give the row addresses shared[indices] (lanes 8 i .. 8 i + 7:
  /// rows 0..7 of matrix i, 16-byte aligned).
  SmallVector<Value, 4> ldmatrix4(Value shared, ValueRange indices, bool transpose) {
    auto type = VectorType::get({4, 2}, b.getBF16Type());
    Value m = nvgpu::LdMatrixOp::create(b, loc, type, shared, indices, transpose,
                                        /*numTiles=*/4);
    SmallVector<Value, 4> regs;
    for (int64_t i = 0; i < 4; ++i) {
      Value pair = vector::ExtractOp::create(b, loc, m, ArrayRef<int64_t>{i});
      regs.push_back(LLVM::BitcastOp::create(b, loc, b.getI32Type(), pair));
    }
    return regs;
  }

  /// c += a * b on a 16 x 8 tile, bf16 x bf16 -> f32 (a: 4 registers, b: 2,
  /// c: 4 floats); returns the 4 new accumulators.
  SmallVector<Value, 4> mma(ArrayRef<Value> a, ArrayRef<Value> bRegs, ArrayRef<Value> c) {
    Type f32 = b.getF32Type();
    auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
    auto op = NVVM::MmaOp::create(
        b, loc, resultType, a, bRegs, c,
        /*shape=*/ArrayRef<int64_t>{16, 8, 16}, /*b1Op=*/std::nullopt,
        /*intOverflow=*/std::nullopt,
        /*multiplicandPtxTypes=*/
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
        /*multiplicandLayouts=*/
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value, 4> out;
    for (int r = 0; r < 4; ++r)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, op, r));
    return out;
  }
};

/// The allocation (or argument) a memref view is taken from, through
/// view-like ops.
inline Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Whether `op` (or an op in its regions) uses a memref taken from `root`.
inline bool usesRoot(Operation *op, Value root) {
  bool found = false;
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) && rootOf(v) == root)
        found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

} // namespace mlir::xgenmm::gpu_kernels

#endif // XGENMM_PASSES_GPUKERNELUTILS_H
