//===- xgenmm.cpp - C API of the xgenmm runtime ---------------------------===//
//
// Sessions, image encoding, prefill with image expansion, decode and the
// generation loop over the three compiled entry points of an Artifact.
//
//===----------------------------------------------------------------------===//

#include "runtime/xgenmm.h"

#include "runtime/Artifact.h"
#include "runtime/Error.h"
#include "runtime/Sampler.h"
#include "runtime/image/AnyresPreprocess.h"
#include "runtime/image/ImageDecoder.h"
#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Template.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace xgenmm;
using namespace xgenmm::runtime;

struct xgenmm_model {
  std::unique_ptr<Artifact> artifact;
  xgenmm_model_info info;
  std::unique_ptr<Tokenizer> tokenizer;    // null: the artifact has none
  image::PreprocessConfig preprocess;
  bool havePreprocess = false;
  std::string preprocessSource;            // the file or manifest field
  std::vector<xgenmm_token> defaultStops;  // eos (+ <|end|>)
};

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

/// Zero-filled memory from the kernel: pages are committed on first touch,
/// so a session costs what its conversations fill, and rows past the
/// position read as 0 (never garbage) should the compiled code read them.
class AnonymousMemory {
public:
  AnonymousMemory() = default;
  ~AnonymousMemory() {
    if (data_)
      ::munmap(data_, bytes_);
  }
  AnonymousMemory(const AnonymousMemory &) = delete;
  AnonymousMemory &operator=(const AnonymousMemory &) = delete;

  xgenmm_status allocate(size_t bytes, const char *what) {
    void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return fail(XGENMM_ERROR_OUT_OF_MEMORY,
                  std::string("xgenmm_session_new: cannot allocate the ") +
                      what + " (" + std::to_string(bytes) +
                      " bytes): " + std::strerror(errno));
    data_ = static_cast<float *>(p);
    bytes_ = bytes;
    return XGENMM_OK;
  }
  float *data() const { return data_; }

private:
  float *data_ = nullptr;
  size_t bytes_ = 0;
};

xgenmm_status nullArgument(const char *function, const char *argument) {
  return fail(XGENMM_ERROR_INVALID_ARGUMENT,
              std::string(function) + ": " + argument + " is NULL");
}

xgenmm_status checkToken(const xgenmm_model_info &info, const char *function,
                         const std::string &what, xgenmm_token id) {
  if (id < 0 || id >= info.n_vocab)
    return fail(XGENMM_ERROR_OUT_OF_VOCABULARY,
                std::string(function) + ": " + what + " " + std::to_string(id) +
                    " is out of the vocabulary [0, " +
                    std::to_string(info.n_vocab) + ")");
  return XGENMM_OK;
}

} // namespace

struct xgenmm_session {
  xgenmm_model *model = nullptr;
  AnonymousMemory kCache, vCache;
  int32_t position = 0;
  std::vector<float> logits;
  bool hasLogits = false;        // logits hold a prefill or decode result
  bool logitsFresh = false;      // ... that generate has not sampled yet
  std::vector<xgenmm_token> ids; // the expanded prompt of the last prefill
  std::vector<float> vision;     // its vision tokens, concatenated
  xgenmm_timings timings = {};

  const Manifest &manifest() const { return model->artifact->manifest(); }

  abi::MemRef<int8_t, 1> weights() const {
    const MappedFile &w = model->artifact->weights();
    // The compiled code only reads the weights; the mapping is read-only.
    auto *data = reinterpret_cast<int8_t *>(const_cast<uint8_t *>(w.data()));
    return abi::contiguous(data, {static_cast<int64_t>(w.size())});
  }
  /// The descriptor says float whatever kv_cache.dtype is: the compiled
  /// code reads its own element type; only the pointer and the sizes and
  /// strides (in elements) cross the boundary.
  abi::MemRef<float, 3> cache(const AnonymousMemory &memory) const {
    const Manifest &m = manifest();
    return abi::contiguous(memory.data(),
                           {m.kvLayers, m.kvCapacity, m.kvWidth});
  }
  abi::MemRef<float, 2> logitsRef() {
    return abi::contiguous(logits.data(),
                           {1, static_cast<int64_t>(logits.size())});
  }

