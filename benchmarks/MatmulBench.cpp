//===- MatmulBench.cpp - GFLOP/s of compiled dense layers vs the FMA peak -===//
//
// Google Benchmark program. Times the dense-layer and attention kernels of
// kernels.mlir (every distinct product of SigLIP, the resampler and Phi-3;
// SigLIP's, the resampler's and Phi-3's prefill and decode attention),
// all compiled at build time by the compiler's own code generation
// (--xgenmm-cpu-codegen-pipeline), at xGen-MM shapes, on the OpenMP
// runtime's threads (OMP_NUM_THREADS), and the machine's limits on as many
// threads measured in the same run (MachineLimits.h). Every matmul reports
// GFLOP/s and `of_peak`, its fraction of the fp32 FMA peak (GFLOPs are per
// second: the counters are rates over the timed loop), the bf16-weight
// kernels on AVX512-BF16 dot products also `of_bf16_peak`; the M=1 (decode)
// shapes, bandwidth bound, also report the weight GB read per second and
// `of_bandwidth`, its fraction of the measured read bandwidth.
//
//   OMP_NUM_THREADS=2 build/bin/xgenmm-bench-matmul [--benchmark_filter=...]
//
//===----------------------------------------------------------------------===//
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include "MachineLimits.h"
#include "runtime/ArtifactAbi.h"

#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

// MLIR's C-interface memref descriptors, as the runtime passes them.
template <typename T, int N> using Memref = xgenmm::abi::MemRef<T, N>;
template <typename T> using Memref2D = Memref<T, 2>;

template <int N> Memref<float, N> viewN(float *p, const int64_t (&sizes)[N]) {
  return xgenmm::abi::contiguous(p, sizes);
}

template <typename T> Memref2D<T> view(T *p, int64_t rows, int64_t cols) {
  return xgenmm::abi::contiguous(p, {rows, cols});
}

} // namespace

// The C interfaces of kernels.mlir: a [M, K], w [K, N], c [M, N] (in place).
#define XGENMM_KERNEL(name, W)                                                 \
  extern "C" void _mlir_ciface_##name(Memref2D<float> *, Memref2D<W> *,        \
                                      Memref2D<float> *);
XGENMM_KERNEL(mm_f32_1152x4304, float)
XGENMM_KERNEL(mm_bf16_1152x4304, uint16_t)
XGENMM_KERNEL(mm_f32_4304x1152, float)
XGENMM_KERNEL(mm_f32_3072x9216, float)
XGENMM_KERNEL(mm_bf16_3072x9216, uint16_t)
XGENMM_KERNEL(mv_f32_3072x9216, float)
XGENMM_KERNEL(mv_bf16_3072x9216, uint16_t)
XGENMM_KERNEL(mm_f32_1152x1152, float)
XGENMM_KERNEL(mm_bf16_4304x1152, uint16_t)
XGENMM_KERNEL(mm_bf16_1152x1152, uint16_t)
XGENMM_KERNEL(mv_bf16_3072x16384, uint16_t)
XGENMM_KERNEL(mv_bf16_8192x3072, uint16_t)
XGENMM_KERNEL(mv_bf16_3072x32064, uint16_t)
XGENMM_KERNEL(mm_f32_3072x3072, float)
XGENMM_KERNEL(mm_bf16_3072x3072, uint16_t)
XGENMM_KERNEL(mm_f32_3072x16384, float)
XGENMM_KERNEL(mm_bf16_3072x16384, uint16_t)
XGENMM_KERNEL(mm_f32_8192x3072, float)
XGENMM_KERNEL(mm_bf16_8192x3072, uint16_t)
XGENMM_KERNEL(mm_f32_1152x1536, float)
XGENMM_KERNEL(mm_bf16_1152x1536, uint16_t)
XGENMM_KERNEL(mm_f32_1152x3072, float)
XGENMM_KERNEL(mm_bf16_1152x3072, uint16_t)
XGENMM_KERNEL(mm_f32_1536x1152, float)
XGENMM_KERNEL(mm_bf16_1536x1152, uint16_t)
XGENMM_KERNEL(mm_f32_1152x4608, float)
XGENMM_KERNEL(mm_bf16_1152x4608, uint16_t)
XGENMM_KERNEL(mm_f32_4608x1152, float)
XGENMM_KERNEL(mm_bf16_4608x1152, uint16_t)
extern "C" void _mlir_ciface_attn_resampler(Memref<float, 3> *, Memref<float, 3> *,
                                            Memref<float, 3> *, Memref2D<int8_t> *,
                                            Memref<float, 3> *);
