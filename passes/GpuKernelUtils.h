//===- GpuKernelUtils.h - building blocks of the hand-built GPU kernels ---===//
//
// Shared by the tensor-core kernels (xgenmm-gpu-mma-matmul,
// xgenmm-gpu-flash-attention): index arithmetic, guarded loads, and the
// bf16 mma.sync m16n8k16 with its register packing.
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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::xgenmm::gpu_kernels {

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

} // namespace mlir::xgenmm::gpu_kernels

#endif // XGENMM_PASSES_GPUKERNELUTILS_H