  /// Runs one token at the current position (checked by the caller).
  void runDecode(xgenmm_token id) {
    abi::MemRef<int8_t, 1> w = weights();
    abi::MemRef<int32_t, 1> idRef = abi::contiguous(&id, {1});
    abi::MemRef<float, 3> k = cache(kCache), v = cache(vCache);
    abi::MemRef<float, 2> out = logitsRef();
    Clock::time_point start = Clock::now();
    model->artifact->decode()(&w, &idRef, position, &k, &v, &out);
    timings.decode_ms += millisecondsSince(start);
    timings.n_decode_tokens += 1;
    position += 1;
    hasLogits = logitsFresh = true;
  }
};

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

namespace {

/// The image processor: the artifact's preprocessor_config.json, else the
/// manifest's config.preprocessor (artifacts compiled before "inputs"),
/// checked against the compiled encoder.
xgenmm_status loadPreprocessor(xgenmm_model &model) {
  const Manifest &m = model.artifact->manifest();
  const std::string dir = model.artifact->directory();
  std::string error;
  bool ok;
  if (!m.preprocessorFile.empty()) {
    model.preprocessSource = dir + "/" + m.preprocessorFile;
    ok = image::loadPreprocessConfig(model.preprocessSource, model.preprocess,
                                     error);
  } else if (!m.configPreprocessor.isNull()) {
    model.preprocessSource =
        dir + "/" + abi::kManifestFile + " 'config.preprocessor'";
    ok = image::parsePreprocessConfig(m.configPreprocessor,
                                      model.preprocessSource, model.preprocess,
                                      error);
  } else {
    return XGENMM_OK; // images go in preprocessed only
  }
  if (!ok)
    return fail(XGENMM_ERROR_BAD_ARTIFACT, error);
  const image::PreprocessConfig &c = model.preprocess;
  auto bad = [&](const std::string &problem) {
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                model.preprocessSource + ": " + problem +
                    " (the model.so of this artifact was compiled otherwise)");
  };
  if (c.imageSize != m.imageSize)
    return bad("size is " + std::to_string(c.imageSize) +
               ", but encode_image.image_size is " +
               std::to_string(m.imageSize));
  if (c.grids.empty() == m.anyres)
    return bad(c.grids.empty() ? "has no grids, but encode_image.anyres is true"
                               : "has grids, but encode_image.anyres is false");
  for (const image::Size2D &g : c.grids) {
    int64_t views = 1 + int64_t(g[0] / c.imageSize) * (g[1] / c.imageSize);
    if (views > m.maxViews)
      return bad("grid [" + std::to_string(g[0]) + ", " + std::to_string(g[1]) +
                 "] makes " + std::to_string(views) +
                 " views, more than encode_image.max_views " +
                 std::to_string(m.maxViews));
  }
  model.havePreprocess = true;
  return XGENMM_OK;
}

/// The tokenizer files, checked against the manifest's token ids.
xgenmm_status loadTokenizer(xgenmm_model &model) {
  const Manifest &m = model.artifact->manifest();
  if (m.tokenizerFiles.empty())
    return XGENMM_OK;
  const std::string dir = model.artifact->directory();
  XGENMM_TRY(Tokenizer::load(dir, model.tokenizer));
  const Tokenizer &tok = *model.tokenizer;
  auto check = [&](const char *token, xgenmm_token id, const char *field,
                   int64_t expected) {
    if (id == expected)
      return XGENMM_OK;
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                dir + ": the tokenizer numbers " + token + " " +
                    std::to_string(id) + ", but " + abi::kManifestFile +
                    " 'special_tokens." + field + "' is " +
                    std::to_string(expected) +
                    " (tokenizer files from another checkpoint?)");
  };
  XGENMM_TRY(check("<image>", tok.imageTokenId(), "image", m.imageToken));
  XGENMM_TRY(check("<image placeholder>", tok.imagePlaceholderTokenId(),
                   "image_placeholder", m.imagePlaceholderToken));
  XGENMM_TRY(check("<|endofchunk|>", tok.endOfChunkTokenId(), "endofchunk",
                   m.endOfChunkToken));
  if (tok.size() > m.vocabLogits)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                dir + ": the tokenizer has " + std::to_string(tok.size()) +
                    " tokens, more than the model's " +
                    std::to_string(m.vocabLogits) + " logits ('vocab.logits')");
  model.info.has_tokenizer = 1;
  model.info.token_end = tok.instructStopTokenId();
  return XGENMM_OK;
}

