//===- AnyresPreprocess.cpp - the xGen-MM image processor -----------------===//
//
// Follows the released image_processing_blip_3.py (process_anyres_image,
// select_best_resolution, resize_and_pad_image, divide_to_patches) and the
// torchvision transforms it composes; see AnyresPreprocess.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/AnyresPreprocess.h"

#include "frontend/Json.h"
#include "runtime/image/Resample.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace xgenmm::image {

bool validatePreprocessConfig(const PreprocessConfig &config,
                              std::string &error) {
  const int s = config.imageSize;
  if (s < 1) {
    error = "size: the image size must be positive, not " + std::to_string(s);
    return false;
  }
  for (size_t i = 0; i < config.grids.size(); ++i) {
    const Size2D &g = config.grids[i];
    if (g[0] < s || g[1] < s || g[0] % s != 0 || g[1] % s != 0) {
      error = "grids[" + std::to_string(i) + "]: [" + std::to_string(g[0]) +
              ", " + std::to_string(g[1]) +
              "] is not a positive multiple of the image size " +
              std::to_string(s) + " in both directions";
      return false;
    }
  }
  for (int c = 0; c < 3; ++c) {
    if (!(config.stdDev[c] != 0.0f) || !std::isfinite(config.stdDev[c]) ||
        !std::isfinite(config.mean[c])) {
      error = "image_std/image_mean: channel " + std::to_string(c) +
              " needs a finite mean and a finite non-zero std";
      return false;
    }
  }
  return true;
}

namespace {

bool readTextFile(const std::string &path, std::string &text,
                  std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << file.rdbuf();
  text = buffer.str();
  return true;
}

bool readInt(const JsonValue &value, int &out) {
  if (!value.isInteger() || value.asInteger() < 1 ||
      value.asInteger() > std::numeric_limits<int>::max())
    return false;
  out = int(value.asInteger());
  return true;
}

// A number (broadcast to the 3 channels, as Normalize does) or 3 numbers.
bool readTriple(const JsonValue &value, std::array<float, 3> &out) {
  if (value.isNumber()) {
    out.fill(float(value.asNumber()));
    return true;
  }
  if (!value.isArray() || value.asArray().size() != 3)
    return false;
  for (int c = 0; c < 3; ++c) {
    const JsonValue &item = value.asArray()[c];
    if (!item.isNumber())
      return false;
    out[c] = float(item.asNumber());
  }
  return true;
}

} // namespace

bool loadPreprocessConfig(const std::string &path, PreprocessConfig &config,
                          std::string &error) {
  std::string text, problem;
  if (!readTextFile(path, text, error))
    return false;
  std::optional<JsonValue> json = parseJson(text, problem);
  if (!json) {
    error = path + ": invalid JSON: " + problem;
    return false;
  }
  return parsePreprocessConfig(*json, path, config, error);
}

bool parsePreprocessConfig(const JsonValue &value, const std::string &name,
                           PreprocessConfig &config, std::string &error) {
  const JsonValue *json = &value;
  std::string problem;
  if (!json->isObject()) {
    error = name + ": not a JSON object";
    return false;
  }
  auto fail = [&](const std::string &message) {
    error = name + ": " + message;
    return false;
  };
  PreprocessConfig result;
  if (const JsonValue *size = json->get("size")) {
    int s = 0, t = 0;
    if (size->isArray() && size->asArray().size() == 2 &&
        readInt(size->asArray()[0], s) && readInt(size->asArray()[1], t)) {
      if (s != t)
        return fail("size: [" + std::to_string(s) + ", " + std::to_string(t) +
                    "] is not square; the processor's crops are square");
    } else if (!readInt(*size, s)) {
      return fail("size: expected a positive integer or [S, S]");
    }
    result.imageSize = s;
  }
  if (const JsonValue *grids = json->get("grids"); grids && !grids->isNull()) {
    if (!grids->isArray())
      return fail("grids: expected null or a list of [width, height]");
    for (size_t i = 0; i < grids->asArray().size(); ++i) {
      const JsonValue &g = grids->asArray()[i];
      Size2D grid;
      if (!g.isArray() || g.asArray().size() != 2 ||
          !readInt(g.asArray()[0], grid[0]) ||
          !readInt(g.asArray()[1], grid[1]))
        return fail("grids[" + std::to_string(i) +
                    "]: expected [width, height], two positive integers");
      result.grids.push_back(grid);
    }
  }
  if (const JsonValue *mean = json->get("image_mean");
      mean && !readTriple(*mean, result.mean))
    return fail("image_mean: expected a number or 3 numbers");
  if (const JsonValue *stdDev = json->get("image_std");
      stdDev && !readTriple(*stdDev, result.stdDev))
    return fail("image_std: expected a number or 3 numbers");
  // Other modes change the base-mode view; only the released ones are
  // implemented.
  if (const JsonValue *mode = json->get("resize_mode");
      mode && !(mode->isString() && mode->asString() == "squash"))
    return fail("resize_mode: only \"squash\" is supported, not " +
                mode->serialize());
  if (const JsonValue *mode = json->get("interpolation_mode");
      mode && !(mode->isString() && mode->asString() == "bicubic"))
    return fail("interpolation_mode: only \"bicubic\" is supported, not " +
                mode->serialize());
  if (!validatePreprocessConfig(result, problem))
    return fail(problem);
  config = std::move(result);
  return true;
}

