// The x86-64 (AVX-512, AVX2) code generation schedule of xgenmm, a
// transform dialect library with five entry points that
// xgenmm-apply-schedule runs from the CPU pipeline (passes/CpuPipeline.cpp),
// embedded in the binaries at build time: @xgenmm_tile_bf16_cache (bf16 dot
// products only: their cache tiles, before xgenmm-pack-bf16-tiles),
// @xgenmm_tile_cache (the fp32 products' marks and cache tiles, before
// xgenmm-pack-weight-tiles), @xgenmm_tile_vec (register tiles of every
// kind; @xgenmm_tile_vec_avx2 the same with the fp32 products' register
// tiles 6 x 16 for AVX2's 16 ymm registers, where the 8 x 32 ones below
// would spill) and @xgenmm_lower_vec.
// Tests run it with
//   xgenmm-opt --transform-preload-library=transform-library-paths=<this file>
//              --transform-interpreter=entry-point=<name>
//
// @xgenmm_tile_cache and @xgenmm_tile_vec, on tensors, before
// bufferization: the dense contractions marked `xgenmm.matmul` by
// xgenmm-transpose-dense-weights,
//   out[m, n] += a[m, k] * w[k, n]      (w f32, or bf16 extended in the body)
// with N, K static, become a loop nest around an 8x32 register tile: per k,
// 8 broadcasts of a, 2 rows of 16 of w, 16 FMAs into 16 zmm accumulators
// (vector.contract, lowered to outer products by @xgenmm_lower_vec). Every
// tile is static:
//   - M dynamic (tokens: image encoding, prefill):
//     - cache tiles 768 x 96 x 256 (M x N x K); the N and K remainders,
//       static because N and K are, peeled off. xgenmm-pack-weight-tiles
//       then copies each tile's 256 x 96 weight window (96 KB, in L2) to
//       contiguous rows once, shared by the tile's 96 row blocks.
//       K by 256, not 64: every K window costs each 8x32 register tile a
//       load and a store of its 16 accumulators from the 768 x 96 output
//       tile (288 KB, in L2: their latency stalls the FMAs that follow);
//       a `perf annotate` of Phi-3's qkv (1024 rows, K 3072) put 10% of
//       the product's samples on them at K 64. The window's two vector
//       loads per 16 FMAs stream from L2 without loss. Best of 3, fraction
//       of the fp32 peak, K 64 -> 128 -> 256 -> 512 (RESULTS.md):
//       3072x9216 (1024 rows) 0.82 -> 0.87 -> 0.89 -> 0.89, (512 rows)
//       0.81 -> 0.89 -> 0.90 -> 0.88, 1152x1152 0.88 -> 0.91 -> 0.92 ->
//       0.89, 1152x4304 0.89 -> 0.87 -> 0.89 -> 0.87.
//       96 columns, not 128: SigLIP's N = 1152 makes 12 column tiles (even
//       among 2, 3, 4 or 6 threads) instead of 9 (5 + 4 on 2).
//       768 rows, not 256: SigLIP's 729 tokens are one row block, so each
//       weight window is fetched from memory and packed once per product
//       instead of three times (each fetch's latency is exposed in the
//       pack). xgenmm-fuse-epilogues tiles by the same 768 x 96 (its
//       tile-m, tile-n defaults).
//       Measured, fraction of the fp32 peak, 2 threads, best of 4 rounds
//       (RESULTS.md, K by 64): 256 rows unpacked -> 768 rows packed:
//       1152x4304 0.81 -> 0.86-0.89, 4304x1152 0.85 -> 0.89,
//       3072x9216 (1024 rows) 0.76 -> 0.83-0.85, 1152x1152 0.90 -> 0.91;
//     - M by 8; the dynamic M remainder (< 8 rows) is peeled off and done
//       row by row (a 1x32 tile);
//     - N by 32, the static remainder peeled off (vectorized at its own
//       width), K by 1;
//   - M = 1 (decode, bandwidth bound): K by 8 outside, N by 64 inside,
//     remainders peeled: the weight streamed 8 rows at a time.
// The attention contractions marked by xgenmm-transpose-attention-keys (q k^T
// over transposed keys, p v) take the same 8x32 tiles per (batch, kv head,
// group), with a dynamic N remainder (the keys of prefill and decode) done
// column by column and a static one (SigLIP's 729 keys: 22 x 32 + 25) as
// 16 + 8 + single columns (@xgenmm_tile_attention); decode's scores
// (`xgenmm.attn_qk_dot`) are dot products over the keys as stored, key
// after key (the heads inner).
// Vectorization is per op; the contraction patterns run before any
// canonicalization (else the unit-K reduction folds into mulf + addf and no
// FMA is formed). The accumulator transfers are hoisted out of the K loop by
// --loop-invariant-subset-hoisting, which the pipeline runs next.
//
// @xgenmm_lower_vec, after bufferization: vector.contract to outer products
// (vector.fma), transfers to loads and stores. Canonicalization is kept out
// of this pattern set (together they loop).
module attributes {transform.with_named_sequence} {

