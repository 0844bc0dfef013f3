//===- xgenmm-run.cpp - run a compiled xGen-MM artifact ------------------===//
//
// Loads an artifact, takes images (files, or preprocessed pixels in a
// safetensors file) and a prompt (text put in the model's prompt template
// and tokenized, or token ids), encodes the images, prefills, generates, and
// streams the text (or the ids) as it comes, then a timing line. Exit
// status: 0 on success, 1 on a runtime error (bad image, tag count, no
// tokenizer, ...), 2 on a bad command line.
//
//===----------------------------------------------------------------------===//

#include "frontend/Safetensors.h"
#include "runtime/Npy.h"
#include "runtime/xgenmm.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

using namespace xgenmm;

namespace {

constexpr const char *kUsage =
    R"(usage: xgenmm-run -m <artifact-dir> [--image <file>]... -p <prompt> [options]
       xgenmm-run -m <artifact-dir> --input-ids <ids> [--pixel-values <file>] [options]

  -m, --model <dir>        artifact directory (model.so, weights.bin, manifest.json)
  --image <file>           a JPEG or PNG image; repeatable, in the order of the
                           prompt's <image> tags
  -p, --prompt <text>      the prompt, with one <image> tag where each image goes;
                           put in the model's template (instruct models: the chat
                           template; base models: <image> + placeholders)
  --system <text>          the instruct template's system prompt (default: the
                           model cards' "A chat between a curious user and ...")
  --raw                    pass the prompt to the tokenizer as it is
  --template <t>           instruct, base or raw (default: the model's kind)
  --input-ids <a,b,...>    prompt token ids instead of text; one <image> id where
                           each image goes
  --pixel-values <file>    safetensors with preprocessed images (runtime/README.md)
                           instead of --image
  --greedy                 choose the most likely token (the default)
  --temperature <t>        sample at temperature t (0: greedy)
  --top-k <k>              sample among the k most likely tokens (0: all)
  --top-p <p>              sample among the most likely tokens of mass p (1: all)
  --seed <n>               seed of the sampler (default 0)
  --max-tokens <n>         generate at most n tokens (default 256)
  -t, --threads <n>        threads of the compiled code (default: OMP_NUM_THREADS,
                           else one per core)
  --stop <id>              stop after this token; repeatable (default: the eos,
                           and <|end|> for instruct models)
  --print-ids              print the generated ids on one line at the end
  --print-prompt-ids       print the prompt's token ids before generating
  --dump-dir <dir>         write vision_tokens.npy and logits.npy there
  -h, --help               print this help

--top-k and --top-p without --temperature sample at temperature 1.
)";

struct Options {
  std::string model;
  std::vector<xgenmm_token> inputIds;
  bool haveInputIds = false;
  std::string pixelValues;
  std::vector<std::string> images;
  std::optional<std::string> prompt, system;
  std::optional<xgenmm_prompt_format> format;
  bool printPromptIds = false;
  bool greedy = false;
  std::optional<float> temperature, topP;
  std::optional<int32_t> topK, maxTokens, threads;
  uint64_t seed = 0;
  std::vector<xgenmm_token> stops;
  bool printIds = false;
  std::string dumpDir;
};

