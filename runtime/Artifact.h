//===- Artifact.h - a loaded artifact ---------------------------*- C++ -*-===//
//
// Loading checks, in this order, so that the cheapest explanation of a
// broken artifact comes first: the directory and its three files exist;
// the manifest parses and validates; the target is this kind of host and
// the CPU has every feature the code was compiled for; the files have the
// sizes, then the XXH64 checksums, the manifest records. Then weights.bin
// stays mapped read-only and model.so is dlopened with its entry points
// resolved.
//
//===----------------------------------------------------------------------===//
#ifndef XGENMM_RUNTIME_ARTIFACT_H
#define XGENMM_RUNTIME_ARTIFACT_H

#include "runtime/ArtifactAbi.h"
#include "runtime/Manifest.h"
#include "runtime/MappedFile.h"
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
  const MappedFile &weights() const { return weights_; }
  abi::EncodeImageFn encodeImage() const { return encodeImage_; }
  abi::PrefillFn prefill() const { return prefill_; }
  abi::DecodeFn decode() const { return decode_; }

private:
  Artifact() = default;
  Manifest manifest_;
  MappedFile weights_;
  void *library_ = nullptr;
  abi::EncodeImageFn encodeImage_ = nullptr;
  abi::PrefillFn prefill_ = nullptr;
  abi::DecodeFn decode_ = nullptr;
};

} // namespace xgenmm::runtime

#endif // XGENMM_RUNTIME_ARTIFACT_H
