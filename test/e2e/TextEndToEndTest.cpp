//===- TextEndToEndTest.cpp - image files and text prompts, end to end ----===//
//
// The fixture with a tokenizer (test/fixtures/tiny_text_fp32, made by
// test/reference/make_fixtures.py with transformers 4.41.1 and Pillow 10.4.0)
// compiled by xgenmm-compile and run through the C API from image files and
// text: the preprocessed pixels, the vision tokens, the prompt ids of every
// template, the greedy ids (with the stop on <|end|>) and the streamed text
// must be the reference's. Then the bad inputs: a missing or corrupt image,
// <image> tags that do not match the images, text for an artifact without
// a tokenizer, a prompt longer than the context.
//
//===----------------------------------------------------------------------===//
#include "frontend/Json.h"
#include "frontend/Safetensors.h"
#include "runtime/image/AnyresPreprocess.h"
#include "runtime/image/ImageDecoder.h"
#include "runtime/tokenizer/Utf8.h"
#include "runtime/xgenmm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace xgenmm;

const char *kFixture = "tiny_text_fp32";

std::string fixtureDir() {
  return std::string(XGENMM_FIXTURES_DIR) + "/" + kFixture;
}
std::string artifactDir() {
  return std::string(XGENMM_E2E_ARTIFACTS) + "/" + kFixture + "-f32";
}

/// goldens.json and goldens.safetensors of the text fixture, read once.
class TextGoldens {
public:
  static const TextGoldens &get() {
    static TextGoldens goldens;
    return goldens;
  }
  const JsonValue &json() const { return json_; }
  const TensorInfo *tensor(const std::string &name) const {
    return file_ ? file_->find(name) : nullptr;
  }
  std::vector<float> floats(const std::string &name) const {
    const TensorInfo *t = tensor(name);
    std::vector<float> v;
    if (t && t->dtype == DType::F32) {
      v.resize(size_t(t->numElements()));
      std::memcpy(v.data(), t->data, t->byteSize());
    }
    return v;
  }

private:
  TextGoldens() {
    std::string error;
    file_ = SafetensorsFile::open(fixtureDir() + "/goldens.safetensors", error);
    std::ifstream in(fixtureDir() + "/goldens.json");
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto json = parseJson(ss.str(), error))
      json_ = *json;
  }
  std::unique_ptr<SafetensorsFile> file_;
  JsonValue json_;
};

std::vector<int32_t> intList(const JsonValue *v) {
  std::vector<int32_t> out;
  if (v && v->isArray())
    for (const JsonValue &x : v->asArray())
      out.push_back(int32_t(x.asInteger()));
  return out;
}
std::string str(const JsonValue &v, const char *key) {
  const JsonValue *s = v.get(key);
  return s && s->isString() ? s->asString() : std::string();
}
const std::vector<JsonValue> &array(const char *key) {
  static const std::vector<JsonValue> empty;
  const JsonValue *v = TextGoldens::get().json().get(key);
  return v && v->isArray() ? v->asArray() : empty;
}
std::string imagePath(int index) {
  return fixtureDir() + "/images/" + str(array("images")[size_t(index)], "file");
}

struct ModelDeleter {
  void operator()(xgenmm_model *m) const { xgenmm_free(m); }
};
struct SessionDeleter {
  void operator()(xgenmm_session *s) const { xgenmm_session_free(s); }
};
using ModelPtr = std::unique_ptr<xgenmm_model, ModelDeleter>;

/// Releases an image the runtime filled.
struct Image {
  xgenmm_image image = {};
  ~Image() { xgenmm_image_release(&image); }
};

class TextEndToEnd : public testing::Test {
protected:
  static void SetUpTestSuite() {
    model_.reset(xgenmm_load(artifactDir().c_str()));
    ASSERT_TRUE(model_) << xgenmm_last_error();
  }
  static void TearDownTestSuite() { model_.reset(); }
  xgenmm_model *model() { return model_.get(); }
  static ModelPtr model_;
};
ModelPtr TextEndToEnd::model_;

xgenmm_prompt_format formatOf(const std::string &name) {
  return name == "instruct" ? XGENMM_PROMPT_INSTRUCT
         : name == "base"   ? XGENMM_PROMPT_BASE
                            : XGENMM_PROMPT_RAW;
}

