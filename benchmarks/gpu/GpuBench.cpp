//===- GpuBench.cpp - the GPU's limits and the generated kernels against them
//
//   xgenmm-gpu-bench <bench-kernels.so>
//
// The kernels come from benchmarks/gpu/kernels.mlir through the GPU code
// generation (xgenmm-gpu-codegen-pipeline), as the model's do. Prints, one
// line each (key=value, for device-check.sh):
//   - the device, its SM count and clock, and the nominal dense bf16
//     tensor-core peak = SMs x clock x (4096 flops/clk/SM on sm_90, 2048 on
//     sm_80, 1024 on other sm_8x): the ratio every matmul is given as;
//   - a correctness check of @dense against a double-precision reference
//     (bf16-rounded inputs, so only accumulation order differs);
//   - HBM bandwidth: @copy (one f32 per thread, read + write of 2 x 1 GiB)
//     and the driver's cuMemcpy device-to-device, in GB/s;
//   - @dense at the model's shapes and at 4096^3: TFLOP/s and % of peak;
//     the M = 1 shapes as GB/s of weights read and % of @copy's (dynamic M:
//     the tensor-core kernel);
//   - @matvec_<layer>, decode's matrix-vector kernels (static M = 1, as in
//     the model), checked once against doubles, as GB/s and % of @copy's;
//   - @attention_siglip (one crop, 16 heads x 729 x 729 x 72) and
//     @attention_prefill (1024 tokens, 32 heads x 96, causal): the fused
//     tensor-core attention, checked on two heads against doubles, as
//     TFLOP/s (4 S T d per head; causal: the half at and below the
//     diagonal) and % of peak.
// Times are CUDA events around 10 calls after 2 warm-up calls. Every call
// includes its launch; the generated host code synchronizes after each
// kernel, as the model's does.
//===----------------------------------------------------------------------===//
#include "runtime/ArtifactAbi.h"
#include "runtime/cuda/CudaRuntime.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <dlfcn.h>

using xgenmm::abi::MemRef;

using DenseFn = void (*)(MemRef<float, 2> *, MemRef<uint16_t, 2> *, MemRef<float, 2> *);
using CopyFn = void (*)(MemRef<float, 1> *, MemRef<float, 1> *);
template <int N>
using AttentionFn = void (*)(MemRef<float, N> *, MemRef<float, N> *, MemRef<float, N> *,
                             MemRef<float, N> *);

