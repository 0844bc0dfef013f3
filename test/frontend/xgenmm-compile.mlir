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
// MANIFEST-SAME: "dtype":"f32","matmul_precision":"f32","weights":{"quantized_parts":[],"scheme":null,"group_size":null,"simulated":false,"tensors":[{"name":"vlm.vision_encoder.embeddings.position_embedding.weight","type":"tensor<{{[0-9x]+}}xf32>","bytes":{{[0-9]+}},"scheme":"f32"}
// MANIFEST-SAME: "files":{"model.so":{"bytes":
// MANIFEST-SAME: "xxh64":"
// MANIFEST-SAME: "weights.bin":{"bytes":{{[0-9]+}},"xxh64":"
// MANIFEST-SAME: "encode_image":{"symbol":"_mlir_ciface_xgenmm_encode_image","image_size":30,"max_views":5,"tokens_per_view":5,"width":44,"anyres":true}
// MANIFEST-SAME: "prefill":{"symbol":"_mlir_ciface_xgenmm_prefill","max_tokens":4096}
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
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int8 --weights language=int8 --group-size 8 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT8 < %t/int8/manifest.json
// INT8: "weights":{"quantized_parts":["language"],"scheme":"int8","group_size":8,"simulated":false,"tensors":[
// INT8-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x96x160xi8>","bytes":30720,"scheme":"int8","part":"values","group_size":8}
// INT8-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x12x160xf32>","bytes":15360,"scheme":"int8","part":"scales","group_size":8}
// int4 for a CPU without AVX512-VNNI: the values two per byte ([K / 2, N]
// i8: 48 rows for K = 96), f32 scales [K / group, N].
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int4 --weights int4 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT4 < %t/int4/manifest.json
// INT4: "weights":{"quantized_parts":["language"],"scheme":"int4","group_size":8,"simulated":false,"tensors":[
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
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights language=int8,vision=int4 2>&1 | FileCheck %s --check-prefix=QMIX
// QMIX: xgenmm-compile: error: --weights: the quantized parts must share one scheme, got int8 and int4 (mixed int8/int4 is not implemented)
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights head=int8 2>&1 | FileCheck %s --check-prefix=QPART
// QPART: xgenmm-compile: error: --weights: unknown model part 'head' (parts: vision, resampler, language; the LM head and the patch embedding are not quantized)
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
