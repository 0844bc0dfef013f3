//===- MachineLimits.h - what this machine can do at most -----------------===//
//
// The limits every benchmark figure is a fraction of, measured in the same
// run as the figures (the machine is shared and clocks vary):
//   - fp32 FMA peak: independent chains of 16-lane FMAs in inline assembly
//     (compilers fold or spill naive intrinsic loops, toolchain-notes.md
//     section 5), on 1..T threads at once;
//   - AVX512-BF16 dot peak (vdpbf16ps: 16 lanes x 2 products x 2 FLOPs),
//     where the CPU has it;
//   - memory read bandwidth: T threads summing disjoint parts of a buffer
//     far larger than the caches with 64-byte loads.
// Each is the best of a few runs.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_BENCHMARKS_MACHINELIMITS_H
#define XGENMM_BENCHMARKS_MACHINELIMITS_H

#include <string>

namespace xgenmm::bench {

struct MachineLimits {
  int threads = 1;
  double fmaGflops = 0;      ///< fp32 FMA peak on `threads` threads
  double fmaGflops1 = 0;     ///< the same on one thread
  double bf16DotGflops = 0;  ///< 0 where the CPU has no AVX512-BF16
  double readGBs = 0;        ///< memory read bandwidth on `threads` threads
  std::string cpu;           ///< /proc/cpuinfo's model name
};

/// Measures the limits on `threads` threads (the FMA peak also on one).
MachineLimits measureMachineLimits(int threads);

/// Prints them, one line each, to stdout.
void printMachineLimits(const MachineLimits &limits);

} // namespace xgenmm::bench

#endif