Size2D selectBestResolution(Size2D original, const std::vector<Size2D> &grids) {
  const int64_t w0 = original[0], h0 = original[1];
  Size2D best = grids.front();
  int64_t maxEffective = 0;
  bool haveBest = false;
  int64_t minWasted = 0; // "inf" until the first candidate is taken
  for (const Size2D &grid : grids) {
    const double scale =
        std::min(double(grid[0]) / double(w0), double(grid[1]) / double(h0));
    const int64_t downscaledW = int64_t(double(w0) * scale);
    const int64_t downscaledH = int64_t(double(h0) * scale);
    const int64_t effective = std::min(downscaledW * downscaledH, w0 * h0);
    const int64_t wasted = int64_t(grid[0]) * grid[1] - effective;
    if (effective > maxEffective ||
        (effective == maxEffective && (!haveBest || wasted < minWasted))) {
      maxEffective = effective;
      minWasted = wasted;
      best = grid;
      haveBest = true;
    }
  }
  return best;
}

Size2D anyresResizedSize(Size2D original, Size2D grid) {
  const double scaleW = double(grid[0]) / double(original[0]);
  const double scaleH = double(grid[1]) / double(original[1]);
  if (scaleW < scaleH) {
    const double h = std::ceil(double(original[1]) * scaleW);
    return {grid[0], h < grid[1] ? int(h) : grid[1]};
  }
  const double w = std::ceil(double(original[0]) * scaleH);
  return {w < grid[0] ? int(w) : grid[0], grid[1]};
}

bool preprocessViews(const RgbImage &image, const PreprocessConfig &config,
                     PreprocessedViews &out, std::string &error) {
  out = PreprocessedViews();
  if (!validatePreprocessConfig(config, error))
    return false;
  if (image.width < 1 || image.height < 1 ||
      image.rgb.size() != size_t(image.width) * size_t(image.height) * 3) {
    error = "preprocessing an empty or malformed image";
    return false;
  }
  const int s = config.imageSize;
  RgbImage global;
  if (!resizeBicubic(image, s, s, global, error, config.passOrder))
    return false;
  out.views.push_back(std::move(global));
  if (config.grids.empty())
    return true;

  const Size2D grid =
      selectBestResolution({image.width, image.height}, config.grids);
  const Size2D resized = anyresResizedSize({image.width, image.height}, grid);
  RgbImage scaled;
  if (!resizeBicubic(image, resized[0], resized[1], scaled, error,
                     config.passOrder))
    return false;
  out.grid = grid;
  out.resized = resized;
  out.gridCols = grid[0] / s;
  out.gridRows = grid[1] / s;

  // The canvas is never built: each crop reads the pasted image where it
  // overlaps and stays black elsewhere.
  const int pasteX = (grid[0] - resized[0]) / 2;
  const int pasteY = (grid[1] - resized[1]) / 2;
  for (int row = 0; row < out.gridRows; ++row) {
    for (int col = 0; col < out.gridCols; ++col) {
      RgbImage crop = RgbImage::black(s, s);
      const int left = col * s, top = row * s;
      const int x0 = std::max(left, pasteX);
      const int x1 = std::min(left + s, pasteX + resized[0]);
      for (int y = std::max(top, pasteY);
           y < std::min(top + s, pasteY + resized[1]); ++y) {
        if (x1 <= x0)
          break;
        std::memcpy(crop.row(y - top) + size_t(x0 - left) * 3,
                    scaled.row(y - pasteY) + size_t(x0 - pasteX) * 3,
                    size_t(x1 - x0) * 3);
      }
      out.views.push_back(std::move(crop));
    }
  }
  return true;
}

void normalizeViews(const PreprocessedViews &views,
                    const PreprocessConfig &config, Preprocessed &out) {
  const int s = config.imageSize;
  const size_t plane = size_t(s) * size_t(s);
  out.views = int(views.views.size());
  out.gridRows = views.gridRows;
  out.gridCols = views.gridCols;
  out.pixels.resize(views.views.size() * 3 * plane);
  // ToTensor divides by 255, then Normalize subtracts and divides, each
  // rounded to float32: a table per channel gives the same floats.
  float table[3][256];
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v)
      table[c][v] = (float(v) / 255.0f - config.mean[c]) / config.stdDev[c];
  float *dst = out.pixels.data();
  for (const RgbImage &view : views.views) {
    for (int c = 0; c < 3; ++c) {
      const uint8_t *src = view.rgb.data() + c;
      for (size_t i = 0; i < plane; ++i)
        dst[i] = table[c][src[3 * i]];
      dst += plane;
    }
  }
}

bool preprocessAnyres(const RgbImage &image, const PreprocessConfig &config,
                      Preprocessed &out, std::string &error) {
  out = Preprocessed();
  PreprocessedViews views;
  if (!preprocessViews(image, config, views, error))
    return false;
  normalizeViews(views, config, out);
  out.width = image.width;
  out.height = image.height;
  return true;
}

} // namespace xgenmm::image
