//===- CudaBackend.cpp - running "cuda" artifacts -------------------------===//
#include "runtime/cuda/CudaBackend.h"

#include "frontend/Json.h"
#include "runtime/Error.h"
#include "runtime/cuda/CudaRuntime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

using namespace xgenmm;
using namespace xgenmm::runtime;

namespace {

/// A device buffer that grows to the largest size asked for.
struct Staging {
  void *data = nullptr;
  size_t bytes = 0;
  void *reserve(size_t n) {
    if (n > bytes) {
      xgenmm_cuda_free(data);
      data = xgenmm_cuda_alloc(n);
      bytes = data ? n : 0;
    }
    return data;
  }
};

template <typename T, int N> size_t bytesOf(const abi::MemRef<T, N> &m) {
  size_t n = sizeof(T);
  for (int i = 0; i < N; ++i)
    n *= static_cast<size_t>(m.sizes[i]);
  return n;
}

/// A copy of `m` over `data` (contiguous descriptors only: the runtime's).
template <typename T, int N> abi::MemRef<T, N> rebased(const abi::MemRef<T, N> &m, void *data) {
  abi::MemRef<T, N> r = m;
  r.allocated = r.aligned = static_cast<T *>(data);
  r.offset = 0;
  return r;
}

struct Model {
  std::mutex mutex; // one call at a time (the runtime's contract already)
  abi::EncodeImageFn encodeImage;
  abi::PrefillFn prefill;
  abi::DecodeFn decode;
  void *weights = nullptr;
  int64_t weightBytes = 0;
  Staging in[3], out;
  std::map<const void *, void *> caches;
  // XGENMM_CUDA_GRAPHS=1: decode steps captured as a CUDA graph and
  // replayed (updated in place while the step keeps its shape).
  bool graphs = false;
  void *decodeGraph = nullptr;
  int64_t decodeCalls = 0;

  ~Model() {
    xgenmm_cuda_graph_destroy(decodeGraph);
    for (auto &[host, device] : caches)
      xgenmm_cuda_free(device);
    for (Staging &s : in)
      xgenmm_cuda_free(s.data);
    xgenmm_cuda_free(out.data);
    xgenmm_cuda_free(weights);
  }

  abi::MemRef<int8_t, 1> weightsRef() {
    return abi::contiguous(static_cast<int8_t *>(weights), {weightBytes});
  }

  template <typename T, int N> abi::MemRef<T, N> input(int slot, const abi::MemRef<T, N> &m) {
    size_t n = bytesOf(m);
    void *d = in[slot].reserve(n);
    xgenmm_cuda_copy(d, m.aligned + m.offset, n);
    return rebased(m, d);
  }

  template <typename T, int N> abi::MemRef<T, N> output(const abi::MemRef<T, N> &m) {
    return rebased(m, out.reserve(bytesOf(m)));
  }

  template <typename T, int N> void copyBack(const abi::MemRef<T, N> &host) {
    xgenmm_cuda_synchronize();
    xgenmm_cuda_copy(host.aligned + host.offset, out.data, bytesOf(host));
  }

  abi::MemRef<float, 3> cache(const abi::MemRef<float, 3> &host) {
    void *&d = caches[host.aligned];
    if (!d)
      d = xgenmm_cuda_alloc(bytesOf(host));
    return rebased(host, d);
  }

  void check(const char *entry) {
    xgenmm_cuda_synchronize();
    if (const char *error = xgenmm_cuda_take_error()) {
      std::fprintf(stderr, "xgenmm: the GPU failed in %s: %s\n", entry, error);
      std::abort();
    }
  }
};

} // namespace

xgenmm_status cuda::checkDevice(const std::string &manifestPath) {
  std::string chip;
  {
    MappedFile file;
    XGENMM_TRY(file.open(manifestPath));
    std::string error;
    std::optional<JsonValue> root = parseJson(file.text(), error);
    const JsonValue *target = root ? root->get("target") : nullptr;
    const JsonValue *c = target ? target->get("chip") : nullptr;
    if (!c || !c->isString() || c->asString().size() != 5 ||
        c->asString().compare(0, 3, "sm_") != 0)
      return fail(XGENMM_ERROR_BAD_ARTIFACT,
                  manifestPath + ": 'target.chip' must be \"sm_XY\" for a cuda artifact");
    chip = c->asString();
  }
  char error[512] = {0};
  if (xgenmm_cuda_init(error, sizeof(error)) != 0)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                manifestPath + ": the model was compiled for an NVIDIA GPU (" + chip +
                    ") and this machine cannot run it: " + error);
  xgenmm_cuda_device_info info;
  xgenmm_cuda_device(&info);
  int want = (chip[3] - '0') * 10 + (chip[4] - '0');
  int have = info.cc_major * 10 + info.cc_minor;
  // Code for sm_80 runs on sm_8x and later (through the fatbin's PTX where
  // the cubin does not match); code for sm_90 needs sm_90 or later.
  if (have < want)
    return fail(XGENMM_ERROR_UNSUPPORTED,
                manifestPath + ": the model was compiled for " + chip + ", but GPU 0 (" +
                    info.name + ") is sm_" + std::to_string(have) +
                    ": recompile with xgenmm-compile --target sm_" + std::to_string(have));
  return XGENMM_OK;
}

