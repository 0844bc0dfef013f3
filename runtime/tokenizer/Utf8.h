//===- Utf8.h - UTF-8 rules the tokenizer must reproduce --------*- C++ -*-===//
//
// Three rules from the reference implementation, each reproduced exactly:
// which bytes start a valid character when SentencePiece decodes byte
// pieces (invalid bytes become U+FFFD one by one), which characters Python's
// str.lstrip()/rstrip() remove (an rstrip added token eats them), and what
// counts as valid UTF-8 input text (Python strings hold no surrogates).
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_TOKENIZER_UTF8_H
#define XGENMM_RUNTIME_TOKENIZER_UTF8_H

#include <cstddef>
#include <string_view>

namespace xgenmm::runtime::utf8 {

/// U+FFFD REPLACEMENT CHARACTER.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

enum class CharStatus {
  Valid,      ///< `length` bytes form one character.
  Invalid,    ///< the first byte cannot start a character here.
  Incomplete, ///< a valid start whose remaining bytes have not come yet.
};

/// Classifies the character at the start of `bytes` (not empty) as
/// SentencePiece's string_util::IsValidDecodeUTF8 does: shortest form only,
/// no surrogates, nothing above U+10FFFF. Incomplete only when every byte
/// present could still begin a valid character.
CharStatus classifyChar(std::string_view bytes, size_t &length);

/// The offset of the first byte of `text` that is not part of valid UTF-8,
/// or npos.
size_t findInvalid(std::string_view text);

/// Python's str.isspace() for one code point.
bool isPythonSpace(char32_t c);

/// `text` without the leading (lstrip) or trailing (rstrip) characters
/// Python's str.lstrip()/str.rstrip() remove. `text` must be valid UTF-8.
std::string_view pythonLstrip(std::string_view text);
std::string_view pythonRstrip(std::string_view text);

} // namespace xgenmm::runtime::utf8

#endif // XGENMM_RUNTIME_TOKENIZER_UTF8_H
