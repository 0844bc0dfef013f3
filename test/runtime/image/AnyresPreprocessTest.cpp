//===- AnyresPreprocessTest.cpp - the processor against the reference -----===//
//
// Grid choice and resized sizes for thousands of sizes (ties included), the
// 8-bit views and the float32 tensor for synthetic and decoded inputs under
// the xGen-MM config (S = 384), the tiny fixture config (S = 42), base mode
// and non-trivial mean/std, and the config reader.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/AnyresPreprocess.h"
#include "runtime/image/ImageDecoder.h"

#include "test/runtime/image/ImageGoldens.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace xgenmm::image::test {
namespace {

bool configFromGoldens(const std::string &name, PreprocessConfig &config) {
  const JsonValue *all = Goldens::get().json().get("configs");
  const JsonValue *c = all ? all->get(name) : nullptr;
  if (!c)
    return false;
  config = PreprocessConfig();
  config.imageSize = int(integerField(*c, "image_size"));
  for (const JsonValue &g : c->get("grids")->asArray())
    config.grids.push_back(
        {int(g.asArray()[0].asInteger()), int(g.asArray()[1].asInteger())});
  for (int i = 0; i < 3; ++i) {
    config.mean[i] = float(c->get("mean")->asArray()[i].asNumber());
    config.stdDev[i] = float(c->get("std")->asArray()[i].asNumber());
  }
  return true;
}

// --- grid selection ------------------------------------------------------

class GridTable : public testing::TestWithParam<const char *> {};

TEST_P(GridTable, MatchesSelectBestResolution) {
  PreprocessConfig config;
  ASSERT_TRUE(configFromGoldens(GetParam(), config));
  const JsonValue *tables = Goldens::get().json().get("grid_tables");
  ASSERT_TRUE(tables && tables->get(GetParam()));
  const JsonValue &table = *tables->get(GetParam());
  const TensorInfo *t = Goldens::get().tensor(stringField(table, "tensor"));
  ASSERT_TRUE(t && t->dtype == DType::I32 && t->shape.size() == 2 &&
              t->shape[1] == 7);
  std::vector<int32_t> rows(size_t(t->shape[0]) * 7);
  std::memcpy(rows.data(), t->data, rows.size() * sizeof(int32_t));
  int checked = 0, ties = 0, mismatches = 0;
  for (int64_t r = 0; r < t->shape[0]; ++r) {
    const int32_t *row = rows.data() + 7 * r;
    const Size2D original = {row[0], row[1]};
    const Size2D grid = selectBestResolution(original, config.grids);
    const Size2D resized = anyresResizedSize(original, grid);
    ++checked;
    ties += row[6] != 0;
    if (grid != Size2D{row[2], row[3]} || resized != Size2D{row[4], row[5]}) {
      if (++mismatches <= 10)
        ADD_FAILURE() << row[0] << " x " << row[1] << ": grid " << grid[0]
                      << "x" << grid[1] << " resized " << resized[0] << "x"
                      << resized[1] << ", reference grid " << row[2] << "x"
                      << row[3] << " resized " << row[4] << "x" << row[5];
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(checked, integerField(table, "rows"));
  // Both tie rules are exercised: least waste, then list order.
  EXPECT_GT(integerField(table, "decided_by_waste"), 100);
  EXPECT_GT(integerField(table, "decided_by_order"), 100);
  EXPECT_EQ(ties, integerField(table, "decided_by_waste") +
                      integerField(table, "decided_by_order"));
}

INSTANTIATE_TEST_SUITE_P(Config, GridTable, testing::Values("xgenmm", "tiny"),
                         [](const auto &info) { return std::string(info.param); });

TEST(GridSelection, ModelSpecExamples) {
  const std::vector<Size2D> grids = {
      {384, 768}, {768, 384}, {768, 768}, {1152, 384}, {384, 1152}};
  // model-spec 4.2: a small square image ties everywhere; least waste, first.
  EXPECT_EQ(selectBestResolution({100, 100}, grids), (Size2D{384, 768}));
  // model-spec 4.5 worked example.
  EXPECT_EQ(selectBestResolution({640, 480}, grids), (Size2D{768, 768}));
  EXPECT_EQ(anyresResizedSize({640, 480}, {768, 768}), (Size2D{768, 576}));
  EXPECT_EQ(selectBestResolution({3000, 200}, grids), (Size2D{1152, 384}));
  EXPECT_EQ(anyresResizedSize({3000, 200}, {1152, 384}), (Size2D{1152, 77}));
  EXPECT_EQ(selectBestResolution({200, 3000}, grids), (Size2D{384, 1152}));
}

// --- views and tensors ---------------------------------------------------

std::vector<const JsonValue *> preprocessEntries() {
  std::vector<const JsonValue *> out;
  for (const JsonValue &entry : Goldens::get().list("preprocess"))
    out.push_back(&entry);
  return out;
}

std::string caseName(const testing::TestParamInfo<const JsonValue *> &info) {
  const JsonValue &e = *info.param;
  std::string input = stringField(e, "input");
  input = input.substr(input.rfind('/') + 1);
  input = input.substr(0, input.rfind('.'));
  std::string name = input + "_" + stringField(e, "config") + "_" +
                     stringField(e, "order");
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

class PreprocessMatchesProcessor
    : public testing::TestWithParam<const JsonValue *> {};

TEST_P(PreprocessMatchesProcessor, Exactly) {
  const JsonValue &e = *GetParam();
  const std::string input = stringField(e, "input");
  const std::string configName = stringField(e, "config");
  PreprocessConfig config;
  ASSERT_TRUE(configFromGoldens(configName, config)) << configName;
  config.passOrder = stringField(e, "order") == "pillow13"
                         ? PassOrder::Pillow13
                         : PassOrder::HorizontalFirst;
  RgbImage image;
  std::string error;
  if (input.rfind("inputs/", 0) == 0)
    ASSERT_TRUE(decodeImageFile(goldensDir() + "/" + input, image, error))
        << error;
  else
    ASSERT_TRUE(buildSynthetic(input, image, error)) << error;

  PreprocessedViews views;
  ASSERT_TRUE(preprocessViews(image, config, views, error)) << error;
  const int s = config.imageSize;
  ASSERT_EQ(int(views.views.size()), integerField(e, "views"));
  EXPECT_EQ(views.gridRows, integerField(e, "grid_rows"));
  EXPECT_EQ(views.gridCols, integerField(e, "grid_cols"));
  if (const JsonValue *grid = e.get("grid"); grid && grid->isArray()) {
    EXPECT_EQ(views.grid[0], grid->asArray()[0].asInteger());
    EXPECT_EQ(views.grid[1], grid->asArray()[1].asInteger());
    EXPECT_EQ(views.resized[0], e.get("resized")->asArray()[0].asInteger());
    EXPECT_EQ(views.resized[1], e.get("resized")->asArray()[1].asInteger());
  }

  // The 8-bit views, [V, S, S, 3] as the reference stacks them.
  std::vector<uint8_t> stacked;
  for (size_t v = 0; v < views.views.size(); ++v) {
    ASSERT_EQ(views.views[v].width, s);
    ASSERT_EQ(views.views[v].height, s);
    stacked.insert(stacked.end(), views.views[v].rgb.begin(),
                   views.views[v].rgb.end());
    int64_t sum = 0;
    for (uint8_t b : views.views[v].rgb)
      sum += b;
    EXPECT_EQ(sum, e.get("view_sums")->asArray()[v].asInteger())
        << "view " << v;
  }
  int maxDiff = 0;
  size_t differing = 0;
  if (const std::string name = stringField(e, "views_tensor"); !name.empty()) {
    const TensorInfo *t = Goldens::get().tensor(name);
    ASSERT_TRUE(t && t->byteSize() == stacked.size()) << name;
    for (size_t i = 0; i < stacked.size(); ++i) {
      const int d = std::abs(int(stacked[i]) - int(t->data[i]));
      maxDiff = std::max(maxDiff, d);
      differing += d != 0;
    }
  } else {
    const TensorInfo *t =
        Goldens::get().tensor(stringField(e, "samples_tensor"));
    ASSERT_TRUE(t && t->shape.size() == 2 && t->shape[1] == 3);
    const int seed = int(integerField(e, "sample_seed"));
    for (int64_t k = 0; k < t->shape[0]; ++k) {
      const auto p = samplePosition(seed, int(k), s, s, int(views.views.size()));
      for (int c = 0; c < 3; ++c) {
        const int d = std::abs(int(views.views[p[0]].row(p[2])[3 * p[1] + c]) -
                               int(t->data[3 * k + c]));
        maxDiff = std::max(maxDiff, d);
        differing += d != 0;
      }
    }
  }
  EXPECT_EQ(maxDiff, 0) << differing << " view bytes differ";
  EXPECT_EQ(crc32Of(stacked.data(), stacked.size()),
            uint32_t(integerField(e, "views_crc32")));

  // The float32 tensor: bit-identical (CRC32 of its bytes), and within 0 of
  // the reference's ToTensor + Normalize applied to the reference views.
  Preprocessed pixels;
  normalizeViews(views, config, pixels);
  ASSERT_EQ(pixels.pixels.size(), views.views.size() * 3 * size_t(s) * s);
  EXPECT_EQ(crc32Of(pixels.pixels.data(), pixels.pixels.size() * sizeof(float)),
            uint32_t(integerField(e, "pixels_crc32")));
  const JsonValue *configJson = Goldens::get().json().get("configs")->get(configName);
  const TensorInfo *lut =
      Goldens::get().tensor(stringField(*configJson, "lut_tensor"));
  ASSERT_TRUE(lut && lut->byteSize() == 3 * 256 * sizeof(float));
  float table[3 * 256];
  std::memcpy(table, lut->data, sizeof(table));
  float maxFloatDiff = 0;
  const size_t plane = size_t(s) * s;
  for (size_t v = 0; v < views.views.size(); ++v)
    for (int c = 0; c < 3; ++c)
      for (size_t i = 0; i < plane; ++i) {
        const float want = table[c * 256 + views.views[v].rgb[3 * i + c]];
        maxFloatDiff = std::max(
            maxFloatDiff, std::fabs(pixels.pixels[(v * 3 + c) * plane + i] - want));
      }
  EXPECT_EQ(maxFloatDiff, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Golden, PreprocessMatchesProcessor,
                         testing::ValuesIn(preprocessEntries()), caseName);

TEST(Preprocess, WorkedExample640x480) {
  // model-spec 4.5: 640x480 -> grid 768x768, resized 768x576 pasted at y=96.
  const RgbImage image = syntheticImage(640, 480, 9, 5);
  PreprocessConfig config;
  config.grids = {{384, 768}, {768, 384}, {768, 768}, {1152, 384}, {384, 1152}};
  Preprocessed out;
  std::string error;
  ASSERT_TRUE(preprocessAnyres(image, config, out, error)) << error;
  EXPECT_EQ(out.views, 5);
  EXPECT_EQ(out.gridRows, 2);
  EXPECT_EQ(out.gridCols, 2);
  EXPECT_EQ(out.width, 640);
  EXPECT_EQ(out.height, 480);
  ASSERT_EQ(out.pixels.size(), size_t(5) * 3 * 384 * 384);
  // Crop 1 (top left): rows 0..95 are the black canvas, -1.0 after Normalize.
  const float *crop1 = out.pixels.data() + size_t(1) * 3 * 384 * 384;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 96; ++y)
      for (int x = 0; x < 384; ++x)
        ASSERT_EQ(crop1[(size_t(c) * 384 + y) * 384 + x], -1.0f);
  bool any = false;
  for (int x = 0; x < 384; ++x)
    any |= crop1[96 * 384 + x] != -1.0f;
  EXPECT_TRUE(any) << "row 96 is image";
}

TEST(Preprocess, BaseModeIsOneSquashedView) {
  const RgbImage image = syntheticImage(17, 300, 3, 5);
  PreprocessConfig config;
  config.imageSize = 42;
  Preprocessed out;
  std::string error;
  ASSERT_TRUE(preprocessAnyres(image, config, out, error)) << error;
  EXPECT_EQ(out.views, 1);
  EXPECT_EQ(out.gridRows, 0);
  EXPECT_EQ(out.gridCols, 0);
  EXPECT_EQ(out.pixels.size(), size_t(3) * 42 * 42);
}

TEST(Preprocess, RefusesBadConfigsAndImages) {
  const RgbImage image = syntheticImage(8, 8, 1, 5);
  Preprocessed out;
  std::string error;
  PreprocessConfig config;
  config.grids = {{384, 768}, {400, 384}};
  EXPECT_FALSE(preprocessAnyres(image, config, out, error));
  EXPECT_EQ(error, "grids[1]: [400, 384] is not a positive multiple of the "
                   "image size 384 in both directions");
  config = PreprocessConfig();
  config.stdDev[2] = 0;
  EXPECT_FALSE(preprocessAnyres(image, config, out, error));
  EXPECT_NE(error.find("channel 2"), std::string::npos) << error;
  config = PreprocessConfig();
  config.imageSize = 0;
  EXPECT_FALSE(preprocessAnyres(image, config, out, error));
  EXPECT_EQ(error, "size: the image size must be positive, not 0");
  EXPECT_FALSE(preprocessAnyres(RgbImage(), PreprocessConfig(), out, error));
  EXPECT_EQ(error, "preprocessing an empty or malformed image");
}

// --- preprocessor_config.json --------------------------------------------

TEST(PreprocessConfigFile, ReadsTheTinyFixture) {
  const std::string path = std::string(XGENMM_SOURCE_DIR) +
                           "/test/fixtures/tiny_gqa_fp32_4shards/"
                           "preprocessor_config.json";
  PreprocessConfig config, expected;
  std::string error;
  ASSERT_TRUE(loadPreprocessConfig(path, config, error)) << error;
  ASSERT_TRUE(configFromGoldens("tiny", expected));
  EXPECT_EQ(config.imageSize, 42);
  EXPECT_EQ(config.grids, expected.grids);
  EXPECT_EQ(config.mean, expected.mean);
  EXPECT_EQ(config.stdDev, expected.stdDev);
}

class TempFile {
public:
  explicit TempFile(const std::string &text) {
    char pattern[] = "/tmp/xgenmm-image-test-XXXXXX";
    int fd = ::mkstemp(pattern);
    path_ = pattern;
    if (fd >= 0) {
      if (::write(fd, text.data(), text.size()) != ssize_t(text.size()))
        ADD_FAILURE() << "write " << path_;
      ::close(fd);
    }
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

std::string loadError(const std::string &text) {
  TempFile file(text);
  PreprocessConfig config;
  std::string error;
  if (loadPreprocessConfig(file.path(), config, error))
    return "loaded";
  EXPECT_EQ(error.rfind(file.path() + ": ", 0), 0u) << error;
  return error.substr(file.path().size() + 2);
}

TEST(PreprocessConfigFile, BaseModeAndDefaults) {
  TempFile file(R"({"size": [384, 384], "grids": null})");
  PreprocessConfig config;
  std::string error;
  ASSERT_TRUE(loadPreprocessConfig(file.path(), config, error)) << error;
  EXPECT_EQ(config.imageSize, 384);
  EXPECT_TRUE(config.grids.empty());
  EXPECT_EQ(config.mean, (std::array<float, 3>{0.5f, 0.5f, 0.5f}));
  TempFile scalar(R"({"size": 42, "image_mean": 0.25, "grids": [[42, 84]]})");
  ASSERT_TRUE(loadPreprocessConfig(scalar.path(), config, error)) << error;
  EXPECT_EQ(config.imageSize, 42);
  EXPECT_EQ(config.mean, (std::array<float, 3>{0.25f, 0.25f, 0.25f}));
  EXPECT_EQ(config.grids, (std::vector<Size2D>{{42, 84}}));
}

TEST(PreprocessConfigFile, ErrorsNameTheField) {
  EXPECT_EQ(loadError("{").rfind("invalid JSON: at byte 1: ", 0), 0u);
  EXPECT_EQ(loadError("[]"), "not a JSON object");
  EXPECT_EQ(loadError(R"({"size": [384, 378]})"),
            "size: [384, 378] is not square; the processor's crops are square");
  EXPECT_EQ(loadError(R"({"size": "big"})"),
            "size: expected a positive integer or [S, S]");
  EXPECT_EQ(loadError(R"({"grids": [[384, 768], [768]]})"),
            "grids[1]: expected [width, height], two positive integers");
  EXPECT_EQ(loadError(R"({"grids": [[384, 700]]})"),
            "grids[0]: [384, 700] is not a positive multiple of the image size "
            "384 in both directions");
  EXPECT_EQ(loadError(R"({"image_std": [0.5, 0.5]})"),
            "image_std: expected a number or 3 numbers");
  EXPECT_EQ(loadError(R"({"resize_mode": "longest"})"),
            "resize_mode: only \"squash\" is supported, not \"longest\"");
  EXPECT_EQ(loadError(R"({"interpolation_mode": "bilinear"})"),
            "interpolation_mode: only \"bicubic\" is supported, not "
            "\"bilinear\"");
  PreprocessConfig config;
  std::string error;
  EXPECT_FALSE(loadPreprocessConfig("/nonexistent/preprocessor_config.json",
                                    config, error));
  EXPECT_EQ(error, "/nonexistent/preprocessor_config.json: cannot open: No "
                   "such file or directory");
}

} // namespace
} // namespace xgenmm::image::test
