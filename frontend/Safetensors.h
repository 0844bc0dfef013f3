//===- Safetensors.h - memory-mapped safetensors files ----------*- C++ -*-===//
//
// Reads safetensors files (https://github.com/huggingface/safetensors) by
// memory-mapping them: tensor data is never copied to be read. The header
// is validated completely before anything is returned:
//  * the 8-byte little-endian header length fits in the file and is at most
//    kMaxHeaderBytes;
//  * the header is valid JSON, an object; "__metadata__" (string -> string)
//    is tolerated;
//  * every tensor entry is an object with exactly "dtype" (a known dtype),
//    "shape" (non-negative integers) and "data_offsets" ([begin, end],
//    integers, begin <= end <= data size);
//  * end - begin equals the product of the shape times the dtype's size;
//  * sorted by begin, the tensors are contiguous from 0 to the end of the
//    file: no overlap, no gap, no trailing bytes (as the reference Rust
//    implementation requires).
// Errors name the file and, where it applies, the tensor and field.
//
// LLVM-free (standard library + POSIX), so the runtime can use it too.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_FRONTEND_SAFETENSORS_H
#define XGENMM_FRONTEND_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xgenmm {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool, F8E4M3, F8E5M2 };

/// "F32" -> DType::F32 etc. (the safetensors spellings); nullopt if unknown.
std::optional<DType> parseDType(std::string_view name);
/// DType::F32 -> "F32".
const char *dtypeName(DType dtype);
/// Bytes per element.
size_t dtypeSize(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  /// Offsets into the file (not into the data section): [begin, end).
  uint64_t fileBegin = 0, fileEnd = 0;
  /// Points into the mapping; valid while the SafetensorsFile lives.
  const uint8_t *data = nullptr;

  uint64_t byteSize() const { return fileEnd - fileBegin; }
  int64_t numElements() const;
};

class SafetensorsFile {
public:
  /// Largest header accepted (the real r-v1.5 shards have ~60 KB headers).
  static constexpr uint64_t kMaxHeaderBytes = 100u << 20;

  /// Maps and validates `path`. On failure returns nullptr and sets `error`
  /// to a message starting with the path.
  static std::unique_ptr<SafetensorsFile> open(const std::string &path,
                                               std::string &error);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  const std::string &path() const { return path_; }
  uint64_t fileSize() const { return size_; }
  /// Offset of the data section (8 + header length).
  uint64_t dataOffset() const { return dataOffset_; }
  /// Tensors in header order.
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  const TensorInfo *find(std::string_view name) const;
  const std::map<std::string, std::string> &metadata() const { return metadata_; }

private:
  SafetensorsFile() = default;
  std::string path_;
  const uint8_t *base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t dataOffset_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> byName_;
  std::map<std::string, std::string> metadata_;
};

/// The weights of a Hugging Face checkpoint directory: either one
/// `model.safetensors`, or `model.safetensors.index.json` whose "weight_map"
/// names the shard of each tensor. For an index, every shard it names is
/// opened and validated; a tensor the index maps to a shard that lacks it, a
/// tensor present in a shard but absent from the index, a tensor in two
/// shards, and a "metadata.total_size" that differs from the sum of the
/// tensor sizes are errors.
class WeightSet {
public:
  static std::unique_ptr<WeightSet> open(const std::string &directory,
                                         std::string &error);

  /// Every tensor, sorted by name.
  std::vector<const TensorInfo *> tensors() const;
  const TensorInfo *find(std::string_view name) const;
  /// The file (name relative to the directory) that holds `tensor`.
  const std::string &fileOf(const TensorInfo *tensor) const;
  /// The opened files, in the order of their names.
  const std::vector<std::unique_ptr<SafetensorsFile>> &files() const {
    return files_;
  }

private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<std::string> fileNames_; // relative names, parallel to files_
  std::map<std::string, std::pair<size_t, const TensorInfo *>, std::less<>> byName_;
};

} // namespace xgenmm

#endif // XGENMM_FRONTEND_SAFETENSORS_H
