//===- CudaRuntime.cpp - libcuda.so.1 behind dlopen, MLIR's mgpu* ABI -----===//
//
// The driver API is declared here, not included: the build needs no CUDA
// toolkit, and binaries need no libcuda. Only entry points that exist since
// CUDA 11 with these signatures are used (the _v2 names where the driver
// API versioned them).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaRuntime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <dlfcn.h>

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUgraph = void *;
using CUgraphExec = void *;
struct GraphExecUpdateResultInfo { // CUgraphExecUpdateResultInfo
  int result;
  void *errorNode, *errorFromNode;
};

constexpr int kAttrClockRate = 13, kAttrMultiprocessors = 16,
              kAttrMemoryClockRate = 36, kAttrMemoryBusWidth = 37,
              kAttrCcMajor = 75, kAttrCcMinor = 76;
constexpr unsigned kMemAttachGlobal = 1, kStreamNonBlocking = 1;
constexpr int kJitOptimizationLevel = 7;
constexpr int kStreamCaptureModeRelaxed = 2;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **, void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuMemPrefetchAsync)(CUdeviceptr, size_t, CUdevice, CUstream); // optional
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  // Graphs (CUDA 12): optional, for xgenmm_cuda_graph_*.
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*cuGraphExecUpdate)(CUgraphExec, CUgraph, GraphExecUpdateResultInfo *);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphDestroy)(CUgraph);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
};

struct State {
  std::mutex mutex;
  bool tried = false, ready = false;
  std::string initError;
  Driver d{};
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  bool concurrentManaged = true;
  // XGENMM_CUDA_SYNC=1: wait for every kernel (a failing kernel is then
  // reported at its launch, not at the entry point's end).
  bool syncEachLaunch = false;
  bool capturing = false;
  std::string captureError; // the first driver error while capturing
  std::string firstError;
  bool errorReported = false;
  // Pool: freed managed blocks by size; live blocks' sizes.
  std::multimap<size_t, void *> freeBlocks;
  std::unordered_map<void *, size_t> liveBlocks;
};

State &state() {
  static State *s = new State(); // never destroyed: module dtors run late
  return *s;
}

void record(const char *what, CUresult r) {
  State &s = state();
  const char *text = nullptr;
  if (s.d.cuGetErrorString)
    s.d.cuGetErrorString(r, &text);
  std::string message = std::string(what) + ": CUDA error " + std::to_string(r) +
                        (text ? std::string(" (") + text + ")" : "");
  if (s.capturing) {
    // Not reported: the graph is dropped and the work run uncaptured,
    // which reports the error where it still is one.
    if (s.captureError.empty())
      s.captureError = message;
    return;
  }
  if (s.firstError.empty())
    s.firstError = message;
  if (!s.errorReported) {
    std::fprintf(stderr, "xgenmm: %s\n", message.c_str());
    s.errorReported = true;
  }
}

#define CHECK(call)                                                            \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != 0)                                                               \
      record(#call, r_);                                                       \
  } while (false)

