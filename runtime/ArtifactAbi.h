//===- ArtifactAbi.h - the contract between compiler and runtime -*- C++ -*-===//
//
// What `xgenmm-compile` writes and the runtime reads. Shared by both, so the
// two never disagree; standard library only (the runtime links no LLVM).
//
// An artifact is a directory:
//   model.so       the compiled entry points (below) and their kernels
//   weights.bin    every weight, converted and laid out for the target, each
//                  tensor at a 64-byte aligned offset; memory-mapped at load
//   manifest.json  format, configuration, target, files and checksums,
//                  entry-point geometry, KV-cache geometry, special tokens
//
// manifest.json (format_version 1):
// {
//   "format": "xgenmm-artifact", "format_version": 1,
//   "model": "<name>",
//   "config": { ... },            // ModelConfig::toJson(): vision, resampler,
//                                 // text, preprocessor, special_tokens
//   "target": { "kind": "cpu", "triple": "x86_64-unknown-linux-gnu",
//               "cpu": "znver4", "features": ["avx2", "avx512f", ...] },
//                                 // features: LLVM names the host must have
//   "dtype": "f32" | "bf16",      // weight storage in weights.bin
//   "matmul_precision": "f32" | "bf16", // encoding/prefill matrix products:
//                                 // bf16 = AVX512-BF16 dot products (optional
//                                 // key, informational; absent = f32)
//   "weights": { "quantized_parts": ["language", "head"],
//                "scheme": "int8" | "int4" | "mixed" | null,
//                "schemes": { "language": "int4", "head": "int8" },
//                "group_size": 32 | null, "simulated": false,
//                "tensors": [{ "name": "...", "type": "tensor<32x3072x9216xi8>",
//                              "bytes": N, "scheme": "f32" | "bf16" | "int8" | "int4",
//                              "part": "values" | "scales" | "dequantized",
//                              "group_size": 32,
//                              "layout": "vnni" }, ...] },  // layout: only
//                                 // when not K-major (int4 VNNI panels, f16
//                                 // scales; #xgenmm.quant)
//                                 // optional, informational: what weights.bin
//                                 // holds per tensor (xgenmm-compile --weights)
//   "files": { "model.so":    { "bytes": N, "xxh64": "<16 hex digits>" },
//              "weights.bin": { "bytes": N, "xxh64": "<16 hex digits>" },
//              ... and one such entry per file named in "inputs" },
//   "encode_image": { "symbol": "...", "image_size": 384, "max_views": 5,
//                     "tokens_per_view": 128, "width": 3072, "anyres": true },
//   "prefill": { "symbol": "...", "max_tokens": 4096 },
//   "decode":  { "symbol": "..." },
//   "kv_cache": { "layers": 32, "capacity": 4096, "width": 3072,
//                 "dtype": "f32" | "bf16" },   // bf16: 2-byte elements (the
//                                 // descriptors below still say float)
//   "vocab": { "base": 32012, "logits": 32015 },
//   "special_tokens": { "image": 32012, "image_placeholder": 32013,
//                       "endofchunk": 32014, "bos": 1, "eos": 32000, "pad": 32000 },
//   "inputs": { "tokenizer": ["tokenizer.model", "tokenizer_config.json",
//                             "special_tokens_map.json", "added_tokens.json"],
//               "preprocessor": "preprocessor_config.json" }
// }
//
// "inputs" (added without a new format version; artifacts written before it
// lack it, which reads as no tokenizer and no preprocessor file): the
// checkpoint's text and image input files, copied byte for byte into the
// artifact directory by xgenmm-compile, each also listed in "files" with its
// size and checksum. "tokenizer" lists the kTokenizerFiles the checkpoint
// has, [] when it has no tokenizer.model (such an artifact runs from ids
// only; the runtime refuses text prompts with a message saying so);
// "preprocessor" is "preprocessor_config.json" or null, in which case the
// runtime preprocesses images from config.preprocessor.
//
// Entry points: MLIR's C interface of functions without results. Every
// memref argument is passed as a pointer to a descriptor (MemRef<T, N>
// below), every index argument as int64_t; outputs are written in place.
//
//   void encode_image(MemRef<int8_t,1>* weights, MemRef<float,4>* pixels
//                     /*[views, 3, S, S]*/, int64_t gridRows, int64_t gridCols,
//                     int64_t width, int64_t height,
//                     MemRef<float,3>* out /*[views, tokens_per_view, width]*/);
//   void prefill(MemRef<int8_t,1>* weights, MemRef<int32_t,1>* ids /*[T]*/,
//                MemRef<float,2>* vision /*[V, width]*/, int64_t position,
//                MemRef<float,3>* kCache, MemRef<float,3>* vCache
//                /*[layers, capacity, width]*/,
//                MemRef<float,2>* logits /*[1, vocab.logits]*/);
//   void decode(MemRef<int8_t,1>* weights, MemRef<int32_t,1>* ids /*[1]*/,
//               int64_t position, MemRef<float,3>* kCache,
//               MemRef<float,3>* vCache, MemRef<float,2>* logits);
//
// gridRows/gridCols/width/height describe the anyres grid and the original
// image size; in base mode (no grids) they are ignored. In prefill, each
// image occupies as many consecutive `image` ids as it has vision tokens
// (views * tokens_per_view), in order; V is the total. Positions are
// absolute: rows [position, position + T) of the caches are written.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_ARTIFACTABI_H
#define XGENMM_RUNTIME_ARTIFACTABI_H

