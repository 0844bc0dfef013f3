//===- CpuPipeline.cpp - xgenmm IR -> LLVM dialect for CPUs ---------------===//
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

namespace mlir::xgenmm {
#define GEN_PASS_DEF_XGENMMCOPIESTOLINALG
#define GEN_PASS_DEF_XGENMMEXPANDBF16
#include "passes/Passes.h.inc"
} // namespace mlir::xgenmm

using namespace mlir;
using namespace mlir::xgenmm;

namespace {

struct XgenmmCopiesToLinalgPass
    : xgenmm::impl::XgenmmCopiesToLinalgBase<XgenmmCopiesToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      if (c.getSource() != c.getTarget())
        linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};

/// Whether the host CPU lacks AVX512-BF16 (the default of the CLI
/// pipelines' expand-bf16: their code runs here, in mlir-runner or the
/// benchmarks built with -march=native).
bool hostLacksBf16() { return !llvm::sys::getHostCPUFeatures().lookup("avx512bf16"); }

struct CpuPipelineCliOptions : PassPipelineOptions<CpuPipelineCliOptions> {
  Option<std::string> dtype{*this, "dtype",
                            llvm::cl::desc("Weight storage: f32, bf16 or stored"),
                            llvm::cl::init("f32")};
  Option<int64_t> maxTokens{*this, "max-tokens",
                            llvm::cl::desc("Bound of sequence lengths (buffer plan)"),
                            llvm::cl::init(4096)};
  Option<int64_t> maxViews{*this, "max-views",
                           llvm::cl::desc("Bound of image views (buffer plan)"),
                           llvm::cl::init(5)};
  Option<bool> bf16Dot{*this, "bf16-dot",
                       llvm::cl::desc("Matrix products over bf16 weights with more than "
                                      "one row on AVX512-BF16 dot products"),
                       llvm::cl::init(false)};
  Option<bool> expandBf16{*this, "expand-bf16",
                          llvm::cl::desc("Round to bf16 with integer operations "
                                         "(default: where the host lacks avx512bf16)"),
                          llvm::cl::init(hostLacksBf16())};
  Option<bool> avx512{*this, "avx512",
                      llvm::cl::desc("Register tiles for AVX-512's 32 zmm registers "
                                     "(false: AVX2's 16 ymm)"),
                      llvm::cl::init(true)};
};

struct CpuCodegenCliOptions : PassPipelineOptions<CpuCodegenCliOptions> {
  Option<bool> bf16Dot{*this, "bf16-dot",
                       llvm::cl::desc("Matrix products over bf16 weights with more than "
                                      "one row on AVX512-BF16 dot products"),
                       llvm::cl::init(false)};
  Option<bool> expandBf16{*this, "expand-bf16",
                          llvm::cl::desc("Round to bf16 with integer operations "
                                         "(default: where the host lacks avx512bf16)"),
                          llvm::cl::init(hostLacksBf16())};
  Option<bool> avx512{*this, "avx512",
                      llvm::cl::desc("Register tiles for AVX-512's 32 zmm registers "
                                     "(false: AVX2's 16 ymm)"),
                      llvm::cl::init(true)};
  Option<int64_t> maxTokens{*this, "max-tokens",
                            llvm::cl::desc("Bound of sequence lengths (buffer plan)"),
                            llvm::cl::init(4096)};
  Option<int64_t> causalRows{*this, "causal-rows",
                             llvm::cl::desc("Query rows per block of causal attention with "
                                            "dynamic rows (0: not blocked)"),
                             llvm::cl::init(32)};
  Option<int64_t> maxPosition{*this, "max-position",
                              llvm::cl::desc("Bound of index arguments, the positions "
                                             "(buffer plan; 0 means max-tokens)"),
                              llvm::cl::init(0)};
};