xgenmm_status loadInputs(xgenmm_model &model) {
  XGENMM_TRY(loadPreprocessor(model));
  XGENMM_TRY(loadTokenizer(model));
  model.defaultStops = {model.info.token_eos};
  if (model.info.anyres && model.info.token_end >= 0 &&
      model.info.token_end != model.info.token_eos)
    model.defaultStops.push_back(model.info.token_end);
  return XGENMM_OK;
}

xgenmm_status noTokenizer(const xgenmm_model &model, const char *function) {
  return fail(XGENMM_ERROR_UNSUPPORTED,
              std::string(function) + ": the artifact " +
                  model.artifact->directory() +
                  " has no tokenizer (its checkpoint had no tokenizer.model "
                  "when xgenmm-compile ran): give the prompt as token ids, "
                  "or recompile from a checkpoint with its tokenizer files");
}

} // namespace

extern "C" xgenmm_model *xgenmm_load(const char *artifactDir) {
  if (!artifactDir) {
    nullArgument("xgenmm_load", "artifact_dir");
    return nullptr;
  }
  std::unique_ptr<Artifact> artifact;
  if (Artifact::load(artifactDir, artifact) != XGENMM_OK)
    return nullptr;
  const Manifest &m = artifact->manifest();
  auto *model = new xgenmm_model();
  // The manifest bounds every count by 2^31 - 1, so these casts are exact.
  model->info = xgenmm_model_info{
      m.model.c_str(),
      static_cast<int32_t>(m.vocabLogits),
      static_cast<int32_t>(m.vocabBase),
      static_cast<int32_t>(m.kvCapacity),
      static_cast<int32_t>(m.prefillMaxTokens),
      static_cast<int32_t>(m.visionWidth),
      static_cast<int32_t>(m.imageSize),
      static_cast<int32_t>(m.maxViews),
      static_cast<int32_t>(m.tokensPerView),
      m.anyres ? 1 : 0,
      static_cast<xgenmm_token>(m.imageToken),
      static_cast<xgenmm_token>(m.imagePlaceholderToken),
      static_cast<xgenmm_token>(m.endOfChunkToken),
      static_cast<xgenmm_token>(m.bosToken),
      static_cast<xgenmm_token>(m.eosToken),
      static_cast<xgenmm_token>(m.padToken),
  };
  model->info.has_tokenizer = 0;
  model->info.token_end = -1;
  model->artifact = std::move(artifact);
  std::unique_ptr<xgenmm_model> owner(model);
  if (loadInputs(*owner) != XGENMM_OK)
    return nullptr;
  return owner.release();
}

extern "C" void xgenmm_free(xgenmm_model *model) { delete model; }

extern "C" const xgenmm_model_info *
xgenmm_model_get_info(const xgenmm_model *model) {
  return model ? &model->info : nullptr;
}

extern "C" xgenmm_status xgenmm_set_threads(xgenmm_model *model, int n_threads) {
  if (!model)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT, "xgenmm_set_threads: model is NULL");
  if (n_threads < 1)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                "xgenmm_set_threads: n_threads must be at least 1, got " +
                    std::to_string(n_threads));
  if (!model->artifact->setThreads(n_threads))
    return fail(XGENMM_ERROR_UNSUPPORTED,
                model->artifact->directory() +
                    ": the artifact has no thread control (no parallel loops)");
  return XGENMM_OK;
}

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

extern "C" xgenmm_session *xgenmm_session_new(xgenmm_model *model) {
  if (!model) {
    nullArgument("xgenmm_session_new", "model");
    return nullptr;
  }
  std::unique_ptr<xgenmm_session> session(new xgenmm_session());
  session->model = model;
  const Manifest &m = model->artifact->manifest();
  // The manifest checked that this product fits in 64 bits.
  size_t bytes = static_cast<size_t>(m.kvCacheBytes());
  if (session->kCache.allocate(bytes, "K cache") != XGENMM_OK ||
      session->vCache.allocate(bytes, "V cache") != XGENMM_OK)
    return nullptr;
  session->logits.assign(static_cast<size_t>(m.vocabLogits), 0.0f);
  return session.release();
}

extern "C" void xgenmm_session_free(xgenmm_session *session) { delete session; }

extern "C" void xgenmm_session_reset(xgenmm_session *session) {
  if (!session)
    return;
  session->position = 0;
  session->hasLogits = session->logitsFresh = false;
  session->timings = {};
}

extern "C" int32_t xgenmm_session_position(const xgenmm_session *session) {
  return session ? session->position : -1;
}

