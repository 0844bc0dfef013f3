//===- FormatDecoders.h - the per-format decoders (internal) ----*- C++ -*-===//
//
// Used by ImageDecoder.cpp only. Each decoder returns false with `error` set
// to the problem alone; ImageDecoder.cpp puts the file name in front.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_IMAGE_FORMATDECODERS_H
#define XGENMM_RUNTIME_IMAGE_FORMATDECODERS_H

#include "runtime/image/RgbImage.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace xgenmm::image::detail {

bool decodeJpeg(const uint8_t *data, size_t size, RgbImage &out,
                std::string &error);
bool decodePng(const uint8_t *data, size_t size, RgbImage &out,
               std::string &error);

} // namespace xgenmm::image::detail

#endif // XGENMM_RUNTIME_IMAGE_FORMATDECODERS_H