/// From linalg on tensors (weights bound, dense weights transposed, the
/// dense contractions marked `xgenmm.matmul`) to the LLVM dialect.
void buildCpuCodegenPipeline(OpPassManager &pm, const CpuPipelineOptions &options) {
  // The attention contractions marked, the keys transposed for the first;
  // the marked contractions tiled and vectorized on tensors by the embedded
  // schedule (passes/schedules/cpu.mlir), the accumulator tiles hoisted out
  // of the K loops into registers.
  // Epilogues (GELU) tiled with their contractions into the schedule's
  // cache tiles.
  // On AVX512-BF16: the bf16-weight products of encoding and prefill
  // read bf16-rounded activations (vdpbf16ps after the schedule).
  if (options.bf16Dot)
    pm.addPass(createXgenmmBf16DotMatmuls());
  pm.addPass(createXgenmmFuseEpilogues());
  // Decode's matrix-vector products split along K, one contiguous block of
  // weight rows per part, the parts shared among threads.
  pm.addPass(createXgenmmSplitMatvec());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createXgenmmTransposeAttentionKeys());
  // q k^T over bf16-rounded q and keys (dot products), with the products.
  if (options.bf16Dot)
    pm.addPass(createXgenmmBf16DotAttention());
  // Attention with static rows and keys one block of query rows at a time,
  // the scores in cache.
  XgenmmFuseAttentionOptions fuseAttention;
  fuseAttention.causalRows = options.causalRows;
  pm.addPass(createXgenmmFuseAttention(fuseAttention));
  pm.addPass(createCanonicalizerPass());
  // bf16 dot products: cache tiles first, each tile's weight interleaved
  // into k pairs once (shared by the tile's row blocks), then the register
  // tiles with the others.
  // The fp32 products likewise: cache tiles, each tile's weight window
  // copied to contiguous rows once.
  if (options.bf16Dot) {
    XgenmmApplyScheduleOptions bf16Cache;
    bf16Cache.entryPoint = "xgenmm_tile_bf16_cache";
    pm.addPass(createXgenmmApplySchedule(bf16Cache));
    pm.addPass(createXgenmmPackBf16Tiles());
  }
  XgenmmApplyScheduleOptions cache;
  cache.entryPoint = "xgenmm_tile_cache";
  pm.addPass(createXgenmmApplySchedule(cache));
  pm.addPass(createXgenmmPackWeightTiles());
  XgenmmApplyScheduleOptions tileVec;
  tileVec.entryPoint = options.avx512 ? "xgenmm_tile_vec" : "xgenmm_tile_vec_avx2";
  pm.addPass(createXgenmmApplySchedule(tileVec));
  // The elementwise generics around them on 16-lane vectors.
  pm.addPass(createXgenmmVectorizeElementwise());
  // (Canonical indices first: the row reductions' vector accumulators are
  // then recognised as loop-invariant subsets and carried in registers.)
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoopInvariantSubsetHoistingPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Bufferize across function boundaries; results that alias arguments (the
  // KV caches) are dropped and the others become out-parameters.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Folding the layer loops' loop-invariant cache buffers first lets the
  // cache results be recognised as the cache arguments.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createXgenmmExportEntryPoints());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Every intermediate buffer at a fixed offset of one arena: no call
  // allocates. What cannot be planned is freed by the deallocation pipeline.
  // Loops the schedule marked parallel (disjoint tiles) -> scf.parallel,
  // before the buffer plan places any allocation left in them.
  pm.addPass(createXgenmmParallelizeLoops());
  XgenmmPlanBuffersOptions plan;
  plan.maxTokens = options.maxTokens;
  plan.maxPosition = options.maxPosition;
  plan.maxViews = options.maxViews;
  pm.addPass(createXgenmmPlanBuffers(plan));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createXgenmmCopiesToLinalg());

  // Code generation: the vector ops of the schedule to loads, stores and
  // FMAs; everything else still by scalar loops.
  XgenmmApplyScheduleOptions lowerVec;
  lowerVec.entryPoint = "xgenmm_lower_vec";
  if (options.bf16Dot)
    pm.addPass(createXgenmmLowerBf16Dot());
  pm.addPass(createXgenmmApplySchedule(lowerVec));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertVectorToSCFPass());
  // scf.parallel -> OpenMP fork-join (threads from the OpenMP runtime).
  pm.addPass(createConvertSCFToOpenMPPass());
  // The VNNI kernels' dot products (int4, int8 weights) to their intrinsic.
  pm.addPass(createXgenmmLowerVnniDot());

  // To LLVM.
  // rsqrt has no libm function: 1 / sqrt. Everything else keeps its libm
  // or LLVM-intrinsic form, so results match the reference's libm.
  math::MathExpandOpsPassOptions expand;
  expand.opMnemonics = {"rsqrt"};
  pm.addPass(math::createMathExpandOpsPass(expand));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // LLVM intrinsics first: vector math.fma (the polynomial approximations'
  // building block) must become a vector FMA, not 16 scalar fmaf calls as
  // math-to-libm would unroll it; scalar exp/log/... as intrinsics still
  // call libm's expf etc. What has no intrinsic (tanh, erf) goes to libm.
  // Without AVX512-BF16, rounding to bf16 as integer operations (else
  // libcalls of __truncsfbf2, one per lane, which old libgcc lacks).
  if (options.expandBf16)
    pm.addPass(createXgenmmExpandBf16());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.x86Vector = options.bf16Dot;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

