//===- FakeArtifact.cpp - artifact directories around the fake model ------===//

#include "test/runtime/FakeArtifact.h"

#include "runtime/ArtifactAbi.h"
#include "runtime/Xxh64.h"
#include "test/runtime/FakeModel.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include <sys/stat.h>

using namespace xgenmm;
using namespace xgenmm::fake;

namespace {

bool readFile(const std::string &path, std::string &bytes, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

bool writeFile(const std::string &path, const std::string &bytes,
               std::string &error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    error = path + ": cannot write";
    return false;
  }
  return true;
}

JsonValue fileEntry(const std::string &path) {
  std::string bytes, error;
  readFile(path, bytes, error); // a missing file describes as empty
  return JsonValue::object(
      {{"bytes", JsonValue::integer(static_cast<int64_t>(bytes.size()))},
       {"xxh64", JsonValue::string(runtime::formatXxh64(
                     runtime::xxh64(bytes.data(), bytes.size())))}});
}

JsonValue integer(int64_t i) { return JsonValue::integer(i); }
JsonValue string(const char *s) { return JsonValue::string(s); }

} // namespace

bool xgenmm::fake::writeArtifactFiles(const std::string &dir,
                                      std::string &error) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
    error = dir + ": " + std::strerror(errno);
    return false;
  }
  std::string model;
  if (!readFile(XGENMM_FAKE_MODEL_PATH, model, error) ||
      !writeFile(dir + "/" + abi::kModelFile, model, error))
    return false;
  std::string weights(kWeightsBytes, '\0');
  for (size_t i = 0; i < kWeightsBytes; ++i)
    weights[i] = static_cast<char>(weightByte(i));
  return writeFile(dir + "/" + abi::kWeightsFile, weights, error);
}

JsonValue xgenmm::fake::defaultManifest(const std::string &dir) {
  return JsonValue::object({
      {"format", string(abi::kFormat)},
      {"format_version", integer(abi::kFormatVersion)},
      {"model", string("fake-xgenmm")},
      {"config", JsonValue::object({})},
      {"target",
       JsonValue::object({{"kind", string("cpu")},
                          {"triple", string("x86_64-unknown-linux-gnu")},
                          {"cpu", string("x86-64")},
                          {"features", JsonValue::array({})}})},
      {"dtype", string("f32")},
      {"files",
       JsonValue::object(
           {{abi::kModelFile, fileEntry(dir + "/" + abi::kModelFile)},
            {abi::kWeightsFile, fileEntry(dir + "/" + abi::kWeightsFile)}})},
      {"encode_image",
       JsonValue::object({{"symbol", string(abi::kEncodeImageSymbol)},
                          {"image_size", integer(kImageSize)},
                          {"max_views", integer(kMaxViews)},
                          {"tokens_per_view", integer(kTokensPerView)},
                          {"width", integer(kVisionWidth)},
                          {"anyres", JsonValue::boolean(true)}})},
      {"prefill",
       JsonValue::object({{"symbol", string(abi::kPrefillSymbol)},
                          {"max_tokens", integer(kPrefillMaxTokens)}})},
      {"decode", JsonValue::object({{"symbol", string(abi::kDecodeSymbol)}})},
      {"kv_cache", JsonValue::object({{"layers", integer(kLayers)},
                                      {"capacity", integer(kCapacity)},
                                      {"width", integer(kKvWidth)},
                                      {"dtype", string("f32")}})},
      {"vocab", JsonValue::object({{"base", integer(kVocabBase)},
                                   {"logits", integer(kVocabLogits)}})},
      {"special_tokens",
       JsonValue::object({{"image", integer(kImage)},
                          {"image_placeholder", integer(kImagePlaceholder)},
                          {"endofchunk", integer(kEndOfChunk)},
                          {"bos", integer(kBos)},
                          {"eos", integer(kEos)},
                          {"pad", integer(kPad)}})},
  });
}

bool xgenmm::fake::writeManifest(const std::string &dir,
                                 const JsonValue &manifest,
                                 std::string &error) {
  return writeFile(dir + "/" + abi::kManifestFile, manifest.serialize(), error);
}

bool xgenmm::fake::writeArtifact(const std::string &dir, std::string &error) {
  return writeArtifactFiles(dir, error) &&
         writeManifest(dir, defaultManifest(dir), error);
}

JsonValue xgenmm::fake::withMember(const JsonValue &root,
                                   const std::vector<std::string> &path,
                                   const std::optional<JsonValue> &value) {
  if (path.empty())
    return value.value_or(JsonValue::null());
  std::vector<std::pair<std::string, JsonValue>> members =
      root.isObject() ? root.asObject()
                      : std::vector<std::pair<std::string, JsonValue>>{};
  const std::vector<std::string> rest(path.begin() + 1, path.end());
  bool found = false;
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->first != path[0])
      continue;
    found = true;
    if (rest.empty() && !value)
      members.erase(it);
    else
      it->second = withMember(it->second, rest, value);
    break;
  }
  if (!found && (value || !rest.empty()))
    members.emplace_back(path[0],
                         withMember(JsonValue::object({}), rest, value));
  return JsonValue::object(std::move(members));
}

std::vector<float> xgenmm::fake::fakePixels(int32_t views) {
  const int64_t perView = 3 * kImageSize * kImageSize;
  std::vector<float> pixels(static_cast<size_t>(views * perView));
  for (int32_t v = 0; v < views; ++v)
    for (int64_t i = 0; i < perView; ++i)
      pixels[v * perView + i] = (v + 1) * 0.5f + i * 0.25f;
  return pixels;
}

std::string xgenmm::fake::floatBytes(const std::vector<float> &values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string xgenmm::fake::int64Bytes(const std::vector<int64_t> &values) {
  std::string bytes(values.size() * sizeof(int64_t), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<Tensor> xgenmm::fake::imageTensors(int k, int32_t views,
                                               int64_t gridRows,
                                               int64_t gridCols, int64_t width,
                                               int64_t height) {
  const std::string name = "image" + std::to_string(k);
  return {{name,
           DType::F32,
           {views, 3, kImageSize, kImageSize},
           floatBytes(fakePixels(views))},
          {name + ".size", DType::I64, {2}, int64Bytes({width, height})},
          {name + ".grid", DType::I64, {2}, int64Bytes({gridRows, gridCols})}};
}

bool xgenmm::fake::writeSafetensors(const std::string &path,
                                    const std::vector<Tensor> &tensors,
                                    std::string &error) {
  std::vector<std::pair<std::string, JsonValue>> header;
  std::string data;
  for (const Tensor &t : tensors) {
    std::vector<JsonValue> shape;
    for (int64_t d : t.shape)
      shape.push_back(JsonValue::integer(d));
    const int64_t begin = static_cast<int64_t>(data.size());
    data += t.bytes;
    header.emplace_back(
        t.name,
        JsonValue::object(
            {{"dtype", JsonValue::string(dtypeName(t.dtype))},
             {"shape", JsonValue::array(std::move(shape))},
             {"data_offsets",
              JsonValue::array(
                  {JsonValue::integer(begin),
                   JsonValue::integer(static_cast<int64_t>(data.size()))})}}));
  }
  std::string json = JsonValue::object(std::move(header)).serialize();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((json.size() >> (8 * i)) & 0xFF);
  return writeFile(path, bytes + json + data, error);
}
