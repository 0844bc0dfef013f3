//===- Template.h - prompt strings of the xGen-MM model cards ---*- C++ -*-===//
//
// The prompt forms of model-spec.md sections 1 and 5.3, character for
// character as the model cards build them:
//
//  * instruct (r-v1.5 instruct cards, VLMEval):
//      <|system|>\n{system}<|end|>\n<|user|>\n{query}<|end|>\n<|assistant|>\n
//    where the query holds one `<image>` per image. Generation stops on
//    `<|end|>` (kInstructStopToken), not on eos.
//  * base (base r-v1.5 demo.ipynb `apply_prompt_template`): each image is
//    `<image>` followed by num_latents - 1 `<image placeholder>` (127 for the
//    released models); an in-context example is
//    `{image}{instruction}{output}<|endofchunk|>` (no space between
//    instruction and output), the query is `{image} x num_images` + the
//    instruction.
//  * raw: the text as given.
//
// Note what the tokenizer then does with these strings (Tokenizer.h): the
// newlines after `<|system|>`, `<|end|>`, `<|user|>` and `<|assistant|>` are
// eaten (rstrip), and the instruct prompt starts with a lone "▁" piece.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_TOKENIZER_TEMPLATE_H
#define XGENMM_RUNTIME_TOKENIZER_TEMPLATE_H

#include "runtime/xgenmm.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xgenmm::runtime {

/// The system prompt of the instruct model cards.
inline constexpr std::string_view kInstructSystemPrompt =
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's "
    "questions.";

/// The instruct models stop on `<|end|>`; with the released tokenizer files
/// its id is 32007 (Tokenizer::instructStopTokenId() reads it from the files).
inline constexpr std::string_view kInstructStopToken = "<|end|>";
inline constexpr xgenmm_token kInstructStopTokenId = 32007;

/// Resampler latents per image of the released r-v1.5 models.
inline constexpr int32_t kDefaultNumLatents = 128;

enum class PromptFormat { Raw, Instruct, Base };

/// One in-context example of the base format (one image each).
struct FewShotExample {
  std::string instruction;
  std::string output;
};

struct PromptOptions {
  PromptFormat format = PromptFormat::Instruct;
  /// Instruct: the system prompt.
  std::string systemPrompt = std::string(kInstructSystemPrompt);
  /// Base: tokens per image (`<image>` + numLatents - 1 placeholders).
  int32_t numLatents = kDefaultNumLatents;
  /// Base: images of the query (their tags go before the instruction).
  int32_t numImages = 1;
  /// Base: in-context examples, before the query.
  std::vector<FewShotExample> examples;
};

/// The instruct prompt around `query`.
std::string
formatInstructPrompt(std::string_view query,
                     std::string_view systemPrompt = kInstructSystemPrompt);

/// One image of the base format: `<image>` + (numLatents - 1) x
/// `<image placeholder>`. XGENMM_ERROR_INVALID_ARGUMENT if numLatents < 1.
xgenmm_status formatBaseImage(int32_t numLatents, std::string &out);

/// The base format: the examples, then `numImages` images and
/// `instruction`. XGENMM_ERROR_INVALID_ARGUMENT if numLatents < 1 or
/// numImages < 0.
xgenmm_status formatBasePrompt(const std::vector<FewShotExample> &examples,
                               std::string_view instruction, int32_t numImages,
                               int32_t numLatents, std::string &out);

/// `text` in the form `options` asks for.
xgenmm_status formatPrompt(const PromptOptions &options, std::string_view text,
                           std::string &out);

/// The number of `<image>` tags in `text` (`<image placeholder>` is not one).
int32_t countImageTags(std::string_view text);

/// XGENMM_ERROR_INVALID_ARGUMENT unless `prompt` holds exactly `numImages`
/// `<image>` tags, e.g. "the prompt has 1 <image> tag but 2 images were
/// given: put one <image> where each image goes, in order".
xgenmm_status checkImageTags(std::string_view prompt, int32_t numImages);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_TOKENIZER_TEMPLATE_H
