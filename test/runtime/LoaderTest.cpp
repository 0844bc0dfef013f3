//===- LoaderTest.cpp - loading artifacts and every way it can fail
//--------===//

#include "runtime/CpuFeatures.h"
#include "runtime/xgenmm.h"
#include "test/runtime/FakeArtifact.h"
#include "test/runtime/FakeModel.h"
#include "test/runtime/TempDir.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

using namespace xgenmm;
using namespace xgenmm::fake;

namespace {

using Path = std::vector<std::string>;

class LoaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(writeArtifact(dir_.path(), error)) << error;
  }

  /// Rewrites manifest.json as the default one with `path` set to `value`
  /// (removed if nullopt).
  void editManifest(const Path &path, const std::optional<JsonValue> &value) {
    std::string error;
    ASSERT_TRUE(writeManifest(
        dir_.path(), withMember(defaultManifest(dir_.path()), path, value),
        error))
        << error;
  }

  /// Loads the artifact, expecting failure with `status` and a message that
  /// contains each of `fragments`.
  void expectLoadError(xgenmm_status status,
                       const std::vector<std::string> &fragments) {
    xgenmm_model *model = xgenmm_load(dir_.path().c_str());
    EXPECT_EQ(model, nullptr);
    xgenmm_free(model);
    EXPECT_EQ(xgenmm_last_status(), status)
        << xgenmm_status_name(xgenmm_last_status()) << ": "
        << xgenmm_last_error();
    for (const std::string &fragment : fragments)
      EXPECT_NE(std::string(xgenmm_last_error()).find(fragment),
                std::string::npos)
          << "message: " << xgenmm_last_error() << "\nlacks: " << fragment;
  }

  void appendTo(const std::string &file, const std::string &bytes) {
    std::ofstream out(dir_ / file, std::ios::binary | std::ios::app);
    out << bytes;
  }

  void overwriteByte(const std::string &file, long offset) {
    std::fstream f(dir_ / file,
                   std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(offset);
    char c = static_cast<char>(f.get());
    f.seekp(offset);
    f.put(static_cast<char>(c ^ 0x55));
  }

  TempDir dir_;
};

TEST_F(LoaderTest, LoadsTheFakeArtifact) {
  xgenmm_model *model = xgenmm_load(dir_.path().c_str());
  ASSERT_NE(model, nullptr) << xgenmm_last_error();
  const xgenmm_model_info *info = xgenmm_model_get_info(model);
  ASSERT_NE(info, nullptr);
  EXPECT_STREQ(info->name, "fake-xgenmm");
  EXPECT_EQ(info->n_vocab, kVocabLogits);
  EXPECT_EQ(info->n_vocab_base, kVocabBase);
  EXPECT_EQ(info->n_ctx, kCapacity);
  EXPECT_EQ(info->n_prefill_max, kPrefillMaxTokens);
  EXPECT_EQ(info->n_embd, kVisionWidth);
  EXPECT_EQ(info->image_size, kImageSize);
  EXPECT_EQ(info->max_views, kMaxViews);
  EXPECT_EQ(info->tokens_per_view, kTokensPerView);
  EXPECT_EQ(info->anyres, 1);
  EXPECT_EQ(info->token_image, kImage);
  EXPECT_EQ(info->token_image_placeholder, kImagePlaceholder);
  EXPECT_EQ(info->token_endofchunk, kEndOfChunk);
  EXPECT_EQ(info->token_bos, kBos);
  EXPECT_EQ(info->token_eos, kEos);
  EXPECT_EQ(info->token_pad, kPad);
  xgenmm_free(model);
}

TEST_F(LoaderTest, UnknownMembersAreIgnored) {
  editManifest({"tokenizer"}, JsonValue::string("later"));
  editManifest({"kv_cache", "layout"}, JsonValue::string("lhw"));
  xgenmm_model *model = xgenmm_load(dir_.path().c_str());
  EXPECT_NE(model, nullptr) << xgenmm_last_error();
  xgenmm_free(model);
}

TEST_F(LoaderTest, MissingDirectory) {
  std::string missing = dir_ / "nope";
  EXPECT_EQ(xgenmm_load(missing.c_str()), nullptr);
  EXPECT_EQ(xgenmm_last_status(), XGENMM_ERROR_IO);
  EXPECT_NE(std::string(xgenmm_last_error()).find(missing), std::string::npos);
}