extern "C" const float *xgenmm_logits(const xgenmm_session *session) {
  return session && session->hasLogits ? session->logits.data() : nullptr;
}

extern "C" xgenmm_timings
xgenmm_session_timings(const xgenmm_session *session) {
  return session ? session->timings : xgenmm_timings{};
}

//===----------------------------------------------------------------------===//
// Images
//===----------------------------------------------------------------------===//

extern "C" xgenmm_status xgenmm_encode_image(xgenmm_session *session,
                                             const xgenmm_image *image,
                                             float *tokens, size_t nFloats) {
  const char *fn = "xgenmm_encode_image";
  if (!session)
    return nullArgument(fn, "session");
  if (!image)
    return nullArgument(fn, "image");
  if (!image->pixels)
    return nullArgument(fn, "image->pixels");
  if (!tokens)
    return nullArgument(fn, "tokens");
  const xgenmm_model_info &info = session->model->info;
  auto invalid = [&](const std::string &message) {
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": " + message);
  };
  if (image->width <= 0 || image->height <= 0)
    return invalid("the image size is " + std::to_string(image->width) + "x" +
                   std::to_string(image->height) + ", expected positive");
  const std::string grid =
      std::to_string(image->grid_rows) + "x" + std::to_string(image->grid_cols);
  if (info.anyres) {
    if (image->grid_rows < 1 || image->grid_cols < 1)
      return invalid("the anyres grid is " + grid +
                     ", expected at least 1x1 (rows x cols)");
    int64_t views = 1 + int64_t{image->grid_rows} * image->grid_cols;
    if (image->n_views != views)
      return invalid(
          std::to_string(image->n_views) + " views for a " + grid +
          " grid, expected 1 + rows x cols = " + std::to_string(views));
    if (image->n_views > info.max_views)
      return invalid(std::to_string(image->n_views) + " views (a " + grid +
                     " grid), more than the model's " +
                     std::to_string(info.max_views));
  } else {
    if (image->n_views != 1)
      return invalid(std::to_string(image->n_views) +
                     " views, expected 1 (the model is in base mode)");
    if (image->grid_rows != 0 || image->grid_cols != 0)
      return invalid("the grid is " + grid +
                     ", expected 0x0 (the model is in base mode)");
  }
  const int64_t nTokens = int64_t{image->n_views} * info.tokens_per_view;
  const size_t needed = static_cast<size_t>(nTokens) * info.n_embd;
  if (nFloats < needed)
    return invalid("tokens holds " + std::to_string(nFloats) + " floats, " +
                   std::to_string(needed) + " needed (" +
                   std::to_string(nTokens) + " tokens x " +
                   std::to_string(info.n_embd) + ")");

  abi::MemRef<int8_t, 1> w = session->weights();
  const int64_t s = info.image_size;
  // The compiled code only reads the pixels.
  abi::MemRef<float, 4> pixels = abi::contiguous(
      const_cast<float *>(image->pixels), {image->n_views, 3, s, s});
  abi::MemRef<float, 3> out =
      abi::contiguous(tokens, {image->n_views, int64_t{info.tokens_per_view},
                               int64_t{info.n_embd}});
  Clock::time_point start = Clock::now();
  session->model->artifact->encodeImage()(&w, &pixels, image->grid_rows,
                                          image->grid_cols, image->width,
                                          image->height, &out);
  session->timings.encode_ms += millisecondsSince(start);
  session->timings.n_images += 1;
  return XGENMM_OK;
}

namespace {

/// Preprocesses `rgb` into a runtime-allocated xgenmm_image.
xgenmm_status preprocessInto(const xgenmm_model &model, const char *fn,
                             const std::string &name,
                             const image::RgbImage &rgb, xgenmm_image &out) {
  if (!model.havePreprocess)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                std::string(fn) + ": the artifact " +
                    model.artifact->directory() +
                    " has no image preprocessor configuration "
                    "(preprocessor_config.json): give preprocessed pixels");
  image::Preprocessed p;
  std::string error;
  if (!image::preprocessAnyres(rgb, model.preprocess, p, error))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": " + name + ": " + error);
  auto *pixels =
      static_cast<float *>(std::malloc(p.pixels.size() * sizeof(float)));
  if (!pixels)
    return fail(XGENMM_ERROR_OUT_OF_MEMORY,
                std::string(fn) + ": " + name + ": cannot allocate " +
                    std::to_string(p.pixels.size() * sizeof(float)) +
                    " bytes of pixels");
  std::memcpy(pixels, p.pixels.data(), p.pixels.size() * sizeof(float));
  out = xgenmm_image{pixels, p.views, p.gridRows, p.gridCols, p.width,
                     p.height};
  return XGENMM_OK;
}

} // namespace

