//===- GoldenTest.cpp - ids and text equal transformers' on the corpus ----===//
//
// Every text of test/reference/tokenizer/goldens.json must encode to the ids
// transformers 4.41's slow LlamaTokenizer (legacy=False) gave, and every id
// sequence (and, for the decode sequences, every prefix of it) must decode
// to its text, with and without skip_special_tokens.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Template.h"
#include "test/runtime/tokenizer/TokenizerTestUtil.h"

#include <gtest/gtest.h>

using namespace xgenmm;
using namespace xgenmm::runtime;
using namespace xgenmm::tokenizer_test;

namespace {

TEST(TokenizerGolden, VocabularyAndTokenIds) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->pieceCount(),
            goldens().get("sentencepiece_pieces")->asInteger());
  EXPECT_EQ(tok->size(), goldens().get("tokenizer_len")->asInteger());
  EXPECT_EQ(tok->size(), 32015);
  for (const auto &[token, id] : goldens().get("token_ids")->asObject())
    EXPECT_EQ(tok->tokenId(token), id.asInteger()) << token;
  EXPECT_EQ(tok->imageTokenId(), 32012);
  EXPECT_EQ(tok->imagePlaceholderTokenId(), 32013);
  EXPECT_EQ(tok->endOfChunkTokenId(), 32014);
  EXPECT_EQ(tok->eosTokenId(), 32000);
  EXPECT_EQ(tok->instructStopTokenId(), kInstructStopTokenId);
  EXPECT_EQ(tok->tokenId("no such token"), -1);

  // all_special_ids: what skip_special_tokens drops.
  std::vector<xgenmm_token> special;
  for (const JsonValue &t : goldens().get("all_special_tokens")->asArray())
    special.push_back(tok->tokenId(t.asString()));
  for (xgenmm_token id = 0; id < tok->size(); ++id) {
    bool expected =
        std::find(special.begin(), special.end(), id) != special.end();
    EXPECT_EQ(tok->isSpecialId(id), expected) << id;
  }
  std::string s;
  EXPECT_TRUE(tok->tokenString(32007, s));
  EXPECT_EQ(s, "<|end|>");
  EXPECT_TRUE(tok->tokenString(13, s));
  EXPECT_EQ(s, "<0x0A>");
  EXPECT_FALSE(tok->tokenString(32015, s));
  EXPECT_FALSE(tok->tokenString(-1, s));
}

TEST(TokenizerGolden, EncodeMatchesTransformers) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  const auto &cases = goldenList("encode");
  ASSERT_GT(cases.size(), 300u);
  size_t matched = 0;
  for (const JsonValue &c : cases) {
    std::vector<xgenmm_token> ids;
    ASSERT_EQ(tok->encode(str(c, "text"), ids), XGENMM_OK)
        << xgenmm_last_error();
    std::vector<xgenmm_token> expected = idsOf(*c.get("ids"));
    EXPECT_EQ(ids, expected) << str(c, "name") << "\n  got      " << show(ids)
                             << "\n  expected " << show(expected);
    matched += ids == expected;
  }
  std::printf("encode: %zu of %zu texts give transformers' ids\n", matched,
              cases.size());
}

TEST(TokenizerGolden, DecodeMatchesTransformers) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  size_t matched = 0, total = 0;
  for (const JsonValue &c : goldenList("encode")) {
    std::vector<xgenmm_token> ids = idsOf(*c.get("ids"));
    for (bool skip : {false, true}) {
      std::string text;
      ASSERT_EQ(tok->decode(ids.data(), ids.size(), skip, text), XGENMM_OK)
          << xgenmm_last_error();
      std::string expected = str(c, skip ? "decode_skip_special" : "decode");
      EXPECT_EQ(text, expected)
          << str(c, "name") << (skip ? " (skip special)" : "");
      matched += text == expected;
      ++total;
    }
  }
  std::printf("decode: %zu of %zu id sequences give transformers' text\n",
              matched, total);
}

TEST(TokenizerGolden, EveryPrefixDecodesAsTransformers) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  const auto &cases = goldenList("decode");
  ASSERT_GT(cases.size(), 100u);
  size_t matched = 0, total = 0;
  for (const JsonValue &c : cases) {
    std::vector<xgenmm_token> ids = idsOf(*c.get("ids"));
    for (bool skip : {false, true}) {
      const auto &expected =
          c.get(skip ? "prefix_decodes_skip_special" : "prefix_decodes")
              ->asArray();
      ASSERT_EQ(expected.size(), ids.size() + 1);
      for (size_t k = 0; k <= ids.size(); ++k) {
        std::string text;
        ASSERT_EQ(tok->decode(ids.data(), k, skip, text), XGENMM_OK);
        EXPECT_EQ(text, expected[k].asString())
            << str(c, "name") << " prefix " << k
            << (skip ? " (skip special)" : "") << " ids "
            << show(std::vector<xgenmm_token>(ids.begin(), ids.begin() + k));
        matched += text == expected[k].asString();
        ++total;
      }
    }
  }
  std::printf("decode: %zu of %zu prefixes give transformers' text\n", matched,
              total);
}

TEST(TokenizerGolden, TemplatesMatchModelCards) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  const auto &cases = goldenList("templates");
  ASSERT_GE(cases.size(), 10u);
  for (const JsonValue &c : cases) {
    SCOPED_TRACE(str(c, "name"));
    const JsonValue &p = *c.get("params");
    PromptOptions options;
    std::string input;
    std::string kind = str(c, "kind");
    if (kind == "instruct") {
      options.format = PromptFormat::Instruct;
      input = str(p, "query");
      if (p.get("system"))
        options.systemPrompt = str(p, "system");
    } else if (kind == "base") {
      options.format = PromptFormat::Base;
      input = str(p, "prompt");
      options.numImages =
          static_cast<int32_t>(p.get("num_images")->asInteger());
      options.numLatents =
          static_cast<int32_t>(p.get("num_latents")->asInteger());
      for (const JsonValue &e : p.get("examples")->asArray())
        options.examples.push_back(
            {e.asArray()[0].asString(), e.asArray()[1].asString()});
    } else {
      options.format = PromptFormat::Raw;
      input = str(p, "text");
    }
    std::string text;
    ASSERT_EQ(formatPrompt(options, input, text), XGENMM_OK)
        << xgenmm_last_error();
    EXPECT_EQ(text, str(c, "text"));
    std::vector<xgenmm_token> ids;
    ASSERT_EQ(tok->encode(text, ids), XGENMM_OK);
    EXPECT_EQ(ids, idsOf(*c.get("ids")));
    std::string decoded;
    ASSERT_EQ(tok->decode(ids.data(), ids.size(), false, decoded), XGENMM_OK);
    EXPECT_EQ(decoded, str(c, "decode"));
  }
}

} // namespace
