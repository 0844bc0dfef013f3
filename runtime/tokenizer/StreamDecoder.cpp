//===- StreamDecoder.cpp - detokenizing one id at a time ------------------===//

#include "runtime/tokenizer/StreamDecoder.h"

#include "runtime/Error.h"
#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

#include <sentencepiece_processor.h>

using namespace xgenmm::runtime;

namespace {

constexpr std::string_view kUnderline = "\xE2\x96\x81"; // U+2581 "▁"

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// The byte of a byte piece "<0xAB>".
int pieceByte(std::string_view piece) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
    return -1;
  int hi = hex(piece[3]), lo = hex(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

} // namespace

StreamDecoder::StreamDecoder(const Tokenizer &tokenizer, bool skipSpecialTokens)
    : tokenizer_(tokenizer), skipSpecialTokens_(skipSpecialTokens) {}

void StreamDecoder::reset() {
  haveSubText_ = false;
  runOpen_ = false;
  runIndex_ = 0;
  runSeparator_ = false;
  runHasText_ = false;
  prevIsSpecial_ = false;
  startSentencePieceDecode();
}

void StreamDecoder::startSentencePieceDecode() {
  pendingBytes_.clear();
  spTextEmpty_ = true;
  spIsBosWs_ = true;
  spBosWsSeen_ = false;
}

xgenmm_status StreamDecoder::push(xgenmm_token id, std::string &text) {
  if (!tokenizer_.inVocabulary(id))
    return fail(XGENMM_ERROR_OUT_OF_VOCABULARY,
                "tokenizer: token id " + std::to_string(id) +
                    " is out of the vocabulary (" +
                    std::to_string(tokenizer_.size()) + " tokens)");
  if (skipSpecialTokens_ && tokenizer_.isSpecialId(id))
    return XGENMM_OK;
  const std::string &token = tokenizer_.tokenStringUnchecked(id);

  // PreTrainedTokenizer._decode: legacy added tokens are sub-texts alone.
  if (tokenizer_.ownSubTextTokens_.count(token)) {
    closeRun(/*last=*/false, text);
    if (haveSubText_)
      text += ' ';
    text += token;
    haveSubText_ = true;
    return XGENMM_OK;
  }

  // LlamaTokenizer.convert_tokens_to_string over the run.
  if (!runOpen_) {
    runOpen_ = true;
    runIndex_ = 0;
    runSeparator_ = haveSubText_;
    runHasText_ = false;
    prevIsSpecial_ = false;
    startSentencePieceDecode();
  }
  std::string_view piece = token;
  if (runIndex_ == 0 && tokenizer_.addPrefixSpace_ &&
      startsWith(piece, kUnderline))
    piece.remove_prefix(kUnderline.size());
  if (tokenizer_.specialTokens_.count(std::string(piece))) {
    flushBytes(/*final=*/true, text);
    emitRunText(piece, text);
    prevIsSpecial_ = true;
    startSentencePieceDecode();
  } else {
    if (prevIsSpecial_ && runIndex_ == 1 && tokenizer_.addPrefixSpace_ &&
        !startsWith(piece, kUnderline))
      emitRunText(" ", text);
    decodePiece(piece, text);
    prevIsSpecial_ = false;
  }
  ++runIndex_;
  return XGENMM_OK;
}

void StreamDecoder::finish(std::string &text) {
  closeRun(/*last=*/true, text);
  reset();
}

void StreamDecoder::closeRun(bool last, std::string &text) {
  if (!runOpen_)
    return;
  flushBytes(/*final=*/true, text);
  // An empty run is a sub-text only when it is the last one.
  if (last && !runHasText_ && runSeparator_)
    text += ' ';
  runOpen_ = false;
}

void StreamDecoder::decodePiece(std::string_view piece, std::string &text) {
  // SentencePieceProcessor::Decode on pieces: each piece is looked up again.
  const sentencepiece::SentencePieceProcessor &sp = *tokenizer_.processor_;
  int id = sp.PieceToId(piece);
  if (sp.IsByte(id)) {
    pendingBytes_ += static_cast<char>(pieceByte(tokenizer_.pieces_[id]));
    flushBytes(/*final=*/false, text);
    return;
  }
  flushBytes(/*final=*/true, text);
  if (spBosWsSeen_ || !spTextEmpty_)
    spIsBosWs_ = false;
  spBosWsSeen_ = false;
  if (sp.IsControl(id))
    return;
  if (sp.IsUnknown(id)) {
    if (tokenizer_.pieces_[id] == piece)
      emitDecoded(tokenizer_.modelInfo_.unkSurface, text);
    else
      emitDecoded(piece, text);
    return;
  }
  const SentencePieceModelInfo &info = tokenizer_.modelInfo_;
  if (spIsBosWs_ && (info.addDummyPrefix || info.removeExtraWhitespaces)) {
    spBosWsSeen_ = startsWith(piece, kUnderline);
    if (spBosWsSeen_)
      piece.remove_prefix(kUnderline.size());
    if (info.removeExtraWhitespaces)
      spBosWsSeen_ = false;
  }
  std::string surface;
  size_t pos = 0;
  while (true) {
    size_t hit = piece.find(kUnderline, pos);
    surface.append(piece.substr(pos, hit - pos));
    if (hit == std::string_view::npos)
      break;
    surface += ' ';
    pos = hit + kUnderline.size();
  }
  emitDecoded(surface, text);
}

void StreamDecoder::flushBytes(bool final, std::string &text) {
  size_t pos = 0;
  while (pos < pendingBytes_.size()) {
    size_t length;
    utf8::CharStatus status =
        utf8::classifyChar(std::string_view(pendingBytes_).substr(pos), length);
    if (status == utf8::CharStatus::Incomplete && !final)
      break;
    if (status == utf8::CharStatus::Valid) {
      emitDecoded(std::string_view(pendingBytes_).substr(pos, length), text);
      pos += length;
    } else {
      emitDecoded(utf8::kReplacementCharacter, text);
      pos += 1;
    }
  }
  pendingBytes_.erase(0, pos);
}

void StreamDecoder::emitDecoded(std::string_view s, std::string &text) {
  if (s.empty())
    return;
  spTextEmpty_ = false;
  emitRunText(s, text);
}

void StreamDecoder::emitRunText(std::string_view s, std::string &text) {
  if (s.empty())
    return;
  if (!runHasText_) {
    runHasText_ = true;
    if (runSeparator_)
      text += ' ';
    haveSubText_ = true;
  }
  text.append(s);
}