namespace {

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

template <typename Fn> float timeMs(Fn fn, int reps = 10) {
  fn();
  fn();
  xgenmm_cuda_synchronize();
  void *start = xgenmm_cuda_event_record();
  for (int i = 0; i < reps; ++i)
    fn();
  void *end = xgenmm_cuda_event_record();
  float ms = xgenmm_cuda_event_elapsed_ms(start, end) / reps;
  xgenmm_cuda_event_destroy(start);
  xgenmm_cuda_event_destroy(end);
  return ms;
}

struct Dense {
  DenseFn fn;
  int64_t m, n, k;
  float *a, *c;
  uint16_t *w;
  Dense(DenseFn fn, int64_t m, int64_t n, int64_t k) : fn(fn), m(m), n(n), k(k) {
    a = (float *)xgenmm_cuda_alloc(m * k * 4);
    w = (uint16_t *)xgenmm_cuda_alloc(k * n * 2);
    c = (float *)xgenmm_cuda_alloc(m * n * 4);
  }
  ~Dense() {
    xgenmm_cuda_free(a);
    xgenmm_cuda_free(w);
    xgenmm_cuda_free(c);
  }
  void prefetch() {
    xgenmm_cuda_prefetch(a, m * k * 4);
    xgenmm_cuda_prefetch(w, k * n * 2);
    xgenmm_cuda_prefetch(c, m * n * 4);
    xgenmm_cuda_synchronize();
  }
  void operator()() {
    MemRef<float, 2> ma = xgenmm::abi::contiguous(a, {m, k});
    MemRef<uint16_t, 2> mw = xgenmm::abi::contiguous(w, {k, n});
    MemRef<float, 2> mc = xgenmm::abi::contiguous(c, {m, n});
    fn(&ma, &mw, &mc);
  }
};

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: xgenmm-gpu-bench <bench-kernels.so>\n");
    return 2;
  }
  char error[512];
  if (xgenmm_cuda_init(error, sizeof(error)) != 0) {
    std::fprintf(stderr, "xgenmm-gpu-bench: %s\n", error);
    return 1;
  }
  xgenmm_cuda_device_info info;
  xgenmm_cuda_device(&info);
  int cc = info.cc_major * 10 + info.cc_minor;
  double flopsPerClk = cc >= 90 ? 4096 : cc == 80 ? 2048 : 1024;
  double peak = info.multiprocessors * (info.clock_khz * 1e3) * flopsPerClk;
  std::printf("device=\"%s\" sm=%d sms=%d clock_mhz=%d driver=%d mem_gib=%.1f "
              "nominal_bf16_peak_tflops=%.1f\n",
              info.name, cc, info.multiprocessors, info.clock_khz / 1000,
              info.driver_version, info.total_memory / double(1 << 30), peak / 1e12);

  void *lib = ::dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "xgenmm-gpu-bench: %s\n", ::dlerror());
    return 1;
  }
  auto dense = (DenseFn)::dlsym(lib, "_mlir_ciface_dense");
  auto copy = (CopyFn)::dlsym(lib, "_mlir_ciface_copy");
  if (!dense || !copy) {
    std::fprintf(stderr, "xgenmm-gpu-bench: %s lacks _mlir_ciface_dense/copy\n", argv[1]);
    return 1;
  }
  int status = 0;

  // Correctness: edges in every dimension (not multiples of 64, 32 or 16).
  {
    const int64_t m = 300, n = 200, k = 130;
    Dense d(dense, m, n, k);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> a(m * k), c0(m * n);
    std::vector<uint16_t> w(k * n);
    for (auto &x : a)
      x = fromBf16(toBf16(u(rng)));
    for (auto &x : w)
      x = toBf16(u(rng));
    for (auto &x : c0)
      x = u(rng);
    std::memcpy(d.a, a.data(), a.size() * 4);
    std::memcpy(d.w, w.data(), w.size() * 2);
    std::memcpy(d.c, c0.data(), c0.size() * 4);
    d();
    xgenmm_cuda_synchronize();
    double maxErr = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double ref = c0[i * n + j];
        for (int64_t p = 0; p < k; ++p)
          ref += (double)a[i * k + p] * fromBf16(w[p * n + j]);
        maxErr = std::max(maxErr, std::fabs(ref - d.c[i * n + j]));
      }
    const char *err = xgenmm_cuda_take_error();
    bool ok = maxErr < 1e-3 && !err;
    std::printf("dense_check m=%ld n=%ld k=%ld max_abs_err=%.3g %s%s%s\n", (long)m, (long)n,
                (long)k, maxErr, ok ? "PASS" : "FAIL", err ? " cuda_error=" : "", err ? err : "");
    status |= ok ? 0 : 1;
  }

  // Bandwidth: 1 GiB read + 1 GiB written.
  double copyGbs = 0;
  {
    const int64_t n = int64_t(1) << 28;
    float *in = (float *)xgenmm_cuda_alloc(n * 4), *out = (float *)xgenmm_cuda_alloc(n * 4);
    xgenmm_cuda_prefetch(in, n * 4);
    xgenmm_cuda_prefetch(out, n * 4);
    xgenmm_cuda_synchronize();
    MemRef<float, 1> mi = xgenmm::abi::contiguous(in, {n}), mo = xgenmm::abi::contiguous(out, {n});
    float ms = timeMs([&] { copy(&mi, &mo); });
    copyGbs = 2.0 * n * 4 / (ms * 1e-3) / 1e9;
    float msDriver = timeMs([&] { xgenmm_cuda_copy(out, in, n * 4); });
    std::printf("copy_kernel bytes=%ld ms=%.3f gbs=%.1f\n", (long)(2 * n * 4), ms, copyGbs);
    std::printf("copy_driver bytes=%ld ms=%.3f gbs=%.1f\n", (long)(2 * n * 4), msDriver,
                2.0 * n * 4 / (msDriver * 1e-3) / 1e9);
    xgenmm_cuda_free(in);
    xgenmm_cuda_free(out);
  }

  struct Shape {
    const char *name;
    int64_t m, n, k;
  } shapes[] = {
      {"square_4096", 4096, 4096, 4096},
      {"siglip_qkv_crop", 729, 3456, 1152},
      {"siglip_fc1_crop", 729, 4304, 1152},
      {"phi3_qkv_prefill1k", 1024, 9216, 3072},
      {"phi3_gate_up_prefill1k", 1024, 16384, 3072},
      {"phi3_down_prefill1k", 1024, 3072, 8192},
      {"phi3_qkv_decode", 1, 9216, 3072},
      {"phi3_gate_up_decode", 1, 16384, 3072},
      {"phi3_down_decode", 1, 3072, 8192},
  };
  for (const Shape &s : shapes) {
    Dense d(dense, s.m, s.n, s.k);
    d.prefetch();
    float ms = timeMs([&] { d(); });
    double flops = 2.0 * s.m * s.n * s.k;
    double tflops = flops / (ms * 1e-3) / 1e12;
    double weightGbs = 2.0 * s.n * s.k / (ms * 1e-3) / 1e9;
    std::printf("dense %s m=%ld n=%ld k=%ld ms=%.4f tflops=%.2f pct_peak=%.1f "
                "weight_gbs=%.1f pct_copy_bw=%.1f\n",
                s.name, (long)s.m, (long)s.n, (long)s.k, ms, tflops, 100 * tflops * 1e12 / peak,
                weightGbs, 100 * weightGbs / copyGbs);
  }
  // Decode's matrix-vector kernels (static shapes, as the model's): the
  // head's (ragged last tile, K split in 2) checked against doubles, then
  // all timed as GB/s of weights read.
  struct Matvec {
    const char *name;
    int64_t k, n;
  } matvecs[] = {{"qkv", 3072, 9216},   {"o", 3072, 3072},    {"gate_up", 3072, 16384},
                 {"down", 8192, 3072}, {"head", 3072, 32012}};
  for (const Matvec &mv : matvecs) {
    std::string symbol = std::string("_mlir_ciface_matvec_") + mv.name;
    auto fn = (DenseFn)::dlsym(lib, symbol.c_str());
    if (!fn) {
      std::fprintf(stderr, "xgenmm-gpu-bench: %s lacks %s\n", argv[1], symbol.c_str());
      status |= 1;
      continue;
    }
    Dense d(fn, 1, mv.n, mv.k);
    if (std::strcmp(mv.name, "head") == 0) {
      std::mt19937 rng(11);
      std::uniform_real_distribution<float> u(-1, 1);
      std::vector<float> c0(mv.n);
      for (int64_t i = 0; i < mv.k; ++i)
        d.a[i] = u(rng);
      for (int64_t i = 0; i < mv.k * mv.n; ++i)
        d.w[i] = toBf16(u(rng));
      for (auto &x : c0)
        x = u(rng);
      std::memcpy(d.c, c0.data(), c0.size() * 4);
      d();
      xgenmm_cuda_synchronize();
      double maxErr = 0;
      for (int64_t j = 0; j < mv.n; ++j) {
        double ref = c0[j];
        for (int64_t p = 0; p < mv.k; ++p)
          ref += (double)d.a[p] * fromBf16(d.w[p * mv.n + j]);
        maxErr = std::max(maxErr, std::fabs(ref - d.c[j]));
      }
      const char *err = xgenmm_cuda_take_error();
      bool ok = maxErr < 1e-2 && !err; // |sum| of 3072 products of [-1, 1]: ~30
      std::printf("matvec_check n=%ld k=%ld max_abs_err=%.3g %s%s%s\n", (long)mv.n, (long)mv.k,
                  maxErr, ok ? "PASS" : "FAIL", err ? " cuda_error=" : "", err ? err : "");
      status |= ok ? 0 : 1;
    }
    d.prefetch();
    float ms = timeMs([&] { d(); });
    double weightGbs = 2.0 * mv.n * mv.k / (ms * 1e-3) / 1e9;
    std::printf("matvec phi3_%s_decode n=%ld k=%ld ms=%.4f weight_gbs=%.1f pct_copy_bw=%.1f\n",
                mv.name, (long)mv.n, (long)mv.k, ms, weightGbs, 100 * weightGbs / copyGbs);
  }
  // Attention: q, k, v, out [rows, heads * d] (SigLIP: [1, rows, ...]).
  auto attention = [&](const char *name, int64_t rows, int64_t heads, int64_t d, bool causal,
                       double scale, auto fn, auto descriptor) {
    if (!fn) {
      std::fprintf(stderr, "xgenmm-gpu-bench: %s lacks _mlir_ciface_%s\n", argv[1], name);
      status |= 1;
      return;
    }
    int64_t width = heads * d, count = rows * width;
    float *buf[4];
    for (float *&p : buf)
      p = (float *)xgenmm_cuda_alloc(count * 4);
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0, 1);
    for (int i = 0; i < 3; ++i)
      for (int64_t j = 0; j < count; ++j)
        buf[i][j] = g(rng);
    for (float *p : buf)
      xgenmm_cuda_prefetch(p, count * 4);
    xgenmm_cuda_synchronize();
    auto q = descriptor(buf[0]), k = descriptor(buf[1]), v = descriptor(buf[2]),
         o = descriptor(buf[3]);
    auto call = [&] { fn(&q, &k, &v, &o); };
    call();
    xgenmm_cuda_synchronize();
    // Two heads against doubles on bf16-rounded q, k, v (the kernel's p is
    // bf16 too: |error| ~1e-3 of values ~1).
    double maxErr = 0;
    for (int64_t h : {int64_t(0), heads - 1})
      for (int64_t s = 0; s < rows; s += 7) {
        int64_t keys = causal ? s + 1 : rows;
        std::vector<double> p(keys);
        double mx = -1e300, sum = 0;
        for (int64_t t = 0; t < keys; ++t) {
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += (double)fromBf16(toBf16(buf[0][s * width + h * d + c])) *
                   fromBf16(toBf16(buf[1][t * width + h * d + c]));
          p[t] = dot * scale;
          mx = std::max(mx, p[t]);
        }
        for (double &x : p)
          sum += (x = std::exp(x - mx));
        for (int64_t c = 0; c < d; ++c) {
          double ref = 0;
          for (int64_t t = 0; t < keys; ++t)
            ref += p[t] / sum * fromBf16(toBf16(buf[2][t * width + h * d + c]));
          maxErr = std::max(maxErr, std::fabs(ref - buf[3][s * width + h * d + c]));
        }
      }
    const char *err = xgenmm_cuda_take_error();
    bool ok = maxErr < 2e-2 && !err;
    std::printf("attention_check %s max_abs_err=%.3g %s%s%s\n", name, maxErr, ok ? "PASS" : "FAIL",
                err ? " cuda_error=" : "", err ? err : "");
    status |= ok ? 0 : 1;
    float ms = timeMs(call);
    double flops = 4.0 * heads * rows * rows * d * (causal ? 0.5 : 1.0);
    double tflops = flops / (ms * 1e-3) / 1e12;
    std::printf("attention %s rows=%ld heads=%ld d=%ld causal=%d ms=%.4f tflops=%.2f "
                "pct_peak=%.1f\n",
                name, (long)rows, (long)heads, (long)d, causal ? 1 : 0, ms, tflops,
                100 * tflops * 1e12 / peak);
    for (float *p : buf)
      xgenmm_cuda_free(p);
  };
  attention("siglip_crop", 729, 16, 72, false, 0.11785113,
            (AttentionFn<3>)::dlsym(lib, "_mlir_ciface_attention_siglip"),
            [](float *p) { return xgenmm::abi::contiguous(p, {1, 729, 1152}); });
  attention("phi3_prefill1k", 1024, 32, 96, true, 0.102062073,
            (AttentionFn<2>)::dlsym(lib, "_mlir_ciface_attention_prefill"),
            [](float *p) { return xgenmm::abi::contiguous(p, {1024, 3072}); });

  if (const char *err = xgenmm_cuda_take_error()) {
    std::printf("cuda_error=\"%s\"\n", err);
    status |= 1;
  }
  return status;
}
