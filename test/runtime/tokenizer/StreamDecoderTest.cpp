//===- StreamDecoderTest.cpp - streaming equals whole-sequence decoding ---===//

#include "runtime/tokenizer/StreamDecoder.h"
#include "runtime/tokenizer/Utf8.h"
#include "test/runtime/tokenizer/TokenizerTestUtil.h"

#include <gtest/gtest.h>

using namespace xgenmm;
using namespace xgenmm::runtime;
using namespace xgenmm::tokenizer_test;

namespace {

/// Every id sequence of goldens.json.
std::vector<std::pair<std::string, std::vector<xgenmm_token>>> allSequences() {
  std::vector<std::pair<std::string, std::vector<xgenmm_token>>> out;
  for (const char *list : {"encode", "decode", "templates"})
    for (const JsonValue &c : goldenList(list))
      out.emplace_back(std::string(list) + "/" + str(c, "name"),
                       idsOf(*c.get("ids")));
  return out;
}

bool validUtf8(const std::string &s) {
  return utf8::findInvalid(s) == std::string_view::npos;
}

// For every sequence and every cut k: the chunks streamed for ids[0, k) are
// complete UTF-8, and with finish() they make decode(ids[0, k)).
TEST(StreamDecoder, EveryCutEqualsWholeDecode) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  auto sequences = allSequences();
  ASSERT_GT(sequences.size(), 500u);
  size_t cuts = 0;
  for (const auto &[name, ids] : sequences) {
    for (bool skip : {false, true}) {
      StreamDecoder decoder(*tok, skip);
      std::string streamed;
      for (size_t k = 0; k <= ids.size(); ++k) {
        // `streamed` holds the chunks of ids[0, k); close a copy there.
        StreamDecoder cut = decoder;
        std::string closed = streamed;
        std::string tail;
        cut.finish(tail);
        ASSERT_TRUE(validUtf8(tail)) << name << " cut " << k;
        closed += tail;
        std::string whole;
        ASSERT_EQ(tok->decode(ids.data(), k, skip, whole), XGENMM_OK);
        ASSERT_EQ(closed, whole)
            << name << " cut " << k << (skip ? " (skip)" : "");
        ++cuts;
        if (k == ids.size())
          break;
        std::string chunk;
        ASSERT_EQ(decoder.push(ids[k], chunk), XGENMM_OK)
            << xgenmm_last_error();
        ASSERT_TRUE(validUtf8(chunk)) << name << " id " << k;
        streamed += chunk;
      }
    }
  }
  std::printf("stream: %zu sequences, %zu cuts checked\n", sequences.size(),
              cuts);
}

TEST(StreamDecoder, HoldsBytesUntilTheCharacterIsComplete) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  // "😀" = F0 9F 98 80 as four byte pieces <0xF0> ... (ids 3 + byte).
  StreamDecoder decoder(*tok, false);
  std::string out;
  for (uint8_t b : {0xF0, 0x9F, 0x98}) {
    ASSERT_EQ(decoder.push(tok->tokenId(std::string("<0x") +
                                        "0123456789ABCDEF"[b >> 4] +
                                        "0123456789ABCDEF"[b & 15] + ">"),
                           out),
              XGENMM_OK);
    EXPECT_EQ(out, "");
  }
  ASSERT_EQ(decoder.push(tok->tokenId("<0x80>"), out), XGENMM_OK);
  EXPECT_EQ(out, "\xF0\x9F\x98\x80");
  // A cut-off character ends as one U+FFFD per byte, as in SentencePiece.
  ASSERT_EQ(decoder.push(tok->tokenId("<0xE2>"), out), XGENMM_OK);
  ASSERT_EQ(decoder.push(tok->tokenId("<0x82>"), out), XGENMM_OK);
  EXPECT_EQ(out, "\xF0\x9F\x98\x80");
  decoder.finish(out);
  EXPECT_EQ(out, "\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(StreamDecoder, InvalidBytesComeOutAtOnce) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  StreamDecoder decoder(*tok, false);
  std::string out;
  // 0xE2 then 'A' (0x41) as a byte: 0xE2 can no longer start a character.
  ASSERT_EQ(decoder.push(tok->tokenId("<0xE2>"), out), XGENMM_OK);
  EXPECT_EQ(out, "");
  ASSERT_EQ(decoder.push(tok->tokenId("<0x41>"), out), XGENMM_OK);
  EXPECT_EQ(out, "\xEF\xBF\xBD"
                 "A");
}

TEST(StreamDecoder, SpecialTokensRenderedOrSkipped) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  std::vector<xgenmm_token> hello;
  ASSERT_EQ(tok->encode("Hello world", hello), XGENMM_OK);
  std::vector<xgenmm_token> ids = {tok->imageTokenId()};
  ids.insert(ids.end(), hello.begin(), hello.end());
  ids.push_back(tok->instructStopTokenId());
  ids.push_back(tok->eosTokenId());
  for (bool skip : {false, true}) {
    StreamDecoder decoder(*tok, skip);
    std::string out;
    for (xgenmm_token id : ids)
      ASSERT_EQ(decoder.push(id, out), XGENMM_OK);
    decoder.finish(out);
    // <|end|> is not in all_special_tokens: skip_special_tokens keeps it.
    EXPECT_EQ(out, skip ? "Hello world <|end|>"
                        : "<image> Hello world <|end|> <|endoftext|>");
  }
}

TEST(StreamDecoder, UnknownIdIsAnError) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  StreamDecoder decoder(*tok, false);
  std::string out;
  EXPECT_EQ(decoder.push(32015, out), XGENMM_ERROR_OUT_OF_VOCABULARY);
  EXPECT_STREQ(
      xgenmm_last_error(),
      "tokenizer: token id 32015 is out of the vocabulary (32015 tokens)");
  EXPECT_EQ(decoder.push(-3, out), XGENMM_ERROR_OUT_OF_VOCABULARY);
  std::string text;
  xgenmm_token ids[] = {5, 40000};
  EXPECT_EQ(tok->decode(ids, 2, false, text), XGENMM_ERROR_OUT_OF_VOCABULARY);
}

TEST(StreamDecoder, FinishStartsAfresh) {
  const Tokenizer *tok = referenceTokenizer();
  ASSERT_TRUE(tok);
  std::vector<xgenmm_token> ids;
  ASSERT_EQ(tok->encode("<|user|>Hi", ids), XGENMM_OK);
  StreamDecoder decoder(*tok, false);
  std::string first, second;
  for (xgenmm_token id : ids)
    ASSERT_EQ(decoder.push(id, first), XGENMM_OK);
  decoder.finish(first);
  for (xgenmm_token id : ids)
    ASSERT_EQ(decoder.push(id, second), XGENMM_OK);
  decoder.finish(second);
  EXPECT_EQ(first, second);
  std::string whole;
  ASSERT_EQ(tok->decode(ids.data(), ids.size(), false, whole), XGENMM_OK);
  EXPECT_EQ(first, whole);
}

} // namespace
