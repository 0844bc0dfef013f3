//===- ImageGoldens.h - the Pillow goldens of runtime/image tests -*- C++ -*-===//
//
// Reads test/reference/images/goldens.json and goldens.safetensors (written
// by make_image_goldens.py; its README.md describes them) and rebuilds the
// synthetic inputs that have no committed file.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_TEST_RUNTIME_IMAGE_IMAGEGOLDENS_H
#define XGENMM_TEST_RUNTIME_IMAGE_IMAGEGOLDENS_H

#include "frontend/Json.h"
#include "frontend/Safetensors.h"
#include "runtime/image/RgbImage.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xgenmm::image::test {

/// The directory of the goldens (test/reference/images, absolute).
std::string goldensDir();

/// goldens.json and goldens.safetensors, read once. `ok()` false (with
/// `error()`) when either is missing or malformed.
class Goldens {
public:
  static const Goldens &get();

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  const JsonValue &json() const { return json_; }
  /// The entries of a top-level array ("decode", "errors", "resize",
  /// "preprocess"); empty if absent.
  const std::vector<JsonValue> &list(const char *key) const;
  /// A tensor by name, or nullptr.
  const TensorInfo *tensor(const std::string &name) const;

private:
  std::string error_;
  JsonValue json_;
  std::unique_ptr<SafetensorsFile> tensors_;
};

/// Field accessors that do not crash on a malformed golden (0 / "" then).
int64_t integerField(const JsonValue &object, const char *key);
std::string stringField(const JsonValue &object, const char *key);

/// The integer formula of make_image_goldens.py `synthetic`.
RgbImage syntheticImage(int width, int height, int seed, int noiseBits);
/// goldens.json "synthetic"[name], built.
bool buildSynthetic(const std::string &name, RgbImage &out, std::string &error);

/// make_image_goldens.py `sample_positions`: (view, x, y) of sample k.
std::array<int, 3> samplePosition(int seed, int k, int width, int height,
                                  int views);

/// zlib's CRC-32 of `size` bytes, as Python's zlib.crc32.
uint32_t crc32Of(const void *data, size_t size);

/// Compares `actual` ([H, W, 3] bytes) with a golden pixel record: "tensor"
/// (every pixel) or "crc32" + "samples_tensor". Returns an empty string when
/// equal, else what differs (max |difference|, count, first position).
std::string comparePixels(const JsonValue &record, const RgbImage &actual);

} // namespace xgenmm::image::test

#endif // XGENMM_TEST_RUNTIME_IMAGE_IMAGEGOLDENS_H
