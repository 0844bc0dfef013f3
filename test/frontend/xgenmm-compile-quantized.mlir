// xgenmm-compile with quantized weights: the manifest records each tensor's
// storage; bad requests name what is wrong. (Apart from xgenmm-compile.mlir
// so that lit runs the compiles of the files in parallel.)
//
// RUN: rm -rf %t && mkdir -p %t
// Quantized weights: the manifest lists each tensor's scheme; bad requests
// name what is wrong.
// For a CPU without AVX512-VNNI, int8 values K-major [K, N], f32 scales.
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int8 --weights language=int8 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT8 < %t/int8/manifest.json
// INT8: "weights":{"quantized_parts":["language"],"scheme":"int8","schemes":{"language":"int8"},"group_size":8,"simulated":false,"synthetic":false,"tensors":[
// INT8-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x96x160xi8>","bytes":30720,"offset":{{[0-9]+}},"scheme":"int8","part":"values","group_size":8}
// INT8-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x12x160xf32>","bytes":15360,"offset":{{[0-9]+}},"scheme":"int8","part":"scales","group_size":8}
// Quantized weights default to a bf16 KV cache.
// INT8: "kv_cache":{"layers":2,"capacity":4096,"width":32,"dtype":"bf16"}
// With AVX512-VNNI: int8 VNNI panels, 4 K per lane (qkv: [5, K / 4 = 24,
// 128] per layer), f16 scales.
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int8v --weights language=int8 --group-size 8 --target-features=+avx2,+fma,+f16c,+avx512f,+avx512bw,+avx512vnni > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT8V < %t/int8v/manifest.json
// INT8V: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x24x128xi8>","bytes":30720,"offset":{{[0-9]+}},"scheme":"int8","part":"values","group_size":8,"layout":"vnni"}
// INT8V-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x12x32xf16>","bytes":7680,"offset":{{[0-9]+}},"scheme":"int8","part":"scales","group_size":8,"layout":"vnni"}
// int4 for a CPU without AVX512-VNNI: the values two per byte ([K / 2, N]
// i8: 48 rows for K = 96), f32 scales [K / group, N].
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int4 --weights int4 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT4 < %t/int4/manifest.json
// INT4: "weights":{"quantized_parts":["language"],"scheme":"int4","schemes":{"language":"int4"},"group_size":8,"simulated":false,"synthetic":false,"tensors":[
// INT4-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x48x160xi8>","bytes":15360,"offset":{{[0-9]+}},"scheme":"int4","part":"values","group_size":8}
// INT4-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x12x160xf32>","bytes":15360,"offset":{{[0-9]+}},"scheme":"int4","part":"scales","group_size":8}
// With AVX512-VNNI: VNNI panels (qkv: N = 160, panels of 32 columns, [5, K / 8
// = 12, 128] per layer) and f16 scales [5, K / group = 12, 32].
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/int4v --weights int4 --group-size 8 --target-features=+avx2,+fma,+f16c,+avx512f,+avx512bw,+avx512vnni > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=INT4V < %t/int4v/manifest.json
// INT4V: "features":[{{.*}}"avx512vnni"
// INT4V: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x12x128xi8>","bytes":15360,"offset":{{[0-9]+}},"scheme":"int4","part":"values","group_size":8,"layout":"vnni"}
// INT4V-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x5x12x32xf16>","bytes":7680,"offset":{{[0-9]+}},"scheme":"int4","part":"scales","group_size":8,"layout":"vnni"}
// RUN: not xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/x --weights int2 2>&1 | FileCheck %s --check-prefix=QSPEC
// QSPEC: xgenmm-compile: error: --weights must be f32, bf16, int8, int4 or part=scheme,..., got 'int2'
// Schemes per part (one quantization pass per scheme), the LM head among
// them: its [V, D] weight as K-major int8.
// RUN: xgenmm-compile %fixtures/tiny_gqa_fp32_4shards -o %t/mixed --weights language=int4,head=int8 --group-size 8 --target-cpu x86-64-v3 > /dev/null 2>&1
// RUN: FileCheck %s --check-prefix=QMIX < %t/mixed/manifest.json
// QMIX: "weights":{"quantized_parts":["language","head"],"scheme":"mixed","schemes":{"language":"int4","head":"int8"},"group_size":8,
// QMIX-SAME: {"name":"vlm.lang_model.model.layers.{}.self_attn.qkv_proj.weight","type":"tensor<2x48x160xi8>","bytes":15360,"offset":{{[0-9]+}},"scheme":"int4","part":"values","group_size":8}
// QMIX-SAME: {"name":"vlm.lang_model.lm_head.weight","type":"tensor<96x257xi8>","bytes":24672,"offset":{{[0-9]+}},"scheme":"int8","part":"values","group_size":8}
// QMIX-SAME: {"name":"vlm.lang_model.lm_head.weight","type":"tensor<12x257xf32>","bytes":12336,"offset":{{[0-9]+}},"scheme":"int8","part":"scales","group_size":8}
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
// Failed compiles write nothing.
// RUN: not test -e %t/x