  // Peels `loop` where it has a partial last iteration; a no-op elsewhere.
  transform.named_sequence @xgenmm_peel(%loops: !transform.op<"scf.for"> {transform.consumed}) {
    transform.foreach %loops : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
      }
    }
    transform.yield
  }

  // Matches a dense contraction of one row (M = 1 statically: decode).
  transform.named_sequence @xgenmm_match_matvec(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %one = transform.param.constant 1 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %d = transform.match.structured.dim %s[0] : (!transform.any_op) -> !transform.param<i64>
      transform.match.param.cmpi eq %d, %one : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }

  // Matches the others (M dynamic or > 1).
  transform.named_sequence @xgenmm_match_matmul(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %one = transform.param.constant 1 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %d = transform.match.structured.dim %s[0] : (!transform.any_op) -> !transform.param<i64>
      transform.match.param.cmpi ne %d, %one : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }

  // Matches a 6-D attention contraction whose N (dim 4) is dynamic.
  transform.named_sequence @xgenmm_match_dynamic_n_6d(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %zero = transform.param.constant 0 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %d = transform.match.structured.dim %s[4] : (!transform.any_op) -> !transform.param<i64>
      transform.match.param.cmpi lt %d, %zero : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }

  // Matches a 6-D attention contraction whose N (dim 4) is static and
  // strictly between `lo` and `hi` (the remainder of the 32-column tiles,
  // e.g. 25 of SigLIP's 729 keys): split into 16 + 8 + columns below.
  transform.named_sequence @xgenmm_match_n_17_31_6d(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %lo = transform.param.constant 16 : i64 -> !transform.param<i64>
    %hi = transform.param.constant 32 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %d = transform.match.structured.dim %s[4] : (!transform.any_op) -> !transform.param<i64>
      transform.match.param.cmpi gt %d, %lo : !transform.param<i64>
      transform.match.param.cmpi lt %d, %hi : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }
  transform.named_sequence @xgenmm_match_n_9_15_6d(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %lo = transform.param.constant 8 : i64 -> !transform.param<i64>
    %hi = transform.param.constant 16 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %d = transform.match.structured.dim %s[4] : (!transform.any_op) -> !transform.param<i64>
      transform.match.param.cmpi gt %d, %lo : !transform.param<i64>
      transform.match.param.cmpi lt %d, %hi : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }
  transform.named_sequence @xgenmm_match_n_2_7_6d(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %lo = transform.param.constant 1 : i64 -> !transform.param<i64>
    %hi = transform.param.constant 8 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %d = transform.match.structured.dim %s[4] : (!transform.any_op) -> !transform.param<i64>
      transform.match.param.cmpi gt %d, %lo : !transform.param<i64>
      transform.match.param.cmpi lt %d, %hi : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }

  // Matches a structured op whose first input has f32 elements (the fp32
  // q k^T; the bf16 one, xgenmm-bf16-dot-attention, reads bf16 q).
  transform.named_sequence @xgenmm_match_f32_lhs(%op: !transform.any_op {transform.readonly}) -> !transform.any_op {
    transform.match.operation_name %op ["linalg.generic"] : !transform.any_op
    %c32 = transform.param.constant 32 : i64 -> !transform.param<i64>
    %m = transform.match.structured failures(propagate) %op : (!transform.any_op) -> !transform.any_op {
    ^bb0(%s: !transform.any_op):
      %in = transform.match.structured.input %s[0] : (!transform.any_op) -> !transform.any_value
      %w = transform.match.structured.elemental_bitwidth %in : (!transform.any_value) -> !transform.param<i64>
      transform.match.param.cmpi eq %w, %c32 : !transform.param<i64>
      transform.match.structured.yield %s : !transform.any_op
    }
    transform.yield %m : !transform.any_op
  }

  // The attention contractions (xgenmm-transpose-attention-keys), per
  // (batch, kv head, group) row-major matmuls with M = queries:
  //   q k^T: s x d times d x t (the transposed keys), t dynamic;
  //   p v:   s x t times t x d, d the (static) head dim.
  // The same 8x32 register tiles; a dynamic N remainder (the keys of
  // prefill and decode) column by column.
  transform.named_sequence @xgenmm_tile_attention(%root: !transform.any_op {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op

    // q k^T [b, h, g, s, t, d]
    %qk = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk1, %qb:3 = transform.structured.tile_using_for %qk tile_sizes [1, 1, 1, 0, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    // The heads are shared among threads (each writes its own scores).
    transform.annotate %qb#1 "xgenmm.parallel" : !transform.any_op
    %qk2, %qs = transform.structured.tile_using_for %qk1 tile_sizes [0, 0, 0, 8, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.foreach %qs : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        transform.foreach %rest : !transform.any_op {
        ^bb9(%r: !transform.any_op):
          %rows = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %r : (!transform.any_op) -> !transform.any_op
          %r1, %r2 = transform.structured.tile_using_for %rows tile_sizes [0, 0, 0, 1, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        }
      }
    }
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %qk3 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk4, %qt = transform.structured.tile_using_for %qk3 tile_sizes [0, 0, 0, 0, 32, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%qt) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    // A static remainder of the keys (SigLIP's 729 = 22 x 32 + 25, the
    // resampler's 857 = 26 x 32 + 25) in 16 + 8 + single columns: a
    // vector<8x25> accumulator is no register shape (its lanes were moved
    // through the stack one by one: the 3% of the keys took 19% of the
    // fused attention's time).
    %qk_r = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk_r16 = transform.collect_matching @xgenmm_match_n_17_31_6d in %qk_r : (!transform.any_op) -> !transform.any_op
    %qk_t16, %ql16 = transform.structured.tile_using_for %qk_r16 tile_sizes [0, 0, 0, 0, 16, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%ql16) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %qk_s = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk_r8 = transform.collect_matching @xgenmm_match_n_9_15_6d in %qk_s : (!transform.any_op) -> !transform.any_op
    %qk_t8, %ql8 = transform.structured.tile_using_for %qk_r8 tile_sizes [0, 0, 0, 0, 8, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%ql8) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %qk_u = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk_r1 = transform.collect_matching @xgenmm_match_n_2_7_6d in %qk_u : (!transform.any_op) -> !transform.any_op
    %qk_t1, %ql1 = transform.structured.tile_using_for %qk_r1 tile_sizes [0, 0, 0, 0, 1, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %qk_rest = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk_dyn = transform.collect_matching @xgenmm_match_dynamic_n_6d in %qk_rest : (!transform.any_op) -> !transform.any_op
    %qk_cols, %qc = transform.structured.tile_using_for %qk_dyn tile_sizes [0, 0, 0, 0, 1, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    // K (the head dimension) by 1, or by pairs for the bf16 dot products
    // (xgenmm-lower-bf16-dot).
    %qk5 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    %qk5f = transform.collect_matching @xgenmm_match_f32_lhs in %qk5 : (!transform.any_op) -> !transform.any_op
    %qk6, %qd = transform.structured.tile_using_for %qk5f tile_sizes [0, 0, 0, 0, 0, 1]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %qk5b = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk_bf16} in %root : (!transform.any_op) -> !transform.any_op
    %qk6b, %qdb = transform.structured.tile_using_for %qk5b tile_sizes [0, 0, 0, 0, 0, 2]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)

    // q k^T of a few query rows (decode) over the keys as stored
    // [b, h, g, s, t, d]: one dot product along d per (kv head, group, row,
    // key): 16 lanes of partial sums over d (tile_reduction_using_for at
    // vectorization, below), then one horizontal sum. The keys are the
    // outer loop, shared among threads, the heads inner: the cache is read
    // row after row (a row holds every head of one key) instead of one
    // head's 192 bytes every row width, which no prefetcher follows.
    %qdot = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk_dot} in %root : (!transform.any_op) -> !transform.any_op
    %qdot1, %qdl:5 = transform.structured.tile_using_for %qdot tile_sizes [1, 1, 1, 1, 1, 0] interchange = [0, 4, 1, 2, 3, 5]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.annotate %qdl#1 "xgenmm.parallel" : !transform.any_op

    // p v [b, s, h, g, d, t]
    %pv = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv} in %root : (!transform.any_op) -> !transform.any_op
    %pv1, %pb:3 = transform.structured.tile_using_for %pv tile_sizes [1, 0, 1, 1, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.annotate %pb#1 "xgenmm.parallel" : !transform.any_op
    %pv2, %ps = transform.structured.tile_using_for %pv1 tile_sizes [0, 8, 0, 0, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.foreach %ps : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        transform.foreach %rest : !transform.any_op {
        ^bb9(%r: !transform.any_op):
          %rows = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv} in %r : (!transform.any_op) -> !transform.any_op
          %r1, %r2 = transform.structured.tile_using_for %rows tile_sizes [0, 1, 0, 0, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        }
      }
    }
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %pv3 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv} in %root : (!transform.any_op) -> !transform.any_op
    %pv3f = transform.collect_matching @xgenmm_match_f32_lhs in %pv3 : (!transform.any_op) -> !transform.any_op
    %pv4, %pd, %pt = transform.structured.tile_using_for %pv3f tile_sizes [0, 0, 0, 0, 32, 1]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">, !transform.any_op)
    transform.include @xgenmm_peel failures(propagate) (%pd) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    // p v over bf16 probabilities and values (xgenmm-bf16-dot-attention):
    // the same 32 columns, then the keys by pairs (the dot products'
    // reduction), an odd last key (SigLIP's 729, the resampler's 857, or
    // a dynamic count's) by itself.
    %pvb = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv_bf16} in %root : (!transform.any_op) -> !transform.any_op
    %pvb1, %pdb = transform.structured.tile_using_for %pvb tile_sizes [0, 0, 0, 0, 32, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%pdb) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %pvb2 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv_bf16} in %root : (!transform.any_op) -> !transform.any_op
    %pvb3, %ptb = transform.structured.tile_using_for %pvb2 tile_sizes [0, 0, 0, 0, 0, 2]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.foreach %ptb : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        transform.foreach %rest : !transform.any_op {
        ^bb9(%r: !transform.any_op):
          %keys = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv_bf16} in %r : (!transform.any_op) -> !transform.any_op
          %k1, %k2 = transform.structured.tile_using_for %keys tile_sizes [0, 0, 0, 0, 0, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        }
      }
    }
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op

    // The keys' transposes (xgenmm.attn_kt: kt[b, h, d, t] = k[b, t, h, d],
    // f32 or bf16): the heads shared among threads, then 16 x 16 blocks
    // (16 contiguous reads of 16 keys' head rows, one register transpose,
    // 16 contiguous writes), the static head-dimension remainder at its own
    // width, a key remainder (static or dynamic) key by key. (As scalar
    // loops outside any parallel region they were ~3% of bf16 encode.)
    %kt = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_kt} in %root : (!transform.any_op) -> !transform.any_op
    %kt1, %ktb:2 = transform.structured.tile_using_for %kt tile_sizes [1, 1, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.annotate %ktb#1 "xgenmm.parallel" : !transform.any_op
    %kt2, %ktd = transform.structured.tile_using_for %kt1 tile_sizes [0, 0, 16, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%ktd) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %kt3 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_kt} in %root : (!transform.any_op) -> !transform.any_op
    %kt4, %ktt = transform.structured.tile_using_for %kt3 tile_sizes [0, 0, 0, 16]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.foreach %ktt : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        transform.foreach %rest : !transform.any_op {
        ^bb9(%r: !transform.any_op):
          %keys = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_kt} in %r : (!transform.any_op) -> !transform.any_op
          %k1, %k2 = transform.structured.tile_using_for %keys tile_sizes [0, 0, 0, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        }
      }
    }
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }

  // The products of xgenmm-bf16-dot-matmuls (bf16 activations and
  // weights, f32 accumulators), first stage, its own entry point: cache
  // tiles 768 x 96 x 512 (M x N x K; column tiles shared among threads,
  // the N and K remainders peeled: static, and K's even as K is). 768 rows
  // as the fp32 tiles: SigLIP's 729 tokens one row block, each weight tile
  // packed once per product (+3-4% on its shapes, level on Phi-3's qkv
  // at 1024 rows, RESULTS.md). K by 512 (a 96 KB window, as the fp32
  // tiles' 256): fewer loads and stores of the accumulators from the
  // output tile per dot product (K 64 -> 128 measured 0.65 -> 0.69 of the
  // bf16 peak on the Phi-3 qkv shape before the packing; K 128 -> 512 with
  // it 0.82 -> 0.87 there and level to +15% on SigLIP's shapes, best of 3;
  // bf16 prefill of 1024 tokens 44.1 -> 47-48 tokens/s, RESULTS.md).
  // xgenmm-pack-bf16-tiles then interleaves each tile's weight into k
  // pairs.
  transform.named_sequence @xgenmm_tile_bf16_cache(%root: !transform.any_op {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %mm = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul_bf16} in %root : (!transform.any_op) -> !transform.any_op
    // 96 columns as the fp32 tiles (above): +10-18% on the 1152-column
    // shapes, level on the Phi-3 ones (RESULTS.md).
    %t1, %m1, %n1, %k1 = transform.structured.tile_using_for %mm tile_sizes [768, 96, 512]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.op<"scf.for">, !transform.op<"scf.for">)
    transform.annotate %n1 "xgenmm.parallel" : !transform.op<"scf.for">
    transform.include @xgenmm_peel failures(propagate) (%k1) : (!transform.op<"scf.for">) -> ()
    transform.include @xgenmm_peel failures(propagate) (%n1) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }

  // Second stage, from @xgenmm_tile_vec: the packed products
  // (xgenmm-pack-bf16-tiles: out[m, n] += a[m, kp, j] p[kp, n, j]) to 8x32
  // register tiles over one k pair (kp by 1, j whole), rows by 8 (the
  // remainder row by row), columns by 32 (the static remainder peeled, at
  // its own width); xgenmm-lower-bf16-dot makes each one vdpbf16ps per row
  // and 16 columns.
  transform.named_sequence @xgenmm_tile_bf16_dot(%root: !transform.any_op {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %mm2 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul_bf16} in %root : (!transform.any_op) -> !transform.any_op
    %t2, %m2 = transform.structured.tile_using_for %mm2 tile_sizes [8, 0, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.foreach %m2 : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        transform.foreach %rest : !transform.any_op {
        ^bb9(%r: !transform.any_op):
          %rows = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul_bf16} in %r : (!transform.any_op) -> !transform.any_op
          %t3, %m3 = transform.structured.tile_using_for %rows tile_sizes [1, 0, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        }
      }
    }
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op

    %mm3 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul_bf16} in %root : (!transform.any_op) -> !transform.any_op
    %t4, %n2, %k2 = transform.structured.tile_using_for %mm3 tile_sizes [0, 32, 1, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">, !transform.any_op)
    transform.include @xgenmm_peel failures(propagate) (%n2) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }

  // The fp32 products' first stage, its own entry point (before
  // xgenmm-pack-weight-tiles): the two kinds of `xgenmm.matmul` get their
  // own marks (tiles are re-matched by them after each step: tiling and
  // peeling copy the marks), and the products with more than one row their
  // cache tiles, 768 x 96 x 256 (M x N x K), column tiles shared among
  // threads, the N and K remainders peeled off (static: N and K are), so
  // that every tile's weight window is static for the pack.
  transform.named_sequence @xgenmm_tile_cache(%root: !transform.any_op {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %marked = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul} in %root : (!transform.any_op) -> !transform.any_op
    %mv0 = transform.collect_matching @xgenmm_match_matvec in %marked : (!transform.any_op) -> !transform.any_op
    %mm0 = transform.collect_matching @xgenmm_match_matmul in %marked : (!transform.any_op) -> !transform.any_op
    transform.annotate %mv0 "xgenmm.tile_matvec" : !transform.any_op
    transform.annotate %mm0 "xgenmm.tile_matmul" : !transform.any_op

    %mm = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.tile_matmul} in %root : (!transform.any_op) -> !transform.any_op
    %t1, %m1, %n1, %k1 = transform.structured.tile_using_for %mm tile_sizes [768, 96, 256]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.op<"scf.for">, !transform.op<"scf.for">)
    // The column tiles of a row block are shared among threads.
    transform.annotate %n1 "xgenmm.parallel" : !transform.op<"scf.for">
    transform.include @xgenmm_peel failures(propagate) (%k1) : (!transform.op<"scf.for">) -> ()
    transform.include @xgenmm_peel failures(propagate) (%n1) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }

  // Second stage: the register tiles of every kind (the fp32 products'
  // marks and cache tiles from @xgenmm_tile_cache). AVX-512 (32 zmm): the
  // fp32 products' register tiles are 8 x 32, 16 zmm accumulators.
  transform.named_sequence @xgenmm_tile_vec(%root: !transform.any_op {transform.readonly}) {
    %rows = transform.param.constant 8 : i64 -> !transform.param<i64>
    %cols = transform.param.constant 32 : i64 -> !transform.param<i64>
    transform.include @xgenmm_tile_vec_at failures(propagate) (%root, %rows, %cols)
        : (!transform.any_op, !transform.param<i64>, !transform.param<i64>) -> ()
    transform.yield
  }

  // The same for AVX2 (16 ymm): 8 x 32 tiles need 32 ymm accumulators and
  // spill every one of them on each k; 6 x 16 (BLIS's Haswell tile) keeps
  // 12 accumulators, two rows of w and one broadcast in registers.
  transform.named_sequence @xgenmm_tile_vec_avx2(%root: !transform.any_op {transform.readonly}) {
    %rows = transform.param.constant 6 : i64 -> !transform.param<i64>
    %cols = transform.param.constant 16 : i64 -> !transform.param<i64>
    transform.include @xgenmm_tile_vec_at failures(propagate) (%root, %rows, %cols)
        : (!transform.any_op, !transform.param<i64>, !transform.param<i64>) -> ()
    transform.yield
  }

  // The register tiles with the fp32 products' tile of rows x cols.
  transform.named_sequence @xgenmm_tile_vec_at(%root: !transform.any_op {transform.readonly},
                                               %reg_rows: !transform.param<i64> {transform.readonly},
                                               %reg_cols: !transform.param<i64> {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op

    // One row: bandwidth bound, the weight streamed row by row. K by 8
    // (outer), N by 64 (inner): 8 rows of w read 256 bytes at a time into a
    // 1x64 accumulator (4 zmm) kept for the 8 rows.
    // Not shared among threads by columns: splitting the columns into
    // panels breaks each weight row into short runs, and one thread then
    // reads at 60-70% of the full-row rate (measured: 13.6-16.1 vs 22.2
    // GB/s for 256- and 768-column panels). xgenmm-split-matvec has split
    // decode's products along K before this (parts of whole rows, shared
    // among threads); each part is one such product.
    %mv1 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.tile_matvec} in %root : (!transform.any_op) -> !transform.any_op
    %t0, %k0, %n0 = transform.structured.tile_using_for %mv1 tile_sizes [0, 64, 8] interchange = [0, 2, 1]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%n0) : (!transform.op<"scf.for">) -> ()
    transform.include @xgenmm_peel failures(propagate) (%k0) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op

    // int4 one-row products (decode: [m, n, group, pair], a part's groups,
    // two nibbles per byte): column panels of 512 (their accumulator, 2 KB,
    // stays in L1), then per group 64-column tiles over the group's 16
    // stored rows with the 1x64 accumulator in registers: each group reads
    // 16 rows x 512 bytes (64-column tiles over all the part's groups at
    // once read hundreds of rows 64 bytes at a time: 243-265 ms per
    // full-size decode step against 191 ms). Loops (m, group, pair, n) with
    // unit group and pair tiles: the vectorized tile has the weight rows'
    // own shape (no transposition; the body is two products and a scale,
    // not one contraction).
    %mv4 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matvec_int4} in %root : (!transform.any_op) -> !transform.any_op
    %t4p, %p4 = transform.structured.tile_using_for %mv4 tile_sizes [0, 0, 0, 512]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">)
    transform.include @xgenmm_peel failures(propagate) (%p4) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %mv4b = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matvec_int4} in %root : (!transform.any_op) -> !transform.any_op
    %t4g, %g4 = transform.structured.tile_using_for %mv4b tile_sizes [0, 1, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %t4a, %n4, %k4 = transform.structured.tile_using_for %t4g tile_sizes [0, 0, 1, 64] interchange = [0, 1, 3, 2]
        : (!transform.any_op) -> (!transform.any_op, !transform.op<"scf.for">, !transform.any_op)
    transform.include @xgenmm_peel failures(propagate) (%n4) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op

    // M by the tile's rows (8), the remainder row by row.
    %mm2 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.tile_matmul} in %root : (!transform.any_op) -> !transform.any_op
    // (Op by op: a parameter tile size takes one value per op tiled.)
    %m2 = transform.foreach %mm2 : !transform.any_op -> !transform.op<"scf.for"> {
    ^bb0(%op: !transform.any_op):
      %t2, %l2 = transform.structured.tile_using_for %op tile_sizes [%reg_rows, 0, 0]
          : (!transform.any_op, !transform.param<i64>) -> (!transform.any_op, !transform.op<"scf.for">)
      transform.yield %l2 : !transform.op<"scf.for">
    }
    transform.foreach %m2 : !transform.op<"scf.for"> {
    ^bb0(%loop: !transform.op<"scf.for">):
      transform.sequence %loop : !transform.op<"scf.for"> failures(suppress) {
      ^bb1(%l: !transform.op<"scf.for">):
        %main, %rest = transform.loop.peel %l : (!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)
        transform.foreach %rest : !transform.any_op {
        ^bb9(%r: !transform.any_op):
          %rows = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.tile_matmul} in %r : (!transform.any_op) -> !transform.any_op
          %t3, %m3 = transform.structured.tile_using_for %rows tile_sizes [1, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        }
      }
    }
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op

    // N by the tile's columns (32; remainder peeled), K by 1.
    %mm3 = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.tile_matmul} in %root : (!transform.any_op) -> !transform.any_op
    %n2 = transform.foreach %mm3 : !transform.any_op -> !transform.op<"scf.for"> {
    ^bb0(%op: !transform.any_op):
      %t4, %l4, %k2 = transform.structured.tile_using_for %op tile_sizes [0, %reg_cols, 1]
          : (!transform.any_op, !transform.param<i64>) -> (!transform.any_op, !transform.op<"scf.for">, !transform.any_op)
      transform.yield %l4 : !transform.op<"scf.for">
    }
    transform.include @xgenmm_peel failures(propagate) (%n2) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op

    transform.include @xgenmm_tile_attention failures(propagate) (%root) : (!transform.any_op) -> ()
    transform.include @xgenmm_tile_bf16_dot failures(propagate) (%root) : (!transform.any_op) -> ()

    // Vectorize the (now static) tiles of all kinds.
    %tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %tiles : !transform.any_op
    %int4_tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matvec_int4} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %int4_tiles : !transform.any_op
    %bf16_tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.matmul_bf16} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %bf16_tiles : !transform.any_op
    %qk_tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %qk_tiles : !transform.any_op
    %pv_tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_pv} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %pv_tiles : !transform.any_op
    %kt_tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_kt} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %kt_tiles : !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.sink_ops
    } : !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers
    } : !transform.any_op
    transform.apply_cse to %funcs : !transform.any_op
    // Decode's scores (after the contraction patterns: the canonicalization
    // the peeling needs would fold the unit-K products above first).
    %qd_tiles = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk_dot} in %root : (!transform.any_op) -> !transform.any_op
    %qd_fill, %qd_part, %qd_sum, %qd_loop = transform.structured.tile_reduction_using_for %qd_tiles by tile_sizes = [0, 0, 0, 0, 0, 16]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    // The head-dim remainder (d mod 16, static) peeled off.
    transform.annotate %qd_part "xgenmm.attn_qk_part" : !transform.any_op
    %qd_for = transform.cast %qd_loop : !transform.any_op to !transform.op<"scf.for">
    transform.include @xgenmm_peel failures(propagate) (%qd_for) : (!transform.op<"scf.for">) -> ()
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.structured.vectorize %qd_fill : !transform.any_op
    %qd_parts = transform.structured.match ops{["linalg.generic"]} attributes {xgenmm.attn_qk_part} in %root : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %qd_parts : !transform.any_op
    transform.structured.vectorize %qd_sum : !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.canonicalization
      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers
    } : !transform.any_op
    transform.apply_cse to %funcs : !transform.any_op
    transform.yield
  }

  transform.named_sequence @xgenmm_lower_vec(%root: !transform.any_op {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerparallel"
      transform.apply_patterns.vector.split_transfer_full_partial split_transfer_strategy = "linalg-copy"
      transform.apply_patterns.vector.transfer_to_scf max_transfer_rank = 1 full_unroll = true
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.lower_shape_cast
      transform.apply_patterns.vector.lower_transpose lowering_strategy = "shuffle_1d"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.lower_broadcast
    } : !transform.any_op
    transform.yield
  }
}