/// Exit status 2 with the usage.
[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr, "xgenmm-run: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

/// Decimal digits with an optional leading '-' (strtoll alone would also
/// take spaces and '+').
bool isDecimal(const std::string &text, bool allowMinus) {
  size_t start = allowMinus && !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > start &&
         text.find_first_not_of("0123456789", start) == std::string::npos;
}

int64_t parseInteger(const std::string &option, const std::string &text,
                     int64_t min, int64_t max) {
  errno = 0;
  long long value =
      isDecimal(text, true) ? std::strtoll(text.c_str(), nullptr, 10) : 0;
  if (!isDecimal(text, true) || errno == ERANGE || value < min || value > max)
    usageError(option + ": '" + text + "' is not an integer in [" +
               std::to_string(min) + ", " + std::to_string(max) + "]");
  return value;
}

float parseFloat(const std::string &option, const std::string &text) {
  char *end = nullptr;
  float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    usageError(option + ": '" + text + "' is not a number");
  return value;
}

std::vector<xgenmm_token> parseIds(const std::string &option,
                                   const std::string &text) {
  std::vector<xgenmm_token> ids;
  size_t begin = 0;
  for (;;) {
    size_t comma = text.find(',', begin);
    ids.push_back(static_cast<xgenmm_token>(parseInteger(
        option, text.substr(begin, comma - begin), INT32_MIN, INT32_MAX)));
    if (comma == std::string::npos)
      return ids;
    begin = comma + 1;
  }
}

Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inlineValue;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      inlineValue = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
    }
    auto value = [&]() -> std::string {
      if (inlineValue)
        return *inlineValue;
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      return argv[++i];
    };
    auto flag = [&]() {
      if (inlineValue)
        usageError(arg + " takes no value");
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "-m" || arg == "--model") {
      o.model = value();
    } else if (arg == "--input-ids") {
      o.inputIds = parseIds(arg, value());
      o.haveInputIds = true;
    } else if (arg == "--pixel-values") {
      o.pixelValues = value();
    } else if (arg == "--image") {
      o.images.push_back(value());
    } else if (arg == "-p" || arg == "--prompt") {
      o.prompt = value();
    } else if (arg == "--system") {
      o.system = value();
    } else if (arg == "--raw") {
      flag();
      if (o.format && *o.format != XGENMM_PROMPT_RAW)
        usageError("--raw conflicts with --template");
      o.format = XGENMM_PROMPT_RAW;
    } else if (arg == "--template") {
      std::string t = value();
      xgenmm_prompt_format f = XGENMM_PROMPT_RAW;
      if (t == "instruct")
        f = XGENMM_PROMPT_INSTRUCT;
      else if (t == "base")
        f = XGENMM_PROMPT_BASE;
      else if (t != "raw")
        usageError("--template: '" + t + "' is not instruct, base or raw");
      if (o.format && *o.format != f)
        usageError("--template conflicts with --raw or another --template");
      o.format = f;
    } else if (arg == "--print-prompt-ids") {
      flag();
      o.printPromptIds = true;
    } else if (arg == "--greedy") {
      flag();
      o.greedy = true;
    } else if (arg == "--temperature") {
      o.temperature = parseFloat(arg, value());
      if (*o.temperature < 0)
        usageError("--temperature must be >= 0");
    } else if (arg == "--top-k") {
      o.topK = static_cast<int32_t>(parseInteger(arg, value(), 0, INT32_MAX));
    } else if (arg == "--top-p") {
      o.topP = parseFloat(arg, value());
      if (!(*o.topP > 0 && *o.topP <= 1))
        usageError("--top-p must be in (0, 1]");
    } else if (arg == "--seed") {
      std::string text = value();
      errno = 0;
      o.seed =
          isDecimal(text, false) ? std::strtoull(text.c_str(), nullptr, 10) : 0;
      if (!isDecimal(text, false) || errno == ERANGE)
        usageError("--seed: '" + text + "' is not an unsigned 64-bit integer");
    } else if (arg == "--max-tokens") {
      o.maxTokens =
          static_cast<int32_t>(parseInteger(arg, value(), 1, INT32_MAX));
    } else if (arg == "--threads" || arg == "-t") {
      o.threads = static_cast<int32_t>(parseInteger(arg, value(), 1, 4096));
    } else if (arg == "--stop") {
      o.stops.push_back(static_cast<xgenmm_token>(
          parseInteger(arg, value(), INT32_MIN, INT32_MAX)));
    } else if (arg == "--print-ids") {
      flag();
      o.printIds = true;
    } else if (arg == "--dump-dir") {
      o.dumpDir = value();
    } else {
      usageError("unknown argument '" + arg + "'");
    }
  }
  if (o.model.empty())
    usageError("-m <artifact-dir> is required");
  if (o.haveInputIds == o.prompt.has_value())
    usageError("give the prompt as text (-p) or as ids (--input-ids), one of them");
  if (!o.images.empty() && !o.pixelValues.empty())
    usageError("--image and --pixel-values exclude each other");
  if (!o.prompt && (o.system || o.format))
    usageError("--system, --raw and --template apply to a text prompt (-p)");
  if (o.system && o.format && *o.format != XGENMM_PROMPT_INSTRUCT)
    usageError("--system belongs to the instruct template, not to --raw or "
               "--template base");
  if (o.greedy && (o.temperature || o.topK || o.topP))
    usageError("--greedy conflicts with --temperature, --top-k and --top-p");
  return o;
}

