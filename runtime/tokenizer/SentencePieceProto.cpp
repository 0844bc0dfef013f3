//===- SentencePieceProto.cpp - the few model fields read directly --------===//

#include "runtime/tokenizer/SentencePieceProto.h"

#include <cstdint>

using namespace xgenmm::runtime;

namespace {

// Field numbers in sentencepiece_model.proto.
enum : uint32_t {
  kModelPieces = 1,
  kModelTrainerSpec = 2,
  kModelNormalizerSpec = 3,
  kModelDenormalizerSpec = 5,
  kTrainerUnkSurface = 44,
  kNormalizerPrecompiledCharsmap = 2,
  kNormalizerAddDummyPrefix = 3,
  kNormalizerRemoveExtraWhitespaces = 4,
};

enum : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5
};

/// A protobuf wire-format reader over one message; `base` is the message's
/// offset in the whole buffer, for messages.
class WireReader {
public:
  WireReader(std::string_view data, size_t base) : data_(data), base_(base) {}

  bool done() const { return pos_ == data_.size(); }

  /// Reads the next field's key and, for length-delimited fields, its
  /// payload; other values are read into `value` (fixed ones skipped).
  bool next(uint32_t &number, uint32_t &wireType, uint64_t &value,
            std::string_view &payload, std::string &error) {
    size_t at = pos_;
    uint64_t key;
    if (!varint(key))
      return failAt(at, "truncated field key", error);
    number = static_cast<uint32_t>(key >> 3);
    wireType = static_cast<uint32_t>(key & 7);
    if (number == 0 || (key >> 3) > 0x1FFFFFFF)
      return failAt(at, "invalid field number", error);
    switch (wireType) {
    case kVarint:
      if (!varint(value))
        return failAt(at, "truncated varint", error);
      return true;
    case kFixed64:
    case kFixed32: {
      size_t n = wireType == kFixed64 ? 8 : 4;
      if (data_.size() - pos_ < n)
        return failAt(at, "truncated fixed-size field", error);
      pos_ += n;
      return true;
    }
    case kLengthDelimited: {
      uint64_t length;
      if (!varint(length) || length > data_.size() - pos_)
        return failAt(at, "truncated length-delimited field", error);
      payload = data_.substr(pos_, length);
      payloadBase_ = base_ + pos_;
      pos_ += length;
      return true;
    }
    default:
      return failAt(at, "unsupported wire type " + std::to_string(wireType),
                    error);
    }
  }

  /// Offset in the whole buffer of the last payload read.
  size_t payloadBase() const { return payloadBase_; }

private:
  bool varint(uint64_t &value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == data_.size())
        return false;
      uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }

  bool failAt(size_t at, const std::string &what, std::string &error) const {
    error = "at byte " + std::to_string(base_ + at) + ": " + what;
    return false;
  }

  std::string_view data_;
  size_t base_;
  size_t pos_ = 0;
  size_t payloadBase_ = 0;
};

/// Applies one occurrence of a NormalizerSpec message (later occurrences
/// merge into earlier ones, scalar by scalar).
bool readNormalizer(std::string_view message, size_t base, bool denormalizer,
                    SentencePieceModelInfo &info, std::string &error) {
  WireReader reader(message, base);
  while (!reader.done()) {
    uint32_t number, wireType;
    uint64_t value = 0;
    std::string_view payload;
    if (!reader.next(number, wireType, value, payload, error))
      return false;
    if (denormalizer) {
      if (number == kNormalizerPrecompiledCharsmap &&
          wireType == kLengthDelimited)
        info.hasDenormalizer = !payload.empty();
      continue;
    }
    if (wireType != kVarint)
      continue;
    if (number == kNormalizerAddDummyPrefix)
      info.addDummyPrefix = value != 0;
    else if (number == kNormalizerRemoveExtraWhitespaces)
      info.removeExtraWhitespaces = value != 0;
  }
  return true;
}

bool readTrainer(std::string_view message, size_t base,
                 SentencePieceModelInfo &info, std::string &error) {
  WireReader reader(message, base);
  while (!reader.done()) {
    uint32_t number, wireType;
    uint64_t value = 0;
    std::string_view payload;
    if (!reader.next(number, wireType, value, payload, error))
      return false;
    if (number == kTrainerUnkSurface && wireType == kLengthDelimited)
      info.unkSurface = std::string(payload);
  }
  return true;
}

} // namespace

bool xgenmm::runtime::readSentencePieceModelInfo(std::string_view model,
                                                 SentencePieceModelInfo &info,
                                                 std::string &error) {
  info = SentencePieceModelInfo();
  WireReader reader(model, 0);
  while (!reader.done()) {
    uint32_t number, wireType;
    uint64_t value = 0;
    std::string_view payload;
    if (!reader.next(number, wireType, value, payload, error))
      return false;
    if (wireType != kLengthDelimited)
      continue;
    bool ok = true;
    if (number == kModelPieces)
      ++info.pieceCount;
    else if (number == kModelTrainerSpec)
      ok = readTrainer(payload, reader.payloadBase(), info, error);
    else if (number == kModelNormalizerSpec)
      ok = readNormalizer(payload, reader.payloadBase(), false, info, error);
    else if (number == kModelDenormalizerSpec)
      ok = readNormalizer(payload, reader.payloadBase(), true, info, error);
    if (!ok)
      return false;
  }
  return true;
}

std::string xgenmm::runtime::withoutDummyPrefix(std::string_view model) {
  std::string out(model);
  // Field 3 (normalizer_spec), length 2: field 3 (add_dummy_prefix) = 0.
  const char patch[] = {(kModelNormalizerSpec << 3) | kLengthDelimited, 2,
                        (kNormalizerAddDummyPrefix << 3) | kVarint, 0};
  out.append(patch, sizeof(patch));
  return out;
}
