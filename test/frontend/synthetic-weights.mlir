// Synthetic weights: xgenmm-compile --synthetic-weights compiles xgenmm IR
// without reading a checkpoint (deterministic stand-in values), the
// artifact runs, and xgenmm-synth-weights rewrites the same weights.bin
// from the manifest alone (what the GPU device check does with full-size
// artifacts carried without their weights).
// RUN: rm -rf %t && mkdir -p %t
// RUN: xgenmm-import %fixtures/tiny_gqa_fp32_4shards -q -o %t/model.mlir
// RUN: xgenmm-compile %t/model.mlir --synthetic-weights --dtype bf16 -o %t/artifact 2>&1 \
// RUN:   | FileCheck %s --check-prefix=COMPILE
// COMPILE: import {{.*}} ms  synthetic weights (no checkpoint)
// COMPILE: write weights.bin {{.*}} bf16
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/artifact/manifest.json
// MANIFEST: "synthetic":true,"tensors":[{"name":"vlm.vision_encoder.embeddings.position_embedding.weight",{{.*}}"offset":0,
// RUN: xgenmm-run -m %t/artifact --input-ids 1,5,9 --max-tokens 4 --print-ids \
// RUN:   | FileCheck %s --check-prefix=GEN
// GEN: ids: {{[0-9]+}}
//
// The tool writes the same bytes (and so the same hash) from the manifest.
// RUN: cp %t/artifact/weights.bin %t/compiled-weights.bin
// RUN: rm %t/artifact/weights.bin
// RUN: xgenmm-synth-weights %t/artifact | FileCheck %s --check-prefix=TOOL
// TOOL: xgenmm-synth-weights: wrote {{.*}}weights.bin ({{[0-9]+}} bytes, {{[0-9]+}} tensors, xxh64
// RUN: cmp %t/artifact/weights.bin %t/compiled-weights.bin
// RUN: xgenmm-run -m %t/artifact --input-ids 1,5,9 --max-tokens 4 --print-ids \
// RUN:   | FileCheck %s --check-prefix=GEN
//
// On an artifact compiled from a checkpoint it replaces the weights and
// marks the manifest; the artifact still loads (its hash is updated).
// RUN: xgenmm-compile %fixtures/tiny_fp32_single -o %t/real > /dev/null 2>&1
// RUN: xgenmm-synth-weights %t/real
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/real/manifest.json
// RUN: xgenmm-run -m %t/real --input-ids 1,5,9 --max-tokens 2 --print-ids | FileCheck %s --check-prefix=GEN2
// GEN2: ids:
//
// Errors name what is wrong and write nothing.
// RUN: not xgenmm-compile %fixtures/tiny_fp32_single --synthetic-weights -o %t/no 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DIR
// DIR: --synthetic-weights takes xgenmm IR (a .mlir file), not a checkpoint
// RUN: not ls %t/no
// RUN: not xgenmm-synth-weights %t/missing 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: xgenmm-synth-weights: error: {{.*}}missing/manifest.json: cannot read
// RUN: %python -c "import json,sys; p=sys.argv[1]; m=json.load(open(p)); m['weights']['tensors'][1]['scheme']='int8'; json.dump(m, open(p,'w'))" %t/real/manifest.json
// RUN: cp %t/real/weights.bin %t/before.bin
// RUN: not xgenmm-synth-weights %t/real 2>&1 | FileCheck %s --check-prefix=QUANT
// QUANT: xgenmm-synth-weights: error: {{.*}}manifest.json: tensor '{{.*}}' is stored as int8: synthetic weights are f32 or bf16 only
// RUN: cmp %t/real/weights.bin %t/before.bin