extern "C" xgenmm_status xgenmm_image_load_file(const xgenmm_model *model,
                                                const char *path,
                                                xgenmm_image *image) {
  const char *fn = "xgenmm_image_load_file";
  if (image)
    *image = xgenmm_image{};
  if (!model)
    return nullArgument(fn, "model");
  if (!path)
    return nullArgument(fn, "path");
  if (!image)
    return nullArgument(fn, "image");
  // Unreadable is an I/O error; unreadable as an image is bad input.
  int fd = ::open(path, O_RDONLY);
  if (fd < 0)
    return fail(XGENMM_ERROR_IO, std::string(path) + ": cannot open: " +
                                     std::strerror(errno));
  struct stat st;
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular)
    return fail(XGENMM_ERROR_IO, std::string(path) + ": not a regular file");
  image::RgbImage rgb;
  std::string error;
  if (!image::decodeImageFile(path, rgb, error))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT, error);
  return preprocessInto(*model, fn, path, rgb, *image);
}

extern "C" xgenmm_status xgenmm_image_load_rgb(const xgenmm_model *model,
                                               const uint8_t *rgb,
                                               int32_t width, int32_t height,
                                               size_t stride,
                                               xgenmm_image *image) {
  const char *fn = "xgenmm_image_load_rgb";
  if (image)
    *image = xgenmm_image{};
  if (!model)
    return nullArgument(fn, "model");
  if (!rgb)
    return nullArgument(fn, "rgb");
  if (!image)
    return nullArgument(fn, "image");
  std::string error;
  if (width < 0 || height < 0 ||
      !image::checkImageDimensions(uint64_t(width < 0 ? 0 : width),
                                   uint64_t(height < 0 ? 0 : height), error))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": a " + std::to_string(width) + "x" +
                    std::to_string(height) + " image: " +
                    (error.empty() ? "negative size" : error));
  const size_t row = size_t(width) * 3;
  if (stride == 0)
    stride = row;
  if (stride < row)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": stride " + std::to_string(stride) +
                    " is less than 3 x width = " + std::to_string(row));
  image::RgbImage copy = image::RgbImage::black(width, height);
  for (int32_t y = 0; y < height; ++y)
    std::memcpy(copy.row(y), rgb + size_t(y) * stride, row);
  return preprocessInto(*model, fn, "the RGB image", copy, *image);
}

extern "C" void xgenmm_image_release(xgenmm_image *image) {
  if (!image)
    return;
  std::free(const_cast<float *>(image->pixels));
  *image = xgenmm_image{};
}

//===----------------------------------------------------------------------===//
// Text
//===----------------------------------------------------------------------===//

namespace {

xgenmm_status copyIds(const char *fn, const std::vector<xgenmm_token> &ids,
                      xgenmm_token *out, int32_t capacity, int32_t *nIds) {
  *nIds = static_cast<int32_t>(ids.size());
  if (capacity < 0 || (capacity > 0 && !out))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": capacity is " + std::to_string(capacity) +
                    (out ? "" : " with ids NULL"));
  if (ids.size() > static_cast<size_t>(capacity))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": the text is " +
                    std::to_string(ids.size()) + " tokens, but ids holds " +
                    std::to_string(capacity));
  std::copy(ids.begin(), ids.end(), out);
  return XGENMM_OK;
}

} // namespace

extern "C" xgenmm_prompt_format
xgenmm_default_prompt_format(const xgenmm_model *model) {
  return model && !model->info.anyres ? XGENMM_PROMPT_BASE
                                      : XGENMM_PROMPT_INSTRUCT;
}

extern "C" xgenmm_status xgenmm_tokenize(const xgenmm_model *model,
                                         const char *text, xgenmm_token *ids,
                                         int32_t capacity, int32_t *nIds) {
  const char *fn = "xgenmm_tokenize";
  if (!model)
    return nullArgument(fn, "model");
  if (!text)
    return nullArgument(fn, "text");
  if (!nIds)
    return nullArgument(fn, "n_ids");
  *nIds = 0;
  if (!model->tokenizer)
    return noTokenizer(*model, fn);
  std::vector<xgenmm_token> out;
  if (model->tokenizer->encode(text, out) != XGENMM_OK)
    return fail(xgenmm_last_status(),
                std::string(fn) + ": " + xgenmm_last_error());
  return copyIds(fn, out, ids, capacity, nIds);
}

