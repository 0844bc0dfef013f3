//===- MachineLimits.cpp - fp32 FMA, bf16 dot and read-bandwidth limits ---===//
#include "MachineLimits.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

namespace xgenmm::bench {
namespace {

using Clock = std::chrono::steady_clock;

/// `iters` x 12 independent 16-lane FMAs (2 FLOPs per lane).
void fmaLoop(int64_t iters) {
  asm volatile(
      "vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
      "vxorps %%zmm1, %%zmm1, %%zmm1\n\t"
      "vxorps %%zmm2, %%zmm2, %%zmm2\n\t"
      "vxorps %%zmm3, %%zmm3, %%zmm3\n\t"
      "vxorps %%zmm4, %%zmm4, %%zmm4\n\t"
      "vxorps %%zmm5, %%zmm5, %%zmm5\n\t"
      "vxorps %%zmm6, %%zmm6, %%zmm6\n\t"
      "vxorps %%zmm7, %%zmm7, %%zmm7\n\t"
      "vxorps %%zmm8, %%zmm8, %%zmm8\n\t"
      "vxorps %%zmm9, %%zmm9, %%zmm9\n\t"
      "vxorps %%zmm10, %%zmm10, %%zmm10\n\t"
      "vxorps %%zmm11, %%zmm11, %%zmm11\n\t"
      "vxorps %%zmm12, %%zmm12, %%zmm12\n\t"
      "vxorps %%zmm13, %%zmm13, %%zmm13\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm0\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm1\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm2\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm3\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm4\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm5\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm6\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm7\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm8\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm9\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm10\n\t"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
}

/// The same on 8-lane ymm registers, for CPUs without AVX-512 (AVX2 + FMA).
void fmaLoopYmm(int64_t iters) {
  asm volatile(
      "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
      "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
      "vxorps %%ymm2, %%ymm2, %%ymm2\n\t"
      "vxorps %%ymm3, %%ymm3, %%ymm3\n\t"
      "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
      "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
      "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
      "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"
      "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"
      "1:\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm1\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm3\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm5\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm7\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm9\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n\t"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
}

/// `iters` x 12 independent vdpbf16ps (16 lanes x 2 products x 2 FLOPs).
void bf16DotLoop(int64_t iters) {
  asm volatile(
      "vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
      "vxorps %%zmm1, %%zmm1, %%zmm1\n\t"
      "vxorps %%zmm2, %%zmm2, %%zmm2\n\t"
      "vxorps %%zmm3, %%zmm3, %%zmm3\n\t"
      "vxorps %%zmm4, %%zmm4, %%zmm4\n\t"
      "vxorps %%zmm5, %%zmm5, %%zmm5\n\t"
      "vxorps %%zmm6, %%zmm6, %%zmm6\n\t"
      "vxorps %%zmm7, %%zmm7, %%zmm7\n\t"
      "vxorps %%zmm8, %%zmm8, %%zmm8\n\t"
      "vxorps %%zmm9, %%zmm9, %%zmm9\n\t"
      "vxorps %%zmm10, %%zmm10, %%zmm10\n\t"
      "vxorps %%zmm11, %%zmm11, %%zmm11\n\t"
      "vxorps %%zmm12, %%zmm12, %%zmm12\n\t"
      "vxorps %%zmm13, %%zmm13, %%zmm13\n\t"
      "1:\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm0\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm1\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm2\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm3\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm4\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm5\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm6\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm7\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm8\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm9\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm10\n\t"
      "vdpbf16ps %%zmm12, %%zmm13, %%zmm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
}

/// Sums `bytes` (a multiple of 256) from `p` with four 64-byte loads per
/// step into independent accumulators.
uint64_t readLoop(const char *p, size_t bytes) {
  uint64_t steps = bytes / 256;
  asm volatile(
      "vpxorq %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxorq %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxorq %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxorq %%zmm3, %%zmm3, %%zmm3\n\t"
      "1:\n\t"
      "vpaddq (%0), %%zmm0, %%zmm0\n\t"
      "vpaddq 64(%0), %%zmm1, %%zmm1\n\t"
      "vpaddq 128(%0), %%zmm2, %%zmm2\n\t"
      "vpaddq 192(%0), %%zmm3, %%zmm3\n\t"
      "add $256, %0\n\t"
      "dec %1\n\t"
      "jnz 1b\n\t"
      : "+r"(p), "+r"(steps)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "cc", "memory");
  return steps;
}

/// The same with eight 32-byte loads per step, for CPUs without AVX-512.
uint64_t readLoopYmm(const char *p, size_t bytes) {
  uint64_t steps = bytes / 256;
  asm volatile(
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "1:\n\t"
      "vpaddq (%0), %%ymm0, %%ymm0\n\t"
      "vpaddq 32(%0), %%ymm1, %%ymm1\n\t"
      "vpaddq 64(%0), %%ymm2, %%ymm2\n\t"
      "vpaddq 96(%0), %%ymm3, %%ymm3\n\t"
      "vpaddq 128(%0), %%ymm0, %%ymm0\n\t"
      "vpaddq 160(%0), %%ymm1, %%ymm1\n\t"
      "vpaddq 192(%0), %%ymm2, %%ymm2\n\t"
      "vpaddq 224(%0), %%ymm3, %%ymm3\n\t"
      "add $256, %0\n\t"
      "dec %1\n\t"
      "jnz 1b\n\t"
      : "+r"(p), "+r"(steps)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "cc", "memory");
  return steps;
}

/// Runs `work(i)` on `threads` threads started together; the wall time of
/// the slowest.
template <typename F> double onThreads(int threads, F work) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load())
        ;
      work(i);
    });
  while (ready.load() != threads)
    ;
  auto t0 = Clock::now();
  go.store(true);
  for (std::thread &t : pool)
    t.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Best GFLOP/s of a few runs of `loop` (192 FLOPs per lane-group and
/// iteration for FMAs: 12 x 16 x 2; twice that for bf16 dots).
template <typename L> double computePeak(int threads, L loop, double flopsPerIter) {
  constexpr int64_t iters = 10'000'000;
  double best = 1e30;
  for (int r = 0; r < 4; ++r)
    best = std::min(best, onThreads(threads, [&](int) { loop(iters); }));
  return flopsPerIter * iters * threads / best * 1e-9;
}

double readBandwidth(int threads) {
  // 1 GiB: far beyond any cache, touched once before timing.
  constexpr size_t bytes = size_t(1) << 30;
  std::vector<char> buffer(bytes + 4096);
  char *base = buffer.data() + (64 - reinterpret_cast<uintptr_t>(buffer.data()) % 64);
  std::memset(base, 1, bytes);
  size_t share = bytes / threads / 256 * 256;
  bool zmm = __builtin_cpu_supports("avx512f");
  double best = 1e30;
  for (int r = 0; r < 4; ++r)
    best = std::min(best, onThreads(threads, [&](int i) {
                      if (zmm)
                        readLoop(base + i * share, share);
                      else
                        readLoopYmm(base + i * share, share);
                    }));
  return (double)share * threads / best * 1e-9;
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

} // namespace

MachineLimits measureMachineLimits(int threads) {
  MachineLimits l;
  l.threads = std::max(1, threads);
  l.cpu = cpuModel();
  // 16-lane FMAs where the CPU has AVX-512, else 8-lane ones.
  bool zmm = __builtin_cpu_supports("avx512f");
  void (*loop)(int64_t) = zmm ? fmaLoop : fmaLoopYmm;
  double flopsPerIter = 12.0 * (zmm ? 16 : 8) * 2;
  l.fmaGflops1 = computePeak(1, loop, flopsPerIter);
  l.fmaGflops = l.threads == 1 ? l.fmaGflops1 : computePeak(l.threads, loop, flopsPerIter);
  if (__builtin_cpu_supports("avx512bf16"))
    l.bf16DotGflops = computePeak(l.threads, bf16DotLoop, 12.0 * 16 * 4);
  l.readGBs = readBandwidth(l.threads);
  return l;
}

void printMachineLimits(const MachineLimits &l) {
  std::printf("machine: %s, %d thread(s)\n", l.cpu.c_str(), l.threads);
  std::printf("  fp32 FMA peak: %.1f GFLOP/s (%.1f on 1 thread)\n", l.fmaGflops, l.fmaGflops1);
  if (l.bf16DotGflops > 0)
    std::printf("  AVX512-BF16 dot peak: %.1f GFLOP/s\n", l.bf16DotGflops);
  else
    std::printf("  AVX512-BF16 dot peak: n/a (no avx512bf16)\n");
  std::printf("  memory read bandwidth: %.1f GB/s\n", l.readGBs);
  std::fflush(stdout);
}

} // namespace xgenmm::bench
