//===- ImageDecoderTest.cpp - decoding against Pillow ---------------------===//
//
// Every committed test image decodes to exactly the bytes of Pillow's
// Image.open(f).convert('RGB'); every broken file is refused with a message
// naming it and the problem; truncated and corrupted data never crash.
//
//===----------------------------------------------------------------------===//

#include "runtime/image/ImageDecoder.h"

#include "test/runtime/image/ImageGoldens.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>

namespace xgenmm::image::test {
namespace {

// "inputs/err_truncated.jpg" -> "err_truncated_jpg" (a gtest name).
std::string stem(const std::string &file) {
  std::string name = file.substr(file.rfind('/') + 1);
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

std::vector<const JsonValue *> entries(const char *key) {
  std::vector<const JsonValue *> out;
  for (const JsonValue &entry : Goldens::get().list(key))
    out.push_back(&entry);
  return out;
}

std::string entryName(const testing::TestParamInfo<const JsonValue *> &info) {
  return stem(stringField(*info.param, "file"));
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file),
          std::istreambuf_iterator<char>()};
}

TEST(ImageGoldens, Load) {
  ASSERT_TRUE(Goldens::get().ok()) << Goldens::get().error();
  EXPECT_GE(Goldens::get().list("decode").size(), 30u);
  EXPECT_GE(Goldens::get().list("errors").size(), 10u);
  EXPECT_EQ(integerField(Goldens::get().json(), "max_image_pixels"),
            int64_t(kMaxImagePixels));
}

class DecodeMatchesPillow : public testing::TestWithParam<const JsonValue *> {};

TEST_P(DecodeMatchesPillow, Exactly) {
  const JsonValue &entry = *GetParam();
  const std::string path = goldensDir() + "/" + stringField(entry, "file");
  SCOPED_TRACE(path + " (Pillow mode " + stringField(entry, "pil_mode") +
               "): " + stringField(entry, "note"));
  RgbImage image;
  std::string error;
  ASSERT_TRUE(decodeImageFile(path, image, error)) << error;
  EXPECT_EQ(comparePixels(entry, image), "");

  // From memory, the same bytes.
  const std::vector<uint8_t> bytes = readFile(path);
  RgbImage fromMemory;
  ASSERT_TRUE(decodeImageMemory(bytes.data(), bytes.size(), "mem", fromMemory,
                                error))
      << error;
  EXPECT_EQ(fromMemory.rgb, image.rgb);
}

INSTANTIATE_TEST_SUITE_P(File, DecodeMatchesPillow,
                         testing::ValuesIn(entries("decode")), entryName);

class DecodeRefuses : public testing::TestWithParam<const JsonValue *> {};

TEST_P(DecodeRefuses, WithAMessage) {
  const JsonValue &entry = *GetParam();
  const std::string path = goldensDir() + "/" + stringField(entry, "file");
  SCOPED_TRACE(path + ": " + stringField(entry, "note") + " (Pillow: " +
               stringField(entry, "pil") + ")");
  RgbImage image;
  std::string error;
  EXPECT_FALSE(decodeImageFile(path, image, error));
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find(stringField(entry, "expect")), std::string::npos)
      << error;
  EXPECT_EQ(image.width, 0);
  EXPECT_TRUE(image.rgb.empty());
}

INSTANTIATE_TEST_SUITE_P(File, DecodeRefuses,
                         testing::ValuesIn(entries("errors")), entryName);

TEST(DecodeErrors, MissingFile) {
  RgbImage image;
  std::string error;
  const std::string path = goldensDir() + "/inputs/no-such-file.png";
  EXPECT_FALSE(decodeImageFile(path, image, error));
  EXPECT_EQ(error, path + ": cannot open: No such file or directory");
}

TEST(DecodeErrors, Directory) {
  RgbImage image;
  std::string error;
  EXPECT_FALSE(decodeImageFile(goldensDir(), image, error));
  EXPECT_EQ(error, goldensDir() + ": not a regular file");
}

TEST(DecodeErrors, EmptyMemoryNamesTheSource) {
  RgbImage image;
  std::string error;
  EXPECT_FALSE(decodeImageMemory(nullptr, 0, "image 3", image, error));
  EXPECT_EQ(error, "image 3: empty file");
}

TEST(DecodeErrors, TextNamesItsFirstBytes) {
  RgbImage image;
  std::string error;
  const uint8_t text[] = {'H', 'e', 'l', 'l', 'o'};
  EXPECT_FALSE(decodeImageMemory(text, sizeof(text), "t", image, error));
  EXPECT_EQ(error, "t: not a JPEG or PNG file (it starts with bytes 48 65 6c "
                   "6c 6f)");
}