extern "C" xgenmm_status
xgenmm_tokenize_prompt(const xgenmm_model *model, const char *text,
                       xgenmm_prompt_format format, const char *systemPrompt,
                       int32_t nImages, xgenmm_token *ids, int32_t capacity,
                       int32_t *nIds) {
  const char *fn = "xgenmm_tokenize_prompt";
  if (!model)
    return nullArgument(fn, "model");
  if (!text)
    return nullArgument(fn, "text");
  if (!nIds)
    return nullArgument(fn, "n_ids");
  *nIds = 0;
  if (!model->tokenizer)
    return noTokenizer(*model, fn);
  if (nImages < 0)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": n_images is " + std::to_string(nImages));
  if (checkImageTags(text, nImages) != XGENMM_OK)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": " + xgenmm_last_error());
  if (systemPrompt && format != XGENMM_PROMPT_INSTRUCT)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) +
                    ": a system prompt is only part of the instruct form");
  std::string prompt;
  switch (format) {
  case XGENMM_PROMPT_INSTRUCT:
    prompt = formatInstructPrompt(
        text, systemPrompt ? std::string_view(systemPrompt)
                           : kInstructSystemPrompt);
    break;
  case XGENMM_PROMPT_BASE: {
    // Each tag in place, as the base demo writes it in front of each text.
    std::string block;
    XGENMM_TRY(formatBaseImage(model->info.tokens_per_view, block));
    std::string_view rest(text);
    for (size_t at; (at = rest.find(kImageToken)) != std::string_view::npos;) {
      prompt.append(rest.substr(0, at));
      prompt += block;
      rest.remove_prefix(at + kImageToken.size());
    }
    prompt.append(rest);
    break;
  }
  case XGENMM_PROMPT_RAW:
    prompt = text;
    break;
  default:
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": unknown prompt format " +
                    std::to_string(static_cast<int>(format)));
  }
  std::vector<xgenmm_token> out;
  if (model->tokenizer->encode(prompt, out) != XGENMM_OK)
    return fail(xgenmm_last_status(),
                std::string(fn) + ": " + xgenmm_last_error());
  return copyIds(fn, out, ids, capacity, nIds);
}

struct xgenmm_detokenizer {
  xgenmm_detokenizer(const Tokenizer &tokenizer, bool skip)
      : decoder(tokenizer, skip) {}
  StreamDecoder decoder;
  std::string text;
};

extern "C" xgenmm_detokenizer *
xgenmm_detokenizer_new(const xgenmm_model *model, int32_t skipSpecialTokens) {
  const char *fn = "xgenmm_detokenizer_new";
  if (!model) {
    nullArgument(fn, "model");
    return nullptr;
  }
  if (!model->tokenizer) {
    noTokenizer(*model, fn);
    return nullptr;
  }
  return new xgenmm_detokenizer(*model->tokenizer, skipSpecialTokens != 0);
}

extern "C" void xgenmm_detokenizer_free(xgenmm_detokenizer *detokenizer) {
  delete detokenizer;
}

extern "C" const char *xgenmm_detokenizer_push(xgenmm_detokenizer *d,
                                               xgenmm_token token) {
  if (!d) {
    nullArgument("xgenmm_detokenizer_push", "detokenizer");
    return nullptr;
  }
  d->text.clear();
  if (d->decoder.push(token, d->text) != XGENMM_OK)
    return nullptr;
  return d->text.c_str();
}

extern "C" const char *xgenmm_detokenizer_finish(xgenmm_detokenizer *d) {
  if (!d) {
    nullArgument("xgenmm_detokenizer_finish", "detokenizer");
    return nullptr;
  }
  d->text.clear();
  d->decoder.finish(d->text);
  return d->text.c_str();
}

//===----------------------------------------------------------------------===//
// Prefill and decode
//===----------------------------------------------------------------------===//

