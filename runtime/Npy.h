//===- Npy.h - writing NumPy .npy files -------------------------*- C++ -*-===//
//
// The .npy format, version 1.0 (numpy/lib/format.py): the magic "\x93NUMPY",
// the version bytes 1 0, a little-endian uint16 header length, an ASCII
// Python dict literal padded with spaces and ended by '\n' so that the data
// starts at a multiple of 64 bytes, then the data in C order. The padding is
// numpy.save's (numpy 2.x), so the files are byte-identical to its. xgenmm-run
// dumps vision tokens and logits this way for comparison with the
// reference.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_NPY_H
#define XGENMM_RUNTIME_NPY_H

#include "runtime/xgenmm.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xgenmm::runtime {

/// Writes float32 `data` of `shape` (C order) to `path`; XGENMM_ERROR_IO
/// naming the file on failure.
xgenmm_status writeNpy(const std::string &path, const float *data,
                       const std::vector<int64_t> &shape);

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_NPY_H
