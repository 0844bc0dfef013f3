//===- make-fake-artifact.cpp - an artifact for the xgenmm-run tests
//-------===//
//
// xgenmm-make-fake-artifact <dir> writes the fake model's artifact into
// <dir> and, beside it, the --pixel-values files the CLI tests read:
//   images.safetensors      image0: grid 1x2 (3 views), 30x20 pixels;
//                           image1: grid 2x2 (5 views), 50x40 pixels
//   bad-images.safetensors  image0 and image2 (image1 is missing)
//
//===----------------------------------------------------------------------===//

#include "test/runtime/FakeArtifact.h"
#include "test/runtime/FakeModel.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace xgenmm;
using namespace xgenmm::fake;

namespace {

std::vector<Tensor> join(std::vector<Tensor> a, const std::vector<Tensor> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: xgenmm-make-fake-artifact <dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::string error;
  if (!writeArtifact(dir, error) ||
      !writeSafetensors(dir + "/images.safetensors",
                        join(imageTensors(0, 3, 1, 2, 30, 20),
                             imageTensors(1, 5, 2, 2, 50, 40)),
                        error) ||
      !writeSafetensors(dir + "/bad-images.safetensors",
                        join(imageTensors(0, 3, 1, 2, 30, 20),
                             imageTensors(2, 3, 1, 2, 30, 20)),
                        error)) {
    std::fprintf(stderr, "xgenmm-make-fake-artifact: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
