//===- SentencePieceProto.h - model fields read directly --------*- C++ -*-===//
//
// Debian's libsentencepiece-dev ships no protobuf headers, so the handful of
// ModelProto fields the tokenizer needs beside the processor API are read
// from the protobuf wire format here: the normalizer flags that decoding
// depends on, the unknown-piece surface, and whether a denormalizer exists.
//
// It also produces the serialized model that transformers' slow
// LlamaTokenizer loads when legacy=False: the same model with
// `normalizer_spec.add_dummy_prefix = false` (get_spm_processor merges a
// NormalizerSpec with that one field into the model). Appending a second
// `normalizer_spec` field that holds only `add_dummy_prefix: false` is that
// merge: protobuf parsers merge repeated occurrences of a message field and
// keep the last value of a scalar.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_TOKENIZER_SENTENCEPIECEPROTO_H
#define XGENMM_RUNTIME_TOKENIZER_SENTENCEPIECEPROTO_H

#include <string>
#include <string_view>

namespace xgenmm::runtime {

/// What the tokenizer reads from a serialized sentencepiece.ModelProto.
struct SentencePieceModelInfo {
  // normalizer_spec (proto2 defaults apply to absent fields).
  bool addDummyPrefix = true;
  bool removeExtraWhitespaces = true;
  // trainer_spec.unk_surface: what decoding the unknown piece yields.
  std::string unkSurface = " \xE2\x81\x87 ";
  // A denormalizer_spec with rules: decoding would rewrite text through it.
  bool hasDenormalizer = false;
  // Number of `pieces` entries.
  int pieceCount = 0;
};

/// Reads `info` from `model`. Returns false with a message in `error` ("at
/// byte N: ...") when `model` is not a well-formed protobuf message.
bool readSentencePieceModelInfo(std::string_view model,
                                SentencePieceModelInfo &info,
                                std::string &error);

/// `model` with normalizer_spec.add_dummy_prefix set to false.
std::string withoutDummyPrefix(std::string_view model);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_TOKENIZER_SENTENCEPIECEPROTO_H