TEST(DimensionCap, IsPillowsMaxImagePixels) {
  std::string error;
  EXPECT_EQ(kMaxImagePixels, 1024u * 1024 * 1024 / 4 / 3);
  EXPECT_TRUE(checkImageDimensions(kMaxImagePixels, 1, error));
  EXPECT_TRUE(checkImageDimensions(1, kMaxImagePixels, error));
  EXPECT_TRUE(checkImageDimensions(9459, 9459, error)); // 89,472,681
  EXPECT_FALSE(checkImageDimensions(kMaxImagePixels + 1, 1, error));
  EXPECT_EQ(error, "image of 89478486 x 1 = 89478486 pixels refused: more "
                   "than 89478485 (possible decompression bomb)");
  EXPECT_FALSE(checkImageDimensions(9460, 9460, error));
  EXPECT_FALSE(checkImageDimensions(0xFFFFFFFFu, 0xFFFFFFFFu, error));
  EXPECT_FALSE(checkImageDimensions(0, 7, error));
  EXPECT_EQ(error, "zero-size image (0 x 7)");
  EXPECT_FALSE(checkImageDimensions(7, 0, error));
}

// Every prefix of a file (a stride of them for larger files) and random byte
// corruptions: decoding may fail but must not crash, and a failure names the
// source. Prefixes that cut the image data must fail.
class DecodeDamaged : public testing::TestWithParam<const char *> {};

TEST_P(DecodeDamaged, NeverCrashes) {
  const std::string path = goldensDir() + "/inputs/" + GetParam();
  const std::vector<uint8_t> bytes = readFile(path);
  ASSERT_FALSE(bytes.empty()) << path;
  const bool isPng = bytes[0] == 0x89;
  // Where the image data ends: the last IDAT chunk's end (PNG), before EOI.
  size_t dataEnd = bytes.size() - 2;
  if (isPng) {
    for (size_t i = 8; i + 8 <= bytes.size();) {
      const size_t length = (size_t(bytes[i]) << 24) | (size_t(bytes[i + 1]) << 16) |
                            (size_t(bytes[i + 2]) << 8) | bytes[i + 3];
      if (std::string(bytes.begin() + i + 4, bytes.begin() + i + 8) == "IDAT")
        dataEnd = i + 12 + length;
      i += 12 + length;
    }
  }
  const size_t stride = bytes.size() > 4000 ? bytes.size() / 1500 : 1;
  for (size_t n = 0; n < bytes.size(); n += stride) {
    RgbImage image;
    std::string error;
    const bool ok = decodeImageMemory(bytes.data(), n, "cut", image, error);
    if (ok) {
      EXPECT_GE(n, dataEnd) << "a prefix of " << n << " bytes decoded";
      EXPECT_EQ(image.rgb.size(), size_t(image.width) * image.height * 3);
    } else {
      EXPECT_EQ(error.rfind("cut: ", 0), 0u) << error;
      EXPECT_TRUE(image.rgb.empty());
      // Once the signature is there, a prefix is a truncated file.
      if (n >= (isPng ? 8u : 3u)) {
        EXPECT_NE(error.find(isPng ? "truncated PNG" : "truncated JPEG"),
                  std::string::npos)
            << n << " bytes: " << error;
      }
    }
  }
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> damaged = bytes;
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f)
      damaged[rng() % damaged.size()] ^= uint8_t(1u << (rng() % 8));
    RgbImage image;
    std::string error;
    if (decodeImageMemory(damaged.data(), damaged.size(), "bad", image, error))
      EXPECT_EQ(image.rgb.size(), size_t(image.width) * image.height * 3);
    else
      EXPECT_EQ(error.rfind("bad: ", 0), 0u) << error;
  }
}

INSTANTIATE_TEST_SUITE_P(
    File, DecodeDamaged,
    testing::Values("jpeg_baseline420_97x61.jpg", "jpeg_progressive444_97x61.jpg",
                    "jpeg_cmyk_45x33.jpg", "jpeg_restart_97x61.jpg",
                    "png_rgb8_interlaced_45x37.png", "png_palette8_23x19.png",
                    "png_gray16_31x29.png", "png_rgba8_filters_50x20.png"),
    [](const testing::TestParamInfo<const char *> &info) {
      return stem(info.param);
    });

} // namespace
} // namespace xgenmm::image::test