#include <cstdint>

namespace xgenmm::abi {

inline constexpr const char *kFormat = "xgenmm-artifact";
inline constexpr int64_t kFormatVersion = 1;
inline constexpr const char *kModelFile = "model.so";
inline constexpr const char *kWeightsFile = "weights.bin";
inline constexpr const char *kManifestFile = "manifest.json";
inline constexpr uint64_t kWeightAlignment = 64;

/// Tokenizer files copied from the checkpoint when present ("inputs"
/// above); tokenizer.model is the one that makes a tokenizer, the others are
/// read as Hugging Face's slow LlamaTokenizer reads them.
inline constexpr const char *kTokenizerFiles[] = {
    "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
    "added_tokens.json", "tokenizer.json"};
inline constexpr const char *kTokenizerModelFile = "tokenizer.model";
inline constexpr const char *kPreprocessorFile = "preprocessor_config.json";

inline constexpr const char *kEncodeImageSymbol = "_mlir_ciface_xgenmm_encode_image";
inline constexpr const char *kPrefillSymbol = "_mlir_ciface_xgenmm_prefill";
inline constexpr const char *kDecodeSymbol = "_mlir_ciface_xgenmm_decode";

/// MLIR's strided memref descriptor (mlir/ExecutionEngine/CRunnerUtils.h),
/// restated so the runtime needs no MLIR headers.
template <typename T, int N> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};

/// A contiguous row-major descriptor over `data`.
template <typename T, int N>
MemRef<T, N> contiguous(T *data, const int64_t (&sizes)[N]) {
  MemRef<T, N> m{data, data, 0, {}, {}};
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    m.sizes[i] = sizes[i];
    m.strides[i] = stride;
    stride *= sizes[i];
  }
  return m;
}

using EncodeImageFn = void (*)(MemRef<int8_t, 1> *, MemRef<float, 4> *, int64_t,
                               int64_t, int64_t, int64_t, MemRef<float, 3> *);
using PrefillFn = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                           MemRef<float, 2> *, int64_t, MemRef<float, 3> *,
                           MemRef<float, 3> *, MemRef<float, 2> *);
using DecodeFn = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *, int64_t,
                          MemRef<float, 3> *, MemRef<float, 3> *,
                          MemRef<float, 2> *);

} // namespace xgenmm::abi

#endif // XGENMM_RUNTIME_ARTIFACTABI_H