/// The images of the --pixel-values file, as the README describes them.
struct Image {
  std::vector<float> pixels; // copied: the file's data need not be aligned
  xgenmm_image image = {};
};

/// Reads the int64 pair `name` ([2]) of `file` into `pair` if present.
bool readPair(const SafetensorsFile &file, const std::string &name,
              int64_t (&pair)[2], std::string &error) {
  const TensorInfo *t = file.find(name);
  if (!t)
    return true;
  if (t->dtype != DType::I64 || t->shape != std::vector<int64_t>{2}) {
    error = file.path() + ": tensor '" + name + "' must be I64 of shape [2]";
    return false;
  }
  std::memcpy(pair, t->data, sizeof(pair));
  for (int64_t v : pair)
    if (v < 0 || v > INT32_MAX) {
      error = file.path() + ": tensor '" + name + "' holds " +
              std::to_string(v) + ", out of range";
      return false;
    }
  return true;
}

bool readImages(const std::string &path, int32_t imageSize,
                std::vector<Image> &images, std::string &error) {
  std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(path, error);
  if (!file)
    return false;
  for (size_t k = 0;; ++k) {
    const std::string name = "image" + std::to_string(k);
    const TensorInfo *t = file->find(name);
    if (!t)
      break;
    const int64_t s = imageSize;
    if (t->dtype != DType::F32 || t->shape.size() != 4 || t->shape[0] < 1 ||
        t->shape[0] > INT32_MAX || t->shape[1] != 3 || t->shape[2] != s ||
        t->shape[3] != s) {
      error = path + ": tensor '" + name +
              "' must be F32 of shape [views, 3, " + std::to_string(s) + ", " +
              std::to_string(s) + "]";
      return false;
    }
    int64_t size[2] = {-1, -1}, grid[2] = {0, 0};
    if (!readPair(*file, name + ".size", size, error) ||
        !readPair(*file, name + ".grid", grid, error))
      return false;
    if (size[0] < 0) {
      error = path + ": no tensor '" + name + ".size' ([width, height])";
      return false;
    }
    Image image;
    image.pixels.resize(static_cast<size_t>(t->numElements()));
    std::memcpy(image.pixels.data(), t->data, t->byteSize());
    image.image = xgenmm_image{
        image.pixels.data(),           static_cast<int32_t>(t->shape[0]),
        static_cast<int32_t>(grid[0]), static_cast<int32_t>(grid[1]),
        static_cast<int32_t>(size[0]), static_cast<int32_t>(size[1])};
    images.push_back(std::move(image));
  }
  // Anything else is a misspelling or a gap in the numbering.
  for (const TensorInfo &t : file->tensors()) {
    bool known = false;
    for (size_t k = 0; k < images.size() && !known; ++k) {
      std::string base = "image" + std::to_string(k);
      known = t.name == base || t.name == base + ".size" ||
              t.name == base + ".grid";
    }
    if (!known) {
      error = path + ": unexpected tensor '" + t.name + "' (" +
              std::to_string(images.size()) +
              " images read: imageK, imageK.size, imageK.grid for K from 0)";
      return false;
    }
  }
  return true;
}

/// An image xgenmm_image_load_file filled, released at the end.
struct LoadedImage {
  xgenmm_image image = {};
  LoadedImage() = default;
  LoadedImage(const LoadedImage &) = delete;
  LoadedImage &operator=(const LoadedImage &) = delete;
  ~LoadedImage() { xgenmm_image_release(&image); }
};

struct Streamer {
  xgenmm_detokenizer *detokenizer = nullptr;
  std::vector<xgenmm_token> stops;
  std::string error;
};

