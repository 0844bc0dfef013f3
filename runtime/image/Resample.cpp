//===- Resample.cpp - Pillow's bicubic resampling, bit for bit ------------===//
//
// A transcription of Pillow 13.0's ImagingResample (src/libImaging/
// Resample.c) for 8-bit images with the BICUBIC filter and the default box
// (the whole image); see Resample.h.
// Names follow Pillow's where that helps to compare the two.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/Resample.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace xgenmm::image {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubicFilter(double x) {
  // Pillow's `#define a -0.5`, expanded as the preprocessor does.
  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return ((-0.5 + 2.0) * x - (-0.5 + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * -0.5;
  return 0.0;
}
constexpr double kBicubicSupport = 2.0;

/// For each output pixel: the first source pixel, the number of source
/// pixels, and `ksize` fixed-point weights (unused ones zero).
struct Coefficients {
  int ksize = 0;
  std::vector<int> bounds;   // [outSize * 2]: xmin, count
  std::vector<int32_t> kk;   // [outSize * ksize]
};

// precompute_coeffs + normalize_coeffs_8bpc with in0 = 0, in1 = inSize.
Coefficients precomputeCoefficients(int inSize, int outSize) {
  Coefficients result;
  // Pillow passes the box as floats and subtracts them in float.
  const float in0 = 0.0f, in1 = float(inSize);
  double scale = double(in1 - in0) / outSize;
  double filterscale = scale;
  if (filterscale < 1.0)
    filterscale = 1.0;
  const double support = kBicubicSupport * filterscale;
  const int ksize = int(std::ceil(support)) * 2 + 1;
  result.ksize = ksize;
  result.bounds.resize(size_t(outSize) * 2);
  result.kk.assign(size_t(outSize) * size_t(ksize), 0);
  std::vector<double> k(ksize);
  for (int xx = 0; xx < outSize; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    int xmin = int(center - support + 0.5);
    if (xmin < 0)
      xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > inSize)
      xmax = inSize;
    xmax -= xmin;
    int x = 0;
    for (; x < xmax; ++x) {
      const double w = bicubicFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (x = 0; x < xmax; ++x)
      if (ww != 0.0)
        k[x] /= ww;
    for (; x < ksize; ++x)
      k[x] = 0;
    for (x = 0; x < ksize; ++x) {
      const double v = k[x];
      result.kk[size_t(xx) * ksize + x] =
          v < 0 ? int(-0.5 + v * (1 << kPrecisionBits))
                : int(0.5 + v * (1 << kPrecisionBits));
    }
    result.bounds[size_t(xx) * 2] = xmin;
    result.bounds[size_t(xx) * 2 + 1] = xmax;
  }
  return result;
}

inline uint8_t clip8(int in) {
  // Pillow's lookup table covers in >> 22 in [-640, 639] with exactly this.
  const int v = in >> kPrecisionBits;
  return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// ImagingResampleHorizontal_8bpc: output row yy reads source row yy + offset.
void resampleHorizontal(RgbImage &out, const RgbImage &in, int offset,
                        const Coefficients &c) {
  for (int yy = 0; yy < out.height; ++yy) {
    const uint8_t *src = in.row(yy + offset);
    uint8_t *dst = out.row(yy);
    for (int xx = 0; xx < out.width; ++xx) {
      const int xmin = c.bounds[size_t(xx) * 2];
      const int xmax = c.bounds[size_t(xx) * 2 + 1];
      const int32_t *k = &c.kk[size_t(xx) * c.ksize];
      int ss0 = 1 << (kPrecisionBits - 1), ss1 = ss0, ss2 = ss0;
      for (int x = 0; x < xmax; ++x) {
        const uint8_t *p = src + size_t(x + xmin) * 3;
        ss0 += p[0] * k[x];
        ss1 += p[1] * k[x];
        ss2 += p[2] * k[x];
      }
      dst[3 * xx] = clip8(ss0);
      dst[3 * xx + 1] = clip8(ss1);
      dst[3 * xx + 2] = clip8(ss2);
    }
  }
}

// ImagingResampleVertical_8bpc; `c.bounds` already shifted by the caller.
void resampleVertical(RgbImage &out, const RgbImage &in,
                      const Coefficients &c) {
  const size_t rowBytes = size_t(out.width) * 3;
  for (int yy = 0; yy < out.height; ++yy) {
    const int ymin = c.bounds[size_t(yy) * 2];
    const int ymax = c.bounds[size_t(yy) * 2 + 1];
    const int32_t *k = &c.kk[size_t(yy) * c.ksize];
    uint8_t *dst = out.row(yy);
    for (size_t i = 0; i < rowBytes; ++i) {
      int ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y)
        ss += in.row(y + ymin)[i] * k[y];
      dst[i] = clip8(ss);
    }
  }
}

} // namespace

bool resizeBicubic(const RgbImage &in, int width, int height, RgbImage &out,
                   std::string &error, PassOrder order) {
  if (width < 1 || height < 1) {
    error = "resize to " + std::to_string(width) + " x " +
            std::to_string(height) + ": sizes must be positive";
    return false;
  }
  if (in.width < 1 || in.height < 1 ||
      in.rgb.size() != size_t(in.width) * size_t(in.height) * 3) {
    error = "resize of an empty or malformed image";
    return false;
  }
  // Image.resize: same size and whole box -> a copy.
  if (width == in.width && height == in.height) {
    out = in;
    return true;
  }
  // ImagingResampleInner.
  const bool needHorizontal = width != in.width;
  const bool needVertical = height != in.height;
  const int64_t shrinkY = int64_t(in.height) - height;
  const int64_t shrinkX = int64_t(in.width) - width;
  const bool horizontalFirst = order == PassOrder::HorizontalFirst ||
                               !(shrinkY > 0 && shrinkY > shrinkX * 2);

  Coefficients vertical;
  if (needVertical)
    vertical = precomputeCoefficients(in.height, height);
  Coefficients horizontal;
  if (needHorizontal)
    horizontal = precomputeCoefficients(in.width, width);

  if (!needHorizontal) {
    out = RgbImage::black(in.width, height);
    resampleVertical(out, in, vertical);
    return true;
  }
  if (!needVertical) {
    out = RgbImage::black(width, in.height);
    resampleHorizontal(out, in, 0, horizontal);
    return true;
  }
  if (horizontalFirst) {
    // Only the source rows the vertical pass reads.
    const int yboxFirst = vertical.bounds[0];
    const int yboxLast = vertical.bounds[size_t(height) * 2 - 2] +
                         vertical.bounds[size_t(height) * 2 - 1];
    for (int i = 0; i < height; ++i)
      vertical.bounds[size_t(i) * 2] -= yboxFirst;
    RgbImage temp = RgbImage::black(width, yboxLast - yboxFirst);
    resampleHorizontal(temp, in, yboxFirst, horizontal);
    out = RgbImage::black(width, height);
    resampleVertical(out, temp, vertical);
  } else {
    RgbImage temp = RgbImage::black(in.width, height);
    resampleVertical(temp, in, vertical);
    out = RgbImage::black(width, height);
    resampleHorizontal(out, temp, 0, horizontal);
  }
  return true;
}

} // namespace xgenmm::image
