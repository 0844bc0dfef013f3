//===- NpyTest.cpp - the .npy writer
//---------------------------------------===//

#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

using namespace xgenmm::runtime;

namespace {

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string tempPath(const char *name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("xgenmm-npy-test-") + std::to_string(::getpid()) + name))
      .string();
}

/// The header numpy.save (numpy 2.4) writes for a float32 array whose shape
/// prints as `shape`, `total` bytes long (the lengths below are numpy's).
std::string numpyHeader(const std::string &shape, size_t total) {
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) +
         static_cast<char>(dict.size() & 0xFF) +
         static_cast<char>(dict.size() >> 8) + dict;
}

TEST(Npy, TwoDimensionsExactBytes) {
  const float data[6] = {0, 1, 2, 3, 4, -0.5f};
  std::string path = tempPath("2d.npy");
  ASSERT_EQ(writeNpy(path, data, {2, 3}), XGENMM_OK);
  std::string bytes = readBytes(path);
  std::remove(path.c_str());
  ASSERT_EQ(bytes.size(), 128u + sizeof(data));
  EXPECT_EQ(bytes.substr(0, 128), numpyHeader("(2, 3)", 128));
  EXPECT_EQ(std::memcmp(bytes.data() + 128, data, sizeof(data)), 0);
}

TEST(Npy, OneDimensionIsAOneTuple) {
  const float data[3] = {1, 2, 3};
  std::string path = tempPath("1d.npy");
  ASSERT_EQ(writeNpy(path, data, {3}), XGENMM_OK);
  std::string bytes = readBytes(path);
  std::remove(path.c_str());
  EXPECT_EQ(bytes, numpyHeader("(3,)", 128) +
                       std::string(reinterpret_cast<const char *>(data),
                                   sizeof(data)));
}

TEST(Npy, EmptyArrayHasOnlyTheHeader) {
  std::string path = tempPath("empty.npy");
  ASSERT_EQ(writeNpy(path, nullptr, {0, 3}), XGENMM_OK);
  std::string bytes = readBytes(path);
  std::remove(path.c_str());
  EXPECT_EQ(bytes, numpyHeader("(0, 3)", 128));
}

TEST(Npy, HeaderLengthFollowsNumpy) {
  struct Case {
    std::vector<int64_t> shape;
    std::string text;
    size_t total;
  };
  const Case cases[] = {
      {std::vector<int64_t>(12, 1), "(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)",
       128},
      {std::vector<int64_t>(20, 1),
       "(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)", 192},
      {{19}, "(19,)", 128},
  };
  const float zeros[19] = {};
  for (const Case &c : cases) {
    std::string path = tempPath("shape.npy");
    ASSERT_EQ(writeNpy(path, zeros, c.shape), XGENMM_OK);
    std::string bytes = readBytes(path);
    std::remove(path.c_str());
    EXPECT_EQ(bytes.substr(0, c.total), numpyHeader(c.text, c.total)) << c.text;
  }
}

TEST(Npy, UnwritablePathIsAnIoError) {
  const float one = 1;
  EXPECT_EQ(writeNpy("/nonexistent-dir/x.npy", &one, {1}), XGENMM_ERROR_IO);
  EXPECT_NE(std::string(xgenmm_last_error()).find("/nonexistent-dir/x.npy"),
            std::string::npos);
}

} // namespace
