//===- Npy.cpp - writing NumPy .npy files ---------------------------------===//

#include "runtime/Npy.h"

#include "runtime/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace xgenmm::runtime;

static_assert(
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "the header says '<f4': floats are written as the host holds them");

xgenmm_status xgenmm::runtime::writeNpy(const std::string &path,
                                        const float *data,
                                        const std::vector<int64_t> &shape) {
  // "(3,)" for one dimension, as Python spells a 1-tuple.
  std::string shapeText = "(";
  uint64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    shapeText += (i ? ", " : "") + std::to_string(shape[i]);
    count *= static_cast<uint64_t>(shape[i]);
  }
  shapeText += shape.size() == 1 ? ",)" : ")";

  // Laid out as numpy.save lays it out, byte for byte: room for the first
  // dimension to grow to 21 digits, then spaces and '\n' up to a multiple of
  // 64 bytes (a whole 64 more if it is one already).
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
  if (!shape.empty())
    header.append(21 - std::to_string(shape[0]).size(), ' ');
  const size_t prefix = 10; // magic (6), version (2), header length (2)
  header.append(64 - (prefix + header.size() + 1) % 64, ' ');
  header += '\n';
  if (header.size() > 0xFFFF) // thousands of dimensions: beyond version 1.0
    return fail(XGENMM_ERROR_INVALID_ARGUMENT,
                path + ": .npy 1.0 header too long for shape " + shapeText);

  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xFF);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;

  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return fail(XGENMM_ERROR_IO,
                path + ": cannot create: " + std::strerror(errno));
  bool ok =
      std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size() &&
      (count == 0 || std::fwrite(data, sizeof(float), count, file) == count);
  int err = errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok)
    return fail(XGENMM_ERROR_IO,
                path + ": cannot write: " + std::strerror(err));
  return XGENMM_OK;
}
