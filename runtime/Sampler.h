//===- Sampler.h - choosing the next token ----------------------*- C++ -*-===//
//
// The sampling rule documented at xgenmm_sampling_params in xgenmm.h. Its
// random numbers come from xoshiro256** (Blackman and Vigna) seeded with
// splitmix64, both fully specified, so that a seed gives the same tokens
// with every compiler and standard library (std::*_distribution does not).
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_SAMPLER_H
#define XGENMM_RUNTIME_SAMPLER_H

#include "runtime/xgenmm.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace xgenmm::runtime {

/// xoshiro256** with its state filled by splitmix64 from one seed.
class Rng {
public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
  uint64_t s_[4];
};

/// Checks `params` against the documented ranges; the message starts with
/// `function` and names the field.
xgenmm_status validateSamplingParams(const xgenmm_sampling_params &params,
                                     const char *function);

/// Chooses a token from `logits[0, n)`, which must not hold NaN or +inf and
/// must not be all -inf (see checkLogits). `params` must be valid.
class Sampler {
public:
  explicit Sampler(const xgenmm_sampling_params &params)
      : params_(params), rng_(params.seed) {}
  xgenmm_token sample(const float *logits, int32_t n);

private:
  xgenmm_sampling_params params_;
  Rng rng_;
  std::vector<std::pair<float, xgenmm_token>> candidates_; // reused
  std::vector<double> weights_;                            // reused
};

/// XGENMM_ERROR_NUMERIC if `logits[0, n)` cannot be sampled: a NaN or +inf,
/// or every logit -inf.
xgenmm_status checkLogits(const float *logits, int32_t n);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_SAMPLER_H