extern "C" xgenmm_status xgenmm_prefill(xgenmm_session *session,
                                        const xgenmm_token *ids, int32_t nIds,
                                        const xgenmm_vision_tokens *images,
                                        int32_t nImages) {
  const char *fn = "xgenmm_prefill";
  if (!session)
    return nullArgument(fn, "session");
  if (!ids)
    return nullArgument(fn, "ids");
  if (nImages > 0 && !images)
    return nullArgument(fn, "images");
  auto invalid = [&](const std::string &message) {
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": " + message);
  };
  if (nIds < 1)
    return invalid("n_ids is " + std::to_string(nIds) +
                   ", expected at least 1");
  if (nImages < 0)
    return invalid("n_images is " + std::to_string(nImages));
  const xgenmm_model_info &info = session->model->info;
  const Manifest &m = session->manifest();

  int32_t imageIds = 0;
  for (int32_t i = 0; i < nIds; ++i) {
    XGENMM_TRY(checkToken(info, fn, "ids[" + std::to_string(i) + "]", ids[i]));
    imageIds += ids[i] == info.token_image;
  }
  if (imageIds != nImages)
    return invalid("the prompt has " + std::to_string(imageIds) +
                   " <image> ids (id " + std::to_string(info.token_image) +
                   ") but " + std::to_string(nImages) +
                   " images were given: one <image> id per image, the "
                   "runtime expands it");
  for (int32_t k = 0; k < nImages; ++k) {
    if (!images[k].data)
      return nullArgument(fn,
                          ("images[" + std::to_string(k) + "].data").c_str());
    if (images[k].n_tokens < 1)
      return invalid("images[" + std::to_string(k) + "].n_tokens is " +
                     std::to_string(images[k].n_tokens) +
                     ", expected at least 1");
  }

  // Expand each <image> into its image's tokens (model-spec.md section 1),
  // or take the base-model form <image> + (n - 1) <image placeholder> as it
  // is; the entry point sees n <image> ids either way.
  std::vector<xgenmm_token> &expanded = session->ids;
  std::vector<float> &vision = session->vision;
  expanded.clear();
  vision.clear();
  int32_t k = 0;
  for (int32_t i = 0; i < nIds; ++i) {
    if (ids[i] != info.token_image) {
      expanded.push_back(ids[i]);
      continue;
    }
    const xgenmm_vision_tokens &image = images[k];
    int32_t placeholders = 0;
    while (i + 1 + placeholders < nIds &&
           ids[i + 1 + placeholders] == info.token_image_placeholder)
      ++placeholders;
    if (placeholders != 0 && placeholders != image.n_tokens - 1)
      return invalid("the <image> of image " + std::to_string(k) + " (ids[" +
                     std::to_string(i) + "]) is followed by " +
                     std::to_string(placeholders) +
                     " <image placeholder> ids; expected none (the runtime "
                     "expands <image>) or " +
                     std::to_string(image.n_tokens - 1) +
                     " (the image's tokens minus one, the base-model form)");
    i += placeholders;
    expanded.insert(expanded.end(), image.n_tokens, info.token_image);
    vision.insert(vision.end(), image.data,
                  image.data +
                      static_cast<size_t>(image.n_tokens) * info.n_embd);
    ++k;
  }

  const int64_t count = static_cast<int64_t>(expanded.size());
  // The context first: a prompt that cannot fit is told so, not to split.
  if (session->position + count > m.kvCapacity)
    return fail(XGENMM_ERROR_CONTEXT_FULL,
                std::string(fn) + ": position " +
                    std::to_string(session->position) + " + " +
                    std::to_string(count) +
                    " tokens (after image expansion) exceeds the context of " +
                    std::to_string(m.kvCapacity) + " (kv_cache.capacity)");

  // Calls of at most prefill.max_tokens tokens (the artifact's buffers are
  // planned for that many), each at the position the previous one reached;
  // a chunk takes the vision rows of its own image ids. The last chunk's
  // logits are the prompt's.
  abi::MemRef<int8_t, 1> w = session->weights();
  abi::MemRef<float, 3> kRef = session->cache(session->kCache);
  abi::MemRef<float, 3> vRef = session->cache(session->vCache);
  abi::MemRef<float, 2> out = session->logitsRef();
  Clock::time_point start = Clock::now();
  int64_t visionRow = 0;
  for (int64_t first = 0; first < count; first += m.prefillMaxTokens) {
    int64_t n = std::min<int64_t>(m.prefillMaxTokens, count - first);
    int64_t rows = std::count(expanded.begin() + first, expanded.begin() + first + n,
                              info.token_image);
    abi::MemRef<int32_t, 1> idRef = abi::contiguous(expanded.data() + first, {n});
    abi::MemRef<float, 2> visionRef = abi::contiguous(
        vision.data() + visionRow * info.n_embd, {rows, int64_t{info.n_embd}});
    session->model->artifact->prefill()(&w, &idRef, &visionRef,
                                        session->position + first, &kRef, &vRef, &out);
    visionRow += rows;
  }
  session->timings.prefill_ms += millisecondsSince(start);
  session->timings.n_prefill_tokens += static_cast<int32_t>(count);
  session->position += static_cast<int32_t>(count);
  session->hasLogits = session->logitsFresh = true;
  return XGENMM_OK;
}

