//===- Tokenizer.h - the xGen-MM text tokenizer -----------------*- C++ -*-===//
//
// Text <-> ids exactly as the xGen-MM r-v1.5 model cards get them from
// Hugging Face:
//
//   tok = AutoTokenizer.from_pretrained(ckpt, use_fast=False, legacy=False)
//   model.update_special_tokens(tok)    # adds <image>, <image placeholder>,
//                                       # <|endofchunk|>
//   ids  = tok.encode(text)             # transformers 4.41 slow LlamaTokenizer
//   text = tok.decode(ids, skip_special_tokens=...)
//
// on top of Debian's libsentencepiece. Every step of the slow LlamaTokenizer
// is reproduced, quirks included (test/reference/tokenizer/README.md lists
// them): "▁" in the text becomes a space, one "▁" is put in front of the
// whole text (the dummy prefix, at the start only, never after an added
// token), the text is cut at every added token (specials glued to words
// too), an added token with rstrip eats all whitespace after it (Python's
// str.lstrip, newlines included), chunks that start with a space are encoded
// behind "<unk>" which is then dropped, and a lone leading "▁" is dropped
// before a token of `all_special_tokens` only. Decoding reproduces
// `PreTrainedTokenizer._decode` with `LlamaTokenizer.convert_tokens_to_string`
// and SentencePiece's byte-piece rule (see StreamDecoder.h).
//
// Loading reads, from a checkpoint directory, `tokenizer.model` and
// `tokenizer_config.json` (special tokens, flags and `added_tokens_decoder`
// with explicit ids and rstrip/lstrip flags); when the config has no
// `added_tokens_decoder`, `special_tokens_map.json`, `added_tokens.json` and
// the `added_tokens` of `tokenizer.json` where present, as transformers'
// legacy path does. Then `<image>`, `<image placeholder>` and
// `<|endofchunk|>` are added as additional special tokens in that order,
// each taking the next id (32012, 32013, 32014 with the released files)
// unless the files already hold it.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_TOKENIZER_TOKENIZER_H
#define XGENMM_RUNTIME_TOKENIZER_TOKENIZER_H

#include "runtime/tokenizer/SentencePieceProto.h"
#include "runtime/xgenmm.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace xgenmm::runtime {

/// The three tokens `update_special_tokens` adds (model-spec.md section 5.2).
inline constexpr std::string_view kImageToken = "<image>";
inline constexpr std::string_view kImagePlaceholderToken =
    "<image placeholder>";
inline constexpr std::string_view kEndOfChunkToken = "<|endofchunk|>";

/// A token matched in text before SentencePiece runs (transformers'
/// AddedToken). single_word is not supported; `normalized` only matters to
/// lower-casing tokenizers, which this is not.
struct AddedToken {
  std::string content;
  bool lstrip = false;
  bool rstrip = false;
  bool special = false;
};

class Tokenizer {
public:
  /// Loads the tokenizer files of the checkpoint directory `directory` (see
  /// above). Errors: XGENMM_ERROR_IO for a missing or unreadable file,
  /// XGENMM_ERROR_BAD_ARTIFACT for a malformed one, XGENMM_ERROR_UNSUPPORTED
  /// for settings this tokenizer does not reproduce; the message names the
  /// file and field.
  static xgenmm_status load(const std::string &directory,
                            std::unique_ptr<Tokenizer> &out);
  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  /// `tok.encode(text)`: the ids of `text` (UTF-8), with BOS/EOS where the
  /// config's add_bos_token/add_eos_token ask for them (the xGen-MM files:
  /// neither). XGENMM_ERROR_INVALID_ARGUMENT if `text` is not valid UTF-8.
  xgenmm_status encode(std::string_view text,
                       std::vector<xgenmm_token> &ids) const;

  /// `tok.decode(ids, skip_special_tokens=skipSpecialTokens)`.
  /// XGENMM_ERROR_OUT_OF_VOCABULARY for an id the tokenizer does not have.
  xgenmm_status decode(const xgenmm_token *ids, size_t count,
                       bool skipSpecialTokens, std::string &text) const;

  /// `len(tok)`: distinct tokens, pieces and added ones (32015 for xGen-MM).
  int32_t size() const { return size_; }
  /// Pieces of the SentencePiece model (32000 for Phi-3).
  int32_t pieceCount() const { return pieceCount_; }
  /// The id of an added token or SentencePiece piece, or -1.
  xgenmm_token tokenId(std::string_view token) const;
  /// `tok.convert_ids_to_tokens(id)` (the piece, e.g. "▁the" or "<0x0A>",
  /// or the added token); false if `id` is not in the vocabulary.
  bool tokenString(xgenmm_token id, std::string &token) const;
  /// Whether `skip_special_tokens` drops `id` (`all_special_ids`).
  bool isSpecialId(xgenmm_token id) const { return specialIds_.count(id) != 0; }

  xgenmm_token imageTokenId() const { return imageTokenId_; }
  xgenmm_token imagePlaceholderTokenId() const {
    return imagePlaceholderTokenId_;
  }
  xgenmm_token endOfChunkTokenId() const { return endOfChunkTokenId_; }
  /// The configured eos_token (`<|endoftext|>`, 32000), or -1.
  xgenmm_token eosTokenId() const { return eosTokenId_; }
  /// The instruct models' stop token `<|end|>` (32007), or -1.
  xgenmm_token instructStopTokenId() const { return tokenId("<|end|>"); }

private:
  friend class StreamDecoder;
  friend class TokenizerLoader;
  Tokenizer();

  /// What convert_ids_to_tokens gives for a valid id.
  const std::string &tokenStringUnchecked(xgenmm_token id) const;
  bool inVocabulary(xgenmm_token id) const {
    return (id >= 0 && id < pieceCount_) || addedById_.count(id) != 0;
  }
  /// HF `_tokenize` of one chunk between added tokens.
  xgenmm_status tokenizeChunk(std::string_view chunk,
                              std::vector<std::string> &pieces) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  SentencePieceModelInfo modelInfo_; // of the model as loaded (no dummy prefix)
  int32_t pieceCount_ = 0;
  int32_t size_ = 0;
  std::vector<std::string> pieces_; // id -> piece
  std::map<xgenmm_token, AddedToken> addedById_;
  std::unordered_map<std::string, xgenmm_token> addedByContent_;
  /// Added token contents by first byte, longest first (for splitting text).
  std::vector<std::vector<std::string>> addedByFirstByte_;
  /// `all_special_tokens` and their ids (`all_special_ids`).
  std::unordered_set<std::string> specialTokens_;
  std::unordered_set<xgenmm_token> specialIds_;
  /// Tokens `_decode` renders as their own sub-text (`legacy_added_tokens`).
  std::unordered_set<std::string> ownSubTextTokens_;
  std::string unkToken_;
  size_t unkTokenLength_ = 0;
  bool addPrefixSpace_ = true;
  bool addBosToken_ = false;
  bool addEosToken_ = false;
  xgenmm_token bosTokenId_ = -1;
  xgenmm_token eosTokenId_ = -1;
  xgenmm_token imageTokenId_ = -1;
  xgenmm_token imagePlaceholderTokenId_ = -1;
  xgenmm_token endOfChunkTokenId_ = -1;
};

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_TOKENIZER_TOKENIZER_H
