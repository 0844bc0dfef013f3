//===- ImageDecoder.h - JPEG and PNG files to 8-bit RGB ---------*- C++ -*-===//
//
// Decodes JPEG (libjpeg-turbo: baseline, progressive; grayscale,
// YCbCr/RGB, CMYK/YCCK) and PNG (libpng: every bit depth and color type,
// interlaced or not) into RGB exactly as Pillow's
// `Image.open(f).convert('RGB')` does, so that the reference processor and
// the runtime see the same pixels:
//
//  * grayscale: replicated; 1/2/4-bit PNG gray scaled by 255/85/17;
//  * alpha (LA, RGBA, palette tRNS, gray/RGB tRNS): ignored, not composited;
//  * palette: looked up; an index past the end of PLTE gives black;
//  * 16-bit PNG: RGB, RGBA and LA keep the high byte; 16-bit grayscale
//    (Pillow mode "I;16") is clamped, min(v, 255), not scaled;
//  * 4-component JPEG: Adobe (inverted) CMYK, then Pillow's cmyk2rgb
//    r = (255 - k) - (c * (255 - k) / 255, rounded);
//  * no EXIF rotation, no ICC profile, no gamma: Pillow applies none.
//
// Limits: zero-size images and images of more than kMaxImagePixels pixels
// are refused from the header, before any pixel is decoded; progressive
// JPEGs with more than kMaxJpegScans scans are refused.
//
// Errors never abort: libjpeg's and libpng's fatal errors longjmp back here
// and the functions return false with `error` = "<name>: <problem>".
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_IMAGE_IMAGEDECODER_H
#define XGENMM_RUNTIME_IMAGE_IMAGEDECODER_H

#include "runtime/image/RgbImage.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace xgenmm::image {

/// Pillow's default Image.MAX_IMAGE_PIXELS, 1024 * 1024 * 1024 // 4 // 3.
/// Pillow only warns between this and twice this; we refuse above it.
constexpr uint64_t kMaxImagePixels = 89478485;

/// Pillow has no such limit; a scan count this high is only seen in files
/// crafted to make progressive decoding quadratic.
constexpr int kMaxJpegScans = 1000;

/// Files larger than this are refused before they are read.
constexpr uint64_t kMaxImageFileBytes = uint64_t(1) << 30;

/// Decodes the JPEG or PNG file at `path` (the format is told by its first
/// bytes, not by its name). On failure returns false, leaves `out` empty and
/// sets `error` to a message starting with `path`.
bool decodeImageFile(const std::string &path, RgbImage &out,
                     std::string &error);

/// Decodes `size` bytes at `data`; `name` (a file name, a URL, "image 2")
/// starts the error message.
bool decodeImageMemory(const uint8_t *data, size_t size,
                       const std::string &name, RgbImage &out,
                       std::string &error);

/// The header check both decoders apply: false with `error` = the problem
/// (without a name) for a zero width or height, or more than kMaxImagePixels
/// pixels.
bool checkImageDimensions(uint64_t width, uint64_t height,
                          std::string &error);

} // namespace xgenmm::image

#endif // XGENMM_RUNTIME_IMAGE_IMAGEDECODER_H