extern "C" void _mlir_ciface_attn_prefill_bf16(Memref2D<float> *, Memref2D<float> *,
                                               Memref2D<float> *, Memref2D<uint16_t> *,
                                               Memref2D<uint16_t> *, int64_t,
                                               Memref2D<float> *);
extern "C" void _mlir_ciface_attn_qk_729x16x72(Memref<float, 5> *,
                                               Memref<float, 4> *,
                                               Memref<float, 5> *);
extern "C" void _mlir_ciface_attn_pv_729x16x72(Memref<float, 5> *,
                                               Memref<float, 4> *,
                                               Memref<float, 5> *);
#define XGENMM_DECODE_ATTENTION(name, C)                                       \
  extern "C" void _mlir_ciface_##name(Memref2D<float> *, Memref2D<float> *,    \
                                      Memref2D<float> *, Memref2D<C> *,        \
                                      Memref2D<C> *, int64_t, Memref2D<float> *);
XGENMM_DECODE_ATTENTION(attn_decode_bf16, uint16_t)
XGENMM_DECODE_ATTENTION(attn_decode_int8, int8_t)

namespace {

xgenmm::bench::MachineLimits gLimits;

uint16_t toBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}
float fromBf16(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename W>
using Kernel = void (*)(Memref2D<float> *, Memref2D<W> *, Memref2D<float> *);

/// args: M. Fills a and w with random values, checks a few outputs against
/// a double-precision reference, then times the kernel.
template <typename W>
void runMatmul(benchmark::State &state, Kernel<W> kernel, int64_t K, int64_t N,
               bool dynamicM) {
  int64_t M = state.range(0);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> a(M * K), c(M * N, 0.f), wRef(K * N);
  std::vector<W> w(K * N);
  for (float &x : a)
    x = dist(rng);
  for (int64_t i = 0; i < K * N; ++i) {
    float x = dist(rng);
    if constexpr (sizeof(W) == 2) {
      w[i] = toBf16(x);
      wRef[i] = fromBf16(w[i]);
    } else {
      w[i] = x;
      wRef[i] = x;
    }
  }
  Memref2D<float> am = view(a.data(), M, K), cm = view(c.data(), M, N);
  Memref2D<W> wm = view(w.data(), K, N);

  // The bf16-weight products with a dynamic row count run on AVX512-BF16
  // dot products where the build machine has them: their activations are
  // rounded to bf16, so is the reference's.
  std::vector<float> aRef(a);
#ifndef XGENMM_BENCH_BF16_DOT
  dynamicM = false;
#endif
  if (sizeof(W) == 2 && dynamicM)
    for (float &x : aRef)
      x = fromBf16(toBf16(x));
  kernel(&am, &wm, &cm);
  for (int t = 0; t < 64; ++t) {
    int64_t i = (t * 7919) % M, j = (t * 104729) % N;
    if (t == 0)
      i = M - 1, j = N - 1; // the remainders
    double ref = 0;
    for (int64_t k = 0; k < K; ++k)
      ref += (double)aRef[i * K + k] * wRef[k * N + j];
    if (std::fabs(ref - c[i * N + j]) > 1e-3 * std::sqrt((double)K)) {
      state.SkipWithError("wrong result");
      return;
    }
  }

  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    kernel(&am, &wm, &cm);
    benchmark::ClobberMemory();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double gflops = 2.0 * M * N * K * state.iterations() / seconds * 1e-9;
  state.counters["GFLOPs"] = gflops;
  state.counters["of_peak"] = gflops / gLimits.fmaGflops;
  if (dynamicM && sizeof(W) == 2 && gLimits.bf16DotGflops > 0)
    state.counters["of_bf16_peak"] = gflops / gLimits.bf16DotGflops;
  if (M == 1) {
    double gbs = (double)K * N * sizeof(W) * state.iterations() / seconds * 1e-9;
    state.counters["weight_GBs"] = gbs;
    state.counters["of_bandwidth"] = gbs / gLimits.readGBs;
  }
}

#define XGENMM_BENCH(name, W, K, N, ...)                                       \
  void BM_##name(benchmark::State &state) {                                    \
    runMatmul<W>(state, _mlir_ciface_##name, K, N,                             \
                 std::string(#name).rfind("mm_", 0) == 0);                     \
  }                                                                            \
  BENCHMARK(BM_##name)->Unit(benchmark::kMillisecond)->ArgName("M")->Args(     \
      {__VA_ARGS__})

// SigLIP MLP (729 patch tokens of one 384x384 view).
XGENMM_BENCH(mm_f32_1152x4304, float, 1152, 4304, 729);
XGENMM_BENCH(mm_bf16_1152x4304, uint16_t, 1152, 4304, 729);
XGENMM_BENCH(mm_f32_4304x1152, float, 4304, 1152, 729);
XGENMM_BENCH(mm_bf16_4304x1152, uint16_t, 4304, 1152, 729);
// Phi-3 qkv projection: prefill (512 tokens, and a single one as M = 1 at
// run time) and decode (M = 1 at compile time).
XGENMM_BENCH(mm_f32_3072x9216, float, 3072, 9216, 512)->Args({1024})->Args({1});
XGENMM_BENCH(mm_bf16_3072x9216, uint16_t, 3072, 9216, 512)->Args({1024})->Args({1});
XGENMM_BENCH(mv_f32_3072x9216, float, 3072, 9216, 1);
XGENMM_BENCH(mv_bf16_3072x9216, uint16_t, 3072, 9216, 1);
// SigLIP q, k, v, o; Phi-3's other decode products (gate_up, down, head).
XGENMM_BENCH(mm_f32_1152x1152, float, 1152, 1152, 729);
XGENMM_BENCH(mm_bf16_1152x1152, uint16_t, 1152, 1152, 729);
XGENMM_BENCH(mv_bf16_3072x16384, uint16_t, 3072, 16384, 1);
XGENMM_BENCH(mv_bf16_8192x3072, uint16_t, 8192, 3072, 1);
XGENMM_BENCH(mv_bf16_3072x32064, uint16_t, 3072, 32064, 1);
// Phi-3's other prefill products, one chunk of 512 tokens (the default
// --prefill-chunk): o, gate_up, down.
XGENMM_BENCH(mm_f32_3072x3072, float, 3072, 3072, 512);
XGENMM_BENCH(mm_bf16_3072x3072, uint16_t, 3072, 3072, 512);
XGENMM_BENCH(mm_f32_3072x16384, float, 3072, 16384, 512);
XGENMM_BENCH(mm_bf16_3072x16384, uint16_t, 3072, 16384, 512);
XGENMM_BENCH(mm_f32_8192x3072, float, 8192, 3072, 512);
XGENMM_BENCH(mm_bf16_8192x3072, uint16_t, 8192, 3072, 512);
// The resampler's products for the 3 groups of an image on a 1x2 grid (the
// groups share one product, rows = groups x rows): q, out, W1, W2 and the
// projection over 3 x 128 latents, kv over 3 x 857 rows (media and
// latents).
XGENMM_BENCH(mm_f32_1152x1536, float, 1152, 1536, 384);
XGENMM_BENCH(mm_bf16_1152x1536, uint16_t, 1152, 1536, 384);
XGENMM_BENCH(mm_f32_1152x3072, float, 1152, 3072, 2571)->Args({384});
XGENMM_BENCH(mm_bf16_1152x3072, uint16_t, 1152, 3072, 2571)->Args({384});
XGENMM_BENCH(mm_f32_1536x1152, float, 1536, 1152, 384);
XGENMM_BENCH(mm_bf16_1536x1152, uint16_t, 1536, 1152, 384);
XGENMM_BENCH(mm_f32_1152x4608, float, 1152, 4608, 384);
XGENMM_BENCH(mm_bf16_1152x4608, uint16_t, 1152, 4608, 384);
XGENMM_BENCH(mm_f32_4608x1152, float, 4608, 1152, 384);
XGENMM_BENCH(mm_bf16_4608x1152, uint16_t, 4608, 1152, 384);

/// SigLIP attention of one view: S = T = 729, 16 heads of 72. args: views.
/// qk: scores[b, h, 0, s, t] = sum_d q[b, s, h, 0, d] * kt[b, h, d, t];
/// pv: out[b, s, h, 0, d] = sum_t p[b, h, 0, s, t] * v[b, t, h, d].
void BM_attention(benchmark::State &state, bool qk) {
  constexpr int64_t S = 729, H = 16, D = 72;
  int64_t B = state.range(0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> q(B * S * H * D), kt(B * H * D * S), scores(B * H * S * S, 0.f),
      p(B * H * S * S), v(B * S * H * D), out(B * S * H * D, 0.f);
  for (auto *vec : {&q, &kt, &p, &v})
    for (float &x : *vec)
      x = dist(rng);
  auto qm = viewN<5>(q.data(), {B, S, H, 1, D});
  auto ktm = viewN<4>(kt.data(), {B, H, D, S});
  auto sm = viewN<5>(scores.data(), {B, H, 1, S, S});
  auto pm = viewN<5>(p.data(), {B, H, 1, S, S});
  auto vm = viewN<4>(v.data(), {B, S, H, D});
  auto om = viewN<5>(out.data(), {B, S, H, 1, D});
  auto run = [&] {
    if (qk)
      _mlir_ciface_attn_qk_729x16x72(&qm, &ktm, &sm);
    else
      _mlir_ciface_attn_pv_729x16x72(&pm, &vm, &om);
  };
  run();
  for (int t = 0; t < 32; ++t) {
    int64_t b = t % B, h = (t * 5) % H, s = (t * 97 + 728) % S, j = (t * 31 + 728) % (qk ? S : D);
    double ref = 0, got;
    if (qk) {
      for (int64_t d = 0; d < D; ++d)
        ref += (double)q[((b * S + s) * H + h) * D + d] * kt[((b * H + h) * D + d) * S + j];
      got = scores[((b * H + h) * S + s) * S + j];
    } else {
      for (int64_t u = 0; u < S; ++u)
        ref += (double)p[((b * H + h) * S + s) * S + u] * v[((b * S + u) * H + h) * D + j];
      got = out[((b * S + s) * H + h) * D + j];
    }
    if (std::fabs(ref - got) > 1e-3 * std::sqrt((double)(qk ? D : S))) {
      state.SkipWithError("wrong result");
      return;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double gflops = 2.0 * B * H * S * S * D * state.iterations() / seconds * 1e-9;
  state.counters["GFLOPs"] = gflops;
  state.counters["of_peak"] = gflops / gLimits.fmaGflops;
}
BENCHMARK_CAPTURE(BM_attention, qk_729x16x72, true)
    ->Unit(benchmark::kMillisecond)->ArgName("views")->Arg(1);
BENCHMARK_CAPTURE(BM_attention, pv_729x16x72, false)
    ->Unit(benchmark::kMillisecond)->ArgName("views")->Arg(1);

/// The resampler's attention of `groups` groups: 128 latent queries over
/// 857 keys (729 media, 128 latents), 16 heads of 96, scale 96^-0.5; the
/// last 100 media keys of every group masked (padding, as a grid cell past
/// the image's edge has). Checked once against a double computation on a
/// few (group, head, query) rows. GFLOP/s count q k^T and p v over all 857
/// keys (the masked ones are computed and discarded). The kernel is
/// compiled for 3 groups (an image on a 1x2 grid).
void BM_resampler_attention(benchmark::State &state) {
  constexpr int64_t Q = 128, T = 857, M = 729, H = 16, D = 96, W = H * D, B = 3;
  constexpr double scale = 0.102062073;
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> q(B * Q * W), k(B * T * W), v(B * T * W), out(B * Q * W, 0.f);
  for (auto *vec : {&q, &k, &v})
    for (float &x : *vec)
      x = dist(rng);
  std::vector<int8_t> mask(B * M, 1);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = M - 100; t < M; ++t)
      mask[b * M + t] = 0;
  auto qm = viewN<3>(q.data(), {B, Q, W}), km = viewN<3>(k.data(), {B, T, W}),
       vm = viewN<3>(v.data(), {B, T, W}), om = viewN<3>(out.data(), {B, Q, W});
  auto mm = view(mask.data(), B, M);
  auto run = [&] { _mlir_ciface_attn_resampler(&qm, &km, &vm, &mm, &om); };
  run();
  for (int t = 0; t < 8; ++t) {
    int64_t b = t % B, h = (t * 5 + 15) % H, i = (t * 37 + 127) % Q;
    std::vector<double> p(T);
    double top = -1e300, sum = 0;
    for (int64_t u = 0; u < T; ++u) {
      if (u < M && !mask[b * M + u]) {
        p[u] = -1e300;
        continue;
      }
      double dot = 0;
      for (int64_t d = 0; d < D; ++d)
        dot += (double)q[(b * Q + i) * W + h * D + d] * k[(b * T + u) * W + h * D + d];
      p[u] = scale * dot;
      top = std::max(top, p[u]);
    }
    for (int64_t u = 0; u < T; ++u)
      sum += (p[u] = p[u] == -1e300 ? 0.0 : std::exp(p[u] - top));
    for (int64_t d = 0; d < D; d += 19) {
      double ref = 0;
      for (int64_t u = 0; u < T; ++u)
        ref += p[u] / sum * v[(b * T + u) * W + h * D + d];
      if (std::fabs(ref - out[(b * Q + i) * W + h * D + d]) > 1e-3) {
        state.SkipWithError("wrong result");
        return;
      }
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double gflops = 4.0 * B * H * Q * T * D * state.iterations() / seconds * 1e-9;
  state.counters["GFLOPs"] = gflops;
  state.counters["of_peak"] = gflops / gLimits.fmaGflops;
}
BENCHMARK(BM_resampler_attention)
    ->Name("resampler_attention/groups:3")->Unit(benchmark::kMillisecond);

/// Phi-3 prefill attention of one layer: a chunk of `rows` query rows at
/// positions [pos, pos + rows), their keys and values written into a bf16
/// cache of 4096 rows (rows before pos random, as an earlier chunk left
/// them), causal attention, 32 heads of 96. Checked once against a double
/// computation over the cache as the kernel left it. GFLOP/s count the
/// causal work only: q k^T and p v over pos + i + 1 keys for row i. args:
/// rows, pos (512, 512 is the second chunk of a 1k-token prefill).
void BM_prefill_attention(benchmark::State &state) {
  constexpr int64_t H = 32, D = 96, W = H * D, C = 4096;
  constexpr double scale = 0.102062;
  const int64_t S = state.range(0), pos = state.range(1);
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> q(S * W), k(S * W), v(S * W), out(S * W, 0.f);
  for (auto *vec : {&q, &k, &v})
    for (float &x : *vec)
      x = dist(rng);
  std::vector<uint16_t> kc(C * W), vc(C * W);
  for (auto *cache : {&kc, &vc})
    for (uint16_t &x : *cache)
      x = toBf16(dist(rng));
  auto qm = view(q.data(), S, W), km = view(k.data(), S, W), vm = view(v.data(), S, W),
       om = view(out.data(), S, W);
  auto kcm = view(kc.data(), C, W), vcm = view(vc.data(), C, W);
  auto run = [&] { _mlir_ciface_attn_prefill_bf16(&qm, &km, &vm, &kcm, &vcm, pos, &om); };
  run();
  for (int t = 0; t < 6; ++t) {
    int64_t h = (t * 7 + 31) % H, i = t == 0 ? S - 1 : (t * 97) % S, n = pos + i + 1;
    std::vector<double> p(n);
    double top = -1e300, sum = 0;
    for (int64_t u = 0; u < n; ++u) {
      double dot = 0;
      for (int64_t d = 0; d < D; ++d)
        dot += (double)q[i * W + h * D + d] * fromBf16(kc[u * W + h * D + d]);
      p[u] = scale * dot;
      top = std::max(top, p[u]);
    }
    for (double &x : p)
      sum += (x = std::exp(x - top));
    for (int64_t d = 0; d < D; d += 19) {
      double ref = 0;
      for (int64_t u = 0; u < n; ++u)
        ref += p[u] / sum * fromBf16(vc[u * W + h * D + d]);
      if (std::fabs(ref - out[i * W + h * D + d]) > 2e-3) {
        state.SkipWithError("wrong result");
        return;
      }
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double keys = (double)S * pos + (double)S * (S + 1) / 2; // sum over rows
  double gflops = 4.0 * H * D * keys * state.iterations() / seconds * 1e-9;
  state.counters["GFLOPs"] = gflops;
  state.counters["of_peak"] = gflops / gLimits.fmaGflops;
}
BENCHMARK(BM_prefill_attention)
    ->Name("prefill_attention/bf16")->Unit(benchmark::kMillisecond)->ArgNames({"rows", "pos"})
    ->Args({512, 0})->Args({512, 512});

/// Phi-3 decode attention of one layer (32 heads of 96, a 4096-row cache):
/// one query row at position context - 1, the new key and value written
/// there, attention over `context` rows. Bound by reading the cache:
/// reported as GB/s of cache read (K and V rows, scales included) and as a
/// fraction of the measured read bandwidth. Checked once against a double
/// computation over the cache as stored (bf16 widened; int8 times its
/// scale) on two heads. args: context.
template <bool Int8> void BM_decode_attention(benchmark::State &state) {
  constexpr int64_t H = 32, D = 96, W = H * D, C = 4096;
  constexpr int64_t Row = Int8 ? H * (D + 4) : W; // elements per cache row
  using Elt = std::conditional_t<Int8, int8_t, uint16_t>;
  const int64_t context = state.range(0), pos = context - 1;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> q(W), k(W), v(W), out(W, 0.f);
  for (auto *vec : {&q, &k, &v})
    for (float &x : *vec)
      x = dist(rng);
  std::vector<Elt> kc(C * Row), vc(C * Row);
  // Cache rows: bf16 values, or int8 values with a scale of 1/127 per head.
  auto fill = [&](std::vector<Elt> &cache) {
    for (int64_t t = 0; t < C; ++t)
      for (int64_t h = 0; h < H; ++h) {
        Elt *row = cache.data() + t * Row + h * (Int8 ? D + 4 : D);
        for (int64_t d = 0; d < D; ++d) {
          float x = dist(rng);
          if constexpr (Int8) {
            row[d] = (int8_t)std::lround(x * 127.f);
          } else {
            uint32_t bits;
            std::memcpy(&bits, &x, 4);
            row[d] = (uint16_t)(bits >> 16);
          }
        }
        if constexpr (Int8) {
          float s = 1.f / 127.f;
          std::memcpy(row + D, &s, 4);
        }
      }
  };
  fill(kc);
  fill(vc);
  auto element = [&](const std::vector<Elt> &cache, int64_t t, int64_t h, int64_t d) -> double {
    const Elt *row = cache.data() + t * Row + h * (Int8 ? D + 4 : D);
    if constexpr (Int8) {
      float s;
      std::memcpy(&s, row + D, 4);
      return (double)row[d] * s;
    } else {
      uint32_t bits = (uint32_t)row[d] << 16;
      float x;
      std::memcpy(&x, &bits, 4);
      return x;
    }
  };
  auto qm = view(q.data(), 1, W), km = view(k.data(), 1, W), vm = view(v.data(), 1, W),
       om = view(out.data(), 1, W);
  auto kcm = xgenmm::abi::contiguous(kc.data(), {C, Row});
  auto vcm = xgenmm::abi::contiguous(vc.data(), {C, Row});
  auto run = [&] {
    if constexpr (Int8)
      _mlir_ciface_attn_decode_int8(&qm, &km, &vm, &kcm, &vcm, pos, &om);
    else
      _mlir_ciface_attn_decode_bf16(&qm, &km, &vm, &kcm, &vcm, pos, &om);
  };
  run();
  // The reference over the cache as the kernel left it (row pos written).
  for (int64_t h : {int64_t{0}, H - 1}) {
    std::vector<double> score(context);
    double top = -1e300, sum = 0;
    for (int64_t t = 0; t < context; ++t) {
      double dot = 0;
      for (int64_t d = 0; d < D; ++d)
        dot += q[h * D + d] * element(kc, t, h, d);
      score[t] = 0.102062 * dot;
      top = std::max(top, score[t]);
    }
    for (double &s : score)
      sum += (s = std::exp(s - top));
    for (int64_t d = 0; d < D; d += 17) {
      double ref = 0;
      for (int64_t t = 0; t < context; ++t)
        ref += score[t] / sum * element(vc, t, h, d);
      if (std::fabs(ref - out[h * D + d]) > 1e-3) {
        state.SkipWithError("wrong result");
        return;
      }
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double bytes = 2.0 * context * Row * sizeof(Elt) * state.iterations();
  state.counters["GB/s"] = bytes / seconds * 1e-9;
  state.counters["of_bandwidth"] = bytes / seconds * 1e-9 / gLimits.readGBs;
}
BENCHMARK_TEMPLATE(BM_decode_attention, false)
    ->Name("decode_attention/bf16")->Unit(benchmark::kMillisecond)->ArgName("context")
    ->Arg(512)->Arg(2048)->Arg(4096);
BENCHMARK_TEMPLATE(BM_decode_attention, true)
    ->Name("decode_attention/int8")->Unit(benchmark::kMillisecond)->ArgName("context")
    ->Arg(512)->Arg(2048)->Arg(4096);

} // namespace

extern "C" int omp_get_max_threads();

int main(int argc, char **argv) {
  gLimits = xgenmm::bench::measureMachineLimits(omp_get_max_threads());
  xgenmm::bench::printMachineLimits(gLimits);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
