// xgenmm-compile: the memory an artifact takes — prefill chunks, the memory
// budget, the KV cache's element type. (Apart from xgenmm-compile.mlir so
// that lit runs the two files' compiles in parallel.)
//
// RUN: rm -rf %t && mkdir -p %t
// Prefill calls of at most --prefill-chunk tokens (default 512).
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/chunk --prefill-chunk 16 --context 64 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=CHUNK < %t/chunk/manifest.json
// CHUNK: "prefill":{"symbol":"_mlir_ciface_xgenmm_prefill","max_tokens":16}
// CHUNK-SAME: "kv_cache":{"layers":1,"capacity":64,
// A memory budget: over it, a checkpoint compiled without --context gets the
// largest context that fits (here weights ~0.25 MB, arena ~3.9 MB at 4096
// tokens, 352 bytes of KV cache per token; 5.5 MB in all); with --context,
// an error that names the context that would fit.
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/budget --memory-budget 5000000 2>&1 | FileCheck %s --check-prefix=BUDGET
// BUDGET: xgenmm-compile: the artifact needs {{[0-9]+}} bytes (weights {{[0-9]+}}, arena {{[0-9]+}}, KV caches 1441792 at a context of 4096) > --memory-budget 5000000: compiling again with a context of [[FIT:[0-9]+]] tokens
// RUN: FileCheck %s --check-prefix=BUDGETM < %t/budget/manifest.json
// BUDGETM: "kv_cache":{"layers":1,"capacity":{{2[0-9][0-9][0-9]}},
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --memory-budget 5000000 --context 4096 2>&1 | FileCheck %s --check-prefix=BUDGETCTX
// BUDGETCTX: xgenmm-compile: error: the artifact needs {{[0-9]+}} bytes ({{.*}}) > --memory-budget 5000000; a context of {{[0-9]+}} tokens fits (--context {{[0-9]+}})
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --memory-budget 1M 2>&1 | FileCheck %s --check-prefix=BUDGETLOW
// BUDGETLOW: xgenmm-compile: error: the artifact needs {{.*}} > --memory-budget 1048576; the weights and the arena alone exceed it
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --memory-budget lots 2>&1 | FileCheck %s --check-prefix=BUDGETBAD
// BUDGETBAD: xgenmm-compile: error: --memory-budget lots: expected a size such as 6G, 512M or a number of bytes
//
// KV-cache element type: bf16 by default for bf16 weights, f32 on request.
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/kvbf16 --dtype bf16 --context 32 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=KVBF16 < %t/kvbf16/manifest.json
// KVBF16: "kv_cache":{"layers":1,"capacity":32,"width":44,"dtype":"bf16"}
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/kvf32 --dtype bf16 --kv-cache f32 --context 32 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=KVF32 < %t/kvf32/manifest.json
// KVF32: "kv_cache":{"layers":1,"capacity":32,"width":44,"dtype":"f32"}
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --kv-cache f16 2>&1 | FileCheck %s --check-prefix=KVBAD
// KVBAD: xgenmm-compile: error: --kv-cache f16: expected f32, bf16 or int8
// int8: rows of 2 kv heads x (22 values + 4 scale bytes); 104 bytes per
// token for K and V of the one layer.
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/kvi8 --kv-cache int8 --context 32 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=KVI8 < %t/kvi8/manifest.json
// KVI8: "kv_bytes_per_token":104
// KVI8: "kv_cache":{"layers":1,"capacity":32,"width":52,"dtype":"int8"}
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --target sm_80 --kv-cache bf16 2>&1 | FileCheck %s --check-prefix=KVGPU
// KVGPU: xgenmm-compile: error: --kv-cache bf16: GPU artifacts keep an f32 KV cache
// Failed compiles write nothing.
// RUN: not test -e %t/x
