//===- Artifact.cpp - a loaded artifact -----------------------------------===//

#include "runtime/Artifact.h"

#include "runtime/CpuFeatures.h"
#include "runtime/Error.h"
#include "runtime/Xxh64.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include <dlfcn.h>
#include <sys/stat.h>

using namespace xgenmm;
using namespace xgenmm::runtime;

namespace {

// The architecture prefix of the target triples this runtime can run.
#if defined(__x86_64__)
constexpr const char *kHostArch = "x86_64";
#elif defined(__aarch64__)
constexpr const char *kHostArch = "aarch64";
#else
constexpr const char *kHostArch = nullptr;
#endif

std::string joinNames(const std::vector<std::string> &names) {
  std::string s;
  for (const std::string &name : names)
    s += (s.empty() ? "" : ", ") + name;
  return s;
}

xgenmm_status checkDirectory(const std::string &directory) {
  struct stat st;
  if (::stat(directory.c_str(), &st) != 0)
    return fail(XGENMM_ERROR_IO, "artifact directory " + directory + ": " +
                                     std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fail(XGENMM_ERROR_IO,
                "artifact directory " + directory + ": not a directory");
  for (const char *file :
       {abi::kManifestFile, abi::kModelFile, abi::kWeightsFile}) {
    std::string path = directory + "/" + file;
    if (::stat(path.c_str(), &st) != 0)
      return fail(XGENMM_ERROR_IO, "artifact " + directory + " has no " + file +
                                       " (" + path + ": " +
                                       std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode))
      return fail(XGENMM_ERROR_IO, path + ": not a regular file");
  }
  return XGENMM_OK;
}

xgenmm_status checkTarget(const Manifest &m, const std::string &manifestPath) {
  // --- GPU dispatch hook: "cuda" artifacts (runtime/cuda/CudaBackend.h)
  // have a host side checked as a CPU's, then need a GPU. ---
  if (m.targetKind != "cpu" && m.targetKind != "cuda")
    return fail(XGENMM_ERROR_UNSUPPORTED,
                manifestPath + ": 'target.kind' is \"" + m.targetKind +
                    "\": this runtime runs \"cpu\" and \"cuda\" artifacts");
  std::string prefix = kHostArch ? std::string(kHostArch) + "-" : "";
  if (!kHostArch || m.targetTriple.compare(0, prefix.size(), prefix) != 0)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                manifestPath + ": 'target.triple' is \"" + m.targetTriple +
                    "\", which this " + (kHostArch ? kHostArch : "unknown") +
                    " host cannot run");

  std::vector<std::string> missing, unknown;
  for (const std::string &feature : m.targetFeatures) {
    std::optional<bool> has = hostHasCpuFeature(feature);
    if (!has)
      unknown.push_back(feature);
    else if (!*has)
      missing.push_back(feature);
  }
  if (missing.empty() && unknown.empty())
    return m.targetKind == "cuda" ? cuda::checkDevice(manifestPath) : XGENMM_OK;
  std::string message = "the model was compiled for CPU '" + m.targetCpu + "'";
  if (!missing.empty())
    message += "; this host's CPU lacks " + joinNames(missing);
  if (!unknown.empty())
    message += "; this runtime does not know (and so cannot check) " +
               joinNames(unknown);
  return fail(XGENMM_ERROR_UNSUPPORTED,
              manifestPath + ": 'target.features': " + message);
}

xgenmm_status checkSize(const std::string &path, const MappedFile &file,
                        const Manifest::File &expected) {
  if (file.size() != expected.bytes)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                path + ": " + std::to_string(file.size()) +
                    " bytes, but manifest.json says " +
                    std::to_string(expected.bytes) +
                    " (a partial copy or another build?)");
  return XGENMM_OK;
}

xgenmm_status checkHash(const std::string &path, const MappedFile &file,
                        const Manifest::File &expected) {
  uint64_t hash = xxh64(file.data(), file.size());
  if (hash != expected.xxh64)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                path + ": XXH64 is " + formatXxh64(hash) +
                    ", but manifest.json says " + formatXxh64(expected.xxh64) +
                    " (the file is corrupt or from another build)");
  return XGENMM_OK;
}

