/*===- CudaRuntime.h - the CUDA side of the runtime, a C ABI ----*- C -*-===//
 *
 * libxgenmm_cuda.so: the functions the host code of a GPU artifact calls
 * (MLIR's mgpu* launch ABI and the memref allocator), and the few the
 * runtime's CUDA backend (runtime/cuda/CudaBackend.cpp) and the GPU
 * benchmarks need. It loads the CUDA driver, libcuda.so.1, with dlopen on
 * first use: nothing links against CUDA, and every binary starts on a
 * machine without a GPU. Device 0's primary context, one stream.
 *
 * Memory comes from cuMemAllocManaged: kernels and host code both address
 * it. Freed blocks are kept per size class (xgenmm_cuda_size_class) and
 * reused: the generated code allocates its intermediate buffers on every
 * call.
 *
 * Launches are asynchronous: the generated code's host side touches no
 * buffer, every kernel goes to the one stream, and whoever calls an entry
 * point synchronizes after it (xgenmm_cuda_synchronize). XGENMM_CUDA_SYNC=1
 * in the environment waits for every kernel instead (a failing kernel is
 * then reported at its launch).
 *
 * A failing driver call inside a launch function cannot be returned through
 * the generated code: the first such error is kept, printed, and reported by
 * xgenmm_cuda_take_error.
 *===----------------------------------------------------------------------===*/
#ifndef XGENMM_RUNTIME_CUDA_CUDARUNTIME_H
#define XGENMM_RUNTIME_CUDA_CUDARUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xgenmm_cuda_device_info {
  char name[256];
  int cc_major, cc_minor;      /* compute capability */
  int multiprocessors;
  int clock_khz;               /* SM clock (the driver's "typical" rate) */
  int memory_clock_khz;
  int memory_bus_bits;
  size_t total_memory;
  int driver_version;          /* e.g. 12040 for 12.4 */
} xgenmm_cuda_device_info;

/* Loads libcuda.so.1 and makes device 0's primary context current. Returns
 * 0, or -1 with a message in `error` (no driver, no device, ...). Cheap
 * after the first call. */
int xgenmm_cuda_init(char *error, size_t error_size);
int xgenmm_cuda_device(xgenmm_cuda_device_info *info);

/* Managed memory, pooled by size class; zeroed on first allocation only. */
void *xgenmm_cuda_alloc(size_t bytes);
/* The bytes an allocation of `bytes` takes: multiples of 256 up to 4 KiB,
 * then eighths of the power of two below `bytes`. */
size_t xgenmm_cuda_size_class(size_t bytes);
void xgenmm_cuda_free(void *ptr);
/* Hints that `bytes` at `ptr` (managed) are read by the device next. */
void xgenmm_cuda_prefetch(const void *ptr, size_t bytes);
void xgenmm_cuda_copy(void *dst, const void *src, size_t bytes);
void xgenmm_cuda_synchronize(void);
/* The first driver error since the last call (NULL if none); clears it. */
const char *xgenmm_cuda_take_error(void);

/* CUDA graphs of the stream's work: between begin and end_and_launch,
 * launches are recorded, not run; end_and_launch updates `*exec` (or
 * instantiates it anew when the recorded work differs in shape) and
 * launches it. Both return 0, or -1 when graphs are unavailable (driver
 * before CUDA 12) or the capture failed, in which case nothing ran. */
int xgenmm_cuda_graph_begin(void);
int xgenmm_cuda_graph_end_and_launch(void **exec);
void xgenmm_cuda_graph_destroy(void *exec);

/* Events on the runtime's stream, for benchmarks: milliseconds between. */
void *xgenmm_cuda_event_record(void);
float xgenmm_cuda_event_elapsed_ms(void *start, void *end);
void xgenmm_cuda_event_destroy(void *event);

/* MLIR's GPU runtime ABI, as the host code of gpu-to-llvm calls it. */
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                      int32_t smem, void *stream, void **params, void **extra,
                      size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);

/* finalize-memref-to-llvm{use-generic-functions}: the host code's buffers. */
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* XGENMM_RUNTIME_CUDA_CUDARUNTIME_H */
