//===- CliTest.cpp - what xgenmm-run writes with --dump-dir
//----------------===//
//
// The exit codes and messages of xgenmm-run are checked by the runtime/cli/*
// ctest tests (CMakeLists.txt); this one runs it on a fake artifact and
// reads back the .npy files it dumps.
//
//===----------------------------------------------------------------------===//

#include "runtime/xgenmm.h"
#include "test/runtime/FakeArtifact.h"
#include "test/runtime/FakeModel.h"
#include "test/runtime/TempDir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/wait.h>

using namespace xgenmm;
using namespace xgenmm::fake;

namespace {

/// Runs `command` with a shell; its exit status and stdout + stderr.
int run(const std::string &command, std::string &output) {
  std::FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe)
    return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// The float32 data of a .npy file written by runtime/Npy.cpp, after
/// checking that its header spells `shape`.
std::vector<float> readNpy(const std::string &path, const std::string &shape) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  EXPECT_GE(bytes.size(), 10u) << path;
  if (bytes.size() < 10)
    return {};
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t dataStart = 10 + (static_cast<uint8_t>(bytes[8]) |
                           static_cast<uint8_t>(bytes[9]) << 8);
  std::string header = bytes.substr(10, dataStart - 10);
  EXPECT_NE(header.find("'shape': " + shape + ", }"), std::string::npos)
      << header;
  std::vector<float> data((bytes.size() - std::min(dataStart, bytes.size())) /
                          sizeof(float));
  std::memcpy(data.data(), bytes.data() + dataStart,
              data.size() * sizeof(float));
  return data;
}

TEST(Cli, DumpsVisionTokensAndLogits) {
  TempDir dir;
  std::string error;
  std::vector<Tensor> tensors = imageTensors(0, 3, 1, 2, 30, 20);
  std::vector<Tensor> second = imageTensors(1, 5, 2, 2, 50, 40);
  tensors.insert(tensors.end(), second.begin(), second.end());
  ASSERT_TRUE(writeArtifact(dir / "artifact", error)) << error;
  ASSERT_TRUE(writeSafetensors(dir / "images.safetensors", tensors, error))
      << error;

  std::string output;
  int status =
      run(std::string(XGENMM_RUN_PATH) + " -m " + (dir / "artifact") +
              " --input-ids 1,16,5,16,7 --pixel-values " +
              (dir / "images.safetensors") +
              " --max-tokens 4 --print-ids --dump-dir " + (dir / "dump"),
          output);
  ASSERT_EQ(status, 0) << output;

  // Vision tokens: 3 + 5 views of 2 tokens; row [sum of the view + t,
  // 10 rows + cols, 1000 width + height].
  std::vector<float> expected;
  std::vector<int64_t> rows = {rowValue(1, 0)};
  auto addImage = [&](int32_t views, float grid, float size) {
    for (int32_t v = 0; v < views; ++v)
      for (int32_t t = 0; t < kTokensPerView; ++t) {
        expected.insert(expected.end(), {fakeViewSum(v) + t, grid, size});
        rows.push_back(rowValue(kImage, fakeViewSum(v) + t));
      }
  };
  addImage(3, 12.0f, 30020.0f);
  rows.push_back(rowValue(5, 0));
  addImage(5, 22.0f, 50040.0f);
  rows.push_back(rowValue(7, 0));
  EXPECT_EQ(readNpy(dir / "dump/vision_tokens.npy", "(16, 3)"), expected);

  // Logits of the last prompt position, then the greedy tokens.
  std::vector<float> logits = readNpy(dir / "dump/logits.npy", "(19,)");
  ASSERT_EQ(logits.size(), size_t(kVocabLogits));
  std::string ids = "ids:";
  for (int i = 0; i < 4; ++i) {
    int32_t next = nextToken(rows);
    if (i == 0) {
      for (int32_t j = 0; j < kVocabLogits; ++j)
        EXPECT_EQ(logits[j], -std::fabs(float(j - next)));
    }
    ids += " " + std::to_string(next);
    rows.push_back(rowValue(next, 0));
  }
  EXPECT_NE(output.find(ids + "\n"), std::string::npos) << output;
  EXPECT_NE(output.find("timing: image encode "), std::string::npos) << output;
  EXPECT_NE(output.find("prefill 19 tokens at "), std::string::npos) << output;
  EXPECT_NE(output.find("decode 3 tokens at "), std::string::npos) << output;
}

} // namespace