bool loadDriver(State &s) {
  void *lib = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    const char *why = ::dlerror();
    s.initError = std::string("cannot load the CUDA driver libcuda.so.1 (") +
                  (why ? why : "not found") +
                  "): this machine has no NVIDIA driver";
    return false;
  }
  bool ok = true;
  auto get = [&](auto &fn, const char *name, bool required = true) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
    if (!fn && required) {
      s.initError = std::string("libcuda.so.1 lacks ") + name + " (driver too old?)";
      ok = false;
    }
  };
  Driver &d = s.d;
  get(d.cuInit, "cuInit");
  get(d.cuDriverGetVersion, "cuDriverGetVersion");
  get(d.cuDeviceGetCount, "cuDeviceGetCount");
  get(d.cuDeviceGet, "cuDeviceGet");
  get(d.cuDeviceGetName, "cuDeviceGetName");
  get(d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  get(d.cuDeviceTotalMem, "cuDeviceTotalMem_v2");
  get(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  get(d.cuCtxSetCurrent, "cuCtxSetCurrent");
  get(d.cuCtxSynchronize, "cuCtxSynchronize");
  get(d.cuGetErrorString, "cuGetErrorString");
  get(d.cuModuleLoadData, "cuModuleLoadData");
  get(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  get(d.cuModuleUnload, "cuModuleUnload");
  get(d.cuModuleGetFunction, "cuModuleGetFunction");
  get(d.cuLaunchKernel, "cuLaunchKernel");
  get(d.cuStreamCreate, "cuStreamCreate");
  get(d.cuStreamSynchronize, "cuStreamSynchronize");
  get(d.cuMemAllocManaged, "cuMemAllocManaged");
  get(d.cuMemFree, "cuMemFree_v2");
  get(d.cuMemcpy, "cuMemcpy");
  get(d.cuMemsetD8Async, "cuMemsetD8Async");
  get(d.cuMemPrefetchAsync, "cuMemPrefetchAsync", /*required=*/false);
  get(d.cuEventCreate, "cuEventCreate");
  get(d.cuEventRecord, "cuEventRecord");
  get(d.cuEventSynchronize, "cuEventSynchronize");
  get(d.cuEventElapsedTime, "cuEventElapsedTime");
  get(d.cuEventDestroy, "cuEventDestroy_v2");
  get(d.cuStreamBeginCapture, "cuStreamBeginCapture_v2", /*required=*/false);
  get(d.cuStreamEndCapture, "cuStreamEndCapture", /*required=*/false);
  get(d.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags", /*required=*/false);
  get(d.cuGraphExecUpdate, "cuGraphExecUpdate_v2", /*required=*/false);
  get(d.cuGraphLaunch, "cuGraphLaunch", /*required=*/false);
  get(d.cuGraphDestroy, "cuGraphDestroy", /*required=*/false);
  get(d.cuGraphExecDestroy, "cuGraphExecDestroy", /*required=*/false);
  return ok;
}

bool initLocked(State &s) {
  if (s.tried)
    return s.ready;
  s.tried = true;
  if (!loadDriver(s))
    return false;
  auto fail = [&](const char *what, CUresult r) {
    const char *text = nullptr;
    s.d.cuGetErrorString(r, &text);
    s.initError = std::string(what) + " failed: CUDA error " + std::to_string(r) +
                  (text ? std::string(" (") + text + ")" : "");
    return false;
  };
  if (CUresult r = s.d.cuInit(0))
    return fail("cuInit", r);
  int count = 0;
  if (CUresult r = s.d.cuDeviceGetCount(&count))
    return fail("cuDeviceGetCount", r);
  if (count < 1) {
    s.initError = "the CUDA driver reports no device";
    return false;
  }
  if (CUresult r = s.d.cuDeviceGet(&s.device, 0))
    return fail("cuDeviceGet", r);
  if (CUresult r = s.d.cuDevicePrimaryCtxRetain(&s.context, s.device))
    return fail("cuDevicePrimaryCtxRetain", r);
  if (CUresult r = s.d.cuCtxSetCurrent(s.context))
    return fail("cuCtxSetCurrent", r);
  if (CUresult r = s.d.cuStreamCreate(&s.stream, kStreamNonBlocking))
    return fail("cuStreamCreate", r);
  if (const char *sync = std::getenv("XGENMM_CUDA_SYNC"))
    s.syncEachLaunch = std::strcmp(sync, "0") != 0;
  s.ready = true;
  return true;
}

bool ensure() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!initLocked(s)) {
    if (!s.errorReported) {
      std::fprintf(stderr, "xgenmm: %s\n", s.initError.c_str());
      s.errorReported = true;
    }
    return false;
  }
  // Other threads (the caller's) need the context current too.
  s.d.cuCtxSetCurrent(s.context);
  return true;
}

} // namespace

extern "C" {

int xgenmm_cuda_init(char *error, size_t errorSize) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (initLocked(s)) {
    s.d.cuCtxSetCurrent(s.context);
    return 0;
  }
  if (error && errorSize)
    std::snprintf(error, errorSize, "%s", s.initError.c_str());
  return -1;
}

int xgenmm_cuda_device(xgenmm_cuda_device_info *info) {
  if (!ensure())
    return -1;
  State &s = state();
  std::memset(info, 0, sizeof(*info));
  s.d.cuDeviceGetName(info->name, sizeof(info->name) - 1, s.device);
  s.d.cuDeviceGetAttribute(&info->cc_major, kAttrCcMajor, s.device);
  s.d.cuDeviceGetAttribute(&info->cc_minor, kAttrCcMinor, s.device);
  s.d.cuDeviceGetAttribute(&info->multiprocessors, kAttrMultiprocessors, s.device);
  s.d.cuDeviceGetAttribute(&info->clock_khz, kAttrClockRate, s.device);
  s.d.cuDeviceGetAttribute(&info->memory_clock_khz, kAttrMemoryClockRate, s.device);
  s.d.cuDeviceGetAttribute(&info->memory_bus_bits, kAttrMemoryBusWidth, s.device);
  s.d.cuDeviceTotalMem(&info->total_memory, s.device);
  s.d.cuDriverGetVersion(&info->driver_version);
  return 0;
}

