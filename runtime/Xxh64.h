//===- Xxh64.h - the XXH64 hash of artifact files ---------------*- C++ -*-===//
//
// XXH64 as specified in xxHash's doc/xxhash_spec.md (version 0.1.1):
// manifest.json records it for model.so and weights.bin, the compiler
// computes it when it writes them and the runtime checks it at load. The
// runtime links nothing but the standard library, hence this copy.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_XXH64_H
#define XGENMM_RUNTIME_XXH64_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace xgenmm::runtime {

/// XXH64 of `size` bytes at `data` (which may be null if size is 0).
uint64_t xxh64(const void *data, size_t size, uint64_t seed = 0);

/// XXH64 of data given in pieces (a file read in chunks): the same hash as
/// xxh64() of the concatenation.
class Xxh64Stream {
public:
  explicit Xxh64Stream(uint64_t seed = 0);
  void update(const void *data, size_t size);
  uint64_t digest() const;

private:
  uint64_t seed_, lanes_[4];
  uint64_t total_ = 0;
  unsigned char buffer_[32];
  size_t buffered_ = 0;
};

/// 16 lowercase hex digits, the manifest's spelling.
std::string formatXxh64(uint64_t hash);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_XXH64_H
