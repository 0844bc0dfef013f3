//===- ModelBench.cpp - image encode, prefill and decode of an artifact ---===//
//
// Runs a compiled artifact through the runtime's C API, as a user would:
//   XGENMM_BENCH_ARTIFACT=<artifact-dir> XGENMM_BENCH_THREADS=<n> \
//     build/bin/xgenmm-model-bench
// (default artifact: build/default-artifact, the one scripts/run-default.sh
// makes; default threads: all the machine's). First measures the machine's
// limits on that many threads (MachineLimits.h: fp32 FMA peak, AVX512-BF16
// dot peak, read bandwidth), then reports per stage the time, tokens/s and
// the fraction of the limit that bounds the stage:
//   - image encode and prefill, compute bound: GFLOP/s and `of_fma_peak`,
//     the FLOPs counted analytically from the manifest's configuration
//     (multiply-adds x 2 of every matmul and attention product; norms,
//     activations and softmax not counted);
//   - decode, bandwidth bound: the bytes one step must read (every language
//     model weight once, the head's used rows, and the KV cache's keys and
//     values of the context) per second, `GB/s` and `of_bandwidth`. Each
//     decode iteration is one step timed on its own after the context was
//     prefilled once (the context grows by one per step, a fraction of a
//     percent over the iterations); the median step is reported too.
//
//===----------------------------------------------------------------------===//
#include "MachineLimits.h"
#include "frontend/Json.h"
#include "runtime/xgenmm.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Dims {
  // vision
  int64_t img = 0, patch = 0, vc = 0, vi = 0, vl = 0;
  // resampler
  int64_t latents = 0, depth = 0, rinner = 0, ff = 0;
  // language model
  int64_t d = 0, layers = 0, heads = 0, kvHeads = 0, headDim = 0, inter = 0, vocab = 0;

  int64_t tokensPerView() const { return (img / patch) * (img / patch); }

  /// FLOPs of one view through SigLIP, the resampler and the projection.
  double encodePerView() const {
    double t = tokensPerView(), keys = t + latents;
    double siglip = 2.0 * t * vc * 3 * patch * patch +
                    vl * (2.0 * t * (4.0 * vc * vc + 2.0 * vc * vi) + 4.0 * t * t * vc);
    double resampler =
        depth * (2.0 * latents * vc * rinner + 2.0 * keys * vc * 2 * rinner +
                 4.0 * latents * keys * rinner + 2.0 * latents * rinner * vc +
                 2.0 * 2 * latents * vc * ff) +
        2.0 * latents * vc * d;
    return siglip + resampler;
  }
  /// FLOPs of the language model for `n` new tokens after `past` cached
  /// ones; the head only for the last position.
  double lm(double n, double past) const {
    double qkv = (heads + 2.0 * kvHeads) * headDim;
    double dense = layers * 2.0 * n * (d * qkv + d * (double)heads * headDim +
                                       d * 2.0 * inter + inter * d);
    // q.k and p.v over past + causal new keys
    double keys = n * past + n * (n + 1) / 2;
    double attention = layers * 4.0 * keys * heads * headDim;
    return dense + attention + 2.0 * d * vocab;
  }
  /// Bytes one decode step after `context` tokens must read at least: the
  /// language model's weights (`weightBytes` per element), the head's used
  /// rows, and the cached keys and values (`kvBytes` per element).
  /// `lmStoredBytes`, when known (> 0), replaces the weight term: the bytes
  /// weights.bin holds for the language model (quantized values and scales
  /// included).
  double decodeBytes(double context, double weightBytes, double kvBytes,
                     double lmStoredBytes = 0) const {
    double qkv = (heads + 2.0 * kvHeads) * headDim;
    double weights = layers * (d * qkv + d * (double)heads * headDim + d * 2.0 * inter +
                               inter * (double)d) +
                     (double)d * vocab;
    double kv = layers * 2.0 * context * kvHeads * headDim;
    return (lmStoredBytes > 0 ? lmStoredBytes : weights * weightBytes) + kv * kvBytes;
  }
};