TEST_F(LoaderTest, FileInsteadOfDirectory) {
  std::string file = dir_ / "weights.bin";
  EXPECT_EQ(xgenmm_load(file.c_str()), nullptr);
  EXPECT_EQ(xgenmm_last_status(), XGENMM_ERROR_IO);
  EXPECT_NE(std::string(xgenmm_last_error()).find("not a directory"),
            std::string::npos);
}

TEST_F(LoaderTest, NullDirectory) {
  EXPECT_EQ(xgenmm_load(nullptr), nullptr);
  EXPECT_EQ(xgenmm_last_status(), XGENMM_ERROR_INVALID_ARGUMENT);
}

class MissingFileTest : public LoaderTest,
                        public ::testing::WithParamInterface<const char *> {};

TEST_P(MissingFileTest, NamesTheMissingFile) {
  ASSERT_EQ(std::remove((dir_ / GetParam()).c_str()), 0);
  expectLoadError(XGENMM_ERROR_IO, {std::string("has no ") + GetParam()});
}

INSTANTIATE_TEST_SUITE_P(EachFile, MissingFileTest,
                         ::testing::Values("manifest.json", "model.so",
                                           "weights.bin"));

TEST_F(LoaderTest, ManifestThatIsNotJson) {
  std::ofstream(dir_ / "manifest.json") << "{\"format\": \"xgenmm-artifact\",";
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT, {"manifest.json", "at byte"});
}

TEST_F(LoaderTest, ManifestThatIsNotAnObject) {
  std::ofstream(dir_ / "manifest.json") << "[1, 2]";
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT, {"manifest.json", "an array"});
}

TEST_F(LoaderTest, AnotherFormat) {
  editManifest({"format"}, JsonValue::string("onnx"));
  expectLoadError(XGENMM_ERROR_UNSUPPORTED, {"'format'", "\"onnx\""});
}

TEST_F(LoaderTest, AnotherFormatVersion) {
  editManifest({"format_version"}, JsonValue::integer(2));
  expectLoadError(XGENMM_ERROR_UNSUPPORTED,
                  {"'format_version' is 2", "reads format version 1"});
}

TEST_F(LoaderTest, FormatVersionOfAnotherType) {
  editManifest({"format_version"}, JsonValue::string("1"));
  expectLoadError(XGENMM_ERROR_UNSUPPORTED, {"'format_version' is \"1\""});
}

TEST_F(LoaderTest, VersionIsCheckedBeforeOtherFields) {
  JsonValue manifest = withMember(
      withMember(defaultManifest(dir_.path()), {"kv_cache"}, std::nullopt),
      {"format_version"}, JsonValue::integer(7));
  std::string error;
  ASSERT_TRUE(writeManifest(dir_.path(), manifest, error)) << error;
  expectLoadError(XGENMM_ERROR_UNSUPPORTED, {"'format_version' is 7"});
}

// Every field the runtime reads: missing, and of the wrong type.
class ManifestFieldTest : public LoaderTest,
                          public ::testing::WithParamInterface<Path> {
protected:
  std::string dotted() const {
    std::string s;
    for (const std::string &key : GetParam())
      s += (s.empty() ? "" : ".") + key;
    return s;
  }
};

TEST_P(ManifestFieldTest, Missing) {
  editManifest(GetParam(), std::nullopt);
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"manifest.json: '" + dotted() + "' is missing"});
}

TEST_P(ManifestFieldTest, WrongType) {
  // No field of the manifest is an array of arrays.
  editManifest(GetParam(), JsonValue::array({JsonValue::array({})}));
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT, {"'" + dotted(), "is an array"});
}

INSTANTIATE_TEST_SUITE_P(
    EachField, ManifestFieldTest,
    ::testing::Values(
        Path{"format"}, Path{"model"}, Path{"config"}, Path{"target"},
        Path{"target", "kind"}, Path{"target", "triple"}, Path{"target", "cpu"},
        Path{"target", "features"}, Path{"dtype"}, Path{"files"},
        Path{"files", "model.so"}, Path{"files", "model.so", "bytes"},
        Path{"files", "model.so", "xxh64"},
        Path{"files", "weights.bin", "bytes"},
        Path{"files", "weights.bin", "xxh64"}, Path{"encode_image", "symbol"},
        Path{"encode_image", "image_size"}, Path{"encode_image", "max_views"},
        Path{"encode_image", "tokens_per_view"}, Path{"encode_image", "width"},
        Path{"encode_image", "anyres"}, Path{"prefill", "symbol"},
        Path{"prefill", "max_tokens"}, Path{"decode", "symbol"},
        Path{"kv_cache", "layers"}, Path{"kv_cache", "capacity"},
        Path{"kv_cache", "width"}, Path{"kv_cache", "dtype"},
        Path{"vocab", "base"}, Path{"vocab", "logits"},
        Path{"special_tokens", "image"},
        Path{"special_tokens", "image_placeholder"},
        Path{"special_tokens", "endofchunk"}, Path{"special_tokens", "bos"},
        Path{"special_tokens", "eos"}, Path{"special_tokens", "pad"}),
    [](const ::testing::TestParamInfo<Path> &info) {
      std::string name;
      for (const std::string &key : info.param) {
        name += name.empty() ? "" : "_";
        for (char c : key)
          name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
      return name;
    });

struct BadValue {
  const char *name;
  Path path;
  JsonValue value;
  std::string fragment; // expected in the message
};

void PrintTo(const BadValue &bad, std::ostream *os) { *os << bad.name; }

class ManifestValueTest : public LoaderTest,
                          public ::testing::WithParamInterface<BadValue> {};

TEST_P(ManifestValueTest, IsRejectedNamingTheField) {
  editManifest(GetParam().path, GetParam().value);
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT, {GetParam().fragment});
}