template <typename Fn>
xgenmm_status resolve(void *library, const std::string &libraryPath,
                      const char *field, const std::string &symbol, Fn &out) {
  ::dlerror();
  void *address = ::dlsym(library, symbol.c_str());
  if (!address)
    return fail(XGENMM_ERROR_BAD_ARTIFACT, libraryPath + ": no symbol '" +
                                               symbol + "' (manifest '" +
                                               field + "')");
  out = reinterpret_cast<Fn>(address);
  return XGENMM_OK;
}

} // namespace

Artifact::~Artifact() {
  if (library_)
    ::dlclose(library_);
}

xgenmm_status Artifact::load(const std::string &directory,
                             std::unique_ptr<Artifact> &out) {
  XGENMM_TRY(checkDirectory(directory));
  std::unique_ptr<Artifact> artifact(new Artifact());
  Manifest &m = artifact->manifest_;

  const std::string manifestPath = directory + "/" + abi::kManifestFile;
  {
    MappedFile manifestFile;
    XGENMM_TRY(manifestFile.open(manifestPath));
    XGENMM_TRY(parseManifest(manifestFile.text(), manifestPath, m));
  }
  XGENMM_TRY(checkTarget(m, manifestPath));

  const std::string modelPath = directory + "/" + abi::kModelFile;
  const std::string weightsPath = directory + "/" + abi::kWeightsFile;
  {
    MappedFile modelFile;
    XGENMM_TRY(modelFile.open(modelPath));
    XGENMM_TRY(artifact->weights_.open(weightsPath));
    // Both sizes before either checksum: a truncated copy is told apart
    // from a corrupt one without reading gigabytes.
    XGENMM_TRY(checkSize(modelPath, modelFile, m.modelSo));
    XGENMM_TRY(checkSize(weightsPath, artifact->weights_, m.weights));
    XGENMM_TRY(checkHash(modelPath, modelFile, m.modelSo));
    XGENMM_TRY(checkHash(weightsPath, artifact->weights_, m.weights));
  }
  // The tokenizer and preprocessor files (small) are checked the same way.
  for (const auto &[name, expected] : m.inputFiles) {
    const std::string path = directory + "/" + name;
    MappedFile file;
    XGENMM_TRY(file.open(path));
    XGENMM_TRY(checkSize(path, file, expected));
    XGENMM_TRY(checkHash(path, file, expected));
  }
  artifact->directory_ = directory;

  artifact->library_ = ::dlopen(modelPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!artifact->library_)
    return fail(XGENMM_ERROR_BAD_ARTIFACT,
                modelPath + ": cannot load: " + ::dlerror());
  XGENMM_TRY(resolve(artifact->library_, modelPath, "encode_image.symbol",
                     m.encodeImageSymbol, artifact->encodeImage_));
  XGENMM_TRY(resolve(artifact->library_, modelPath, "prefill.symbol",
                     m.prefillSymbol, artifact->prefill_));
  XGENMM_TRY(resolve(artifact->library_, modelPath, "decode.symbol",
                     m.decodeSymbol, artifact->decode_));
  // --- GPU dispatch hook: weights uploaded once, entry points wrapped. ---
  if (m.targetKind == "cuda")
    XGENMM_TRY(cuda::bindEntryPoints(artifact->weights_, artifact->encodeImage_,
                                     artifact->prefill_, artifact->decode_,
                                     artifact->gpu_));
  out = std::move(artifact);
  return XGENMM_OK;
}

bool Artifact::setThreads(int threads) const {
  // model.so links libomp; its omp_set_num_threads is reached through the
  // library's handle (the runtime itself links no OpenMP).
  using SetThreads = void (*)(int);
  auto set = library_ ? reinterpret_cast<SetThreads>(::dlsym(library_, "omp_set_num_threads"))
                      : nullptr;
  if (!set)
    return false;
  set(threads);
  return true;
}
