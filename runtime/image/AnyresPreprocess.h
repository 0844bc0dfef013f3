//===- AnyresPreprocess.h - the xGen-MM image processor ---------*- C++ -*-===//
//
// The released Blip3ImageProcessor (model-spec.md section 4), applied to an
// RGB image (decode + Pillow's convert('RGB') come first, as every caller of
// the processor does):
//
//  * anyres (config.grids not empty): pick the grid with
//    selectBestResolution, resize keeping the aspect ratio to
//    anyresResizedSize, paste centered on a black grid-sized canvas, cut it
//    into S x S crops row by row; view 0 is the whole image squashed to
//    S x S, views 1.. are the crops;
//  * base mode (no grids): one view, the image squashed to S x S;
//  * every view: x / 255 then (x - mean[c]) / std[c] in float32, in that
//    order (torchvision ToTensor + Normalize), laid out [views, 3, S, S].
//
// All resizes are Pillow's (Resample.h), so the views are byte-identical to
// the processor's and the float tensor is bit-identical.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_IMAGE_ANYRESPREPROCESS_H
#define XGENMM_RUNTIME_IMAGE_ANYRESPREPROCESS_H

#include "runtime/image/Resample.h"
#include "runtime/image/RgbImage.h"

#include <array>
#include <string>
#include <vector>

namespace xgenmm {
class JsonValue;
} // namespace xgenmm

namespace xgenmm::image {

/// (width, height) in pixels, the order of preprocessor_config.json "grids"
/// and of Pillow's img.size.
using Size2D = std::array<int, 2>;

/// What preprocessor_config.json holds (size, grids, image_mean, image_std).
struct PreprocessConfig {
  int imageSize = 384;
  /// Candidate grids in list order (ties go to the earlier one); each a
  /// multiple of imageSize in both directions. Empty: base mode.
  std::vector<Size2D> grids;
  std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};
  std::array<float, 3> stdDev = {0.5f, 0.5f, 0.5f};
  /// Which Pillow's resize to reproduce (not in the JSON file); the
  /// released processor's, Pillow <= 12, by default.
  PassOrder passOrder = PassOrder::HorizontalFirst;
};

/// Checks a config: imageSize >= 1, every grid a positive multiple of
/// imageSize, no zero stdDev. False with `error` naming the field.
bool validatePreprocessConfig(const PreprocessConfig &config,
                              std::string &error);

/// Reads `path`, a Hugging Face preprocessor_config.json of
/// Blip3ImageProcessor: "size" ([S, S] or S), "grids" (absent, null or a
/// list of [width, height]), "image_mean", "image_std" (3 numbers each,
/// default 0.5), "resize_mode" ("squash" if present) and
/// "interpolation_mode" ("bicubic" if present). False with `error` starting
/// with `path` and naming the field.
bool loadPreprocessConfig(const std::string &path, PreprocessConfig &config,
                          std::string &error);

/// loadPreprocessConfig on parsed JSON (a preprocessor_config.json, or the
/// "config.preprocessor" object of an artifact's manifest); `name` starts
/// the error message.
bool parsePreprocessConfig(const JsonValue &json, const std::string &name,
                           PreprocessConfig &config, std::string &error);

/// select_best_resolution (model-spec 4.2): the grid that keeps the most
/// original pixels, min(int(W0 s) * int(H0 s), W0 H0) with
/// s = min(W / W0, H / H0); among equals the one with the least
/// padding, W H minus that; among those the first. `grids` must not be
/// empty.
Size2D selectBestResolution(Size2D original, const std::vector<Size2D> &grids);

/// resize_and_pad_image's size (model-spec 4.3): the side that limits the
/// scale fills the grid, the other is min(ceil(side * scale), grid side).
Size2D anyresResizedSize(Size2D original, Size2D grid);

/// The 8-bit views before normalization.
struct PreprocessedViews {
  std::vector<RgbImage> views; // each imageSize x imageSize; [0] = global
  int gridRows = 0;            // crops tall; 0 in base mode
  int gridCols = 0;            // crops wide; 0 in base mode
  Size2D grid = {0, 0};        // chosen grid in pixels; {0, 0} in base mode
  Size2D resized = {0, 0};     // anyresResizedSize; {0, 0} in base mode
};

/// Builds the views of `image` (see the file comment).
bool preprocessViews(const RgbImage &image, const PreprocessConfig &config,
                     PreprocessedViews &out, std::string &error);

/// The model input for one image: what xgenmm_image (runtime/xgenmm.h) and
/// the --pixel-values file take.
struct Preprocessed {
  std::vector<float> pixels; // [views, 3, S, S], row-major
  int views = 0;
  int gridRows = 0; // 0 in base mode
  int gridCols = 0;
  int width = 0;    // of the original image
  int height = 0;
};

/// Normalizes `views` into `out.pixels` (ToTensor + Normalize).
void normalizeViews(const PreprocessedViews &views,
                    const PreprocessConfig &config, Preprocessed &out);

/// preprocessViews + normalizeViews; width/height are `image`'s.
bool preprocessAnyres(const RgbImage &image, const PreprocessConfig &config,
                      Preprocessed &out, std::string &error);

} // namespace xgenmm::image

#endif // XGENMM_RUNTIME_IMAGE_ANYRESPREPROCESS_H