size_t xgenmm_cuda_size_class(size_t bytes) {
  if (bytes <= 4096)
    return bytes ? (bytes + 255) & ~size_t(255) : 256;
  // Eighths of the power of two below: at most 12.5% more than asked for,
  // and few distinct sizes where a buffer grows call by call (attention
  // scores with the position), so that the pool reuses its blocks.
  size_t top = size_t(1) << (63 - __builtin_clzll(bytes));
  size_t step = top / 8;
  return (bytes + step - 1) / step * step;
}

void *xgenmm_cuda_alloc(size_t bytes) {
  if (!ensure())
    return nullptr;
  State &s = state();
  bytes = xgenmm_cuda_size_class(bytes);
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.freeBlocks.find(bytes);
    if (it != s.freeBlocks.end()) {
      void *p = it->second;
      s.freeBlocks.erase(it);
      s.liveBlocks[p] = bytes;
      return p;
    }
  }
  CUdeviceptr p = 0;
  CUresult r = s.d.cuMemAllocManaged(&p, bytes, kMemAttachGlobal);
  if (r != 0) {
    // Out of memory: give the pooled blocks back and try once more.
    std::lock_guard<std::mutex> lock(s.mutex);
    s.d.cuCtxSynchronize();
    for (auto &[size, block] : s.freeBlocks)
      s.d.cuMemFree(reinterpret_cast<CUdeviceptr>(block));
    s.freeBlocks.clear();
    r = s.d.cuMemAllocManaged(&p, bytes, kMemAttachGlobal);
    if (r != 0) {
      record("cuMemAllocManaged", r);
      return nullptr;
    }
  }
  // Zeroed in stream order (a graph node while capturing), and waited for
  // otherwise: the caller may copy into the block outside the stream.
  CHECK(s.d.cuMemsetD8Async(p, 0, bytes, s.stream));
  if (!s.capturing)
    CHECK(s.d.cuStreamSynchronize(s.stream));
  std::lock_guard<std::mutex> lock(s.mutex);
  s.liveBlocks[reinterpret_cast<void *>(p)] = bytes;
  return reinterpret_cast<void *>(p);
}

void xgenmm_cuda_free(void *ptr) {
  if (!ptr)
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.liveBlocks.find(ptr);
  if (it == s.liveBlocks.end())
    return; // not ours
  s.freeBlocks.emplace(it->second, ptr);
  s.liveBlocks.erase(it);
}

void xgenmm_cuda_prefetch(const void *ptr, size_t bytes) {
  if (!ensure())
    return;
  State &s = state();
  if (s.d.cuMemPrefetchAsync)
    s.d.cuMemPrefetchAsync(reinterpret_cast<CUdeviceptr>(ptr), bytes, s.device, s.stream);
}

void xgenmm_cuda_copy(void *dst, const void *src, size_t bytes) {
  if (!ensure() || !bytes)
    return;
  CHECK(state().d.cuMemcpy(reinterpret_cast<CUdeviceptr>(dst),
                           reinterpret_cast<CUdeviceptr>(src), bytes));
}

void xgenmm_cuda_synchronize(void) {
  if (!ensure())
    return;
  CHECK(state().d.cuCtxSynchronize());
}

const char *xgenmm_cuda_take_error(void) {
  static thread_local std::string taken;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.firstError.empty())
    return nullptr;
  taken = s.firstError;
  s.firstError.clear();
  s.errorReported = false;
  return taken.c_str();
}

void *xgenmm_cuda_event_record(void) {
  if (!ensure())
    return nullptr;
  State &s = state();
  CUevent e = nullptr;
  CHECK(s.d.cuEventCreate(&e, 0));
  CHECK(s.d.cuEventRecord(e, s.stream));
  return e;
}

float xgenmm_cuda_event_elapsed_ms(void *start, void *end) {
  State &s = state();
  float ms = 0;
  CHECK(s.d.cuEventSynchronize(end));
  CHECK(s.d.cuEventElapsedTime(&ms, start, end));
  return ms;
}

