//===- Utf8Test.cpp - the UTF-8 and protobuf helpers ----------------------===//

#include "runtime/tokenizer/Utf8.h"
#include "runtime/tokenizer/SentencePieceProto.h"
#include "test/runtime/tokenizer/TokenizerTestUtil.h"

#include <gtest/gtest.h>

using namespace xgenmm::runtime;
using namespace xgenmm::tokenizer_test;
using utf8::CharStatus;

namespace {

CharStatus classify(std::string_view bytes, size_t expectedLength = 0) {
  size_t length = 0;
  CharStatus s = utf8::classifyChar(bytes, length);
  if (s == CharStatus::Valid && expectedLength) {
    EXPECT_EQ(length, expectedLength);
  }
  return s;
}

TEST(Utf8, ClassifiesAsSentencePiece) {
  EXPECT_EQ(classify("a", 1), CharStatus::Valid);
  EXPECT_EQ(classify(std::string_view("\0", 1), 1), CharStatus::Valid);
  EXPECT_EQ(classify("\xC3\xA9", 2), CharStatus::Valid);
  EXPECT_EQ(classify("\xE2\x96\x81", 3), CharStatus::Valid);
  EXPECT_EQ(classify("\xEF\xBF\xBD", 3), CharStatus::Valid); // U+FFFD itself
  EXPECT_EQ(classify("\xF0\x9F\x98\x80", 4), CharStatus::Valid);
  EXPECT_EQ(classify("\xF4\x8F\xBF\xBF", 4), CharStatus::Valid); // U+10FFFF
  EXPECT_EQ(classify("\xC3"), CharStatus::Incomplete);
  EXPECT_EQ(classify("\xF0\x9F\x98"), CharStatus::Incomplete);
  EXPECT_EQ(classify("\x80"), CharStatus::Invalid);     // continuation first
  EXPECT_EQ(classify("\xC0\x80"), CharStatus::Invalid); // overlong
  EXPECT_EQ(classify("\xE0\x80\x80"), CharStatus::Invalid);     // overlong
  EXPECT_EQ(classify("\xED\xA0\x80"), CharStatus::Invalid);     // surrogate
  EXPECT_EQ(classify("\xF4\x90\x80\x80"), CharStatus::Invalid); // > U+10FFFF
  EXPECT_EQ(classify("\xF8\x88\x80\x80\x80"), CharStatus::Invalid);
  EXPECT_EQ(classify("\xE2\x41"),
            CharStatus::Invalid); // can no longer complete
  EXPECT_EQ(classify("\xFF"), CharStatus::Invalid);
}

TEST(Utf8, FindInvalid) {
  EXPECT_EQ(utf8::findInvalid("plain ascii"), std::string_view::npos);
  EXPECT_EQ(utf8::findInvalid("日本語 😀"), std::string_view::npos);
  EXPECT_EQ(utf8::findInvalid("ab\xC3"), 2u);
  EXPECT_EQ(utf8::findInvalid("ab\xED\xA0\x80"), 2u);
}

TEST(Utf8, PythonStrip) {
  // Python: " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u3000" are
  // whitespace; "\u200b" (zero width space) and "\ufeff" are not.
  EXPECT_EQ(utf8::pythonLstrip(" \t\n\x0b\x0c\r\x1c\x1f"
                               "x "),
            "x ");
  EXPECT_EQ(utf8::pythonLstrip(
                "\xC2\x85\xC2\xA0\xE1\x9A\x80\xE2\x80\x80\xE3\x80\x80y"),
            "y");
  EXPECT_EQ(utf8::pythonLstrip("\xE2\x80\x8Bz"), "\xE2\x80\x8Bz");
  EXPECT_EQ(utf8::pythonLstrip("\xE2\x96\x81z"),
            "\xE2\x96\x81z"); // "▁" is no space
  EXPECT_EQ(utf8::pythonLstrip("   "), "");
  EXPECT_EQ(utf8::pythonRstrip(" x \xE3\x80\x80\n"), " x");
  EXPECT_EQ(utf8::pythonRstrip("\xE6\x97\xA5"), "\xE6\x97\xA5");
  EXPECT_EQ(utf8::pythonRstrip(""), "");
  for (char32_t c = 0; c < 0x110000; ++c) {
    bool expected = c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C ||
                    c == 0x0D || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
                    c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
                    c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
                    c == 0x3000;
    ASSERT_EQ(utf8::isPythonSpace(c), expected) << std::hex << c;
  }
}

TEST(SentencePieceProto, ReadsTheReferenceModel) {
  std::string model = readFile(modelDir() + "/tokenizer.model");
  SentencePieceModelInfo info;
  std::string error;
  ASSERT_TRUE(readSentencePieceModelInfo(model, info, error)) << error;
  // Llama-2's normalizer settings.
  EXPECT_EQ(info.pieceCount, 32000);
  EXPECT_TRUE(info.addDummyPrefix);
  EXPECT_FALSE(info.removeExtraWhitespaces);
  EXPECT_FALSE(info.hasDenormalizer);
  EXPECT_EQ(info.unkSurface, " \xE2\x81\x87 ");
  ASSERT_TRUE(
      readSentencePieceModelInfo(withoutDummyPrefix(model), info, error))
      << error;
  EXPECT_FALSE(info.addDummyPrefix);
  EXPECT_FALSE(info.removeExtraWhitespaces);
  EXPECT_EQ(info.pieceCount, 32000);
}

TEST(SentencePieceProto, RejectsMalformedMessages) {
  SentencePieceModelInfo info;
  std::string error;
  EXPECT_FALSE(readSentencePieceModelInfo("\x0A\x05"
                                          "ab",
                                          info, error));
  EXPECT_EQ(error, "at byte 0: truncated length-delimited field");
  EXPECT_FALSE(
      readSentencePieceModelInfo(std::string("\x1A\x02\x18", 3), info, error));
  EXPECT_EQ(error, "at byte 0: truncated length-delimited field");
  EXPECT_FALSE(
      readSentencePieceModelInfo(std::string("\x1A\x01\x18", 3), info, error));
  EXPECT_EQ(error, "at byte 2: truncated varint");
  EXPECT_FALSE(readSentencePieceModelInfo("\x0B", info, error));
  EXPECT_EQ(error, "at byte 0: unsupported wire type 3");
  EXPECT_FALSE(readSentencePieceModelInfo(std::string("\x00", 1), info, error));
  EXPECT_EQ(error, "at byte 0: invalid field number");
}

} // namespace
