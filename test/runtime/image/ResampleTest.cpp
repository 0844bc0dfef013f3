//===- ResampleTest.cpp - resizing against Pillow -------------------------===//
//
// resizeBicubic against Pillow 13's img.resize((w, h)) and against the
// horizontal-first order of Pillow <= 12 (made of two one-axis Pillow
// resizes by make_image_goldens.py), on the synthetic inputs.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/Resample.h"

#include "test/runtime/image/ImageGoldens.h"

#include <gtest/gtest.h>

namespace xgenmm::image::test {
namespace {

std::vector<const JsonValue *> resizeEntries() {
  std::vector<const JsonValue *> out;
  for (const JsonValue &entry : Goldens::get().list("resize"))
    out.push_back(&entry);
  return out;
}

class ResizeMatchesPillow : public testing::TestWithParam<const JsonValue *> {
};

TEST_P(ResizeMatchesPillow, Exactly) {
  const JsonValue &entry = *GetParam();
  const std::string input = stringField(entry, "input");
  const std::string order = stringField(entry, "order");
  RgbImage source, resized;
  std::string error;
  ASSERT_TRUE(buildSynthetic(input, source, error)) << error;
  const int width = int(integerField(entry, "width"));
  const int height = int(integerField(entry, "height"));
  ASSERT_TRUE(resizeBicubic(source, width, height, resized, error,
                            order == "pillow13" ? PassOrder::Pillow13
                                                : PassOrder::HorizontalFirst))
      << error;
  EXPECT_EQ(comparePixels(entry, resized), "")
      << input << " -> " << width << " x " << height << ", " << order;
}

INSTANTIATE_TEST_SUITE_P(
    Golden, ResizeMatchesPillow, testing::ValuesIn(resizeEntries()),
    [](const testing::TestParamInfo<const JsonValue *> &info) {
      const JsonValue &e = *info.param;
      return stringField(e, "input") + "_to_" +
             std::to_string(integerField(e, "width")) + "x" +
             std::to_string(integerField(e, "height")) + "_" +
             stringField(e, "order");
    });

TEST(Resize, GoldensCoverBothPassOrders) {
  int verticalFirst = 0;
  for (const JsonValue &entry : Goldens::get().list("resize")) {
    const JsonValue *v = entry.get("pillow13_vertical_first");
    verticalFirst += v && v->isBool() && v->asBool();
  }
  EXPECT_GE(verticalFirst, 10);
}

TEST(Resize, SameSizeIsACopy) {
  const RgbImage image = syntheticImage(13, 7, 1, 5);
  RgbImage out;
  std::string error;
  ASSERT_TRUE(resizeBicubic(image, 13, 7, out, error));
  EXPECT_EQ(out.rgb, image.rgb);
}

TEST(Resize, RefusesBadSizes) {
  const RgbImage image = syntheticImage(4, 4, 1, 5);
  RgbImage out;
  std::string error;
  EXPECT_FALSE(resizeBicubic(image, 0, 4, out, error));
  EXPECT_EQ(error, "resize to 0 x 4: sizes must be positive");
  EXPECT_FALSE(resizeBicubic(RgbImage(), 4, 4, out, error));
  EXPECT_EQ(error, "resize of an empty or malformed image");
}

// A constant image stays constant under any resize (the weights of every
// output pixel sum to 1 in fixed point within rounding).
TEST(Resize, ConstantStaysConstant) {
  RgbImage image = RgbImage::black(37, 23);
  for (size_t i = 0; i < image.rgb.size(); i += 3) {
    image.rgb[i] = 200;
    image.rgb[i + 1] = 0;
    image.rgb[i + 2] = 255;
  }
  for (auto [w, h] : {std::pair{5, 300}, {384, 384}, {1, 1}, {36, 23}}) {
    RgbImage out;
    std::string error;
    ASSERT_TRUE(resizeBicubic(image, w, h, out, error));
    for (size_t i = 0; i < out.rgb.size(); i += 3) {
      ASSERT_EQ(out.rgb[i], 200) << w << "x" << h;
      ASSERT_EQ(out.rgb[i + 1], 0);
      ASSERT_EQ(out.rgb[i + 2], 255);
    }
  }
}

} // namespace
} // namespace xgenmm::image::test