int streamText(xgenmm_token token, void *userData) {
  auto &s = *static_cast<Streamer *>(userData);
  if (std::find(s.stops.begin(), s.stops.end(), token) != s.stops.end())
    return 0;
  const char *text = xgenmm_detokenizer_push(s.detokenizer, token);
  if (!text) {
    s.error = xgenmm_last_error();
    return 1;
  }
  std::fputs(text, stdout);
  std::fflush(stdout);
  return 0;
}

int printToken(xgenmm_token token, void *) {
  std::printf("%" PRId32 " ", token);
  std::fflush(stdout);
  return 0;
}

double tokensPerSecond(int32_t tokens, double ms) {
  return ms > 0 ? tokens * 1000.0 / ms : 0.0;
}

/// Prints "xgenmm-run: error: <message>" and returns the exit status 1.
int runtimeError(const std::string &message) {
  std::fprintf(stderr, "xgenmm-run: error: %s\n", message.c_str());
  return 1;
}

int run(const Options &options) {
  std::unique_ptr<xgenmm_model, decltype(&xgenmm_free)> model(
      xgenmm_load(options.model.c_str()), xgenmm_free);
  if (!model)
    return runtimeError(xgenmm_last_error());
  if (options.threads && xgenmm_set_threads(model.get(), *options.threads) != XGENMM_OK)
    return runtimeError(xgenmm_last_error());
  const xgenmm_model_info &info = *xgenmm_model_get_info(model.get());
  std::unique_ptr<xgenmm_session, decltype(&xgenmm_session_free)> session(
      xgenmm_session_new(model.get()), xgenmm_session_free);
  if (!session)
    return runtimeError(xgenmm_last_error());

  std::vector<Image> images;
  std::string error;
  if (!options.pixelValues.empty() &&
      !readImages(options.pixelValues, info.image_size, images, error))
    return runtimeError(error);
  // Image files: preprocessed by the runtime, released when `loaded` goes.
  std::vector<LoadedImage> loaded(options.images.size());
  for (size_t k = 0; k < options.images.size(); ++k) {
    if (xgenmm_image_load_file(model.get(), options.images[k].c_str(),
                               &loaded[k].image) != XGENMM_OK)
      return runtimeError(xgenmm_last_error()); // starts with the path
    images.emplace_back();
    images.back().image = loaded[k].image;
  }

  // The prompt ids: given, or the text in its template, tokenized.
  std::vector<xgenmm_token> ids = options.inputIds;
  if (options.prompt) {
    xgenmm_prompt_format format =
        options.format.value_or(xgenmm_default_prompt_format(model.get()));
    const char *system = options.system ? options.system->c_str() : nullptr;
    const int32_t nImages = static_cast<int32_t>(images.size());
    int32_t n = 0;
    xgenmm_status status =
        xgenmm_tokenize_prompt(model.get(), options.prompt->c_str(), format,
                               system, nImages, nullptr, 0, &n);
    if (status != XGENMM_OK && n == 0)
      return runtimeError(xgenmm_last_error());
    ids.resize(static_cast<size_t>(n));
    if (xgenmm_tokenize_prompt(model.get(), options.prompt->c_str(), format,
                               system, nImages, ids.data(), n,
                               &n) != XGENMM_OK)
      return runtimeError(xgenmm_last_error());
  }
  if (options.printPromptIds) {
    std::printf("prompt ids:");
    for (xgenmm_token id : ids)
      std::printf(" %" PRId32, id);
    std::printf("\n");
    std::fflush(stdout);
  }
  std::vector<std::vector<float>> tokens(images.size());
  std::vector<xgenmm_vision_tokens> vision(images.size());
  for (size_t k = 0; k < images.size(); ++k) {
    int32_t n = images[k].image.n_views * info.tokens_per_view;
    tokens[k].resize(static_cast<size_t>(n) * info.n_embd);
    if (xgenmm_encode_image(session.get(), &images[k].image, tokens[k].data(),
                            tokens[k].size()) != XGENMM_OK)
      return runtimeError("image" + std::to_string(k) + ": " +
                          xgenmm_last_error());
    vision[k] = {tokens[k].data(), n};
  }

  if (xgenmm_prefill(session.get(), ids.data(),
                     static_cast<int32_t>(ids.size()),
                     vision.data(),
                     static_cast<int32_t>(vision.size())) != XGENMM_OK)
    return runtimeError(xgenmm_last_error());

  if (!options.dumpDir.empty()) {
    if (::mkdir(options.dumpDir.c_str(), 0777) != 0 && errno != EEXIST)
      return runtimeError(options.dumpDir +
                          ": cannot create: " + std::strerror(errno));
    std::vector<float> all;
    for (const std::vector<float> &t : tokens)
      all.insert(all.end(), t.begin(), t.end());
    if (runtime::writeNpy(options.dumpDir + "/vision_tokens.npy", all.data(),
                          {static_cast<int64_t>(all.size() / info.n_embd),
                           info.n_embd}) != XGENMM_OK ||
        runtime::writeNpy(options.dumpDir + "/logits.npy",
                          xgenmm_logits(session.get()),
                          {info.n_vocab}) != XGENMM_OK)
      return runtimeError(xgenmm_last_error());
  }

  xgenmm_generate_params params = xgenmm_generate_default_params(model.get());
  if (options.temperature || options.topK || options.topP)
    params.sampling.temperature = options.temperature.value_or(1.0f);
  params.sampling.top_k = options.topK.value_or(0);
  params.sampling.top_p = options.topP.value_or(1.0f);
  params.sampling.seed = options.seed;
  if (options.maxTokens)
    params.max_new_tokens = *options.maxTokens;
  if (!options.stops.empty()) {
    params.stop_tokens = options.stops.data();
    params.n_stop_tokens = static_cast<int32_t>(options.stops.size());
  }
  // Text prompts stream text (the stop token itself is not printed); id
  // prompts stream ids.
  std::unique_ptr<xgenmm_detokenizer, decltype(&xgenmm_detokenizer_free)>
      detokenizer(nullptr, xgenmm_detokenizer_free);
  Streamer streamer;
  if (options.prompt) {
    detokenizer.reset(xgenmm_detokenizer_new(model.get(), 1));
    if (!detokenizer)
      return runtimeError(xgenmm_last_error());
    streamer.detokenizer = detokenizer.get();
    streamer.stops.assign(params.stop_tokens,
                          params.stop_tokens + params.n_stop_tokens);
    params.on_token = streamText;
    params.user_data = &streamer;
  } else {
    params.on_token = printToken;
  }
  // The context bounds the tokens as much as --max-tokens does.
  const int32_t room = info.n_ctx - xgenmm_session_position(session.get()) + 1;
  std::vector<xgenmm_token> generated(
      static_cast<size_t>(std::min(params.max_new_tokens, room)));
  int32_t nGenerated = 0;
  xgenmm_status status =
      xgenmm_generate(session.get(), &params, generated.data(), &nGenerated);
  if (status == XGENMM_OK && !streamer.error.empty())
    return runtimeError(streamer.error);
  if (detokenizer)
    std::fputs(xgenmm_detokenizer_finish(detokenizer.get()), stdout);
  std::printf("\n");
  std::fflush(stdout);
  if (status != XGENMM_OK)
    return runtimeError(xgenmm_last_error());
  if (options.printIds) {
    std::printf("ids:");
    for (int32_t i = 0; i < nGenerated; ++i)
      std::printf(" %" PRId32, generated[i]);
    std::printf("\n");
    std::fflush(stdout);
  }

  xgenmm_timings t = xgenmm_session_timings(session.get());
  std::fprintf(
      stderr,
      "timing: image encode %.1f ms, prefill %" PRId32
      " tokens at %.1f tokens/s, decode %" PRId32 " tokens at %.1f tokens/s\n",
      t.encode_ms, t.n_prefill_tokens,
      tokensPerSecond(t.n_prefill_tokens, t.prefill_ms), t.n_decode_tokens,
      tokensPerSecond(t.n_decode_tokens, t.decode_ms));
  return 0;
}

} // namespace

int main(int argc, char **argv) { return run(parseOptions(argc, argv)); }
