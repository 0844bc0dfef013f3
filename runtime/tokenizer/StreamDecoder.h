//===- StreamDecoder.h - detokenizing one id at a time ----------*- C++ -*-===//
//
// Turns generated ids into text as they come. Whatever is cut, the text
// pushed so far plus finish() equals Hugging Face's `tok.decode(ids)` of the
// ids pushed so far (transformers 4.41 slow LlamaTokenizer, legacy=False),
// and every piece of text handed out is complete UTF-8.
//
// HF's decode, reproduced step by step:
//  * skip_special_tokens drops the ids of `all_special_tokens` (`<s>`,
//    `<|endoftext|>`, `<unk>`, `<pad>`, `<image>`, `<image placeholder>`,
//    `<|endofchunk|>`; not `<|end|>`, `<|user|>`, ...).
//  * Added tokens outside `all_special_tokens` (`<|end|>`, `<|user|>`, `</s>`,
//    ...) and the xGen-MM ones are sub-texts of their own; the runs of other
//    tokens between them are sub-texts too, and the sub-texts are joined
//    with ONE SPACE (spaces_between_special_tokens defaults to True in
//    `_decode`): [<|end|>, "▁Hi"] decodes to "<|end|> Hi". A run whose text is
//    empty is dropped unless it is the last.
//  * Within a run (LlamaTokenizer.convert_tokens_to_string): its first
//    token loses one leading "▁" — the piece left is looked up again, so
//    "▁▁▁▁▁▁▁▁" becomes the literal "▁▁▁▁▁▁▁" when "▁▁▁▁▁▁▁" is no piece;
//    `all_special_tokens` in it are written as they are, and a space is put
//    after one that starts the run when the next piece has no "▁"; the rest
//    is SentencePiece's decode: "▁" -> " ", byte pieces `<0xE2>` collected
//    and turned into text one character at a time, each byte of an invalid
//    or cut-off sequence becoming U+FFFD.
//
// The decoder holds back only what the next id could still change: bytes of
// an incomplete character, and the space an empty last run would add.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_TOKENIZER_STREAMDECODER_H
#define XGENMM_RUNTIME_TOKENIZER_STREAMDECODER_H

#include "runtime/xgenmm.h"

#include <string>
#include <string_view>

namespace xgenmm::runtime {

class Tokenizer;

class StreamDecoder {
public:
  /// `tokenizer` must outlive the decoder.
  StreamDecoder(const Tokenizer &tokenizer, bool skipSpecialTokens);

  /// Decodes `id`, appending the text that is now final to `text` (maybe
  /// nothing). XGENMM_ERROR_OUT_OF_VOCABULARY for an unknown id (the decoder
  /// is unchanged).
  xgenmm_status push(xgenmm_token id, std::string &text);

  /// Ends the sequence: appends what was held back, then starts afresh.
  void finish(std::string &text);

  /// Forgets the sequence without appending anything.
  void reset();

private:
  void closeRun(bool last, std::string &text);
  void startSentencePieceDecode();
  void decodePiece(std::string_view piece, std::string &text);
  void flushBytes(bool final, std::string &text);
  void emitDecoded(std::string_view s, std::string &text);
  void emitRunText(std::string_view s, std::string &text);

  const Tokenizer &tokenizer_;
  bool skipSpecialTokens_;

  // _decode: sub-texts.
  bool haveSubText_ = false; // a sub-text has been written
  bool runOpen_ = false;
  size_t runIndex_ = 0;       // index of the next token in the run
  bool runSeparator_ = false; // the run follows a sub-text
  bool runHasText_ = false;
  bool prevIsSpecial_ = false;

  // One sp_model.decode call (restarted after each special in the run).
  std::string pendingBytes_;
  bool spTextEmpty_ = true;
  bool spIsBosWs_ = true;
  bool spBosWsSeen_ = false;
};

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_TOKENIZER_STREAMDECODER_H
