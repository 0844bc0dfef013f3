// xgenmm-compile: an imported .mlir compiles with the checkpoint it names,
// and bad invocations fail with a message, writing nothing.
//
// --help lists the tool's own options, not LLVM's.
// RUN: xgenmm-compile --help | FileCheck %s --check-prefix=HELP
// HELP: xgenmm-compile options:
// HELP-NOT: amdgpu
// HELP: --weights=
// HELP-NOT: polly
// RUN: rm -rf %t && mkdir -p %t
// RUN: xgenmm-import %fixtures/tiny_fp32_single -q -o %t/model.mlir
// RUN: xgenmm-compile %t/model.mlir -o %t/artifact 2>&1 | FileCheck %s --check-prefix=STAGES
// STAGES: xgenmm-compile: {{.*}}model.mlir -> {{.*}}artifact
// STAGES-NEXT: import {{.*}} ms  weights from {{/.*}}/test/fixtures/tiny_fp32_single
// STAGES-NEXT: lower to LLVM dialect {{.*}} ms
// STAGES-NEXT: write weights.bin {{.*}} ms {{.*}} f32
// STAGES-NEXT: copy tokenizer and preprocessor files {{.*}} ms  no tokenizer.model: the artifact takes ids only
// STAGES-NEXT: LLVM IR, optimise, object {{.*}} ms  cpu
// STAGES-NEXT: link model.so {{.*}} ms
// STAGES-NEXT: manifest.json {{.*}} ms
// STAGES-NEXT: xgenmm-compile: wrote {{.*}}artifact
//
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/artifact/manifest.json
// MANIFEST: {"format":"xgenmm-artifact","format_version":1,"model":"tiny_fp32_single","config":{
// MANIFEST-SAME: "target":{"kind":"cpu","triple":"x86_64-{{[^"]*}}","cpu":"{{[^"]+}}","features":[
// MANIFEST-SAME: "dtype":"f32","matmul_precision":"f32","weights":{"quantized_parts":[],"scheme":null,"schemes":{},"group_size":null,"simulated":false,"tensors":[{"name":"vlm.vision_encoder.embeddings.position_embedding.weight","type":"tensor<{{[0-9x]+}}xf32>","bytes":{{[0-9]+}},"scheme":"f32"}
// MANIFEST-SAME: "files":{"model.so":{"bytes":
// MANIFEST-SAME: "xxh64":"
// MANIFEST-SAME: "weights.bin":{"bytes":{{[0-9]+}},"xxh64":"
// MANIFEST-SAME: "encode_image":{"symbol":"_mlir_ciface_xgenmm_encode_image","image_size":30,"max_views":5,"tokens_per_view":5,"width":44,"anyres":true}
// MANIFEST-SAME: "arena_bytes":[[ARENA:[0-9]+]],"memory":{"weights_bytes":{{[0-9]+}},"arena_bytes":[[ARENA]],"kv_bytes_per_token":352,"kv_cache_bytes":1441792,"total_bytes":{{[0-9]+}}}
// MANIFEST-SAME: "prefill":{"symbol":"_mlir_ciface_xgenmm_prefill","max_tokens":512}
// MANIFEST-SAME: "kv_cache":{"layers":1,"capacity":4096,"width":44,"dtype":"f32"}
// MANIFEST-SAME: "vocab":{"base":141,"logits":144}
// MANIFEST-SAME: "special_tokens":{"endofchunk":143,"image":141,"image_placeholder":142,"bos":1,"eos":130,"pad":140}
//
// A second compile replaces the artifact (it is one).
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/artifact --context 64 2>&1 | FileCheck %s --check-prefix=AGAIN
// AGAIN: xgenmm-compile: wrote
// RUN: FileCheck %s --check-prefix=CONTEXT < %t/artifact/manifest.json
// CONTEXT: "kv_cache":{"layers":1,"capacity":64,
//
// Prefill calls of at most --prefill-chunk tokens (default 512).
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/chunk --prefill-chunk 16 --context 64 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=CHUNK < %t/chunk/manifest.json
// CHUNK: "prefill":{"symbol":"_mlir_ciface_xgenmm_prefill","max_tokens":16}
// CHUNK-SAME: "kv_cache":{"layers":1,"capacity":64,
// A memory budget: over it, a checkpoint compiled without --context gets the
// largest context that fits (here weights ~0.25 MB, arena ~39 MB at 4096
// tokens, 352 bytes of KV cache per token); with --context, an error that
// names the context that would fit.
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/budget --memory-budget 40000000 2>&1 | FileCheck %s --check-prefix=BUDGET
// BUDGET: xgenmm-compile: the artifact needs {{[0-9]+}} bytes (weights {{[0-9]+}}, arena {{[0-9]+}}, KV caches 1441792 at a context of 4096) > --memory-budget 40000000: compiling again with a context of [[FIT:[0-9]+]] tokens
// RUN: FileCheck %s --check-prefix=BUDGETM < %t/budget/manifest.json
// BUDGETM: "kv_cache":{"layers":1,"capacity":{{1[0-9][0-9][0-9]}},
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --memory-budget 40000000 --context 4096 2>&1 | FileCheck %s --check-prefix=BUDGETCTX
// BUDGETCTX: xgenmm-compile: error: the artifact needs {{[0-9]+}} bytes ({{.*}}) > --memory-budget 40000000; a context of {{[0-9]+}} tokens fits (--context {{[0-9]+}})
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
// KVBAD: xgenmm-compile: error: --kv-cache f16: expected f32 or bf16
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --target sm_80 --kv-cache bf16 2>&1 | FileCheck %s --check-prefix=KVGPU
// KVGPU: xgenmm-compile: error: --kv-cache bf16: GPU artifacts keep an f32 KV cache
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --dtype f16 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: xgenmm-compile: error: --dtype must be f32 or bf16, got 'f16'
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --matmul-precision f16 2>&1 | FileCheck %s --check-prefix=MMPREC
// MMPREC: xgenmm-compile: error: --matmul-precision must be f32 or bf16, got 'f16'
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --matmul-precision bf16 2>&1 | FileCheck %s --check-prefix=MMF32
// MMF32: xgenmm-compile: error: --matmul-precision bf16 needs bf16 weights (--dtype bf16), got --dtype f32
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --dtype bf16 --matmul-precision bf16 --target-cpu x86-64 2>&1 | FileCheck %s --check-prefix=MMCPU
// MMCPU: xgenmm-compile: error: --matmul-precision bf16 needs a target CPU with AVX512-BF16 (avx512bf16); add +avx512bf16 to --target-features if the target has it
// Quantized weights: the manifest lists each tensor's scheme; bad requests
// name what is wrong.
// For a CPU without AVX512-VNNI, int8 values K-major [K, N], f32 scales.
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int8 --weights language=int8 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT8 < %t/int8/manifest.json
// INT8: "weights":{"quantized_parts":["language"],"scheme":"int8","schemes":{"language":"int8"},"group_size":8,"simulated":false,"tensors":[
// INT8-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x96x160xi8>","bytes":30720,"scheme":"int8","part":"values","group_size":8}
// INT8-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x12x160xf32>","bytes":15360,"scheme":"int8","part":"scales","group_size":8}
// Quantized weights default to a bf16 KV cache.
// INT8: "kv_cache":{"layers":2,"capacity":4096,"width":32,"dtype":"bf16"}
// With AVX512-VNNI: int8 VNNI panels, 4 K per lane (qkv: [5, K / 4 = 24,
// 128] per layer), f16 scales.
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int8v --weights language=int8 --group-size 8 --target-features=+avx2,+fma,+f16c,+avx512f,+avx512bw,+avx512vnni > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT8V < %t/int8v/manifest.json
// INT8V: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x24x128xi8>","bytes":30720,"scheme":"int8","part":"values","group_size":8,"layout":"vnni"}
// INT8V-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x12x32xf16>","bytes":7680,"scheme":"int8","part":"scales","group_size":8,"layout":"vnni"}
// int4 for a CPU without AVX512-VNNI: the values two per byte ([K / 2, N]
// i8: 48 rows for K = 96), f32 scales [K / group, N].
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int4 --weights int4 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT4 < %t/int4/manifest.json
// INT4: "weights":{"quantized_parts":["language"],"scheme":"int4","schemes":{"language":"int4"},"group_size":8,"simulated":false,"tensors":[
// INT4-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x48x160xi8>","bytes":15360,"scheme":"int4","part":"values","group_size":8}
// INT4-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x12x160xf32>","bytes":15360,"scheme":"int4","part":"scales","group_size":8}
// With AVX512-VNNI: VNNI panels (qkv: N = 160, panels of 32 columns, [5, K / 8
// = 12, 128] per layer) and f16 scales [5, K / group = 12, 32].
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int4v --weights int4 --group-size 8 --target-features=+avx2,+fma,+f16c,+avx512f,+avx512bw,+avx512vnni > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT4V < %t/int4v/manifest.json
// INT4V: "features":[{{.*}}"avx512vnni"
// INT4V: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x12x128xi8>","bytes":15360,"scheme":"int4","part":"values","group_size":8,"layout":"vnni"}
// INT4V-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x12x32xf16>","bytes":7680,"scheme":"int4","part":"scales","group_size":8,"layout":"vnni"}
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights int2 2>&1 | FileCheck %s --check-prefix=QSPEC
// QSPEC: xgenmm-compile: error: --weights must be f32, bf16, int8, int4 or part=scheme,..., got 'int2'
// Schemes per part (one quantization pass per scheme), the LM head among
// them: its [V, D] weight as K-major int8.
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/mixed --weights language=int4,head=int8 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=QMIX < %t/mixed/manifest.json
// QMIX: "weights":{"quantized_parts":["language","head"],"scheme":"mixed","schemes":{"language":"int4","head":"int8"},"group_size":8,
// QMIX-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x48x160xi8>","bytes":15360,"scheme":"int4","part":"values","group_size":8}
// QMIX-SAME: {"name":"vlm.lang_model.lm_head.weight","type":"tensor<96x257xi8>","bytes":24672,"scheme":"int8","part":"values","group_size":8}
// QMIX-SAME: {"name":"vlm.lang_model.lm_head.weight","type":"tensor<12x257xf32>","bytes":12336,"scheme":"int8","part":"scales","group_size":8}
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights head=int8,head=int4 2>&1 | FileCheck %s --check-prefix=QTWICE
// QTWICE: xgenmm-compile: error: --weights: part 'head' given twice
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights embed=int8 2>&1 | FileCheck %s --check-prefix=QPART
// QPART: xgenmm-compile: error: --weights: unknown model part 'embed' (parts: vision, resampler, language, head; the patch embedding and the token embedding are not quantized)
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights language=int3 2>&1 | FileCheck %s --check-prefix=QSCHEME
// QSCHEME: xgenmm-compile: error: --weights: unsupported scheme 'int3' for language (supported: int8, int4)
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights int8 --group-size 24 2>&1 | FileCheck %s --check-prefix=QGROUP
// QGROUP: xgenmm-compile: error: --group-size must be 32, 64 or 128 (8 or 16 for tiny models), got 24
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --simulate-quantization 2>&1 | FileCheck %s --check-prefix=QSIM
// QSIM: xgenmm-compile: error: --simulate-quantization needs --weights with a quantized part (e.g. int8)
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights language=int8 2>&1 | FileCheck %s --check-prefix=QK
// QK: error: cannot quantize weight 'vlm.lang_model.model.layers.{}.mlp.down_proj.weight' in groups of 32: its in-features (136) are not a multiple of the group size
// QK: xgenmm-compile: error: the CPU pipeline failed (diagnostics above)
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights int8 --target sm_80 2>&1 | FileCheck %s --check-prefix=QGPU
// QGPU: xgenmm-compile: error: --weights int8 is a CPU option for now (GPU artifacts store bf16 weights)
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights bf16 --dtype f32 2>&1 | FileCheck %s --check-prefix=QDTYPE
// QDTYPE: xgenmm-compile: error: --weights bf16 contradicts --dtype f32
// RUN: not xgenmm-compile %t/missing -o %t/x 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: xgenmm-compile: error: {{.*}}missing: no such file or directory
// RUN: not xgenmm-compile %xgenmm_src_root/test/models/tiny.mlir -o %t/x 2>&1 | FileCheck %s --check-prefix=NOCKPT
// NOCKPT: error: {{.*}}tiny.mlir: no checkpoint to read weights from: pass --checkpoint <dir> (the module has no xgenmm.checkpoint attribute)
// RUN: not test -e %t/x
//
// An existing directory that is not an artifact is never replaced.
// RUN: mkdir -p %t/data && touch %t/data/keep
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/data 2>&1 | FileCheck %s --check-prefix=KEEP
// KEEP: xgenmm-compile: error: {{.*}}data exists and is not an xgenmm artifact directory; refusing to replace it
// RUN: test -e %t/data/keep