INSTANTIATE_TEST_SUITE_P(
    Values, ManifestValueTest,
    ::testing::Values(
        BadValue{"dtype",
                 {"dtype"},
                 JsonValue::string("f16"),
                 "'dtype' is \"f16\", expected one of \"f32\", \"bf16\""},
        BadValue{"feature",
                 {"target", "features"},
                 JsonValue::array({JsonValue::string("avx2"),
                                   JsonValue::integer(3)}),
                 "'target.features[1]' is a number"},
        BadValue{"bytes",
                 {"files", "weights.bin", "bytes"},
                 JsonValue::integer(-1),
                 "'files.weights.bin.bytes' is -1"},
        BadValue{"hash",
                 {"files", "model.so", "xxh64"},
                 JsonValue::string("12ab"),
                 "'files.model.so.xxh64' is \"12ab\", expected 16 hex digits"},
        BadValue{"hashDigits",
                 {"files", "model.so", "xxh64"},
                 JsonValue::string("0123456789abcdeg"),
                 "expected 16 hex digits"},
        BadValue{"symbol",
                 {"prefill", "symbol"},
                 JsonValue::string(""),
                 "'prefill.symbol' is empty"},
        BadValue{"imageSize",
                 {"encode_image", "image_size"},
                 JsonValue::integer(0),
                 "'encode_image.image_size' is 0, expected an integer in [1, "},
        BadValue{"views",
                 {"encode_image", "max_views"},
                 JsonValue::number(2.5),
                 "'encode_image.max_views' is a number, expected an integer"},
        BadValue{"baseViews",
                 {"encode_image", "anyres"},
                 JsonValue::boolean(false),
                 "'encode_image.max_views' is 5, expected 1 (anyres is false"},
        BadValue{"capacity",
                 {"kv_cache", "capacity"},
                 JsonValue::integer(0),
                 "'kv_cache.capacity' is 0"},
        BadValue{"capacityLarge",
                 {"kv_cache", "capacity"},
                 JsonValue::integer(int64_t{1} << 31),
                 "'kv_cache.capacity' is 2147483648"},
        BadValue{"kvBytes",
                 {"kv_cache"},
                 JsonValue::object({{"layers", JsonValue::integer(2147483647)},
                                    {"capacity", JsonValue::integer(40)},
                                    {"width", JsonValue::integer(2147483647)},
                                    {"dtype", JsonValue::string("f32")}}),
                 "'kv_cache' layers x capacity x width x element bytes"},
        BadValue{"kvDtype",
                 {"kv_cache", "dtype"},
                 JsonValue::string("f16"),
                 "'kv_cache.dtype' is \"f16\", expected one of \"f32\", \"bf16\", \"int8\""},
        BadValue{"logits",
                 {"vocab", "logits"},
                 JsonValue::integer(15),
                 "'vocab.logits' is 15, expected an integer in [16, "},
        BadValue{"token",
                 {"special_tokens", "eos"},
                 JsonValue::integer(19),
                 "'special_tokens.eos' is 19, expected an integer in [0, 18]"},
        BadValue{"negativeToken",
                 {"special_tokens", "bos"},
                 JsonValue::integer(-1),
                 "'special_tokens.bos' is -1"},
        BadValue{
            "placeholder",
            {"special_tokens", "image_placeholder"},
            JsonValue::integer(kImage),
            "'special_tokens.image_placeholder' equals special_tokens.image"},
        BadValue{"config",
                 {"config"},
                 JsonValue::string("{}"),
                 "'config' is a string, expected an object"}),
    [](const ::testing::TestParamInfo<BadValue> &info) {
      return info.param.name;
    });

