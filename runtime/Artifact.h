//===- Artifact.h - a loaded artifact ---------------------------*- C++ -*-===//
//
// Loading checks, in this order, so that the cheapest explanation of a
// broken artifact comes first: the directory and its three files exist;
// the manifest parses and validates; the target is this kind of host and
// the CPU has every feature the code was compiled for; the files have the
// sizes, then the XXH64 checksums, the manifest records (also those of the
// tokenizer and preprocessor files it lists). Then weights.bin
// stays mapped read-only and model.so is dlopened with its entry points
// resolved.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_ARTIFACT_H
#define XGENMM_RUNTIME_ARTIFACT_H

#include "runtime/ArtifactAbi.h"
#include "runtime/Manifest.h"
#include "runtime/MappedFile.h"
#include "runtime/cuda/CudaBackend.h"
#include "runtime/xgenmm.h"

#include <memory>
#include <string>

namespace xgenmm::runtime {

class Artifact {
public:
  /// Loads the artifact in `directory` (see above).
  static xgenmm_status load(const std::string &directory,
                            std::unique_ptr<Artifact> &out);
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const Manifest &manifest() const { return manifest_; }
  /// The artifact directory, as given to load.
  const std::string &directory() const { return directory_; }
  const MappedFile &weights() const { return weights_; }
  // The entry points: model.so's own for a "cpu" artifact; for a "cuda"
  // one, the CUDA backend's wrappers of them (runtime/cuda/CudaBackend.h).
  decltype(cuda::EntryPoints::encodeImage) encodeImage() const {
    return gpu_.encodeImage ? gpu_.encodeImage : encodeImage_;
  }
  decltype(cuda::EntryPoints::prefill) prefill() const {
    return gpu_.prefill ? gpu_.prefill : prefill_;
  }
  decltype(cuda::EntryPoints::decode) decode() const {
    return gpu_.decode ? gpu_.decode : decode_;
  }

  /// Sets the number of threads the compiled code's parallel loops use
  /// (model.so's OpenMP runtime). False when the artifact has no thread
  /// control (no parallel loops, e.g. a GPU artifact's host code).
  bool setThreads(int threads) const;

private:
  Artifact() = default;
  Manifest manifest_;
  std::string directory_;
  MappedFile weights_;
  void *library_ = nullptr;
  abi::EncodeImageFn encodeImage_ = nullptr;
  abi::PrefillFn prefill_ = nullptr;
  abi::DecodeFn decode_ = nullptr;
  cuda::EntryPoints gpu_; // --- GPU dispatch hook (runtime/cuda) ---
};

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_ARTIFACT_H