void xgenmm_cuda_event_destroy(void *event) {
  if (event)
    state().d.cuEventDestroy(event);
}

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  if (!ensure())
    return nullptr;
  CUmodule module = nullptr;
  CHECK(state().d.cuModuleLoadData(&module, data));
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (!ensure())
    return nullptr;
  CUmodule module = nullptr;
  int options[] = {kJitOptimizationLevel};
  void *values[] = {reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CHECK(state().d.cuModuleLoadDataEx(&module, data, 1, options, values));
  return module;
}

void mgpuModuleUnload(void *module) {
  State &s = state();
  if (module && s.ready)
    s.d.cuModuleUnload(module); // at exit the driver may be gone: no report
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module)
    return nullptr;
  CUfunction function = nullptr;
  CHECK(state().d.cuModuleGetFunction(&function, module, name));
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      void *stream, void **params, void **extra, size_t /*paramsCount*/) {
  if (!function)
    return;
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0)
    return; // an empty iteration space (e.g. no image rows)
  CHECK(state().d.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                                 smem, stream, params, extra));
}

void *mgpuStreamCreate(void) {
  if (!ensure())
    return nullptr;
  return state().stream;
}

void mgpuStreamDestroy(void * /*stream*/) {}

void mgpuStreamSynchronize(void *stream) {
  // The generated code follows every launch with this. Its host code reads
  // and writes no buffer (the GPU pipeline leaves no memory access on the
  // host; test/gpu/xgenmm-gpu-pipeline.mlir checks it) and every kernel
  // goes to the one stream: launches stay asynchronous, in order, and the
  // entry point's caller synchronizes once (runtime/cuda/CudaBackend.cpp).
  State &s = state();
  if (s.syncEachLaunch && !s.capturing)
    CHECK(s.d.cuStreamSynchronize(stream));
}

int xgenmm_cuda_graph_begin(void) {
  if (!ensure())
    return -1;
  State &s = state();
  if (!s.d.cuStreamBeginCapture || !s.d.cuStreamEndCapture ||
      !s.d.cuGraphInstantiateWithFlags || !s.d.cuGraphExecUpdate || !s.d.cuGraphLaunch ||
      !s.d.cuGraphDestroy || !s.d.cuGraphExecDestroy)
    return -1;
  // Relaxed: the allocator may call cuMemAllocManaged while capturing.
  if (s.d.cuStreamBeginCapture(s.stream, kStreamCaptureModeRelaxed) != 0)
    return -1;
  s.capturing = true;
  return 0;
}

int xgenmm_cuda_graph_end_and_launch(void **exec) {
  State &s = state();
  s.capturing = false;
  CUgraph graph = nullptr;
  bool captured = s.d.cuStreamEndCapture(s.stream, &graph) == 0 && graph;
  if (!captured || !s.captureError.empty()) {
    // Invalidated, or a call failed while recording: nothing ran.
    s.captureError.clear();
    if (graph)
      s.d.cuGraphDestroy(graph);
    return -1;
  }
  int status = 0;
  GraphExecUpdateResultInfo info{};
  if (*exec && s.d.cuGraphExecUpdate(*exec, graph, &info) != 0) {
    // Not the same topology (or a change updates cannot make): anew.
    s.d.cuGraphExecDestroy(*exec);
    *exec = nullptr;
  }
  if (!*exec && s.d.cuGraphInstantiateWithFlags(exec, graph, 0) != 0) {
    *exec = nullptr;
    status = -1;
  }
  s.d.cuGraphDestroy(graph);
  if (status == 0)
    CHECK(s.d.cuGraphLaunch(*exec, s.stream));
  return status;
}

void xgenmm_cuda_graph_destroy(void *exec) {
  State &s = state();
  if (exec && s.ready && s.d.cuGraphExecDestroy)
    s.d.cuGraphExecDestroy(exec);
}

void *_mlir_memref_to_llvm_alloc(size_t bytes) { return xgenmm_cuda_alloc(bytes); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t /*alignment*/, size_t bytes) {
  return xgenmm_cuda_alloc(bytes); // 256-byte aligned, as every allocation
}

void _mlir_memref_to_llvm_free(void *ptr) { xgenmm_cuda_free(ptr); }

} // extern "C"