TEST_F(LoaderTest, WeightsOfAnotherSize) {
  appendTo("weights.bin", "x");
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"weights.bin: " + std::to_string(kWeightsBytes + 1) +
                   " bytes, but manifest.json says " +
                   std::to_string(kWeightsBytes)});
}

TEST_F(LoaderTest, ModelOfAnotherSize) {
  appendTo("model.so", "trailing");
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"model.so: ", "bytes, but manifest.json"});
}

TEST_F(LoaderTest, CorruptWeights) {
  overwriteByte("weights.bin", 100);
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"weights.bin: XXH64 is ", "but manifest.json says"});
}

TEST_F(LoaderTest, ChecksumOfAnotherModel) {
  editManifest({"files", "model.so", "xxh64"},
               JsonValue::string("0123456789ABCDEF"));
  expectLoadError(
      XGENMM_ERROR_BAD_ARTIFACT,
      {"model.so: XXH64 is ", "manifest.json says 0123456789abcdef"});
}

TEST_F(LoaderTest, ModelThatIsNoSharedObject) {
  // With a manifest that matches it: only dlopen can tell.
  std::ofstream(dir_ / "model.so", std::ios::trunc) << "not an ELF file";
  std::string error;
  ASSERT_TRUE(writeManifest(dir_.path(), defaultManifest(dir_.path()), error))
      << error;
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT, {"model.so: cannot load"});
}

TEST_F(LoaderTest, MissingEntryPoint) {
  editManifest({"decode", "symbol"},
               JsonValue::string("xgenmm_no_such_symbol"));
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"no symbol 'xgenmm_no_such_symbol'", "'decode.symbol'"});
}

TEST_F(LoaderTest, AnotherTargetKind) {
  editManifest({"target", "kind"}, JsonValue::string("tpu"));
  expectLoadError(XGENMM_ERROR_UNSUPPORTED, {"'target.kind' is \"tpu\""});
}

TEST_F(LoaderTest, AnotherArchitecture) {
  editManifest({"target", "triple"},
               JsonValue::string("riscv64-unknown-linux-gnu"));
  expectLoadError(XGENMM_ERROR_UNSUPPORTED, {"'target.triple'", "riscv64"});
}

// The fake model.so has no OpenMP runtime: no thread control, said so.
TEST_F(LoaderTest, ThreadsWithoutThreadControl) {
  xgenmm_model *model = xgenmm_load(dir_.path().c_str());
  ASSERT_NE(model, nullptr) << xgenmm_last_error();
  EXPECT_EQ(xgenmm_set_threads(model, 0), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(xgenmm_last_error()).find("at least 1, got 0"), std::string::npos);
  EXPECT_EQ(xgenmm_set_threads(model, 2), XGENMM_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(xgenmm_last_error()).find("no thread control"), std::string::npos);
  EXPECT_EQ(xgenmm_set_threads(nullptr, 2), XGENMM_ERROR_INVALID_ARGUMENT);
  xgenmm_free(model);
}

TEST_F(LoaderTest, FeaturesTheHostHas) {
  editManifest(
      {"target", "features"},
      JsonValue::array({JsonValue::string("sse2"), JsonValue::string("64bit"),
                        JsonValue::string("cx8")}));
  xgenmm_model *model = xgenmm_load(dir_.path().c_str());
  EXPECT_NE(model, nullptr) << xgenmm_last_error();
  xgenmm_free(model);
}

TEST_F(LoaderTest, UnknownFeatureCountsAsMissing) {
  editManifest({"target", "features"},
               JsonValue::array({JsonValue::string("sse2"),
                                 JsonValue::string("+avx9000"),
                                 JsonValue::string("quantum")}));
  expectLoadError(XGENMM_ERROR_UNSUPPORTED,
                  {"'target.features'", "does not know", "+avx9000, quantum"});
}

TEST_F(LoaderTest, FeatureTheHostLacks) {
  // Each of these is absent from some widespread CPU family: the AMD-only
  // XOP/FMA4/TBM from every Intel and recent AMD CPU, AMX from every AMD
  // and older Intel CPU.
  std::string lacking;
  for (const char *f : {"xop", "fma4", "tbm", "amx-tile", "avx512vp2intersect",
                        "avx512fp16", "amx-complex"})
    if (runtime::hostHasCpuFeature(f) == std::optional<bool>(false)) {
      lacking = f;
      break;
    }
  if (lacking.empty())
    GTEST_SKIP() << "this CPU has every candidate feature";
  editManifest({"target", "features"},
               JsonValue::array(
                   {JsonValue::string("sse2"), JsonValue::string(lacking)}));
  expectLoadError(
      XGENMM_ERROR_UNSUPPORTED,
      {"compiled for CPU 'x86-64'", "this host's CPU lacks " + lacking});
}

