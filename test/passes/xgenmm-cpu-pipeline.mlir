// The whole CPU pipeline on the hand-written tiny model: the three entry
// points come out with the artifact's C ABI (runtime/ArtifactAbi.h) and the
// module needs nothing but libc and libm.
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir -xgenmm-cpu-pipeline | FileCheck %s
// RUN: xgenmm-opt %xgenmm_src_root/test/models/tiny.mlir -xgenmm-cpu-pipeline=dtype=bf16 | FileCheck %s --check-prefix=BF16

// CHECK-NOT: memrefCopy
// CHECK-DAG: llvm.func @_mlir_ciface_xgenmm_encode_image(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @_mlir_ciface_xgenmm_prefill(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr)
// CHECK-DAG: llvm.func @_mlir_ciface_xgenmm_decode(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr)
// CHECK-NOT: memrefCopy

// The bf16 weights are widened in the kernels.
// BF16: llvm.fpext %{{.*}} : bf16 to f32

