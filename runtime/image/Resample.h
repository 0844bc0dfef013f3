//===- Resample.h - Pillow's Image.resize for RGB images --------*- C++ -*-===//
//
// resizeBicubic(in, w, h) returns the same bytes as Pillow's
// `img.resize((w, h))` on an "RGB" image (the default filter for RGB is
// BICUBIC), as implemented in Pillow's src/libImaging/Resample.c:
//
//  * separable, two passes with an 8-bit image in between; a pass whose
//    size does not change is skipped, same size in both is a copy. Which
//    pass runs first changes pixels, and Pillow 13 changed it (PassOrder);
//  * per output pixel, the bicubic kernel (a = -0.5, support 2) is stretched
//    by the downscale factor (antialiasing), evaluated in double at the
//    source pixel centers, normalized to sum 1, then converted to fixed
//    point with 22 fractional bits (rounded half away from zero);
//  * sums start at 2^21 and are shifted right by 22 and clamped to [0, 255].
//
// The double arithmetic is written in the same order as Pillow's C; the
// library is built with -ffp-contract=off so that no FMA changes a bit.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_IMAGE_RESAMPLE_H
#define XGENMM_RUNTIME_IMAGE_RESAMPLE_H

#include "runtime/image/RgbImage.h"

#include <string>

namespace xgenmm::image {

/// The order of the two passes, as each Pillow release chooses it. The
/// runtime reproduces the released processor, which ran on Pillow 10.x:
/// HorizontalFirst is the default (docs/decisions.md, "Image resize pass
/// order").
enum class PassOrder {
  /// Pillow >= 13.0: the vertical pass first when the height shrinks by more
  /// than twice as many pixels as the width (H0 - h > 0 and
  /// H0 - h > 2 (W0 - w)), otherwise the horizontal pass first.
  Pillow13,
  /// Pillow up to 12.x (the releases current when xGen-MM r-v1.5 came out):
  /// always the horizontal pass first.
  HorizontalFirst,
};

/// Resizes `in` to `width` x `height` (both >= 1) into `out`. False with
/// `error` when a size is not positive or `in` is empty.
bool resizeBicubic(const RgbImage &in, int width, int height, RgbImage &out,
                   std::string &error,
                   PassOrder order = PassOrder::HorizontalFirst);

} // namespace xgenmm::image

#endif // XGENMM_RUNTIME_IMAGE_RESAMPLE_H
