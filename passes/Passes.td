//===- Passes.td - xgenmm passes ---------------------------*- tablegen -*-===//
#ifndef XGENMM_PASSES_TD
#define XGENMM_PASSES_TD

include "mlir/Pass/PassBase.td"

def XgenmmModelSummary : Pass<"xgenmm-model-summary", "::mlir::ModuleOp"> {
  let summary = "Print the parameters, layers and FLOPs of an xgenmm model";
  let description = [{
    An analysis that leaves the IR unchanged and prints, for the module:
    parameters and bytes per component (the weight-name prefix up to the
    second dot, e.g. `vlm.vision_encoder`) and stored dtype; and for each
    function: its op counts with layer stacks multiplied out, and the
    multiply-add FLOPs of its linear layers, patch embedding and LM head with every
    dynamic dimension taken as 1 (so: per view for `encode_image`, per token
    for `prefill`/`decode`), plus the attention FLOPs per query-key pair.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the summary ('-' for stdout)">,
  ];
}

def XgenmmExpandLayerStacks : Pass<"xgenmm-expand-layer-stacks"> {
  let summary = "Unroll every xgenmm.layer_stack into one copy of its body per layer";
  let description = [{
    The reference decomposition of `xgenmm.layer_stack`: per-layer operands
    become `tensor.extract_slice`s of layer `l`, carried values are threaded
    from copy to copy, and stacked results are assembled with
    `tensor.insert_slice`. Useful for debugging and for checking that the
    stacked form means what it should; the compiler's pipelines keep stacks
    rolled so that code size does not grow with depth.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def XgenmmLowerToLinalg : Pass<"xgenmm-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower every xgenmm op except xgenmm.weight to linalg, tensor, arith, math and scf";
  let description = [{
    The reference decomposition of the dialect, one pattern file per op
    family: dense layers become contraction generics initialised with their
    bias; norms, GELU, SwiGLU and residual adds become f32 generics;
    attention becomes a q k^T contraction, masking, softmax and a p v
    contraction (with the KV cache updated by insert_slice and only rows
    [0, position + S) attended); RoPE, the embedding, the splice and the
    anyres regrouping become index-computing generics or loops; layer
    stacks become `scf.for` loops over their layers (first, so that the KV
    caches they carry are recognised and updated in place).
    `xgenmm.weight` stays: binding weights to storage is the target
    pipeline's job. Activations must be f32.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def XgenmmQuantizeWeights : Pass<"xgenmm-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Store the weights of dense layers group-quantized";
  let description = [{
    Rewrites every `xgenmm.linear` of the selected model parts whose weight
    is a checkpoint tensor (directly, or a per-layer operand of a layer
    stack) into `xgenmm.quantized_linear` over two new weight references of
    that tensor, its i8 `values` and f32 `scales` (`#xgenmm.quant`, K-major),
    which the compiler computes when it writes the weights: symmetric int8
    per group of `group-size` input features, scale = max |w| / 127
    (`scheme=int4`: max |w| / 7, values in [-7, 7] packed two per byte along
    K, `[K / 2, N]`, and `bits 4` on the op; the group size even). Stacked
    weights stay stacked (the layer stack gets the two new per-layer
    operands instead of the old one).

    `parts` selects by checkpoint name: `vision` (`vlm.vision_encoder.`),
    `resampler` (`vlm.vision_tokenizer.`), `language` (the decoder layers,
    `vlm.lang_model.model.`), `head` (the LM head's `[V, D]` weight,
    `vlm.lang_model.lm_head.weight`: its `xgenmm.lm_head` is first
    decomposed into a linear over all V rows, the slice of the base vocabulary
    and the added tokens' small linear, concatenated). The patch embedding is
    not a linear and stays as it is. A selected weight whose in-features are
    not a multiple of the group size is an error naming it. One scheme per
    run: the compiler runs the pass once per scheme of `--weights`.

    `simulate=true` keeps the linears and marks their weights `dequantized`
    instead: the same rounding, applied at compile time and stored as
    float, run by the float kernels (the reference the quantized kernels are
    tested against, and a scheme's accuracy measured alone).

    `vnni=true` (int4; the compiler sets it for targets with AVX512-VNNI):
    values whose output features are a multiple of 16 and groups a multiple
    of 8 are stored in VNNI panels (`[N / P, K / 8, 4 P]`, layout `"vnni"`;
    see `#xgenmm.quant`), whose kernels quantize the activations to int8 per
    row and group and multiply with integer dot products. With `simulate`,
    those linears get `xgenmm.activation_group` instead: their float twin
    rounds its inputs the same way.
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"int8\"",
           "Quantization scheme: int8 or int4 (two values per byte)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"32",
           "Input features per scale">,
    ListOption<"parts", "parts", "std::string",
               "Model parts to quantize: vision, resampler, language, head">,
    Option<"simulate", "simulate", "bool", /*default=*/"false",
           "Store the dequantized values as float and keep the float kernels">,
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "int4: store the values in VNNI panels where the shape allows (the "
           "kernels quantize activations to int8 and use AVX512-VNNI dot "
           "products); with simulate, round the linears' inputs the same way">,
  ];
}

def XgenmmBindWeights : Pass<"xgenmm-bind-weights", "::mlir::ModuleOp"> {
  let summary = "Lay out every weight in one buffer and read weights from it";
  let description = [{
    Gives every distinct checkpoint tensor (by name; stacked weights with
    their layers contiguous) a 64-byte aligned offset in one weight buffer,
    in the element type chosen by `dtype`, and records the layout in the
    module attribute `xgenmm.weight_layout` (what the compiler writes to
    `weights.bin`). Every function that reads weights gets a leading
    `memref<?xi8>` argument, the buffer, and each `xgenmm.weight` becomes a
    `memref.view` of it at its offset, as a tensor.

    `dtype=f32` stores every weight in f32. `dtype=bf16` stores matrices
    (weights of rank >= 2 per layer, except the resampler latents, which are
    activations) in bf16 and vectors (norm parameters, biases) in f32.
    `dtype=stored` keeps each weight's element type.

    Entry functions become private here: the bufferization that follows
    may then rewrite their results, and `xgenmm-export-entry-points` makes
    them public again.
  }];
  let options = [
    Option<"dtype", "dtype", "std::string", /*default=*/"\"f32\"",
           "Weight storage: f32, bf16 or stored">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect"];
}

def XgenmmExportEntryPoints : Pass<"xgenmm-export-entry-points", "::mlir::ModuleOp"> {
  let summary = "Expose encode_image, prefill and decode with the artifact's C ABI";
  let description = [{
    After bufferization (results that alias arguments dropped, others turned
    into out-parameters), renames `@encode_image`, `@prefill` and `@decode`
    to `@xgenmm_<name>`, makes them public and requests MLIR's C interface
    (`_mlir_ciface_xgenmm_<name>`), the symbols the runtime resolves
    (runtime/ArtifactAbi.h). Fails if an entry point still returns values or
    its argument count differs from the ABI's.
  }];
}

def XgenmmCopiesToLinalg : Pass<"xgenmm-copies-to-linalg"> {
  let summary = "Turn memref.copy into linalg.copy";
  let description = [{
    `memref.copy` between non-identity layouts lowers to a call of
    `memrefCopy` from MLIR's C runner utilities, which a deployed model must
    not need; as `linalg.copy` it goes through the same code generation as
    every other op. Copies of a buffer onto itself are erased.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def XgenmmExpandBf16 : Pass<"xgenmm-expand-bf16"> {
  let summary = "Round f32 to bf16 with integer operations";
  let description = [{
    LLVM lowers `fptrunc float to bfloat` to AVX512-BF16's `vcvtneps2bf16`
    where the target has it and otherwise to a call of `__truncsfbf2`,
    which libgcc before GCC 13 lacks: a model.so for such a CPU would not
    load ("undefined symbol: __truncsfbf2"), and vectors would be rounded
    one lane per call. This pass rewrites `arith.truncf` f32 -> bf16
    (round to nearest even, NaN kept quiet) as integer operations on the
    bit patterns, scalars and vectors alike (MLIR's BF16 expansion
    patterns, applied to the roundings only: widening bf16 to f32 is a
    shift LLVM emits itself). The CPU pipeline runs it where the target CPU
    lacks avx512bf16 (`expand-bf16`).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}

def XgenmmTransposeDenseWeights : Pass<"xgenmm-transpose-dense-weights", "::mlir::ModuleOp"> {
  let summary = "Store the weights of dense contractions as [K, N] and mark the contractions";
  let description = [{
    Runs after `xgenmm-bind-weights` and `xgenmm-lower-to-linalg`. A dense
    layer lowers to the contraction `out[m, n] += a[m, k] * w[n, k]`; when
    every use of a weight, in every function, is the `w` of such a
    contraction (reached through layer slices, row slices and the collapse
    of trailing dimensions, as for the patch embedding's [C, Cin, p, p]),
    the weight is stored as its [K, N] transpose instead, and the
    contractions become plain row-major matmuls `out[m, n] += a[m, k] *
    w[k, n]`, marked with the unit attribute `xgenmm.matmul` for the code
    generation schedule (passes/schedules/cpu.mlir).

    The weight's entry in `xgenmm.weight_layout` gets the stored type
    `[layers..., K, N]` (K the product of the checkpoint tensor's dimensions
    after the first) and `transposed = true`: each layer of the checkpoint
    tensor, read as [N, K], is written transposed to `weights.bin`. Weights
    with other uses (e.g. an embedding table) keep their layout, and their
    contractions their generic form.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect"];
}

def XgenmmApplySchedule : Pass<"xgenmm-apply-schedule", "::mlir::ModuleOp"> {
  let summary = "Apply a named sequence of an embedded transform-dialect schedule";
  let description = [{
    The code generation schedules are transform-dialect libraries under
    `passes/schedules/`, embedded into the binaries at build time. This pass
    applies the named sequence `entry-point` of the schedule `schedule` to
    the module, as `--transform-interpreter` would with the library
    preloaded from the source file. The `cpu` schedule has
    `xgenmm_tile_vec` (tile and vectorize the `xgenmm.matmul` contractions,
    on tensors) and `xgenmm_lower_vec` (lower the vector ops, after
    bufferization). The `gpu` schedule has `xgenmm_gpu_tile_blocks` (the
    `xgenmm.matmul` contractions into 64 x 128 block tiles, on tensors).
  }];
  let options = [
    Option<"schedule", "schedule", "std::string", /*default=*/"\"cpu\"",
           "The embedded schedule library (cpu or gpu)">,
    Option<"entryPoint", "entry-point", "std::string",
           /*default=*/"\"xgenmm_tile_vec\"",
           "The named sequence to apply">,
    Option<"expensiveChecks", "expensive-checks", "bool", /*default=*/"false",
           "Let the transform interpreter check handle invalidation">,
  ];
}

def XgenmmFuseEpilogues : Pass<"xgenmm-fuse-epilogues"> {
  let summary = "Tile each dense-layer epilogue into cache tiles and fuse its contraction into them";
  let description = [{
    A dense layer followed by an elementwise function of its result (GELU:
    `xgenmm-lower-to-linalg` writes it as an in-place generic marked
    `xgenmm.epilogue` over the contraction's [M, N] result) would otherwise
    write the whole product to memory and read it back. This pass tiles
    each epilogue by `tile-m` x `tile-n` (the cache tiles of the CPU
    schedule) and fuses into each tile, through the destination operands
    only, the contraction marked `xgenmm.matmul` and its initialisation
    (bias broadcast or zero fill): the tile of the product is computed and
    finished in cache. The producers of the contraction's inputs are never
    fused (that would recompute them per column tile). A partial last
    column tile is peeled off, so every tile has a static width, as the
    schedule's register tiles need. The tiled contractions keep their mark
    and go through the schedule like the others.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"768", "Rows per tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"96", "Columns per tile">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def XgenmmSplitMatvec : Pass<"xgenmm-split-matvec"> {
  let summary = "Split the decode matrix-vector products along K into parts for the threads";
  let description = [{
    A dense contraction marked `xgenmm.matmul` with one row (M = 1, a
    decode step) and static K, N streams its whole [K, N] weight once. Its
    reduction is split into P parts of K/P consecutive weight rows (P the
    largest divisor of K not above `max-parts` that leaves at least
    `min-rows` rows per part): a loop marked `xgenmm.parallel` computes each
    part's partial sums into a [P, 1, N] buffer (the part's contraction
    keeps the mark and is tiled by the schedule like any matrix-vector
    product), and a reduction adds the parts to the contraction's original
    accumulator (bias or residual). Each part, and so each thread's share,
    reads one contiguous block of the weight. Contractions whose K has no
    such divisor are left alone.
  }];
  let options = [
    Option<"maxParts", "max-parts", "int64_t", /*default=*/"8", "Most parts per product">,
    Option<"minRows", "min-rows", "int64_t", /*default=*/"8", "Fewest weight rows per part">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def XgenmmBf16DotMatmuls : Pass<"xgenmm-bf16-dot-matmuls"> {
  let summary = "Round the activations of bf16-weight matrix products to bf16 for AVX512-BF16 dot products";
  let description = [{
    For CPUs with AVX512-BF16 (the CPU pipeline's `bf16-dot` option). A
    dense contraction marked `xgenmm.matmul` whose weight is bf16 [K, N]
    (K static and even) and which has more than one row (image encoding,
    prefill: compute bound) reads its activations rounded to bf16 once by a
    `truncf` generic, and is marked `xgenmm.matmul_bf16` instead: the CPU
    schedule tiles it into 8x32 register tiles over pairs of k, and
    `xgenmm-lower-bf16-dot` turns those into `vdpbf16ps` (fp32
    accumulation). One-row products (decode, bandwidth bound) keep fp32
    activations.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def XgenmmBf16DotAttention : Pass<"xgenmm-bf16-dot-attention"> {
  let summary = "Round q and the transposed keys to bf16 for AVX512-BF16 dot products in q k^T";
  let description = [{
    For CPUs with AVX512-BF16 (the CPU pipeline's `bf16-dot` option, i.e.
    `--matmul-precision bf16`). Runs after `xgenmm-transpose-attention-keys`.
    Each score contraction marked `xgenmm.attn_qk` with a static, even head
    dimension, over keys transposed for it (`xgenmm.attn_kt`), reads q rounded to bf16 (a `truncf` generic) and the
    transposed keys written as bf16 by their transpose (`xgenmm.attn_kt`),
    and is marked `xgenmm.attn_qk_bf16` as well: the CPU schedule tiles
    its head dimension by pairs, and `xgenmm-lower-bf16-dot` turns the
    register tiles into `vdpbf16ps` (fp32 accumulation). The p v
    contraction (`xgenmm.attn_pv`) whose probabilities come from such
    scores reads them written as bf16 by the softmax's last step (its
    division, copied with a bf16 result) and v rounded to bf16 once (a
    generic marked `xgenmm.attn_v`, which `xgenmm-fuse-attention` leaves
    outside its row blocks), and is marked `xgenmm.attn_pv_bf16`: the
    schedule tiles its keys by pairs (an odd last key by itself). The
    softmax itself stays fp32. PyTorch's bf16 attention rounds q, k, the
    probabilities and v the same way. Decode's scores (`xgenmm.attn_qk_dot`)
    are left alone, so decode's p v, bandwidth bound, is too.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def XgenmmPackBf16Tiles : Pass<"xgenmm-pack-bf16-tiles"> {
  let summary = "Interleave the weight tile of each bf16-dot product into k pairs, once per cache tile";
  let description = [{
    Runs on the cache tiles of `xgenmm-bf16-dot-matmuls`' products (the
    CPU schedule's `@xgenmm_tile_bf16_cache`). Each such product,
    `out[m, n] += f32(a[m, k]) * f32(w[k, n])` with w a static bf16
    [K, N] tile (K even), becomes

      p[kp, 2 n + j] = w[2 kp + j, n]           (the pack: two rows
                                                  interleaved per k pair)
      out[m, n] += f32(a[m, kp, j]) * f32(p[kp, n, j])   (j = 0, 1)

    the pack written by 16-lane vector interleaves into a [K / 2, 2 N]
    buffer local to the tile, the product a 4-d contraction over
    (m, n, kp, j) still marked `xgenmm.matmul_bf16`. Each 32-column
    register tile then reads its k pair as 64 contiguous bf16, the layout
    `vdpbf16ps` takes, with no interleave per register tile: the pack is
    done once per cache tile and shared by all its row blocks.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect"];
}

def XgenmmPackWeightTiles : Pass<"xgenmm-pack-weight-tiles"> {
  let summary = "Copy the weight window of each fp32 cache tile into contiguous rows, once per tile";
  let description = [{
    Runs on the CPU schedule's fp32 cache tiles (`@xgenmm_tile_cache`:
    generics marked `xgenmm.tile_matmul`,
    `out[m, n] += a[m, k] * w[k, n]` with w a static [Kc, Nc] window of a
    wider [K, N] weight). The window is copied once, by 64-byte vector
    rows, into a [Kc, Nc] buffer local to the tile, and the product reads
    the copy: the register tiles of all the tile's row blocks then stream
    contiguous lines (in place, the window's rows are N elements apart:
    short runs the prefetchers do not follow, and for N = 1152 eight lines
    to an L1 set). Windows whose rows are contiguous (N = Nc) are left
    alone. The buffer becomes each thread's own stack scratch
    (`xgenmm-parallelize-loops`).
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect"];
}

def XgenmmLowerBf16Dot : Pass<"xgenmm-lower-bf16-dot"> {
  let summary = "Lower bf16 register-tile contractions over k pairs to x86vector.avx512.dot";
  let description = [{
    A `vector.contract` acc[m, n] += f32(lhs[m, k]) * f32(rhs[k, n]) with
    bf16 lhs and rhs (directly or through `arith.extf`) and k of size 2 (the
    register tiles of `xgenmm-bf16-dot-matmuls`' products) becomes, per row,
    one broadcast of the row's bf16 pair and, per 16 (then 8, 4) columns, an
    interleave of the two weight rows into pairs and one
    `x86vector.avx512.dot` (`vdpbf16ps`); fewer than 4 columns left take f32
    FMAs. Other contractions are left alone.
  }];
  let dependentDialects = ["::mlir::x86vector::X86VectorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect"];
}

def XgenmmLowerVnniDot : Pass<"xgenmm-lower-vnni-dot"> {
  let summary = "Lower xgenmm.vnni_dot to the AVX512-VNNI vpdpbusd intrinsic";
  let description = [{
    Each `xgenmm.vnni_dot` becomes `llvm.call_intrinsic
    "llvm.x86.avx512.vpdpbusd.512"` on the same operands. Runs after
    bufferization (the call has unknown memory effects) and before the
    conversion to the LLVM dialect.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def XgenmmParallelizeLoops : Pass<"xgenmm-parallelize-loops"> {
  let summary = "Turn the loops marked `xgenmm.parallel` into scf.parallel";
  let description = [{
    Runs after bufferization. The CPU schedule and `xgenmm-fuse-epilogues`
    mark with the unit attribute `xgenmm.parallel` the loops whose
    iterations write disjoint tiles (a matmul's column tiles, a matrix-vector
    product's column panels, attention heads). Each such loop that carries
    no values, allocates nothing in its body and is not nested in another
    parallel loop becomes an `scf.parallel` (lowered to OpenMP by the CPU
    pipeline); the others stay serial. The mark is removed either way.
    Scratch is the exception to "allocates nothing": a static buffer of at
    most 256 KiB of which no view is yielded, returned or passed to a call
    (its contents never outlive the iteration that allocates it: the bf16
    dot products' packed weight tiles) becomes a `memref.alloca` at the top
    of the parallel body, wrapped in a `memref.alloca_scope`: each thread's
    own, released after each iteration.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect"];
}

def XgenmmVectorizeElementwise : Pass<"xgenmm-vectorize-elementwise"> {
  let summary = "Tile the elementwise generics into 16-lane vectors and vectorize them";
  let description = [{
    Runs on tensors after the schedule has vectorized the contractions.
    Each remaining elementwise `linalg.generic` (all loops parallel, f32
    result, a body of arith and math ops only, every operand read
    contiguously along the innermost loop or broadcast along it: GELU,
    SwiGLU, softmax's exponentials and normalisation, the norms' scale and
    shift, bias and residual adds) is tiled to [1, ..., 1, 16] and
    vectorized: one 16-lane vector per step along the innermost dimension.
    A partial last step (a dynamic extent such as the keys, or a width not
    divisible by 16) is peeled off and left scalar. `math.exp`, `math.tanh`
    and `math.erf` on vectors become MLIR's polynomial approximations (libm
    has no vector entry points); scalar code keeps libm.

    Row reductions (the norms' statistics, softmax's max and sum) have
    their rows shared among threads. Those over the innermost loop whose
    combiner is an f32 sum or maximum are taken one row at a time and split
    into 16 lanes' partial results: a loop of 16-lane steps combining into
    a vector accumulator (carried in registers once the pipeline has hoisted
    it), the partial last step peeled and scalar, then the 16 lanes
    combined into the row's result. This reorders the sums. Gathers and
    transposes are left alone.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::math::MathDialect"];
}

def XgenmmFuseAttention : Pass<"xgenmm-fuse-attention"> {
  let summary = "Compute attention one block of query rows at a time, scores to output in cache";
  let description = [{
    Runs after `xgenmm-transpose-attention-keys`. Each p v contraction
    (`xgenmm.attn_pv`) with a static number of query rows and keys (image
    encoding, the resampler) whose probabilities come from a score
    contraction (`xgenmm.attn_qk`) is tiled by (batch, kv head, group,
    `rows` query rows), and the chain back to the scores (scale and mask,
    row max, exponentials, row sum, normalisation, q k^T and the fills of
    their accumulators) is fused into each tile: the softmax is row-wise,
    so a block of rows needs nothing from the others. The scores then live
    in L2-sized per-tile buffers (each thread's stack scratch) instead of a
    [heads, rows, keys] matrix larger than the L3 written and read back
    once per softmax step. The kv-head loop is marked `xgenmm.parallel`;
    the row-block loop is peeled so that every tile is static. The
    transposed keys, q, v and the key mask are not fused (computed once).

    Causal attention with a dynamic number of query rows (prefill, its mask
    marked `xgenmm.attn_causal` by the lowering) runs in a serial loop over
    blocks of `causal-rows` rows, all heads together, each block's chain
    over keys [0, offset + last row + 1) only: the keys above the diagonal
    are neither computed nor stored, and the scores are [heads,
    causal-rows, keys] per block instead of [heads, rows, keys].
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"32", "Query rows per tile">,
    Option<"causalRows", "causal-rows", "int64_t", /*default=*/"32",
           "Query rows per block of causal attention with dynamic rows (0: not blocked)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def XgenmmTransposeAttentionKeys : Pass<"xgenmm-transpose-attention-keys"> {
  let summary = "Give the attention score contraction a transposed copy of the keys and mark the attention contractions";
  let description = [{
    The attention lowering has two contractions, `scores[b, h, g, s, t] +=
    q[b, s, h, g, d] * k[b, t, h, d]` and `out[b, s, h, g, d] += p[b, h, g,
    s, t] * v[b, t, h, d]`. The second is a row-major matmul per (b, h, g);
    the first reads its right operand transposed. This pass gives it a
    `[b, h, d, t]` copy of the keys (a generic marked `xgenmm.attn_kt`), so
    that both read rows contiguous along their output dimension, and marks
    the contractions `xgenmm.attn_qk` and `xgenmm.attn_pv` for the CPU
    schedule (passes/schedules/cpu.mlir). With at most 4 query rows per kv
    head, statically (decode), there is no copy: it would read and write
    every key once per step where the scores read each once. The score
    contraction keeps the keys as stored and is marked
    `xgenmm.attn_qk_dot` (dot products along the head dimension).
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def XgenmmPlanBuffers : Pass<"xgenmm-plan-buffers", "::mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer at a fixed offset of one arena";
  let description = [{
    After bufferization, gives each `memref.alloc` of the functions a fixed,
    64-byte aligned offset in one arena, a global of the module
    (`__xgenmm_arena`, allocated once when the model is loaded), and
    replaces it with a `memref.view` of the arena, so that no call
    allocates memory. Dynamic sizes are bounded by evaluating the index
    computations behind them, given `max-views` for the dynamic dimension
    of rank-4 arguments (image views) and `max-tokens` for every other
    dynamic argument dimension and index argument (sequence lengths,
    positions); a slice is bounded by the buffer it slices. Buffers whose
    lifetimes overlap (from the allocation to the last use of the buffer or
    a view of it, uses inside a region counting until the end of the
    region's op) get disjoint ranges, first fit in allocation order.
    Entry points share the arena: calls on one model run one at a time.
    The arena size is recorded in the module attribute
    `xgenmm.arena_bytes`. A buffer that cannot be bounded or that escapes
    its scope stays a heap allocation, with a remark.
  }];
  let options = [
    Option<"maxTokens", "max-tokens", "int64_t", /*default=*/"4096",
           "Upper bound of sequence lengths (the tokens of one prefill call)">,
    Option<"maxPosition", "max-position", "int64_t", /*default=*/"0",
           "Upper bound of index arguments (positions: the KV-cache capacity); "
           "0 means max-tokens">,
    Option<"maxViews", "max-views", "int64_t", /*default=*/"5",
           "Upper bound of the number of image views">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// NVIDIA GPU target (passes/GpuPipeline.cpp)
//===----------------------------------------------------------------------===//

def XgenmmGpuMmaMatmul : Pass<"xgenmm-gpu-mma-matmul", "::mlir::ModuleOp"> {
  let summary = "Turn the block tiles of dense contractions into bf16 tensor-core (or matrix-vector) kernels";
  let description = [{
    Runs after bufferization on the block tiles of the GPU schedule
    (`passes/schedules/gpu.mlir`): every normalized 2-d `scf.forall` holding
    one dense contraction tile marked `xgenmm.mma_tile`
    (`out[m, n] += a[m, k] * w[k, n]`, a and w f32 or bf16, out f32) becomes
    a `gpu.launch` with one block per tile (grid x over N, y over M) of 128
    threads (64 x 128 tiles): 4 warps of 32 x 64, each 2 x 8 `nvvm.mma.sync` m16n8k16
    bf16 x bf16 -> f32 per 16 of K, fragments read by `nvgpu.ldmatrix`
    (w's transposed); a and w staged through two shared buffers 32 of K at
    a time (the next step's global loads in flight during this step's
    mma, one barrier per step), in 16-byte chunks where in bounds and
    aligned (the view's offset checked at run time), element by element
    and zero-filled past the edges otherwise, so every M, N and K works.
    The accumulators start from the out tile (the layer's bias or residual);
    where the op writing the whole output just before is elementwise (a
    fill, the bias broadcast, residual + bias; identity output map, inputs
    not views of the output, nothing in between using the output or writing
    its inputs) the kernel computes that value per element instead and the
    op goes, and likewise an elementwise in-place update of the output just
    after (the layer's epilogue, GELU) is applied before the stores: two
    launches and two passes over the output fewer per layer.
    Activations are rounded to bf16 on the way to shared memory.

    Tiles of one row of activations (a statically `1 x K`: decode, and the
    head over prefill's last position) become a matrix-vector kernel
    instead: 256 threads per 128-column tile, 16-byte weight loads (8 bf16 or
    4 f32 columns per thread and row, 4 rows in flight), f32 sums reduced in
    shared memory; K split over grid y up to ~512 blocks in all, each slice
    adding to out atomically (one slice: a plain update).
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def XgenmmGpuFlashAttention : Pass<"xgenmm-gpu-flash-attention", "::mlir::ModuleOp"> {
  let summary = "Turn each attention chain into one fused bf16 tensor-core kernel (FlashAttention-2 style)";
  let description = [{
    Runs after bufferization on the linalg chain of the attention lowering
    (q k^T, the mask, the row max, exp, the row sum, the division, p v, the
    softmax in place on one score buffer), matched structurally from its
    p v contraction backwards. Each chain becomes one `gpu.launch`: blocks
    of 64 query rows per (batch, head), 4 warps of 16 rows; per tile of 64
    keys, k and v^T staged in shared memory as bf16, the scores by
    `nvvm.mma.sync` m16n8k16 into registers, the chain's own mask body
    applied per score, an online softmax (running max and sum per row, quad
    shuffles), and p v by `mma.sync` with the probabilities' registers as A
    fragments. No score matrix is written to memory; causal blocks stop at
    their last row's key. With a static number of rows that fits one block
    (decode), the keys are split over 16 blocks per head (grid z), whose
    partial results a second kernel combines. The head dimension is
    zero-padded to a multiple of 16. Chains that do not match exactly (an int8 KV cache's scales,
    dynamic heads) keep the unfused lowering.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def XgenmmGpuFuseElementwise : Pass<"xgenmm-gpu-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuse elementwise producers and duplicate fills to save GPU kernel launches";
  let description = [{
    Runs on tensors before the GPU pipeline bufferizes. Every remaining
    linalg op becomes a kernel launch there, and decode is launch-bound, so
    an all-parallel `linalg.generic` is fused (upstream elementwise fusion)
    into the generic that reads it where recomputing it costs less than a
    launch: its result has that one use, or it reads no tensor (RoPE's
    cos / sin of the position), or it is a broadcast of at most four ops
    (the norms' scale by 1 / n). Consumers are all-parallel generics or
    reductions with one input indexed by the reduction loops (row
    statistics); ops with an `xgenmm.*` mark (dense layers, epilogues,
    attention's mask) and contractions (attention's chain, which
    `xgenmm-gpu-flash-attention` matches op by op) are never fused.
    Consumers must also write new (or freshly filled) tensors and not read
    a contraction's result (attention's mask step).
    A multi-result generic whose results are stacked along a unit dimension
    of a new tensor by a chain of `tensor.insert_slice` (RoPE's two rotated
    halves) becomes one generic over the stacked tensor that selects the
    result by the index along that dimension (one kernel, no copies).
    Every use of a multiply-used `linalg.fill` gets its own fill (on the
    same `tensor.empty`: one accumulator filled in place each rather than
    one filled and copied), and a generic result inserted into a bigger
    tensor gets its own `tensor.empty` for `eliminate-empty-tensors`, which
    the pipeline runs next.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def XgenmmGpuRowReductions : Pass<"xgenmm-gpu-row-reductions", "::mlir::ModuleOp"> {
  let summary = "Turn row reductions (norm statistics, softmax max and sum) into one GPU block per row";
  let description = [{
    Runs on host code after bufferization, before the remaining linalg ops
    become loops (`xgenmm-gpu-map-loops` would give each row of a reduction
    one thread summing it alone). Every `linalg.generic` with buffer
    semantics, projected-permutation maps and one reduction loop, the
    innermost and absent from the outputs' maps, whose yielded values are
    each `out (+) g(inputs)` for an associative, commutative combiner
    (`arith.addf`, `maximumf`, `minimumf`, `maxnumf`, `minnumf` on f32/f64,
    `addi` on i32) with the output argument used only there, becomes a
    `gpu.launch` of one 256-thread block per row: each thread combines the
    elements k = t, t + 256, ... (4 loads in flight), the warp combines by
    shuffles, the block's 8 warps through shared memory, and thread 0
    combines the result with the output's value (the reduction's init).
    The order of the combinations changes (as in any parallel reduction).
    A constant `linalg.fill` of an output just before (nothing in between
    touching its allocation) becomes the init and goes; the all-parallel
    generic that next reads the outputs over the same rows (a norm's apply
    step; same buffers and maps as written, its own outputs read by
    neither op, only memory-effect-free ops and allocations in between)
    runs in the same kernel after the row's totals, which then takes its
    place; and a constant fill of an unrelated local allocation right
    after (decode: zeroing the next matrix-vector kernel's output) is done
    by the same kernel's threads (its allocation moved before it).
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def XgenmmGpuMapLoops : Pass<"xgenmm-gpu-map-loops", "::mlir::ModuleOp"> {
  let summary = "Map every outermost parallel loop of the host code to a GPU kernel";
  let description = [{
    Each outermost `scf.parallel` of a host function (outside `gpu.launch`)
    becomes a `gpu.launch` whose iteration space is linearized over blocks
    of `block-size` threads, one iteration per thread (a guard drops the
    tail); the body's own loops (reductions) run sequentially per thread.
    Every `memref.get_global` of the host code is replaced by a copy into an
    allocated buffer, since kernels cannot read the host's constants.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def XgenmmGpuAlignShared : Pass<"xgenmm-gpu-align-shared"> {
  let summary = "Align shared memory buffers of device code to 16 bytes";
  let description = [{
    Runs on NVVM device code after `convert-gpu-to-nvvm`, which makes each
    workgroup attribution an `addrspace(3)` `llvm.mlir.global` aligned to
    its element type (2 bytes for bf16). The tensor-core kernels access
    shared memory 16 bytes at a time (chunk stores, `ldmatrix` rows), so
    every shared global gets an alignment of at least 16.
  }];
}

def XgenmmGpuExpandMath : Pass<"xgenmm-gpu-expand-math"> {
  let summary = "Math functions of device code as arithmetic and LLVM intrinsics, without libdevice";
  let description = [{
    `convert-gpu-to-nvvm` turns every `math` op into a call of CUDA's
    libdevice (`__nv_expf`, `__nv_rsqrtf`, even `__nv_sqrtf`), which is
    linked only where the CUDA toolkit is found at compile time (its
    `nvvm/libdevice/libdevice.10.bc` under `CUDA_ROOT`, `CUDA_HOME` or
    `CUDA_PATH`). Without it the PTX keeps unresolved `.extern .func`
    declarations: ptxas refuses it, and the driver cannot load it.

    This pass makes device code independent of libdevice: `rsqrt` becomes
    `1 / sqrt`, `powf` `exp(y log x)` (MLIR's expansions, with their
    special cases); `exp`, `log`, `tanh`, `erf`, `sin`, `cos` and the
    like become MLIR's f32 polynomial approximations; what is left
    (`sqrt`, `absf`, `fma`, `floor`, `ceil`, `roundeven`, `copysign`, ...)
    becomes `llvm.call_intrinsic` of its LLVM intrinsic, which the NVPTX
    backend selects to instructions (`sqrt.rn.f32`, `fma.rn.f32`,
    `cvt.rmi` ...); as `llvm.intr.*` ops, convert-gpu-to-nvvm would turn
    them into libdevice calls again. A math op none of these handles is an
    error naming it, never a silent libdevice call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // XGENMM_PASSES_TD
