//===- FakeArtifact.h - artifact directories around the fake model -*- C++
//-*-===//
//
// Writes complete artifact directories (model.so = the fake model of
// FakeModel.h, weights.bin, manifest.json with the right sizes and XXH64s)
// for the runtime tests and the xgenmm-run tests, plus the safetensors
// files xgenmm-run reads images from.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_TEST_RUNTIME_FAKEARTIFACT_H
#define XGENMM_TEST_RUNTIME_FAKEARTIFACT_H

#include "frontend/Json.h"
#include "frontend/Safetensors.h"

#include <optional>
#include <string>
#include <vector>

namespace xgenmm::fake {

/// Copies the fake model.so and writes weights.bin into `dir` (created if
/// needed). False with `error` on an I/O failure.
bool writeArtifactFiles(const std::string &dir, std::string &error);

/// The manifest describing the files of `dir` as writeArtifactFiles left
/// them (anyres, the FakeModel.h geometry, every CPU feature list empty).
JsonValue defaultManifest(const std::string &dir);

/// Writes `manifest` as `dir`/manifest.json.
bool writeManifest(const std::string &dir, const JsonValue &manifest,
                   std::string &error);

/// writeArtifactFiles + writeManifest(defaultManifest).
bool writeArtifact(const std::string &dir, std::string &error);

/// `root` with the member at `path` replaced by `value`, added if absent, or
/// removed if `value` is nullopt.
JsonValue withMember(const JsonValue &root,
                     const std::vector<std::string> &path,
                     const std::optional<JsonValue> &value);

/// Pixels of an image of `views` views for the fake model: element i of
/// view v is (v + 1) / 2 + i / 4, so that the sums the fake's encode_image
/// computes are exact in float: fakeViewSum(v) = 24 (v + 1) + 282.
std::vector<float> fakePixels(int32_t views);
inline float fakeViewSum(int32_t view) { return 24.0f * (view + 1) + 282.0f; }

struct Tensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// Raw little-endian bytes of `values`.
std::string floatBytes(const std::vector<float> &values);
std::string int64Bytes(const std::vector<int64_t> &values);

/// The tensors xgenmm-run reads for image `k` (runtime/README.md):
/// "image<k>" with fakePixels(views), "image<k>.size", "image<k>.grid".
std::vector<Tensor> imageTensors(int k, int32_t views, int64_t gridRows,
                                 int64_t gridCols, int64_t width,
                                 int64_t height);

/// Writes `tensors` as a safetensors file.
bool writeSafetensors(const std::string &path,
                      const std::vector<Tensor> &tensors, std::string &error);

} // namespace xgenmm::fake

#endif // XGENMM_TEST_RUNTIME_FAKEARTIFACT_H
