//===- MappedFile.h - read-only memory-mapped files -------------*- C++ -*-===//
#ifndef XGENMM_RUNTIME_MAPPEDFILE_H
#define XGENMM_RUNTIME_MAPPEDFILE_H

#include "runtime/xgenmm.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace xgenmm::runtime {

/// A whole regular file mapped read-only (private); an empty file maps to
/// nothing (data() is null, size() 0).
class MappedFile {
public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// Maps `path`; XGENMM_ERROR_IO with a message naming it on failure.
  xgenmm_status open(const std::string &path);

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view text() const {
    return {reinterpret_cast<const char *>(data_), size_};
  }

private:
  void reset();
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_MAPPEDFILE_H
