//===- CudaRuntimeTest.cpp - libxgenmm_cuda.so where there is no GPU ------===//
//
// What of the CUDA runtime can be checked on any machine: the allocator's
// size classes, and that without a driver every entry point fails cleanly
// (the artifact refusal itself is gpu/no-gpu-refusal). Kernels, graphs and
// streams run in the GPU device check (benchmarks/gpu/device-check.sh).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaRuntime.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <unistd.h>

namespace {

TEST(CudaRuntime, SizeClassesCoverAndBoundWaste) {
  size_t previous = 0;
  for (size_t bytes = 0; bytes < (size_t(1) << 22); bytes += bytes < 8192 ? 1 : 997) {
    size_t c = xgenmm_cuda_size_class(bytes);
    ASSERT_GE(c, bytes);
    ASSERT_GE(c, previous) << "not monotone at " << bytes;
    ASSERT_EQ(c % 256, 0u) << bytes;
    if (bytes > 4096)
      ASSERT_LE(c, bytes + bytes / 8) << "more than 12.5% over at " << bytes;
    previous = c;
  }
  EXPECT_EQ(xgenmm_cuda_size_class(0), 256u);
  EXPECT_EQ(xgenmm_cuda_size_class(4096), 4096u);
  EXPECT_EQ(xgenmm_cuda_size_class(4097), 4608u); // 4096 + 4096 / 8
  EXPECT_EQ(xgenmm_cuda_size_class(size_t(1) << 30), size_t(1) << 30);
}

// A decode step's attention scores grow with the position (32 heads x
// (position + 1) floats): every 2 positions a new size in multiples of 256
// bytes, 2048 sizes up to 4096 positions; the pool, keyed by size class,
// sees few of them.
TEST(CudaRuntime, GrowingBuffersShareFewClasses) {
  std::set<size_t> classes;
  for (size_t position = 0; position < 4096; ++position)
    classes.insert(xgenmm_cuda_size_class(32 * (position + 1) * 4));
  EXPECT_LE(classes.size(), 80u); // 16 up to 4 KiB, then 8 per doubling
}

TEST(CudaRuntime, WithoutADriverEverythingFailsCleanly) {
  if (access("/dev/nvidiactl", F_OK) == 0)
    GTEST_SKIP() << "an NVIDIA device is present";
  char error[512] = {0};
  EXPECT_EQ(xgenmm_cuda_init(error, sizeof(error)), -1);
  EXPECT_NE(std::string(error).find("libcuda.so.1"), std::string::npos) << error;
  EXPECT_EQ(xgenmm_cuda_alloc(1024), nullptr);
  EXPECT_EQ(xgenmm_cuda_graph_begin(), -1);
  void *exec = nullptr;
  xgenmm_cuda_graph_destroy(exec);
  mgpuStreamSynchronize(nullptr); // a no-op, not a crash
}

} // namespace