TEST(CpuFeatures, KnowsTheLlvmNames) {
  for (const char *f : {"sse2", "64bit", "cx8", "fxsr", "x87"})
    EXPECT_EQ(runtime::hostHasCpuFeature(f), std::optional<bool>(true)) << f;
  for (const char *f : {"avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                        "avx512dq", "avx512bf16", "avx512vnni", "f16c", "bmi2",
                        "sse4.2", "crc32", "evex512", "avx10.1", "amx-tile"})
    EXPECT_TRUE(runtime::hostHasCpuFeature(f).has_value()) << f;
  EXPECT_EQ(runtime::hostHasCpuFeature("avx3"), std::nullopt);
  EXPECT_EQ(runtime::hostHasCpuFeature("+avx2"), std::nullopt);
  EXPECT_EQ(runtime::hostHasCpuFeature(""), std::nullopt);
}

TEST(CpuFeatures, ImpliedFeaturesAreConsistent) {
  auto has = [](const char *f) {
    return runtime::hostHasCpuFeature(f).value();
  };
  EXPECT_EQ(has("crc32"), has("sse4.2"));
  EXPECT_EQ(has("evex512"), has("avx512f"));
  EXPECT_TRUE(!has("avx512f") || has("avx2"));
  EXPECT_TRUE(!has("avx2") || has("avx"));
}

} // namespace

// --- "inputs": the tokenizer and preprocessor files of the checkpoint ---

namespace {

JsonValue inputs(std::vector<JsonValue> tokenizer, JsonValue preprocessor) {
  return JsonValue::object({{"tokenizer", JsonValue::array(std::move(tokenizer))},
                            {"preprocessor", std::move(preprocessor)}});
}

TEST_F(LoaderTest, InputsWithoutTokenizerOrPreprocessorLoad) {
  editManifest({"inputs"}, inputs({}, JsonValue::null()));
  xgenmm_model *model = xgenmm_load(dir_.path().c_str());
  ASSERT_NE(model, nullptr) << xgenmm_last_error();
  EXPECT_EQ(xgenmm_model_get_info(model)->has_tokenizer, 0);
  int32_t n = 0;
  EXPECT_EQ(xgenmm_tokenize(model, "hi", nullptr, 0, &n),
            XGENMM_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(xgenmm_last_error()).find("has no tokenizer"),
            std::string::npos);
  xgenmm_free(model);
}

TEST_F(LoaderTest, InputsMustNameTokenizerFiles) {
  editManifest({"inputs"},
               inputs({JsonValue::string("vocab.txt")}, JsonValue::null()));
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"'inputs.tokenizer[0]' is \"vocab.txt\""});
  editManifest({"inputs"}, inputs({JsonValue::string("tokenizer_config.json")},
                                  JsonValue::null()));
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"'inputs.tokenizer' lists no tokenizer.model"});
  editManifest({"inputs"}, inputs({}, JsonValue::string("preprocessor.json")));
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT, {"'inputs.preprocessor'"});
}

TEST_F(LoaderTest, InputFilesNeedAFilesEntry) {
  editManifest({"inputs"},
               inputs({}, JsonValue::string("preprocessor_config.json")));
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"'files.preprocessor_config.json' is missing"});
}

TEST_F(LoaderTest, InputFilesAreCheckedLikeTheOthers) {
  appendTo("preprocessor_config.json", "{\"size\": [8, 8]}");
  JsonValue manifest = withMember(
      defaultManifest(dir_.path()), {"inputs"},
      inputs({}, JsonValue::string("preprocessor_config.json")));
  manifest = withMember(manifest, {"files", "preprocessor_config.json"},
                        JsonValue::object({{"bytes", JsonValue::integer(3)},
                                           {"xxh64", JsonValue::string(
                                                         "0123456789abcdef")}}));
  std::string error;
  ASSERT_TRUE(writeManifest(dir_.path(), manifest, error)) << error;
  expectLoadError(XGENMM_ERROR_BAD_ARTIFACT,
                  {"preprocessor_config.json: 16 bytes, but manifest.json says 3"});
  std::remove((dir_ / "preprocessor_config.json").c_str());
  expectLoadError(XGENMM_ERROR_IO, {"preprocessor_config.json"});
}

} // namespace
