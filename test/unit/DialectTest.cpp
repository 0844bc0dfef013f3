//===- DialectTest.cpp - C++ API of the xgenmm dialect --------------------===//
//
// What the passes and the importer rely on beyond the textual format: the
// builders, the helpers declared in ODS, and the verifier on IR built in C++.
//
//===----------------------------------------------------------------------===//
#include "dialects/XgenmmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

class XgenmmDialectTest : public ::testing::Test {
protected:
  XgenmmDialectTest() {
    context.loadDialect<XgenmmDialect, func::FuncDialect>();
  }
  RankedTensorType tensor(ArrayRef<int64_t> shape, Type elt = {}) {
    return RankedTensorType::get(shape, elt ? elt : builder.getF32Type());
  }
  MLIRContext context;
  OpBuilder builder{&context};
  Location loc = builder.getUnknownLoc();
};

TEST_F(XgenmmDialectTest, StackedWeightNamesPerLayer) {
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  auto w = WeightOp::create(builder, loc, tensor({27, 1152, 4304}),
                            "vlm.vision_encoder.encoder.layers.{}.mlp.fc1.weight",
                            builder.getI64IntegerAttr(27), QuantAttr(), ArrayAttr());
  EXPECT_EQ(w.getLayerName(0), "vlm.vision_encoder.encoder.layers.0.mlp.fc1.weight");
  EXPECT_EQ(w.getLayerName(26), "vlm.vision_encoder.encoder.layers.26.mlp.fc1.weight");
  EXPECT_EQ(w.getElementsPerLayer(), 1152 * 4304);
  EXPECT_TRUE(succeeded(verify(module)));
  module->erase();
}

TEST_F(XgenmmDialectTest, UnstackedWeightKeepsItsName) {
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  auto src = SourceAttr::get(&context, "model.safetensors", 128,
                             builder.getBF16Type());
  auto w = WeightOp::create(builder, loc, tensor({3, 3072}),
                            "vlm.lang_model.lm_head.additional_fc.weight",
                            IntegerAttr(), QuantAttr(), builder.getArrayAttr({src}));
  EXPECT_EQ(w.getLayerName(5), "vlm.lang_model.lm_head.additional_fc.weight");
  EXPECT_EQ(w.getElementsPerLayer(), 3 * 3072);
  auto sources = w.getSources();
  ASSERT_TRUE(sources.has_value());
  auto parsed = cast<SourceAttr>((*sources)[0]);
  EXPECT_EQ(parsed.getFile(), "model.safetensors");
  EXPECT_EQ(parsed.getOffset(), 128);
  EXPECT_TRUE(parsed.getDtype().isBF16());
  EXPECT_TRUE(succeeded(verify(module)));
  module->erase();
}

TEST_F(XgenmmDialectTest, NormBuildersInferTheResultType) {
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(
      builder, loc, "f",
      builder.getFunctionType({tensor({ShapedType::kDynamic, 64}), tensor({64}),
                               tensor({64})},
                              {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  auto ln = LayerNormOp::create(builder, loc, entry->getArgument(0),
                                entry->getArgument(1), entry->getArgument(2),
                                1e-6f);
  auto rms = RmsNormOp::create(builder, loc, ln.getResult(),
                               entry->getArgument(1), 1e-5f);
  func::ReturnOp::create(builder, loc);
  EXPECT_EQ(rms.getType(), entry->getArgument(0).getType());
  EXPECT_FLOAT_EQ(ln.getEpsilonAttr().getValueAsDouble(), 1e-6f);
  EXPECT_TRUE(succeeded(verify(module)));
  module->erase();
}

TEST_F(XgenmmDialectTest, VerifierRejectsIrBuiltInCpp) {
  auto module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module.getBody());
  // 16 heads x 72 = 1152, but the query is 1024 wide.
  auto func = func::FuncOp::create(
      builder, loc, "f", builder.getFunctionType({tensor({729, 1024})}, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  Value q = entry->getArgument(0);
  AttentionOp::create(builder, loc, q.getType(), TypeRange(), q, q, q, Value(),
                      ValueRange(), Value(), 16, 16, 72, llvm::APFloat(0.117851f),
                      /*causal=*/false, IntegerAttr());
  func::ReturnOp::create(builder, loc);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(module)));
  EXPECT_NE(message.find("query width 1024 is not heads x head_dim = 16 x 72 = 1152"),
            std::string::npos)
      << message;
  module->erase();
}

TEST_F(XgenmmDialectTest, LayerStackAccessorsSplitTheBlockArguments) {
  const char *ir = R"mlir(
    func.func @f(%x: tensor<4xf32>, %w: tensor<3x4xf32>, %p: index) -> (tensor<4xf32>, tensor<3x4xf32>) {
      %h, %s = xgenmm.layer_stack layers 3 carry(%x : tensor<4xf32>)
          per_layer(%w : tensor<3x4xf32>) shared(%p : index) -> tensor<4xf32>, tensor<3x4xf32> {
      ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: index):
        xgenmm.yield %a, %b : tensor<4xf32>, tensor<4xf32>
      }
      return %h, %s : tensor<4xf32>, tensor<3x4xf32>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(ir, &context);
  ASSERT_TRUE(module);
  LayerStackOp stack;
  module->walk([&](LayerStackOp s) { stack = s; });
  ASSERT_TRUE(stack);
  EXPECT_EQ(stack.getLayers(), 3u);
  EXPECT_EQ(stack.getCarryArgs().size(), 1u);
  EXPECT_EQ(stack.getPerLayerArgs().size(), 1u);
  EXPECT_EQ(stack.getSharedArgs().size(), 1u);
  EXPECT_EQ(stack.getCarryResults().size(), 1u);
  EXPECT_EQ(stack.getStackedResults().size(), 1u);
  EXPECT_EQ(stack.getPerLayerArgs()[0].getType(), tensor({4}));
  EXPECT_TRUE(isa<IndexType>(stack.getSharedArgs()[0].getType()));
}

} // namespace
