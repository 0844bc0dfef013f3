//===- CudaBackend.h - running "cuda" artifacts -----------------*- C++ -*-===//
//
// The runtime's hook for GPU artifacts (manifest target.kind "cuda"),
// called from Artifact::load: the device check before anything is loaded,
// then entry points that keep the ABI of runtime/ArtifactAbi.h (host
// buffers in, host buffers out) around the compiled ones, which take
// device-addressable buffers:
//   - weights.bin is uploaded once, when the artifact loads;
//   - each KV cache lives on the device, one per host cache buffer the
//     session passes (the host buffer itself is never touched);
//   - inputs (pixels, ids, vision tokens) are copied in and outputs (vision
//     tokens, logits) copied back on each call.
// Driver errors during a call are fatal, with the driver's message: the
// entry points have no status to return them through.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_CUDA_CUDABACKEND_H
#define XGENMM_RUNTIME_CUDA_CUDABACKEND_H

#include "runtime/ArtifactAbi.h"
#include "runtime/MappedFile.h"
#include "runtime/xgenmm.h"

#include <functional>
#include <memory>
#include <string>

namespace xgenmm::runtime::cuda {

/// For the artifact whose manifest is `manifestPath`: the CUDA driver
/// loads, there is a device, and its compute capability runs code compiled
/// for the manifest's target.chip. XGENMM_ERROR_UNSUPPORTED with a message
/// saying which of these fails.
xgenmm_status checkDevice(const std::string &manifestPath);

struct EntryPoints {
  std::function<std::remove_pointer_t<abi::EncodeImageFn>> encodeImage;
  std::function<std::remove_pointer_t<abi::PrefillFn>> prefill;
  std::function<std::remove_pointer_t<abi::DecodeFn>> decode;
};

/// Uploads `weights` and wraps the compiled entry points (see above).
xgenmm_status bindEntryPoints(const MappedFile &weights, abi::EncodeImageFn encodeImage,
                              abi::PrefillFn prefill, abi::DecodeFn decode,
                              EntryPoints &out);

} // namespace xgenmm::runtime::cuda

#endif // XGENMM_RUNTIME_CUDA_CUDABACKEND_H