xgenmm_status cuda::bindEntryPoints(const MappedFile &weights, abi::EncodeImageFn encodeImage,
                                    abi::PrefillFn prefill, abi::DecodeFn decode,
                                    EntryPoints &out) {
  auto model = std::make_shared<Model>();
  model->encodeImage = encodeImage;
  model->prefill = prefill;
  model->decode = decode;
  model->weightBytes = static_cast<int64_t>(weights.size());
  if (const char *graphs = std::getenv("XGENMM_CUDA_GRAPHS"))
    model->graphs = std::strcmp(graphs, "0") != 0;
  model->weights = xgenmm_cuda_alloc(weights.size());
  if (!model->weights)
    return fail(XGENMM_ERROR_OUT_OF_MEMORY,
                "cannot allocate " + std::to_string(weights.size()) +
                    " bytes of GPU memory for weights.bin: " +
                    (xgenmm_cuda_take_error() ?: "unknown error"));
  xgenmm_cuda_copy(model->weights, weights.data(), weights.size());
  xgenmm_cuda_prefetch(model->weights, weights.size());
  xgenmm_cuda_synchronize();
  if (const char *error = xgenmm_cuda_take_error())
    return fail(XGENMM_ERROR_OUT_OF_MEMORY, std::string("uploading weights.bin: ") + error);

  out.encodeImage = [model](abi::MemRef<int8_t, 1> *, abi::MemRef<float, 4> *pixels,
                            int64_t gridRows, int64_t gridCols, int64_t width,
                            int64_t height, abi::MemRef<float, 3> *tokens) {
    std::lock_guard<std::mutex> lock(model->mutex);
    abi::MemRef<int8_t, 1> w = model->weightsRef();
    abi::MemRef<float, 4> p = model->input(0, *pixels);
    abi::MemRef<float, 3> o = model->output(*tokens);
    model->encodeImage(&w, &p, gridRows, gridCols, width, height, &o);
    model->check("encode_image");
    model->copyBack(*tokens);
  };
  out.prefill = [model](abi::MemRef<int8_t, 1> *, abi::MemRef<int32_t, 1> *ids,
                        abi::MemRef<float, 2> *vision, int64_t position,
                        abi::MemRef<float, 3> *kCache, abi::MemRef<float, 3> *vCache,
                        abi::MemRef<float, 2> *logits) {
    std::lock_guard<std::mutex> lock(model->mutex);
    abi::MemRef<int8_t, 1> w = model->weightsRef();
    abi::MemRef<int32_t, 1> i = model->input(0, *ids);
    abi::MemRef<float, 2> v = model->input(1, *vision);
    abi::MemRef<float, 3> k = model->cache(*kCache), c = model->cache(*vCache);
    abi::MemRef<float, 2> o = model->output(*logits);
    model->prefill(&w, &i, &v, position, &k, &c, &o);
    model->check("prefill");
    model->copyBack(*logits);
  };
  out.decode = [model](abi::MemRef<int8_t, 1> *, abi::MemRef<int32_t, 1> *ids,
                       int64_t position, abi::MemRef<float, 3> *kCache,
                       abi::MemRef<float, 3> *vCache, abi::MemRef<float, 2> *logits) {
    std::lock_guard<std::mutex> lock(model->mutex);
    abi::MemRef<int8_t, 1> w = model->weightsRef();
    abi::MemRef<int32_t, 1> i = model->input(0, *ids);
    abi::MemRef<float, 3> k = model->cache(*kCache), c = model->cache(*vCache);
    abi::MemRef<float, 2> o = model->output(*logits);
    // The first step runs as it is (its allocations fill the pool); later
    // ones are captured and launched as one graph where the driver can.
    bool ran = false;
    if (model->graphs && model->decodeCalls++ > 0 && xgenmm_cuda_graph_begin() == 0) {
      model->decode(&w, &i, position, &k, &c, &o);
      ran = xgenmm_cuda_graph_end_and_launch(&model->decodeGraph) == 0;
    }
    if (!ran)
      model->decode(&w, &i, position, &k, &c, &o);
    model->check("decode");
    model->copyBack(*logits);
  };
  return XGENMM_OK;
}
