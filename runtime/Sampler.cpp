//===- Sampler.cpp - choosing the next token ------------------------------===//

#include "runtime/Sampler.h"

#include "runtime/Error.h"

#include <algorithm>
#include <cmath>
#include <string>

using namespace xgenmm::runtime;

namespace {

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

} // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t &word : s_)
    word = splitmix64(seed);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

xgenmm_status
xgenmm::runtime::validateSamplingParams(const xgenmm_sampling_params &p,
                                        const char *function) {
  const std::string prefix = std::string(function) + ": sampling.";
  if (!(p.temperature >= 0) || std::isinf(p.temperature))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                prefix + "temperature is " + std::to_string(p.temperature) +
                    ", expected a finite value >= 0 (0: greedy)");
  if (p.top_k < 0)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT, prefix + "top_k is " +
                                                   std::to_string(p.top_k) +
                                                   ", expected >= 0 (0: all)");
  if (!(p.top_p > 0 && p.top_p <= 1))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                prefix + "top_p is " + std::to_string(p.top_p) +
                    ", expected in (0, 1] (1: all)");
  return XGENMM_OK;
}

xgenmm_status xgenmm::runtime::checkLogits(const float *logits, int32_t n) {
  bool anyFinite = false;
  for (int32_t i = 0; i < n; ++i) {
    float l = logits[i];
    if (std::isnan(l) || l == INFINITY)
      return fail(XGENMM_ERROR_NUMERIC, "the model produced logit " +
                                            std::to_string(l) + " for token " +
                                            std::to_string(i));
    anyFinite |= l != -INFINITY;
  }
  if (!anyFinite)
    return fail(XGENMM_ERROR_NUMERIC,
                "the model produced -inf for every token");
  return XGENMM_OK;
}

xgenmm_token Sampler::sample(const float *logits, int32_t n) {
  if (params_.temperature ==
      0) // strictly greater keeps the smallest id on ties
    return static_cast<xgenmm_token>(std::max_element(logits, logits + n) -
                                     logits);

  // Candidates by logit, largest first; the id breaks ties, so the order is
  // total and every correct sort gives the same one.
  candidates_.resize(n);
  for (int32_t i = 0; i < n; ++i)
    candidates_[i] = {logits[i], i};
  auto before = [](const std::pair<float, xgenmm_token> &a,
                   const std::pair<float, xgenmm_token> &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  size_t kept = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < kept) {
    kept = params_.top_k;
    std::partial_sort(candidates_.begin(), candidates_.begin() + kept,
                      candidates_.end(), before);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), before);
  }

  // Probabilities in double: exp((l - l_max) / T) is at most 1, so the sum
  // cannot overflow, and the largest candidate has weight exactly 1.
  const double maxLogit = candidates_[0].first;
  weights_.resize(kept);
  double total = 0;
  for (size_t i = 0; i < kept; ++i) {
    weights_[i] =
        std::exp((candidates_[i].first - maxLogit) / params_.temperature);
    total += weights_[i];
  }
  if (params_.top_p < 1) {
    double mass = 0;
    size_t prefix = 0;
    while (prefix < kept && mass < params_.top_p * total)
      mass += weights_[prefix++];
    kept = std::max<size_t>(prefix, 1);
    total = mass;
  }

  double target = rng_.uniform() * total;
  double cumulative = 0;
  for (size_t i = 0; i < kept; ++i) {
    cumulative += weights_[i];
    if (target < cumulative)
      return candidates_[i].second;
  }
  // Rounding left the target at the very top: the last kept candidate.
  return candidates_[kept - 1].second;
}
