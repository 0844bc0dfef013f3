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
// MANIFEST-SAME: "dtype":"f32","matmul_precision":"f32","weights":{"quantized_parts":[],"scheme":null,"schemes":{},"group_size":null,"simulated":false,"synthetic":false,"tensors":[{"name":"vlm.vision_encoder.embeddings.position_embedding.weight","type":"tensor<{{[0-9x]+}}xf32>","bytes":{{[0-9]+}},"offset":{{[0-9]+}},"scheme":"f32"}
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
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --dtype f16 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: xgenmm-compile: error: --dtype must be f32 or bf16, got 'f16'
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --matmul-precision f16 2>&1 | FileCheck %s --check-prefix=MMPREC
// MMPREC: xgenmm-compile: error: --matmul-precision must be f32 or bf16, got 'f16'
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --matmul-precision bf16 2>&1 | FileCheck %s --check-prefix=MMF32
// MMF32: xgenmm-compile: error: --matmul-precision bf16 needs bf16 weights (--dtype bf16), got --dtype f32
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --dtype bf16 --matmul-precision bf16 --target-cpu x86-64 2>&1 | FileCheck %s --check-prefix=MMCPU
// MMCPU: xgenmm-compile: error: --matmul-precision bf16 needs a target CPU with AVX512-BF16 (avx512bf16); add +avx512bf16 to --target-features if the target has it
// A named CPU: the manifest lists its instruction-set extensions (not
// system ones such as sgx, which hypervisors hide), whichever CPU compiles
// it; the runtime refuses the artifact on a host that lacks one.
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/spr --target-cpu sapphirerapids > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=SPR < %t/spr/manifest.json
// SPR: "cpu":"sapphirerapids","features":[{{.*}}"avx512bf16",{{.*}}"avx512f",{{.*}}"fma",
// SPR-NOT: "sgx"
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/v3 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=V3 < %t/v3/manifest.json
// V3: "cpu":"x86-64-v3","features":[{{.*}}"avx2",{{.*}}"fma",
// V3-NOT: avx512
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single -o %t/x --target-cpu pentium9 2>&1 | FileCheck %s --check-prefix=BADCPU
// BADCPU: xgenmm-compile: error: --target-cpu 'pentium9' is not an x86-64 CPU LLVM knows (e.g. x86-64-v3, znver4, sapphirerapids)
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
