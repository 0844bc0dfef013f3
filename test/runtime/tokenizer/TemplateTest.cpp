//===- TemplateTest.cpp - the prompt strings of the model cards -----------===//

#include "runtime/tokenizer/Template.h"
#include "test/runtime/tokenizer/TokenizerTestUtil.h"

#include <gtest/gtest.h>

using namespace xgenmm;
using namespace xgenmm::runtime;
using namespace xgenmm::tokenizer_test;

namespace {

// The instruct r-v1.5 model card's apply_prompt_template, verbatim.
TEST(Template, InstructIsTheModelCardString) {
  EXPECT_EQ(
      formatInstructPrompt("<image> Describe this image."),
      "<|system|>\nA chat between a curious user and an artificial "
      "intelligence assistant. The assistant gives helpful, detailed, and "
      "polite answers to the user's questions.<|end|>\n<|user|>\n<image> "
      "Describe this image.<|end|>\n<|assistant|>\n");
  EXPECT_EQ(
      formatInstructPrompt("Hi", "Be brief."),
      "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n");
  PromptOptions options;
  std::string out;
  ASSERT_EQ(formatPrompt(options, "q", out), XGENMM_OK);
  EXPECT_EQ(out, formatInstructPrompt("q"));
}

TEST(Template, InstructTokensStartWithALoneUnderline) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  std::vector<xgenmm_token> ids;
  ASSERT_EQ(
      tok->encode(formatInstructPrompt("<image> Describe this image."), ids),
      XGENMM_OK);
  ASSERT_GE(ids.size(), 3u);
  // "▁" then <|system|>: <|system|> is no member of all_special_tokens.
  EXPECT_EQ(ids[0], tok->tokenId("\xE2\x96\x81"));
  EXPECT_EQ(ids[1], tok->tokenId("<|system|>"));
  // The newline after <|system|> is eaten (rstrip): no <0x0A> anywhere.
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok->tokenId("<0x0A>")), 0);
  EXPECT_EQ(ids.back(), tok->tokenId("<|assistant|>"));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok->imageTokenId()), 1);
}

// The base r-v1.5 demo.ipynb's apply_prompt_template.
TEST(Template, BaseIsTheDemoString) {
  std::string image;
  ASSERT_EQ(formatBaseImage(3, image), XGENMM_OK);
  EXPECT_EQ(image, "<image><image placeholder><image placeholder>");
  ASSERT_EQ(formatBaseImage(1, image), XGENMM_OK);
  EXPECT_EQ(image, "<image>");
  ASSERT_EQ(formatBaseImage(kDefaultNumLatents, image), XGENMM_OK);
  EXPECT_EQ(countImageTags(image), 1);
  size_t placeholders = 0;
  for (size_t p = image.find("<image placeholder>"); p != std::string::npos;
       p = image.find("<image placeholder>", p + 1))
    ++placeholders;
  EXPECT_EQ(placeholders, 127u);

  std::string out;
  ASSERT_EQ(formatBasePrompt({{"Describe:", "A cat."}, {"Describe:", "A dog."}},
                             "Describe:", 1, 2, out),
            XGENMM_OK);
  EXPECT_EQ(out, "<image><image placeholder>Describe:A cat.<|endofchunk|>"
                 "<image><image placeholder>Describe:A dog.<|endofchunk|>"
                 "<image><image placeholder>Describe:");
  ASSERT_EQ(formatBasePrompt({}, "Q", 2, 1, out), XGENMM_OK);
  EXPECT_EQ(out, "<image><image>Q");

  PromptOptions options;
  options.format = PromptFormat::Base;
  options.numLatents = 2;
  options.numImages = 1;
  options.examples = {{"a", "b"}};
  ASSERT_EQ(formatPrompt(options, "c", out), XGENMM_OK);
  EXPECT_EQ(
      out,
      "<image><image placeholder>ab<|endofchunk|><image><image placeholder>c");
}

TEST(Template, BaseTokensHaveOnePlaceholderPerLatent) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  std::string text;
  ASSERT_EQ(
      formatBasePrompt({{"Describe:", "A cat."}}, "Describe:", 1, 128, text),
      XGENMM_OK);
  std::vector<xgenmm_token> ids;
  ASSERT_EQ(tok->encode(text, ids), XGENMM_OK);
  // <image> is in all_special_tokens: no "▁" before it.
  EXPECT_EQ(ids[0], tok->imageTokenId());
  for (int i = 1; i < 128; ++i)
    EXPECT_EQ(ids[i], tok->imagePlaceholderTokenId()) << i;
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok->imageTokenId()), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok->imagePlaceholderTokenId()),
            254);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok->endOfChunkTokenId()), 1);
}

TEST(Template, BadBaseParameters) {
  std::string out;
  EXPECT_EQ(formatBaseImage(0, out), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(xgenmm_last_error(),
               "base prompt: num_latents must be at least 1, got 0");
  EXPECT_EQ(formatBasePrompt({}, "q", -1, 128, out),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(
      xgenmm_last_error(),
      "base prompt: the number of images must not be negative, got -1");
}

TEST(Template, RawPassesTextUntouched) {
  PromptOptions options;
  options.format = PromptFormat::Raw;
  std::string out;
  ASSERT_EQ(formatPrompt(options, " <image>\n x ", out), XGENMM_OK);
  EXPECT_EQ(out, " <image>\n x ");
}

TEST(Template, ImageTagCount) {
  EXPECT_EQ(countImageTags(""), 0);
  EXPECT_EQ(countImageTags("<image placeholder><image placeholder>"), 0);
  EXPECT_EQ(countImageTags("<image><image>x<image placeholder><image>"), 3);
  EXPECT_EQ(countImageTags("<image <image>> <Image>"), 1);
  EXPECT_EQ(checkImageTags("<image> a <image> b", 2), XGENMM_OK);
  EXPECT_EQ(checkImageTags(formatInstructPrompt("no image"), 0), XGENMM_OK);

  EXPECT_EQ(checkImageTags("<image> Describe.", 2),
            XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(xgenmm_last_error(),
               "the prompt has 1 <image> tag but 2 images were given: put one "
               "<image> where each image goes, in order");
  EXPECT_EQ(checkImageTags("Describe.", 1), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(xgenmm_last_error(),
               "the prompt has 0 <image> tags but 1 image was given: put one "
               "<image> where each image goes, in order");
  EXPECT_EQ(checkImageTags("<image><image>", 0), XGENMM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(xgenmm_last_error(),
               "the prompt has 2 <image> tags but 0 images were given: put one "
               "<image> where each image goes, in order");
}

TEST(Template, StopToken) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  EXPECT_EQ(kInstructStopToken, "<|end|>");
  EXPECT_EQ(kInstructStopTokenId, 32007);
  EXPECT_EQ(tok->tokenId(kInstructStopToken), kInstructStopTokenId);
  EXPECT_EQ(tok->instructStopTokenId(), kInstructStopTokenId);
}

} // namespace