extern "C" xgenmm_status xgenmm_decode(xgenmm_session *session,
                                       xgenmm_token id) {
  const char *fn = "xgenmm_decode";
  if (!session)
    return nullArgument(fn, "session");
  XGENMM_TRY(checkToken(session->model->info, fn, "token", id));
  if (session->position >= session->model->info.n_ctx)
    return fail(XGENMM_ERROR_CONTEXT_FULL,
                std::string(fn) + ": the context of " +
                    std::to_string(session->model->info.n_ctx) +
                    " (kv_cache.capacity) is full");
  session->runDecode(id);
  return XGENMM_OK;
}

//===----------------------------------------------------------------------===//
// Generation
//===----------------------------------------------------------------------===//

extern "C" xgenmm_generate_params
xgenmm_generate_default_params(const xgenmm_model *model) {
  xgenmm_generate_params params = {};
  params.sampling = {/*temperature=*/0.0f, /*top_k=*/0, /*top_p=*/1.0f,
                     /*seed=*/0};
  params.max_new_tokens = 256;
  if (model) {
    params.stop_tokens = model->defaultStops.data();
    params.n_stop_tokens = static_cast<int32_t>(model->defaultStops.size());
  }
  return params;
}

extern "C" xgenmm_status xgenmm_generate(xgenmm_session *session,
                                         const xgenmm_generate_params *params,
                                         xgenmm_token *tokensOut,
                                         int32_t *nGenerated) {
  const char *fn = "xgenmm_generate";
  int32_t generated = 0;
  if (nGenerated)
    *nGenerated = 0;
  if (!session)
    return nullArgument(fn, "session");
  if (!params)
    return nullArgument(fn, "params");
  const xgenmm_model_info &info = session->model->info;
  if (params->max_new_tokens < 1)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": max_new_tokens is " +
                    std::to_string(params->max_new_tokens) +
                    ", expected at least 1");
  if (params->n_stop_tokens < 0 ||
      (params->n_stop_tokens > 0 && !params->stop_tokens))
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": n_stop_tokens is " +
                    std::to_string(params->n_stop_tokens) +
                    (params->stop_tokens ? "" : " with stop_tokens NULL"));
  std::vector<xgenmm_token> stops(params->stop_tokens,
                                  params->stop_tokens + params->n_stop_tokens);
  for (size_t i = 0; i < stops.size(); ++i)
    XGENMM_TRY(checkToken(info, fn, "stop_tokens[" + std::to_string(i) + "]",
                          stops[i]));
  XGENMM_TRY(validateSamplingParams(params->sampling, fn));
  if (!session->logitsFresh)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                std::string(fn) + ": no logits to start from: call "
                                  "xgenmm_prefill or xgenmm_decode first");

  Sampler sampler(params->sampling);
  for (;;) {
    XGENMM_TRY(checkLogits(session->logits.data(), info.n_vocab));
    xgenmm_token token = sampler.sample(session->logits.data(), info.n_vocab);
    session->logitsFresh = false;
    if (tokensOut)
      tokensOut[generated] = token;
    ++generated;
    if (nGenerated)
      *nGenerated = generated;
    if (params->on_token && params->on_token(token, params->user_data) != 0)
      return XGENMM_OK;
    if (std::find(stops.begin(), stops.end(), token) != stops.end() ||
        generated == params->max_new_tokens)
      return XGENMM_OK;
    if (session->position >= info.n_ctx)
      return fail(XGENMM_ERROR_CONTEXT_FULL,
                  std::string(fn) + ": the context of " +
                      std::to_string(info.n_ctx) +
                      " (kv_cache.capacity) is full after " +
                      std::to_string(generated) + " generated tokens");
    session->runDecode(token);
  }
}