struct XgenmmExpandBf16Pass : xgenmm::impl::XgenmmExpandBf16Base<XgenmmExpandBf16Pass> {
  void runOnOperation() override {
    // The roundings only: widening bf16 is a shift LLVM does itself.
    SmallVector<Operation *> roundings;
    getOperation()->walk([&](arith::TruncFOp t) {
      if (getElementTypeOrSelf(t.getType()).isBF16())
        roundings.push_back(t);
    });
    if (roundings.empty())
      return;
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (failed(applyOpPatternsGreedily(roundings, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

void mlir::xgenmm::buildCpuLinalgPipeline(OpPassManager &pm,
                                          const CpuPipelineOptions &options) {
  XgenmmBindWeightsOptions bind;
  bind.dtype = options.dtype;
  pm.addPass(createXgenmmBindWeights(bind));
  pm.addPass(createXgenmmLowerToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Dense layers: weights stored as [K, N], their contractions marked for
  // the schedule.
  pm.addPass(createXgenmmTransposeDenseWeights());
}

void mlir::xgenmm::buildCpuCodegenHalf(OpPassManager &pm, const CpuPipelineOptions &options) {
  buildCpuCodegenPipeline(pm, options);
}

void mlir::xgenmm::buildCpuPipeline(OpPassManager &pm,
                                    const CpuPipelineOptions &options) {
  buildCpuLinalgPipeline(pm, options);
  buildCpuCodegenPipeline(pm, options);
}

void mlir::xgenmm::registerCpuPipeline() {
  PassPipelineRegistration<CpuPipelineCliOptions>(
      "xgenmm-cpu-pipeline",
      "xgenmm IR to the LLVM dialect for x86-64 CPUs (the artifact's C ABI)",
      [](OpPassManager &pm, const CpuPipelineCliOptions &cli) {
        CpuPipelineOptions options;
        options.dtype = cli.dtype;
        options.maxTokens = cli.maxTokens;
        options.maxViews = cli.maxViews;
        options.bf16Dot = cli.bf16Dot;
        options.expandBf16 = cli.expandBf16;
        options.avx512 = cli.avx512;
        buildCpuPipeline(pm, options);
      });
  // The code generation half alone, for kernels written at the linalg level
  // (lit tests, benchmarks/): contractions marked `xgenmm.matmul` take the
  // schedule, everything else the scalar path.
  PassPipelineRegistration<CpuCodegenCliOptions>(
      "xgenmm-cpu-codegen-pipeline",
      "linalg on tensors to the LLVM dialect for x86-64 CPUs (the second "
      "half of xgenmm-cpu-pipeline)",
      [](OpPassManager &pm, const CpuCodegenCliOptions &cli) {
        CpuPipelineOptions options;
        options.bf16Dot = cli.bf16Dot;
        options.expandBf16 = cli.expandBf16;
        options.avx512 = cli.avx512;
        options.maxTokens = cli.maxTokens;
        options.maxPosition = cli.maxPosition;
        options.causalRows = cli.causalRows;
        buildCpuCodegenPipeline(pm, options);
      });
}