std::unique_ptr<xgenmm::JsonValue> manifest;
xgenmm_model *model = nullptr;
Dims dims;
xgenmm::bench::MachineLimits limits;
double weightBytes = 4, kvBytes = 4; // per element, from the manifest
/// The language model's weights as stored (manifest "weights" tensors under
/// vlm.lang_model., the embedding table excepted: one row per token); 0 for
/// artifacts whose manifest does not list them.
double lmStoredBytes = 0;

int64_t at(const xgenmm::JsonValue &root, std::initializer_list<const char *> path) {
  const xgenmm::JsonValue *v = &root;
  for (const char *k : path)
    if (!(v = v->get(k)))
      return 0;
  return v->isInteger() ? v->asInteger() : 0;
}

bool load(const std::string &dir) {
  std::ifstream in(dir + "/manifest.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string error;
  auto json = xgenmm::parseJson(ss.str(), error);
  if (!json) {
    fprintf(stderr, "xgenmm-model-bench: %s/manifest.json: %s\n", dir.c_str(), error.c_str());
    return false;
  }
  manifest = std::make_unique<xgenmm::JsonValue>(*json);
  const xgenmm::JsonValue &c = *manifest->get("config");
  dims.img = at(c, {"vision", "image_size"});
  dims.patch = at(c, {"vision", "patch_size"});
  dims.vc = at(c, {"vision", "hidden_size"});
  dims.vi = at(c, {"vision", "intermediate_size"});
  dims.vl = at(c, {"vision", "num_hidden_layers"});
  dims.latents = at(c, {"resampler", "num_latents"});
  dims.depth = at(c, {"resampler", "depth"});
  dims.rinner = at(c, {"resampler", "heads"}) * at(c, {"resampler", "dim_head"});
  dims.ff = at(c, {"resampler", "ff_mult"}) * dims.vc;
  dims.d = at(c, {"text", "hidden_size"});
  dims.layers = at(c, {"text", "num_hidden_layers"});
  dims.heads = at(c, {"text", "num_attention_heads"});
  dims.kvHeads = at(c, {"text", "num_key_value_heads"});
  dims.headDim = at(c, {"text", "head_dim"});
  dims.inter = at(c, {"text", "intermediate_size"});
  dims.vocab = at(c, {"text", "initial_tokenizer_len"}) + 3;
  auto elementBytes = [](const xgenmm::JsonValue *dtype) {
    return dtype && dtype->isString() && dtype->asString() == "bf16" ? 2.0 : 4.0;
  };
  weightBytes = elementBytes(manifest->get("dtype"));
  if (const xgenmm::JsonValue *kv = manifest->get("kv_cache"))
    kvBytes = elementBytes(kv->get("dtype"));
  if (const xgenmm::JsonValue *w = manifest->get("weights"))
    if (const xgenmm::JsonValue *tensors = w->get("tensors"))
      for (const xgenmm::JsonValue &t : tensors->asArray()) {
        const std::string &name = t.get("name")->asString();
        if (name.rfind("vlm.lang_model.", 0) == 0 &&
            name.find("embed_tokens") == std::string::npos)
          lmStoredBytes += (double)t.get("bytes")->asInteger();
      }
  model = xgenmm_load(dir.c_str());
  if (!model) {
    fprintf(stderr, "xgenmm-model-bench: %s\n", xgenmm_last_error());
    return false;
  }
  return true;
}

/// One image view (a crop) through the whole vision side.
void encodeView(benchmark::State &state) {
  const xgenmm_model_info *info = xgenmm_model_get_info(model);
  xgenmm_session *s = xgenmm_session_new(model);
  int views = info->anyres ? 3 : 1; // the smallest anyres grid: 1 x 2
  std::vector<float> pixels((size_t)views * 3 * info->image_size * info->image_size, 0.25f);
  std::vector<float> tokens((size_t)views * info->tokens_per_view * info->n_embd);
  xgenmm_image image{pixels.data(), views, info->anyres ? 2 : 0, info->anyres ? 1 : 0,
                     info->image_size, 2 * info->image_size};
  for (auto _ : state)
    if (xgenmm_encode_image(s, &image, tokens.data(), tokens.size()) != XGENMM_OK)
      state.SkipWithError(xgenmm_last_error());
  state.counters["ms/view"] = benchmark::Counter(
      views * 1e-3, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["GFLOP/s"] = benchmark::Counter(views * dims.encodePerView() * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["of_fma_peak"] =
      benchmark::Counter(views * dims.encodePerView() * 1e-9 / limits.fmaGflops,
                         benchmark::Counter::kIsIterationInvariantRate);
  xgenmm_session_free(s);
}

std::vector<xgenmm_token> prompt(int n) {
  const xgenmm_model_info *info = xgenmm_model_get_info(model);
  std::vector<xgenmm_token> ids(n);
  for (int i = 0; i < n; ++i)
    ids[i] = 1 + (i * 7919) % (info->n_vocab_base - 1);
  return ids;
}

void prefill(benchmark::State &state) {
  int n = (int)state.range(0);
  xgenmm_session *s = xgenmm_session_new(model);
  std::vector<xgenmm_token> ids = prompt(n);
  for (auto _ : state) {
    xgenmm_session_reset(s);
    if (xgenmm_prefill(s, ids.data(), n, nullptr, 0) != XGENMM_OK)
      state.SkipWithError(xgenmm_last_error());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(dims.lm(n, 0) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["of_fma_peak"] = benchmark::Counter(
      dims.lm(n, 0) * 1e-9 / limits.fmaGflops, benchmark::Counter::kIsIterationInvariantRate);
  xgenmm_session_free(s);
}

/// Decode steps after `context` prefilled tokens, each timed on its own.
void decode(benchmark::State &state) {
  int context = (int)state.range(0);
  xgenmm_session *s = xgenmm_session_new(model);
  std::vector<xgenmm_token> ids = prompt(context);
  if (xgenmm_prefill(s, ids.data(), context, nullptr, 0) != XGENMM_OK) {
    state.SkipWithError(xgenmm_last_error());
    xgenmm_session_free(s);
    return;
  }
  std::vector<double> steps;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    xgenmm_status st = xgenmm_decode(s, ids[steps.size() % ids.size()]);
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (st != XGENMM_OK) {
      state.SkipWithError(xgenmm_last_error());
      break;
    }
    state.SetIterationTime(t);
    steps.push_back(t);
  }
  if (!steps.empty()) {
    std::sort(steps.begin(), steps.end());
    double median = steps[steps.size() / 2];
    double bytes =
        dims.decodeBytes(context + steps.size() / 2.0, weightBytes, kvBytes, lmStoredBytes);
    state.counters["median_ms"] = median * 1e3;
    state.counters["tokens/s"] = 1.0 / median;
    state.counters["GB/s"] = bytes / median * 1e-9;
    state.counters["of_bandwidth"] = bytes / median * 1e-9 / limits.readGBs;
  }
  xgenmm_session_free(s);
}

/// The llama.cpp comparison's protocol (benchmarks/compare_llamacpp.py):
/// per iteration, `prompt` tokens from an empty cache, then `steps` decode
/// steps (the prompt's ids again); prefill and decode rates reported apart.
void prefillThenDecode(benchmark::State &state) {
  int n = (int)state.range(0), steps = (int)state.range(1);
  xgenmm_session *s = xgenmm_session_new(model);
  std::vector<xgenmm_token> ids = prompt(n);
  double prefillSeconds = 0, decodeSeconds = 0;
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  for (auto _ : state) {
    xgenmm_session_reset(s);
    auto t0 = Clock::now();
    xgenmm_status st = xgenmm_prefill(s, ids.data(), n, nullptr, 0);
    auto t1 = Clock::now();
    for (int i = 0; st == XGENMM_OK && i < steps; ++i)
      st = xgenmm_decode(s, ids[i % n]);
    auto t2 = Clock::now();
    if (st != XGENMM_OK) {
      state.SkipWithError(xgenmm_last_error());
      break;
    }
    prefillSeconds += seconds(t0, t1);
    decodeSeconds += seconds(t1, t2);
    state.SetIterationTime(seconds(t0, t2));
  }
  if (state.iterations() > 0 && prefillSeconds > 0 && decodeSeconds > 0) {
    state.counters["prefill_tokens/s"] = n * (double)state.iterations() / prefillSeconds;
    state.counters["decode_tokens/s"] = steps * (double)state.iterations() / decodeSeconds;
  }
  xgenmm_session_free(s);
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  const char *dir = std::getenv("XGENMM_BENCH_ARTIFACT");
  const char *threadsEnv = std::getenv("XGENMM_BENCH_THREADS");
  int threads = threadsEnv ? std::atoi(threadsEnv)
                           : (int)std::max(1u, std::thread::hardware_concurrency());
  if (threads < 1) {
    fprintf(stderr, "xgenmm-model-bench: XGENMM_BENCH_THREADS=%s: not a thread count\n",
            threadsEnv);
    return 1;
  }
  if (!load(dir ? dir : "build/default-artifact"))
    return 1;
  if (xgenmm_set_threads(model, threads) != XGENMM_OK) {
    fprintf(stderr, "xgenmm-model-bench: %s\n", xgenmm_last_error());
    return 1;
  }
  limits = xgenmm::bench::measureMachineLimits(threads);
  xgenmm::bench::printMachineLimits(limits);
  const xgenmm_model_info *info = xgenmm_model_get_info(model);
  int maxPrefill = info->n_ctx - 1; // longer than n_prefill_max: in chunks
  // Encode and prefill warm up first (one call at least): the first call
  // on a fresh arena takes its pages' first-touch faults (the kernel
  // zeroing them), ~7% of a full-size encode, which later calls and the
  // peers' warmed-up timings (compare_peers.py) do not pay.
  benchmark::RegisterBenchmark("encode_image/views_of_a_1x2_grid", encodeView)
      ->MinWarmUpTime(1e-3)
      ->Unit(benchmark::kMillisecond);
  for (int n : {16, 128, 1024})
    if (n <= maxPrefill)
      benchmark::RegisterBenchmark("prefill", prefill)
          ->Arg(n)
          ->MinWarmUpTime(1e-3)
          ->Unit(benchmark::kMillisecond);
  for (int c : {16, 512, 2048})
    if (c < maxPrefill)
      benchmark::RegisterBenchmark("decode/context", decode)
          ->Arg(c)
          ->Iterations(12)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
  // XGENMM_BENCH_PREFILL_DECODE=P,D: also P prompt tokens then D decode
  // steps per iteration (compare_llamacpp.py; off by default: minutes).
  if (const char *pd = std::getenv("XGENMM_BENCH_PREFILL_DECODE")) {
    int p = 0, d = 0;
    if (std::sscanf(pd, "%d,%d", &p, &d) != 2 || p < 1 || d < 1 || p + d > info->n_ctx ||
        p > maxPrefill) {
      fprintf(stderr,
              "xgenmm-model-bench: XGENMM_BENCH_PREFILL_DECODE=%s: expected P,D with "
              "P <= %d and P + D <= %d\n",
              pd, maxPrefill, info->n_ctx);
      return 1;
    }
    benchmark::RegisterBenchmark("prefill_then_decode", prefillThenDecode)
        ->Args({p, d})
        ->UseManualTime()
        ->Unit(benchmark::kSecond);
  }
  benchmark::AddCustomContext("artifact", dir ? dir : "build/default-artifact");
  benchmark::AddCustomContext("model", info->name);
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  xgenmm_free(model);
  return 0;
}
