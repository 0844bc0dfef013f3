//===- RgbImage.h - an 8-bit RGB image --------------------------*- C++ -*-===//
//
// The one image type of runtime/image: what the decoders produce (PIL's
// `Image.open(f).convert('RGB')`), what the resampler reads and writes, and
// the anyres views before normalization.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_IMAGE_RGBIMAGE_H
#define XGENMM_RUNTIME_IMAGE_RGBIMAGE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xgenmm::image {

/// Row-major, 3 bytes per pixel (R, G, B), no row padding:
/// pixel (x, y) channel c is rgb[(y * width + x) * 3 + c].
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;

  /// A black (all zero) image.
  static RgbImage black(int width, int height) {
    RgbImage image;
    image.width = width;
    image.height = height;
    image.rgb.assign(size_t(width) * size_t(height) * 3, 0);
    return image;
  }
  uint8_t *row(int y) { return rgb.data() + size_t(y) * size_t(width) * 3; }
  const uint8_t *row(int y) const {
    return rgb.data() + size_t(y) * size_t(width) * 3;
  }
};

} // namespace xgenmm::image

#endif // XGENMM_RUNTIME_IMAGE_RGBIMAGE_H
