//===- SyntheticWeights.h - stand-in weights for benchmarks ---------------===//
//
// Deterministic weights for an artifact compiled without its checkpoint
// (xgenmm-compile --synthetic-weights) or carried without its weights.bin
// (xgenmm-synth-weights rewrites it from the manifest): what benchmarking a
// model one does not have, or cannot copy, needs. The generated text means
// nothing; the work per token is the real model's.
//
// Each value depends only on the tensor's name and the element's index in
// weights.bin, so both writers produce the same bytes: norm scales are 1,
// biases 0, everything else uniform in [-0.02, 0.02] (keeps activations
// bounded through the layers). Header-only: the compiler and the runtime
// tool share it.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_SYNTHETICWEIGHTS_H
#define XGENMM_RUNTIME_SYNTHETICWEIGHTS_H

#include <cstdint>
#include <cstring>
#include <string_view>

namespace xgenmm::runtime {

inline uint64_t syntheticSeed(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

/// Fills `count` elements at `dst` (f32, or bf16 when `bf16`) of the weight
/// `name` (the manifest's name, layers as "{}").
inline void synthesizeWeight(std::string_view name, bool bf16, uint64_t count, uint8_t *dst) {
  auto endsWith = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  bool norm = endsWith(".weight") && name.find("norm") != std::string_view::npos;
  bool bias = endsWith(".bias");
  uint64_t seed = syntheticSeed(name);
  for (uint64_t i = 0; i < count; ++i) {
    float v;
    if (norm) {
      v = 1.0f;
    } else if (bias) {
      v = 0.0f;
    } else {
      uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull; // splitmix64
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      v = (float)((double)(z >> 40) * (1.0 / 16777216.0) * 0.04 - 0.02);
    }
    if (bf16) {
      uint32_t u;
      std::memcpy(&u, &v, 4);
      uint16_t h = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16); // finite values
      std::memcpy(dst + 2 * i, &h, 2);
    } else {
      std::memcpy(dst + 4 * i, &v, 4);
    }
  }
}

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_SYNTHETICWEIGHTS_H
