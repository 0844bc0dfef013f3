//===- Utf8.cpp - UTF-8 rules the tokenizer must reproduce ----------------===//

#include "runtime/tokenizer/Utf8.h"

#include <cstdint>

using namespace xgenmm::runtime;
using utf8::CharStatus;

namespace {

bool isTrail(uint8_t b) { return (b & 0xC0) == 0x80; }

/// Decodes the valid character at `text[pos]` (which must be one).
char32_t decodeAt(std::string_view text, size_t pos, size_t &length) {
  utf8::classifyChar(text.substr(pos), length);
  auto b = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  switch (length) {
  case 1:
    return b(0);
  case 2:
    return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  case 3:
    return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  default:
    return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) |
           ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

/// Length of the valid character that ends at `end` (exclusive).
size_t lengthOfCharBefore(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 &&
         isTrail(static_cast<uint8_t>(text[start])))
    --start;
  return end - start;
}

} // namespace

CharStatus utf8::classifyChar(std::string_view bytes, size_t &length) {
  auto b = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  uint8_t lead = b(0);
  length = 1;
  if (lead < 0x80)
    return CharStatus::Valid;
  size_t need;
  if ((lead & 0xE0) == 0xC0)
    need = 2;
  else if ((lead & 0xF0) == 0xE0)
    need = 3;
  else if ((lead & 0xF8) == 0xF0)
    need = 4;
  else
    return CharStatus::Invalid;
  size_t have = bytes.size() < need ? bytes.size() : need;
  for (size_t i = 1; i < have; ++i)
    if (!isTrail(b(i)))
      return CharStatus::Invalid;
  if (have < need)
    return CharStatus::Incomplete;
  char32_t cp;
  bool valid;
  if (need == 2) {
    cp = ((lead & 0x1F) << 6) | (b(1) & 0x3F);
    valid = cp >= 0x80;
  } else if (need == 3) {
    cp = ((lead & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    valid = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
  } else {
    cp = ((lead & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) |
         (b(3) & 0x3F);
    valid = cp >= 0x10000 && cp <= 0x10FFFF;
  }
  if (!valid)
    return CharStatus::Invalid;
  length = need;
  return CharStatus::Valid;
}

size_t utf8::findInvalid(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length;
    if (classifyChar(text.substr(pos), length) != CharStatus::Valid)
      return pos;
    pos += length;
  }
  return std::string_view::npos;
}

bool utf8::isPythonSpace(char32_t c) {
  // [c for c in range(0x110000) if chr(c).isspace()]
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
         c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

std::string_view utf8::pythonLstrip(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length;
    if (!isPythonSpace(decodeAt(text, pos, length)))
      break;
    pos += length;
  }
  return text.substr(pos);
}

std::string_view utf8::pythonRstrip(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t length = lengthOfCharBefore(text, end);
    size_t decodedLength;
    if (!isPythonSpace(decodeAt(text, end - length, decodedLength)))
      break;
    end -= length;
  }
  return text.substr(0, end);
}