TEST_F(TextEndToEnd, TheArtifactCarriesTheTokenizer) {
  const xgenmm_model_info *info = xgenmm_model_get_info(model());
  const JsonValue *ids = TextGoldens::get().json().get("token_ids");
  ASSERT_TRUE(ids);
  EXPECT_EQ(info->has_tokenizer, 1);
  EXPECT_EQ(info->token_end, ids->get("<|end|>")->asInteger());
  EXPECT_EQ(info->token_image, ids->get("<image>")->asInteger());
  EXPECT_EQ(xgenmm_default_prompt_format(model()), XGENMM_PROMPT_INSTRUCT);
  // The default stop tokens are the reference's: <|endoftext|> and <|end|>.
  xgenmm_generate_params params = xgenmm_generate_default_params(model());
  std::vector<int32_t> stops(params.stop_tokens,
                             params.stop_tokens + params.n_stop_tokens);
  std::vector<int32_t> expected =
      intList(TextGoldens::get().json().get("stop_ids"));
  std::sort(stops.begin(), stops.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(stops, expected);
}

TEST_F(TextEndToEnd, ImageFilesGiveTheReferencePixels) {
  const auto &images = array("images");
  ASSERT_GE(images.size(), 4u);
  int orderSensitive = 0;
  for (size_t k = 0; k < images.size(); ++k) {
    SCOPED_TRACE(str(images[k], "file"));
    Image image;
    ASSERT_EQ(xgenmm_image_load_file(model(), imagePath(int(k)).c_str(),
                                     &image.image),
              XGENMM_OK)
        << xgenmm_last_error();
    const JsonValue &meta = images[k];
    EXPECT_EQ(image.image.width, meta.get("size_wh")->asArray()[0].asInteger());
    EXPECT_EQ(image.image.height, meta.get("size_wh")->asArray()[1].asInteger());
    EXPECT_EQ(image.image.grid_rows, meta.get("nph")->asInteger());
    EXPECT_EQ(image.image.grid_cols, meta.get("npw")->asInteger());
    EXPECT_EQ(image.image.n_views, meta.get("num_views")->asInteger());
    std::vector<float> golden =
        TextGoldens::get().floats("image" + std::to_string(k) + ".pixel_values");
    ASSERT_EQ(golden.size(), size_t(image.image.n_views) * 3 *
                                 xgenmm_model_get_info(model())->image_size *
                                 xgenmm_model_get_info(model())->image_size);
    // Bit-identical: the same uint8 views, the same float arithmetic.
    EXPECT_EQ(std::memcmp(golden.data(), image.image.pixels,
                          golden.size() * sizeof(float)),
              0);

    // The test tells the pass orders apart: Pillow 13's gives other pixels
    // for the images the reference marks.
    if (meta.get("pillow13_order_differs")->asBool()) {
      ++orderSensitive;
      image::PreprocessConfig config;
      std::string error;
      ASSERT_TRUE(image::loadPreprocessConfig(
          artifactDir() + "/preprocessor_config.json", config, error))
          << error;
      config.passOrder = image::PassOrder::Pillow13;
      image::RgbImage rgb;
      ASSERT_TRUE(image::decodeImageFile(imagePath(int(k)), rgb, error));
      image::Preprocessed other;
      ASSERT_TRUE(image::preprocessAnyres(rgb, config, other, error));
      ASSERT_EQ(other.pixels.size(), golden.size());
      EXPECT_NE(std::memcmp(golden.data(), other.pixels.data(),
                            golden.size() * sizeof(float)),
                0);
    }
  }
  EXPECT_GE(orderSensitive, 1);
}

TEST_F(TextEndToEnd, DecodedRgbBuffersGiveTheSamePixels) {
  for (int k : {0, 2}) {
    image::RgbImage rgb;
    std::string error;
    ASSERT_TRUE(image::decodeImageFile(imagePath(k), rgb, error)) << error;
    // Rows 5 bytes apart from each other beyond the pixels.
    const size_t stride = size_t(rgb.width) * 3 + 5;
    std::vector<uint8_t> padded(stride * size_t(rgb.height), 0xAB);
    for (int y = 0; y < rgb.height; ++y)
      std::memcpy(padded.data() + size_t(y) * stride, rgb.row(y),
                  size_t(rgb.width) * 3);
    Image image;
    ASSERT_EQ(xgenmm_image_load_rgb(model(), padded.data(), rgb.width,
                                    rgb.height, stride, &image.image),
              XGENMM_OK)
        << xgenmm_last_error();
    std::vector<float> golden =
        TextGoldens::get().floats("image" + std::to_string(k) + ".pixel_values");
    ASSERT_EQ(golden.size(), size_t(image.image.n_views) * 3 *
                                 xgenmm_model_get_info(model())->image_size *
                                 xgenmm_model_get_info(model())->image_size);
    EXPECT_EQ(std::memcmp(golden.data(), image.image.pixels,
                          golden.size() * sizeof(float)),
              0)
        << "image " << k;
  }
}

TEST_F(TextEndToEnd, VisionTokensOfImageFilesMatchTheReference) {
  std::unique_ptr<xgenmm_session, SessionDeleter> session(
      xgenmm_session_new(model()));
  ASSERT_TRUE(session);
  const xgenmm_model_info *info = xgenmm_model_get_info(model());
  for (size_t k = 0; k < array("images").size(); ++k) {
    Image image;
    ASSERT_EQ(xgenmm_image_load_file(model(), imagePath(int(k)).c_str(),
                                     &image.image),
              XGENMM_OK);
    std::vector<float> tokens(size_t(image.image.n_views) *
                              info->tokens_per_view * info->n_embd);
    ASSERT_EQ(xgenmm_encode_image(session.get(), &image.image, tokens.data(),
                                  tokens.size()),
              XGENMM_OK)
        << xgenmm_last_error();
    std::vector<float> golden =
        TextGoldens::get().floats("image" + std::to_string(k) + ".vision_tokens");
    ASSERT_EQ(golden.size(), tokens.size());
    double maxError = 0, maxGolden = 0;
    for (size_t i = 0; i < golden.size(); ++i) {
      maxError = std::max(maxError, double(std::fabs(tokens[i] - golden[i])));
      maxGolden = std::max(maxGolden, double(std::fabs(golden[i])));
    }
    EXPECT_LE(maxError, 1e-4 * maxGolden) << "image " << k;
  }
}

TEST_F(TextEndToEnd, PromptIdsMatchTheReferenceTokenizer) {
  for (const JsonValue &c : array("cases")) {
    SCOPED_TRACE(str(c, "name"));
    const JsonValue *system = c.get("system");
    std::vector<int32_t> expected = intList(c.get("prompt_ids"));
    std::vector<int32_t> ids(expected.size() + 8);
    int32_t n = 0;
    ASSERT_EQ(xgenmm_tokenize_prompt(
                  model(), str(c, "text").c_str(), formatOf(str(c, "format")),
                  system && system->isString() ? system->asString().c_str()
                                               : nullptr,
                  int32_t(c.get("images")->asArray().size()), ids.data(),
                  int32_t(ids.size()), &n),
              XGENMM_OK)
        << xgenmm_last_error();
    ids.resize(size_t(n));
    EXPECT_EQ(ids, expected);
    // The formatted prompt string, tokenized as raw text, gives the same ids.
    ids.assign(expected.size() + 8, 0);
    ASSERT_EQ(xgenmm_tokenize(model(), str(c, "prompt").c_str(), ids.data(),
                              int32_t(ids.size()), &n),
              XGENMM_OK);
    ids.resize(size_t(n));
    EXPECT_EQ(ids, expected);
  }
}

struct Collected {
  xgenmm_detokenizer *detokenizer;
  const std::vector<int32_t> *stops;
  std::string text;
  bool badUtf8 = false;
};

int collect(xgenmm_token token, void *data) {
  auto &c = *static_cast<Collected *>(data);
  if (std::find(c.stops->begin(), c.stops->end(), token) != c.stops->end())
    return 0;
  const char *piece = xgenmm_detokenizer_push(c.detokenizer, token);
  if (!piece)
    return 1;
  c.badUtf8 |= runtime::utf8::findInvalid(piece) != std::string::npos;
  c.text += piece;
  return 0;
}

TEST_F(TextEndToEnd, ImageFilesAndTextGiveTheReferenceTokensAndText) {
  const xgenmm_model_info *info = xgenmm_model_get_info(model());
  int stopped = 0;
  for (const JsonValue &c : array("cases")) {
    if (!c.get("generated_ids"))
      continue;
    SCOPED_TRACE(str(c, "name"));
    std::unique_ptr<xgenmm_session, SessionDeleter> session(
        xgenmm_session_new(model()));
    ASSERT_TRUE(session);
    std::vector<std::vector<float>> tokens;
    std::vector<xgenmm_vision_tokens> vision;
    for (const JsonValue &index : c.get("images")->asArray()) {
      Image image;
      ASSERT_EQ(xgenmm_image_load_file(model(),
                                       imagePath(int(index.asInteger())).c_str(),
                                       &image.image),
                XGENMM_OK);
      int32_t n = image.image.n_views * info->tokens_per_view;
      tokens.emplace_back(size_t(n) * info->n_embd);
      ASSERT_EQ(xgenmm_encode_image(session.get(), &image.image,
                                    tokens.back().data(), tokens.back().size()),
                XGENMM_OK);
      vision.push_back({tokens.back().data(), n});
    }
    const JsonValue *system = c.get("system");
    std::vector<int32_t> ids(1024);
    int32_t n = 0;
    ASSERT_EQ(xgenmm_tokenize_prompt(
                  model(), str(c, "text").c_str(), formatOf(str(c, "format")),
                  system && system->isString() ? system->asString().c_str()
                                               : nullptr,
                  int32_t(vision.size()), ids.data(), int32_t(ids.size()), &n),
              XGENMM_OK);
    ASSERT_EQ(xgenmm_prefill(session.get(), ids.data(), n, vision.data(),
                             int32_t(vision.size())),
              XGENMM_OK)
        << xgenmm_last_error();
    EXPECT_EQ(xgenmm_session_position(session.get()),
              c.get("spliced_length")->asInteger());

    std::unique_ptr<xgenmm_detokenizer, decltype(&xgenmm_detokenizer_free)>
        detokenizer(xgenmm_detokenizer_new(model(), 1),
                    xgenmm_detokenizer_free);
    ASSERT_TRUE(detokenizer);
    xgenmm_generate_params params = xgenmm_generate_default_params(model());
    params.max_new_tokens =
        int32_t(TextGoldens::get().json().get("num_generate")->asInteger());
    std::vector<int32_t> stops(params.stop_tokens,
                               params.stop_tokens + params.n_stop_tokens);
    Collected collected{detokenizer.get(), &stops};
    params.on_token = collect;
    params.user_data = &collected;
    std::vector<int32_t> generated(size_t(params.max_new_tokens));
    int32_t nGenerated = 0;
    ASSERT_EQ(xgenmm_generate(session.get(), &params, generated.data(),
                              &nGenerated),
              XGENMM_OK)
        << xgenmm_last_error();
    generated.resize(size_t(nGenerated));
    EXPECT_EQ(generated, intList(c.get("generated_ids")));
    collected.text += xgenmm_detokenizer_finish(detokenizer.get());
    EXPECT_FALSE(collected.badUtf8);
    EXPECT_EQ(collected.text, str(c, "generated_text"));
    stopped += c.get("stopped")->asBool();
  }
  EXPECT_GE(stopped, 1) << "no case ends on a stop token";
}

TEST_F(TextEndToEnd, BadImagesAreRefusedWithTheirPath) {
  Image image;
  const std::string missing = fixtureDir() + "/images/no-such-image.png";
  EXPECT_EQ(xgenmm_image_load_file(model(), missing.c_str(), &image.image),
            XGENMM_ERROR_IO);
  EXPECT_NE(std::string(xgenmm_last_error()).find(missing), std::string::npos)
      << xgenmm_last_error();
  EXPECT_EQ(image.image.pixels, nullptr);
  const std::string corrupt = std::string(XGENMM_SOURCE_DIR) +
                              "/test/reference/images/inputs/err_truncated.png";
  EXPECT_EQ(xgenmm_image_load_file(model(), corrupt.c_str(), &image.image),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(xgenmm_last_error()).find(corrupt), std::string::npos)
      << xgenmm_last_error();
  uint8_t pixel[3] = {1, 2, 3};
  EXPECT_EQ(xgenmm_image_load_rgb(model(), pixel, 0, 1, 0, &image.image),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xgenmm_image_load_rgb(model(), pixel, 1, 1, 2, &image.image),
            XGENMM_ERROR_INVALID_ARGUMENT);
}

TEST_F(TextEndToEnd, TagsThatDoNotMatchTheImagesAreRefused) {
  int32_t ids[256], n = 0;
  EXPECT_EQ(xgenmm_tokenize_prompt(model(), "<image> and <image>?",
                                   XGENMM_PROMPT_INSTRUCT, nullptr, 3, ids, 256,
                                   &n),
            XGENMM_ERROR_INVALID_ARGUMENT);
  std::string message = xgenmm_last_error();
  EXPECT_NE(message.find("2 <image> tags but 3 images"), std::string::npos)
      << message;
  EXPECT_EQ(xgenmm_tokenize_prompt(model(), "no tag", XGENMM_PROMPT_RAW,
                                   nullptr, 1, ids, 256, &n),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xgenmm_tokenize_prompt(model(), "<image>", XGENMM_PROMPT_RAW,
                                   "a system prompt", 1, ids, 256, &n),
            XGENMM_ERROR_INVALID_ARGUMENT);
  // Too small a buffer: the count is still reported.
  EXPECT_EQ(xgenmm_tokenize(model(), "Hello world", ids, 1, &n),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_GT(n, 1);
  // Not UTF-8.
  EXPECT_EQ(xgenmm_tokenize(model(), "bad \xff byte", ids, 256, &n),
            XGENMM_ERROR_INVALID_ARGUMENT);
}

TEST_F(TextEndToEnd, APromptLongerThanTheContextIsRefused) {
  const xgenmm_model_info *info = xgenmm_model_get_info(model());
  std::string text;
  while (int32_t(text.size()) < 4 * info->n_ctx)
    text += "a picture of ";
  std::vector<int32_t> ids(size_t(8 * info->n_ctx));
  int32_t n = 0;
  ASSERT_EQ(xgenmm_tokenize_prompt(model(), text.c_str(), XGENMM_PROMPT_RAW,
                                   nullptr, 0, ids.data(), int32_t(ids.size()),
                                   &n),
            XGENMM_OK);
  ASSERT_GT(n, info->n_ctx);
  std::unique_ptr<xgenmm_session, SessionDeleter> session(
      xgenmm_session_new(model()));
  xgenmm_status status =
      xgenmm_prefill(session.get(), ids.data(), n, nullptr, 0);
  EXPECT_TRUE(status == XGENMM_ERROR_CONTEXT_FULL ||
              status == XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(xgenmm_session_position(session.get()), 0);
}

TEST(TextWithoutTokenizer, TextIsRefusedButImageFilesWork) {
  // A fixture checkpoint without tokenizer files.
  ModelPtr model(xgenmm_load(
      (std::string(XGENMM_E2E_ARTIFACTS) + "/tiny_fp32_single-f32").c_str()));
  ASSERT_TRUE(model) << xgenmm_last_error();
  EXPECT_EQ(xgenmm_model_get_info(model.get())->has_tokenizer, 0);
  EXPECT_EQ(xgenmm_model_get_info(model.get())->token_end, -1);
  int32_t ids[8], n = 0;
  EXPECT_EQ(xgenmm_tokenize_prompt(model.get(), "<image> hi",
                                   XGENMM_PROMPT_INSTRUCT, nullptr, 1, ids, 8,
                                   &n),
            XGENMM_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(xgenmm_last_error()).find("has no tokenizer"),
            std::string::npos)
      << xgenmm_last_error();
  EXPECT_EQ(xgenmm_detokenizer_new(model.get(), 1), nullptr);
  // Its default stop is the eos alone, as before.
  xgenmm_generate_params params = xgenmm_generate_default_params(model.get());
  ASSERT_EQ(params.n_stop_tokens, 1);
  EXPECT_EQ(params.stop_tokens[0], xgenmm_model_get_info(model.get())->token_eos);
  // The preprocessor travels without a tokenizer: image files still work.
  Image image;
  EXPECT_EQ(xgenmm_image_load_file(
                model.get(),
                (fixtureDir() + "/images/" +
                 str(array("images")[1], "file")).c_str(),
                &image.image),
            XGENMM_OK)
      << xgenmm_last_error();
}

} // namespace
