//===- ImageGoldens.cpp - the Pillow goldens of runtime/image tests -------===//

#include "test/runtime/image/ImageGoldens.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <zlib.h>

namespace xgenmm::image::test {

std::string goldensDir() { return XGENMM_IMAGE_GOLDENS_DIR; }

const Goldens &Goldens::get() {
  static const Goldens goldens = [] {
    Goldens g;
    const std::string jsonPath = goldensDir() + "/goldens.json";
    std::ifstream file(jsonPath, std::ios::binary);
    if (!file) {
      g.error_ = jsonPath + ": cannot open";
      return g;
    }
    std::ostringstream text;
    text << file.rdbuf();
    std::string problem;
    std::optional<JsonValue> json = parseJson(text.str(), problem);
    if (!json || !json->isObject()) {
      g.error_ = jsonPath + ": " + (json ? "not an object" : problem);
      return g;
    }
    g.json_ = std::move(*json);
    g.tensors_ =
        SafetensorsFile::open(goldensDir() + "/goldens.safetensors", problem);
    if (!g.tensors_)
      g.error_ = problem;
    return g;
  }();
  return goldens;
}

const std::vector<JsonValue> &Goldens::list(const char *key) const {
  static const std::vector<JsonValue> empty;
  const JsonValue *value = json_.get(key);
  return value && value->isArray() ? value->asArray() : empty;
}

const TensorInfo *Goldens::tensor(const std::string &name) const {
  return tensors_ ? tensors_->find(name) : nullptr;
}

int64_t integerField(const JsonValue &object, const char *key) {
  const JsonValue *value = object.get(key);
  return value && value->isInteger() ? value->asInteger() : 0;
}

std::string stringField(const JsonValue &object, const char *key) {
  const JsonValue *value = object.get(key);
  return value && value->isString() ? value->asString() : std::string();
}

namespace {

uint32_t mix(uint32_t h) {
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  h *= 0x297A2D39u;
  return h ^ (h >> 15);
}

} // namespace

RgbImage syntheticImage(int width, int height, int seed, int noiseBits) {
  RgbImage image = RgbImage::black(width, height);
  const uint64_t cell = 5 + uint64_t(seed) % 11;
  const uint32_t noiseMask = (1u << noiseBits) - 1;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const uint64_t ux = uint64_t(x), uy = uint64_t(y);
      const uint64_t check = (((ux / cell) + (uy / cell)) & 1) * 80;
      const uint64_t grads[3] = {
          ux * 255 / uint64_t(std::max(width - 1, 1)),
          uy * 255 / uint64_t(std::max(height - 1, 1)),
          (ux + uy) * 255 / uint64_t(std::max(width + height - 2, 1))};
      for (int c = 0; c < 3; ++c) {
        const uint32_t h = uint32_t(ux * 0x9E3779B1u) ^ uint32_t(uy * 0x85EBCA77u) ^
                           uint32_t(uint64_t(c) * 0xC2B2AE3Du) ^
                           uint32_t(uint64_t(seed) * 0x27D4EB2Fu);
        const uint64_t noise = mix(h) & noiseMask;
        image.row(y)[3 * x + c] = uint8_t((grads[c] + check + noise) & 255);
      }
    }
  }
  return image;
}

bool buildSynthetic(const std::string &name, RgbImage &out,
                    std::string &error) {
  const JsonValue *all = Goldens::get().json().get("synthetic");
  const JsonValue *spec = all ? all->get(name) : nullptr;
  if (!spec) {
    error = "no synthetic image '" + name + "' in goldens.json";
    return false;
  }
  out = syntheticImage(int(integerField(*spec, "width")),
                       int(integerField(*spec, "height")),
                       int(integerField(*spec, "seed")),
                       int(integerField(*spec, "noise_bits")));
  return true;
}

std::array<int, 3> samplePosition(int seed, int k, int width, int height,
                                  int views) {
  const uint32_t h1 = mix(uint32_t(uint64_t(k) * 0x9E3779B1u +
                                   uint64_t(seed) * 0x85EBCA77u));
  const uint32_t h2 = mix(h1 ^ 0x5BD1E995u);
  const uint32_t h3 = mix(h2 ^ 0x5BD1E995u);
  return {int(h3 % uint32_t(views)), int(h1 % uint32_t(width)),
          int(h2 % uint32_t(height))};
}

uint32_t crc32Of(const void *data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto *bytes = static_cast<const Bytef *>(data);
  while (size > 0) {
    const uInt chunk = size > (1u << 30) ? (1u << 30) : uInt(size);
    crc = crc32(crc, bytes, chunk);
    bytes += chunk;
    size -= chunk;
  }
  return uint32_t(crc);
}

std::string comparePixels(const JsonValue &record, const RgbImage &actual) {
  std::ostringstream out;
  const int64_t width = integerField(record, "width");
  const int64_t height = integerField(record, "height");
  if (actual.width != width || actual.height != height) {
    out << "size " << actual.width << " x " << actual.height << ", expected "
        << width << " x " << height;
    return out.str();
  }
  const Goldens &goldens = Goldens::get();
  int maxDiff = 0;
  size_t differing = 0;
  std::string first;
  auto note = [&](int x, int y, int c, int got, int want) {
    const int diff = std::abs(got - want);
    if (diff == 0)
      return;
    maxDiff = std::max(maxDiff, diff);
    if (differing++ == 0) {
      std::ostringstream where;
      where << " first at x=" << x << " y=" << y << " c=" << c << ": " << got
            << " vs Pillow's " << want;
      first = where.str();
    }
  };
  if (const std::string name = stringField(record, "tensor"); !name.empty()) {
    const TensorInfo *t = goldens.tensor(name);
    if (!t || t->byteSize() != actual.rgb.size())
      return "golden tensor '" + name + "' missing or of another size";
    for (int y = 0; y < actual.height; ++y)
      for (int x = 0; x < actual.width; ++x)
        for (int c = 0; c < 3; ++c) {
          const size_t i = (size_t(y) * actual.width + x) * 3 + c;
          note(x, y, c, actual.rgb[i], t->data[i]);
        }
  } else {
    const std::string samples = stringField(record, "samples_tensor");
    const TensorInfo *t = goldens.tensor(samples);
    if (!t || t->shape.size() != 2 || t->shape[1] != 3)
      return "golden samples '" + samples + "' missing or malformed";
    const int seed = int(integerField(record, "sample_seed"));
    for (int64_t k = 0; k < t->shape[0]; ++k) {
      const std::array<int, 3> p =
          samplePosition(seed, int(k), actual.width, actual.height, 1);
      for (int c = 0; c < 3; ++c)
        note(p[1], p[2], c, actual.row(p[2])[3 * p[1] + c], t->data[3 * k + c]);
    }
  }
  const uint32_t crc = crc32Of(actual.rgb.data(), actual.rgb.size());
  if (differing == 0 && crc == uint32_t(integerField(record, "crc32")))
    return "";
  out << "max |difference| " << maxDiff << " in " << differing
      << " compared values," << first << "; CRC32 " << crc << " vs "
      << integerField(record, "crc32");
  return out.str();
}

} // namespace xgenmm::image::test
