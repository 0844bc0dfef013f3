//===- Template.cpp - prompt strings of the xGen-MM model cards -----------===//

#include "runtime/tokenizer/Template.h"

#include "runtime/Error.h"
#include "runtime/tokenizer/Tokenizer.h"

using namespace xgenmm::runtime;

std::string
xgenmm::runtime::formatInstructPrompt(std::string_view query,
                                      std::string_view systemPrompt) {
  std::string out = "<|system|>\n";
  out.append(systemPrompt);
  out += "<|end|>\n<|user|>\n";
  out.append(query);
  out += "<|end|>\n<|assistant|>\n";
  return out;
}

xgenmm_status xgenmm::runtime::formatBaseImage(int32_t numLatents,
                                               std::string &out) {
  out.clear();
  if (numLatents < 1)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                "base prompt: num_latents must be at least 1, got " +
                    std::to_string(numLatents));
  out.reserve(kImageToken.size() + static_cast<size_t>(numLatents - 1) *
                                       kImagePlaceholderToken.size());
  out.append(kImageToken);
  for (int32_t i = 1; i < numLatents; ++i)
    out.append(kImagePlaceholderToken);
  return XGENMM_OK;
}

xgenmm_status xgenmm::runtime::formatBasePrompt(
    const std::vector<FewShotExample> &examples, std::string_view instruction,
    int32_t numImages, int32_t numLatents, std::string &out) {
  out.clear();
  if (numImages < 0)
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                "base prompt: the number of images must not be negative, got " +
                    std::to_string(numImages));
  std::string image;
  XGENMM_TRY(formatBaseImage(numLatents, image));
  for (const FewShotExample &example : examples) {
    out += image;
    out += example.instruction;
    out += example.output;
    out.append(kEndOfChunkToken);
  }
  for (int32_t i = 0; i < numImages; ++i)
    out += image;
  out.append(instruction);
  return XGENMM_OK;
}

xgenmm_status xgenmm::runtime::formatPrompt(const PromptOptions &options,
                                            std::string_view text,
                                            std::string &out) {
  switch (options.format) {
  case PromptFormat::Raw:
    out.assign(text);
    return XGENMM_OK;
  case PromptFormat::Instruct:
    out = formatInstructPrompt(text, options.systemPrompt);
    return XGENMM_OK;
  case PromptFormat::Base:
    return formatBasePrompt(options.examples, text, options.numImages,
                            options.numLatents, out);
  }
  return fail(XGENMM_ERROR_INVALID_ARGUMENT, "prompt: unknown format");
}

int32_t xgenmm::runtime::countImageTags(std::string_view text) {
  int32_t count = 0;
  for (size_t pos = text.find(kImageToken); pos != std::string_view::npos;
       pos = text.find(kImageToken, pos + kImageToken.size()))
    ++count;
  return count;
}

xgenmm_status xgenmm::runtime::checkImageTags(std::string_view prompt,
                                              int32_t numImages) {
  int32_t tags = countImageTags(prompt);
  if (tags == numImages)
    return XGENMM_OK;
  auto plural = [](int32_t n, const char *one, const char *many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return fail(XGENMM_ERROR_INVALID_ARGUMENT,
              "the prompt has " + plural(tags, "<image> tag", "<image> tags") +
                  " but " + plural(numImages, "image was", "images were") +
                  " given: put one <image> where each image goes, in order");
}
